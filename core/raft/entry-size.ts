// How entries are measured for the byte limits. Messages and storage pages count an entry's data
// plus a fixed framing overhead (so that empty entries still cost something); the uncommitted and
// in-flight budgets count data only, so a new leader's empty entry never exhausts them.
import type { Entry } from './types.ts';

/** Bytes of framing counted per entry on top of its data: term, index and type. */
export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySize(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

export function payloadSize(entries: readonly { readonly data: Uint8Array }[]): number {
  let size = 0;
  for (const entry of entries) size += entry.data.byteLength;
  return size;
}

/**
 * A copy of entries[start, end), cut to the longest prefix within `maxBytes` (by entrySize) but
 * at least one entry. Measures before copying, so a long range costs only what is returned.
 */
export function limitedSlice(
  entries: readonly Entry[],
  start: number,
  end: number,
  maxBytes: number,
): Entry[] {
  if (end - start <= 1) return entries.slice(start, end);
  let size = entrySize(entries[start]!);
  let cut = start + 1;
  while (cut < end) {
    size += entrySize(entries[cut]!);
    if (size > maxBytes) break;
    cut++;
  }
  return entries.slice(start, cut);
}

export const NO_ENTRIES: readonly Entry[] = Object.freeze([]);
