// CRC-32C (Castagnoli), the checksum of every WAL record and snapshot file: the same function the
// store's snapshots use (core/store/checksum.ts), over a byte range.
import { crc32c as crc32cOf } from '../../core/store/checksum.ts';

/** The CRC-32C of bytes[start, end), continuing `crc` (of the bytes before them) if given. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  return crc32cOf(bytes.subarray(start, end), crc);
}
