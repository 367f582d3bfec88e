// One key's history (etcd's keyIndex): every retained version, oldest first. A deletion is kept as
// a tombstone (version 0, empty value) until compaction, so that past reads and watch catch-up see it.
// The newest version sits in its own field because most keys have exactly one retained version.

import type { KeyValue } from './types.ts';

export const EMPTY_VALUE: Uint8Array = new Uint8Array(0);

/** Bytes a retained version counts toward the quota besides its key and value. */
export const VERSION_OVERHEAD_BYTES = 48;

/** What compaction freed: versions, their quota bytes and their value bytes. */
export interface FreedBytes {
  versions: number;
  quotaBytes: number;
  valueBytes: number;
}

export function makeKeyValue(
  key: string,
  value: Uint8Array,
  createRevision: number,
  modRevision: number,
  version: number,
  lease: number,
): KeyValue {
  return { key, value, createRevision, modRevision, version, lease };
}

export function makeTombstone(key: string, modRevision: number): KeyValue {
  return makeKeyValue(key, EMPTY_VALUE, 0, modRevision, 0, 0);
}

export class KeyRecord {
  readonly key: string;
  /** The key in index order (see keys.ts sortKey). */
  readonly sortKey: string;
  readonly keyBytes: number;
  /** The newest version (a tombstone when the key is deleted). */
  latest: KeyValue;
  /** Older retained versions, oldest first; null when there are none. */
  past: KeyValue[] | null = null;
  /** True once compaction dropped every version: the key must leave the index. */
  removed = false;

  constructor(key: string, sortKey: string, keyBytes: number, first: KeyValue) {
    this.key = key;
    this.sortKey = sortKey;
    this.keyBytes = keyBytes;
    this.latest = first;
  }

  /** The live version now, or undefined when the key is deleted. */
  live(): KeyValue | undefined {
    return this.latest.version === 0 ? undefined : this.latest;
  }

  /** The newest version with modRevision <= revision, tombstones included. */
  versionAt(revision: number): KeyValue | undefined {
    if (this.latest.modRevision <= revision) return this.latest;
    const past = this.past;
    if (past === null) return undefined;
    let lo = 0;
    let hi = past.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (past[mid]!.modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : past[lo - 1];
  }

  /** The live version as of `revision` (undefined if absent or deleted then). */
  liveAt(revision: number): KeyValue | undefined {
    const kv = this.versionAt(revision);
    return kv === undefined || kv.version === 0 ? undefined : kv;
  }

  /** The version written exactly at `revision`, if this key changed then. */
  versionWrittenAt(revision: number): KeyValue | undefined {
    const kv = this.versionAt(revision);
    return kv !== undefined && kv.modRevision === revision ? kv : undefined;
  }

  append(kv: KeyValue): void {
    if (kv.modRevision <= this.latest.modRevision) {
      throw new Error(
        `key history out of order for '${this.key}': revision ${kv.modRevision} after ${this.latest.modRevision}`,
      );
    }
    if (this.past === null) this.past = [this.latest];
    else this.past.push(this.latest);
    this.latest = kv;
  }

  /** Retained versions, oldest first. */
  versions(): KeyValue[] {
    return this.past === null ? [this.latest] : [...this.past, this.latest];
  }

  /** Calls `visit` with each retained version, oldest first. */
  forEachVersion(visit: (kv: KeyValue) => void): void {
    const past = this.past;
    if (past !== null) for (let i = 0; i < past.length; i++) visit(past[i]!);
    visit(this.latest);
  }

  versionCount(): number {
    return this.past === null ? 1 : this.past.length + 1;
  }

  /** Quota bytes one version of this key counts for. */
  versionBytes(kv: KeyValue): number {
    return this.keyBytes + kv.value.length + VERSION_OVERHEAD_BYTES;
  }

  /**
   * Drops what compaction at `compactRevision` makes unreachable: every version below it, except the
   * newest one when it is live and nothing was written exactly at compactRevision (it is then the
   * key's state at compactRevision, which stays readable). A version replaced exactly at the compact
   * revision is dropped, so deleting keys and compacting at that revision frees their values (the
   * cost: events at the compact revision have no prevKv). Adds what it frees to `freed`.
   */
  compact(compactRevision: number, freed: FreedBytes): void {
    const all = this.versions();
    let firstKept = 0;
    while (firstKept < all.length && all[firstKept]!.modRevision < compactRevision) firstKept++;
    const atOrAfter = all[firstKept];
    const below = all[firstKept - 1];
    if (
      (atOrAfter === undefined || atOrAfter.modRevision > compactRevision) &&
      below !== undefined &&
      below.version !== 0
    ) {
      firstKept--;
    }
    if (firstKept === 0) return;
    freed.versions += firstKept;
    for (let i = 0; i < firstKept; i++) {
      freed.quotaBytes += this.versionBytes(all[i]!);
      freed.valueBytes += all[i]!.value.length;
    }
    const kept = all.slice(firstKept);
    if (kept.length === 0) {
      this.past = null;
    } else {
      this.latest = kept[kept.length - 1]!;
      this.past = kept.length === 1 ? null : kept.slice(0, -1);
    }
    this.removed = kept.length === 0;
  }
}
