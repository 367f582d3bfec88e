// Request ids for writes: chosen once per logical write and reused by every retry, so the store
// applies the write at most once. 128 random bits from the platform's CSPRNG (present in browsers,
// Node, Deno and Workers, also outside secure contexts, unlike crypto.randomUUID).

export function newRequestId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let id = '';
  for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
  return id;
}
