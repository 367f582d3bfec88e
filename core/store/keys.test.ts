import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareKeys, isWellFormedKey, NO_RANGE_END, prefixEnd, sortKey, utf8Length } from './keys.ts';

const encoder = new TextEncoder();

function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return Math.sign(x.length - y.length);
}

/** Strings mixing ASCII, the BMP above the surrogates and astral characters, where UTF-16 order goes wrong. */
const key = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      'a',
      'b',
      '/',
      '\u0000',
      '\u007f',
      'é',
      '\uD7FF',
      '\uE000',
      '\uFFFF',
      '\u{10000}',
      '\u{10FFFF}',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 6,
});

describe('key order', () => {
  it('compareKeys is UTF-8 byte order', () => {
    fc.assert(fc.property(key, key, (a, b) => assert.equal(compareKeys(a, b), compareUtf8(a, b))));
  });

  it('sortKey turns native string comparison into UTF-8 byte order', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        const native = sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0;
        assert.equal(native, compareUtf8(a, b));
      }),
    );
  });

  it('differs from UTF-16 order exactly where it must', () => {
    assert.ok('\u{10000}' < '\uE000', 'UTF-16 puts the astral character first');
    assert.equal(compareKeys('\u{10000}', '\uE000'), 1, 'UTF-8 puts it last');
  });

  it('utf8Length matches the encoder, and well-formedness is checked', () => {
    fc.assert(fc.property(key, (k) => assert.equal(utf8Length(k), encoder.encode(k).length)));
    assert.equal(isWellFormedKey('a\u{1F600}'), true);
    assert.equal(isWellFormedKey('a\uD83D'), false);
    assert.equal(isWellFormedKey('\uDE00a'), false);
  });
});

describe('prefixEnd', () => {
  it('is above every key with the prefix, and every key below it that is >= the prefix has the prefix', () => {
    fc.assert(
      fc.property(
        key.filter((p) => p.length > 0),
        key,
        (prefix, suffix) => {
          const end = prefixEnd(prefix);
          const extended = prefix + suffix;
          if (end !== NO_RANGE_END) assert.equal(compareKeys(extended, end), -1, 'prefix + anything < end');
        },
      ),
    );
    fc.assert(
      fc.property(
        key.filter((p) => p.length > 0),
        key,
        (prefix, other) => {
          const end = prefixEnd(prefix);
          const inRange =
            compareKeys(other, prefix) >= 0 && (end === NO_RANGE_END || compareKeys(other, end) < 0);
          assert.equal(inRange, other.startsWith(prefix));
        },
      ),
    );
  });

  it('handles the edges like etcd', () => {
    assert.equal(prefixEnd('app/'), 'app0');
    assert.equal(prefixEnd('a\u{10FFFF}'), 'b');
    assert.equal(prefixEnd('\u{10FFFF}'), NO_RANGE_END);
    assert.equal(prefixEnd('\uD7FF'), '\uE000', 'skips the surrogate block');
    assert.equal(prefixEnd(''), NO_RANGE_END);
  });
});
