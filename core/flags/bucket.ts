// Stable bucketing: the same flag, salt and context land in the same bucket in every runtime, now
// and in every future version (core/flags/VECTORS.md and vectors.json pin it down).
//
//   input  = UTF-8 bytes of `${flagKey}.${salt}.${bucketValue}` (TextEncoder; a lone surrogate
//            becomes U+FFFD, as WHATWG encoding specifies)
//   h      = the first 4 bytes of SHA-256(input), read as an unsigned big-endian 32-bit integer
//   bucket = floor(h * 100000 / 2^32), an integer in [0, 100000)
//
// h * 100000 < 2^49 and 2^32 is a power of two, so every step is exact in IEEE-754 doubles: no
// BigInt, no 64-bit parsing, no rounding differences between engines.

import { sha256 } from './sha256.ts';
import type { Rollout } from './types.ts';

/** Buckets per rollout; weights are in these units (100000 = 100%, 1 = 0.001%). */
export const BUCKET_COUNT = 100_000;

const utf8 = new TextEncoder();

/** The text that is hashed for a context's bucket. */
export function bucketInput(flagKey: string, salt: string, bucketValue: string): string {
  return `${flagKey}.${salt}.${bucketValue}`;
}

/** The context's bucket in [0, 100000). */
export function bucketOf(flagKey: string, salt: string, bucketValue: string): number {
  const digest = sha256(utf8.encode(bucketInput(flagKey, salt, bucketValue)));
  const h = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
  return Math.floor((h * BUCKET_COUNT) / 0x1_0000_0000);
}

/**
 * The variation whose range holds `bucket`. Ranges are consecutive in the listed order: the first
 * variation takes [0, w0), the next [w0, w0 + w1), and so on; zero weights take nothing.
 */
export function variationForBucket(rollout: Rollout, bucket: number): string | undefined {
  let rangeEnd = 0;
  for (const share of rollout.variations) {
    rangeEnd += share.weight;
    if (bucket < rangeEnd) return share.variation;
  }
  return undefined;
}
