import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { text } from './arbitraries.test.ts';
import { loneSurrogateIndex, prefixEnd, utf8ByteLength } from './keys.ts';
import { decodeBase64, decodeUtf8, encodeBase64 } from './text.ts';

/** Compares strings by their UTF-8 bytes, the order keys are kept in. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('prefixEnd', () => {
  const cases: [string, string][] = [
    ['app/', 'app0'],
    ['a', 'b'],
    ['\u{10FFFF}', '\0'],
    ['a\u{10FFFF}', 'b'],
    ['\ud7ff', '\ue000'],
    ['\uffff', '\u{10000}'],
    ['', '\0'],
  ];
  for (const [prefix, end] of cases) {
    it(`ends the prefix ${JSON.stringify(prefix)} at ${JSON.stringify(end)}`, () => {
      assert.equal(prefixEnd(prefix), end);
    });
  }

  it('is above every key with the prefix and at or below every greater key without it', () => {
    fc.assert(
      fc.property(text(1, 4), text(0, 4), text(0, 6), (prefix, suffix, other) => {
        const end = prefixEnd(prefix);
        if (end === '\0') return;
        assert.ok(compareUtf8(prefix + suffix, end) < 0, 'a key with the prefix falls inside the range');
        if (!other.startsWith(prefix) && compareUtf8(other, prefix) > 0) {
          assert.ok(
            compareUtf8(other, end) >= 0,
            `${JSON.stringify(other)} has no prefix but sorts before the end`,
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('text helpers', () => {
  it('measure UTF-8 and find lone surrogates as Node does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => {
        assert.equal(utf8ByteLength(s), Buffer.byteLength(s, 'utf8'));
        assert.equal(loneSurrogateIndex(s), -1);
      }),
    );
    assert.equal(loneSurrogateIndex('ab\ud800c'), 2);
    assert.equal(loneSurrogateIndex('\ud83d\ude00\ude00'), 2);
  });

  it('encode base64 as Node does and decode only canonical base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        assert.equal(encoded, Buffer.from(bytes).toString('base64'));
        assert.deepStrictEqual(decodeBase64(encoded), bytes);
      }),
    );
    assert.equal(decodeBase64('QR=='), 'base64 has non-zero bits in its padding (not a canonical encoding)');
    assert.equal(decodeBase64('QQ'), 'base64 length 2 is not a multiple of 4');
    assert.equal(decodeBase64('Q=Q='), 'character "=" at index 1 is not base64');
  });

  it('keep a leading byte order mark when decoding UTF-8', () => {
    assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa');
    assert.equal(decodeUtf8(new Uint8Array([0xff])), undefined);
  });
});
