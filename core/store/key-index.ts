// The set of keys with retained history, in key order, plus a map for point lookups. Order is kept
// in a list of sorted chunks (a two-level B+tree): an insert moves at most one chunk's entries, a
// range scan binary-searches the chunks and then walks them.

import type { KeyRecord } from './key-record.ts';
import type { SortKeyRange } from './keys.ts';

const MAX_CHUNK = 512;
const MIN_MERGE = MAX_CHUNK / 4;

export class KeyIndex {
  private readonly byKey = new Map<string, KeyRecord>();
  private readonly chunks: KeyRecord[][] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): KeyRecord | undefined {
    return this.byKey.get(key);
  }

  insert(record: KeyRecord): void {
    if (this.byKey.has(record.key)) throw new Error(`key index already holds '${record.key}'`);
    this.byKey.set(record.key, record);
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([record]);
      return;
    }
    const c = Math.min(this.chunkFor(record.sortKey), chunks.length - 1);
    const chunk = chunks[c]!;
    chunk.splice(positionIn(chunk, record.sortKey), 0, record);
    if (chunk.length > MAX_CHUNK) chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  /** Adds a record that sorts after every record present (bulk loading a snapshot). */
  appendInOrder(record: KeyRecord): void {
    const chunks = this.chunks;
    const last = chunks[chunks.length - 1];
    if (last !== undefined && !(last[last.length - 1]!.sortKey < record.sortKey)) {
      throw new Error(`key '${record.key}' appended out of order`);
    }
    const size = this.byKey.size;
    this.byKey.set(record.key, record);
    if (this.byKey.size === size) throw new Error(`key index already holds '${record.key}'`);
    if (last === undefined || last.length >= (MAX_CHUNK * 3) / 4) chunks.push([record]);
    else last.push(record);
  }

  remove(record: KeyRecord): void {
    if (this.byKey.get(record.key) !== record) throw new Error(`key index does not hold '${record.key}'`);
    this.byKey.delete(record.key);
    const chunks = this.chunks;
    const c = this.chunkFor(record.sortKey);
    const chunk = chunks[c]!;
    const at = positionIn(chunk, record.sortKey);
    if (chunk[at] !== record) throw new Error(`key index order is broken at '${record.key}'`);
    chunk.splice(at, 1);
    if (chunk.length === 0) {
      chunks.splice(c, 1);
    } else if (chunk.length < MIN_MERGE && c + 1 < chunks.length) {
      const next = chunks[c + 1]!;
      if (chunk.length + next.length <= MAX_CHUNK / 2) {
        chunk.push(...next);
        chunks.splice(c + 1, 1);
      }
    }
  }

  /** A cursor over the records in `range`, in key order (valid until the index changes). */
  cursor(range: SortKeyRange): KeyCursor {
    if (range.single) {
      const record = this.byKey.get(range.key);
      return new KeyCursor(record === undefined ? [] : [[record]], 0, 0, undefined);
    }
    const high = range.high;
    if (high !== undefined && high <= range.low) return new KeyCursor([], 0, 0, undefined);
    const c = this.chunkFor(range.low);
    const i = c < this.chunks.length ? positionIn(this.chunks[c]!, range.low) : 0;
    return new KeyCursor(this.chunks, c, i, high);
  }

  /** Every record in key order. */
  forEach(visit: (record: KeyRecord) => void): void {
    for (const chunk of this.chunks) for (const record of chunk) visit(record);
  }

  /** The first chunk whose last key is >= sortKey (chunks.length if none). */
  private chunkFor(sortKey: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (chunk[chunk.length - 1]!.sortKey < sortKey) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class KeyCursor {
  private readonly chunks: readonly KeyRecord[][];
  private chunk: number;
  private position: number;
  private readonly high: string | undefined;

  constructor(chunks: readonly KeyRecord[][], chunk: number, position: number, high: string | undefined) {
    this.chunks = chunks;
    this.chunk = chunk;
    this.position = position;
    this.high = high;
  }

  /** The next record in range, or undefined at the end. */
  next(): KeyRecord | undefined {
    for (;;) {
      const chunk = this.chunks[this.chunk];
      if (chunk === undefined) return undefined;
      const record = chunk[this.position++];
      if (record === undefined) {
        this.chunk++;
        this.position = 0;
        continue;
      }
      if (this.high !== undefined && record.sortKey >= this.high) {
        this.chunk = this.chunks.length;
        return undefined;
      }
      return record;
    }
  }
}

/** The first position in `chunk` whose key is >= sortKey. */
function positionIn(chunk: readonly KeyRecord[], sortKey: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (chunk[mid]!.sortKey < sortKey) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
