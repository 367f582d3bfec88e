// CRC-32C (Castagnoli), table-driven sixteen bytes at a time: the snapshot checksum and the state hash
// (etcd's HashKV uses the same polynomial). It detects corruption and divergence, not tampering.
// The bulk is read as aligned 32-bit words, which is about three times faster than byte loads; the
// words are little-endian, so a big-endian host takes the byte-at-a-time path for everything.

const TABLES = 16;

/** TABLES tables of 256 entries, table t at t * 256: the CRC of a byte followed by t zero bytes. */
const CRC_TABLE: Int32Array = (() => {
  const table = new Int32Array(TABLES * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n]!;
    for (let t = 1; t < TABLES; t++) {
      c = table[c & 0xff]! ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Continues a CRC-32C over `bytes` (start with crc = 0). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLE;
  const n = bytes.length;
  let c = ~crc;
  let i = 0;
  if (LITTLE_ENDIAN && n >= 32) {
    while (i < n && ((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
    const blocks = words.length & ~3;
    for (let w = 0; w < blocks; w += 4) {
      const a = c ^ words[w]!;
      const b = words[w + 1]!;
      const d = words[w + 2]!;
      const e = words[w + 3]!;
      c =
        t[3840 + (a & 0xff)]! ^
        t[3584 + ((a >>> 8) & 0xff)]! ^
        t[3328 + ((a >>> 16) & 0xff)]! ^
        t[3072 + (a >>> 24)]! ^
        t[2816 + (b & 0xff)]! ^
        t[2560 + ((b >>> 8) & 0xff)]! ^
        t[2304 + ((b >>> 16) & 0xff)]! ^
        t[2048 + (b >>> 24)]! ^
        t[1792 + (d & 0xff)]! ^
        t[1536 + ((d >>> 8) & 0xff)]! ^
        t[1280 + ((d >>> 16) & 0xff)]! ^
        t[1024 + (d >>> 24)]! ^
        t[768 + (e & 0xff)]! ^
        t[512 + ((e >>> 8) & 0xff)]! ^
        t[256 + ((e >>> 16) & 0xff)]! ^
        t[e >>> 24]!;
    }
    i += blocks * 4;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
