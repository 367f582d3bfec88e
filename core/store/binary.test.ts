import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BinaryReader, BinaryWriter, SnapshotDecodeError } from './binary.ts';
import { crc32c } from './checksum.ts';

describe('snapshot encoding', () => {
  it('round-trips varints over the whole safe integer range, strings and bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(), fc.maxSafeNat()), { maxLength: 20 }),
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ maxLength: 64 }),
        (numbers, text, bytes) => {
          const w = new BinaryWriter(4);
          for (const n of numbers) w.uint(n);
          w.string(text);
          w.bytes(bytes);
          const r = new BinaryReader(w.finish());
          assert.deepEqual(
            numbers.map(() => r.uint()),
            numbers,
          );
          assert.equal(r.string(), text);
          assert.deepEqual(r.bytes(), bytes);
          assert.equal(r.remaining, 0);
        },
      ),
    );
  });

  it('round-trips plain data (stored responses)', () => {
    const value = {
      revision: 7,
      succeeded: true,
      responses: [{ put: { revision: 7, prevKv: { key: 'k', value: new Uint8Array([1, 2]), version: 1 } } }],
      negative: -3,
      fraction: 0.5,
      none: null,
    };
    const w = new BinaryWriter();
    w.data(value);
    assert.deepEqual(new BinaryReader(w.finish()).data(), value);
  });

  it('reports where malformed input goes wrong instead of reading past it', () => {
    const w = new BinaryWriter();
    w.uint(1000);
    const r = new BinaryReader(w.finish());
    assert.throws(
      () => r.bytes(),
      (e: unknown) => e instanceof SnapshotDecodeError && /count 1000 exceeds/.test(e.message),
    );
    assert.throws(
      () => new BinaryReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).uint(),
      /longer than 8 bytes/,
    );
    assert.throws(
      () => new BinaryReader(new Uint8Array([10, 1, 9, 95, 95, 112, 114, 111, 116, 111, 95, 95, 0])).data(),
      /__proto__/,
    );
  });
});

describe('checksums', () => {
  it('computes CRC-32C test vectors, in one go or in pieces', () => {
    const digits = new TextEncoder().encode('123456789');
    assert.equal(crc32c(digits), 0xe3069283);
    assert.equal(crc32c(digits.subarray(5), crc32c(digits.subarray(0, 5))), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  });

  it('matches a bit-by-bit CRC-32C on any length, however the bytes are split', () => {
    const reference = (bytes: Uint8Array): number => {
      let c = ~0;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (bytes, cut) => {
        assert.equal(crc32c(bytes), reference(bytes));
        assert.equal(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), reference(bytes));
      }),
    );
  });
});
