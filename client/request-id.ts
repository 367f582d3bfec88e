// Request ids for writes: chosen once per logical write and reused by every retry, so the store
// applies the write at most once. 128 random bits from the platform's CSPRNG (present in browsers,
// Node, Deno and Workers, also outside secure contexts, unlike crypto.randomUUID). The random bytes
// are drawn a pool at a time: a getRandomValues call per id was the SDK's largest cost in a put.

const ID_BYTES = 16;
/** Ids per refill (4 KiB of randomness); getRandomValues takes at most 65536 bytes per call. */
const IDS_PER_POOL = 256;

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, '0'),
);

const pool = new Uint8Array(ID_BYTES * IDS_PER_POOL);
/** Where the next id's bytes start; the pool is empty (to be filled) at its end. */
let next = pool.length;

export function newRequestId(): string {
  if (next === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  let id = '';
  for (let i = next; i < next + ID_BYTES; i++) id += HEX_BYTE[pool[i]!];
  next += ID_BYTES;
  return id;
}
