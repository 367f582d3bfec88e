import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from './crc32c.ts';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32c', () => {
  it('matches the published check value and RFC 3720 test vectors', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(crc32c(ascending), 0x46dd794e);
    assert.equal(crc32c(new Uint8Array(0)), 0);
  });

  it('checksums a sub-range the same as a copy of it, for every alignment', () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let start = 0; start < 20; start++) {
      for (let end = start; end <= 64; end += 3) {
        assert.equal(crc32c(bytes, start, end), crc32c(bytes.slice(start, end)), `range ${start}..${end}`);
      }
    }
  });

  it('changes when any single bit flips', () => {
    const bytes = ascii('vane write-ahead log record payload');
    const clean = crc32c(bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      assert.notEqual(crc32c(flipped), clean, `bit ${bit}`);
    }
  });
});
