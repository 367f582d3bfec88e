// Multi-version keys: the key index with each key's history, the revision log, the current and
// compact revisions, and the quota size. Writes are grouped: beginWrite(), any number of put/delete
// at the same revision, endWrite() (which takes the revision only if something changed).

import { KeyIndex } from './key-index.ts';
import { EMPTY_VALUE, type FreedBytes, KeyRecord, makeKeyValue, makeTombstone } from './key-record.ts';
import { type SortKeyRange, sortKey, utf8Length } from './keys.ts';
import { RevisionLog } from './revision-log.ts';
import type { KeyValue } from './types.ts';
import { MAX_SLAB_BYTES, ValueArena } from './value-arena.ts';

/** The changes of one revision, handed to the watch hub. */
export interface RevisionChanges {
  readonly revision: number;
  /** New versions in the order written; a deletion is a tombstone (version 0). */
  readonly changes: readonly KeyValue[];
  /** The live version each change replaced, if any. */
  readonly prevs: readonly (KeyValue | undefined)[];
  /** Sort keys of the changed keys (see keys.ts). */
  readonly sortKeys: readonly string[];
}

export interface RangeResult {
  readonly kvs: KeyValue[];
  readonly count: number;
  readonly more: boolean;
}

export class Mvcc {
  readonly index = new KeyIndex();
  readonly log: RevisionLog;
  revision: number;
  compactRevision: number;
  /** Quota bytes of every retained version (see KeyRecord.versionBytes). */
  sizeBytes = 0;
  /** Where new values are copied; live values move to a fresh one when it holds too much garbage. */
  values = new ValueArena();
  /** Bytes of retained versions' values (a value two versions share counts twice). */
  valueBytes = 0;
  /** Retained versions, tombstones included. */
  versionCount = 0;

  private writing = false;
  private changes: KeyValue[] = [];
  private prevs: (KeyValue | undefined)[] = [];
  private sortKeys: string[] = [];

  constructor(revision = 0, compactRevision = 0) {
    this.revision = revision;
    this.compactRevision = compactRevision;
    this.log = new RevisionLog(Math.max(compactRevision, 1));
  }

  /**
   * The live version of `key` at `revision`; undefined revision = now, including the open write's
   * changes (a txn's reads see its earlier writes).
   */
  get(key: string, revision: number | undefined): KeyValue | undefined {
    const record = this.index.get(key);
    if (record === undefined) return undefined;
    return revision === undefined ? record.live() : record.liveAt(revision);
  }

  /** Live keys in `range` at `revision` (undefined = now, as for get). limit 0 = all. */
  range(range: SortKeyRange, revision: number | undefined, limit: number, countOnly: boolean): RangeResult {
    const kvs: KeyValue[] = [];
    let count = 0;
    const current = revision === undefined;
    const cap = countOnly ? 0 : limit > 0 ? limit : Number.POSITIVE_INFINITY;
    const cursor = this.index.cursor(range);
    for (let record = cursor.next(); record !== undefined; record = cursor.next()) {
      const kv = current ? record.live() : record.liveAt(revision);
      if (kv === undefined) continue;
      count++;
      if (kvs.length < cap) kvs.push(kv);
    }
    return { kvs, count, more: !countOnly && count > kvs.length };
  }

  beginWrite(): void {
    if (this.writing) throw new Error('write already open');
    this.writing = true;
  }

  /** Writes a new version; returns the live version it replaced. */
  put(key: string, value: Uint8Array, lease: number): KeyValue | undefined {
    this.assertWriting();
    const rev = this.revision + 1;
    let record = this.index.get(key);
    let prev: KeyValue | undefined;
    let kv: KeyValue;
    if (record === undefined) {
      kv = makeKeyValue(key, value, rev, rev, 1, lease);
      record = new KeyRecord(key, sortKey(key), utf8Length(key), kv);
      this.index.insert(record);
    } else {
      prev = record.live();
      kv =
        prev === undefined
          ? makeKeyValue(key, value, rev, rev, 1, lease)
          : makeKeyValue(key, value, prev.createRevision, rev, prev.version + 1, lease);
      record.append(kv);
    }
    this.sizeBytes += record.versionBytes(kv);
    this.valueBytes += value.length;
    this.versionCount++;
    this.record(kv, prev, record.sortKey);
    return prev;
  }

  /** Deletes the live keys in `range`; returns what was deleted, in key order. */
  deleteRange(range: SortKeyRange): KeyValue[] {
    this.assertWriting();
    const deleted: KeyValue[] = [];
    const cursor = this.index.cursor(range);
    for (let record = cursor.next(); record !== undefined; record = cursor.next()) {
      if (record.latest.version !== 0) deleted.push(this.deleteRecord(record));
    }
    return deleted;
  }

  /** Deletes one live key; returns its last version. */
  deleteKey(key: string): KeyValue {
    this.assertWriting();
    const record = this.index.get(key);
    if (record === undefined || record.latest.version === 0)
      throw new Error(`deleting '${key}', which is not live`);
    return this.deleteRecord(record);
  }

  /** Closes the write; returns its changes if it took a revision. */
  endWrite(): RevisionChanges | undefined {
    this.assertWriting();
    this.writing = false;
    if (this.changes.length === 0) return undefined;
    const revision = this.revision + 1;
    const done: RevisionChanges = {
      revision,
      changes: this.changes,
      prevs: this.prevs,
      sortKeys: this.sortKeys,
    };
    this.log.append(revision, this.changes);
    this.revision = revision;
    this.changes = [];
    this.prevs = [];
    this.sortKeys = [];
    return done;
  }

  /** Drops history below `revision` (already checked: compactRevision < revision <= this.revision). */
  compact(revision: number): void {
    if (revision <= this.compactRevision || revision > this.revision) {
      throw new Error(`compact to ${revision} outside (${this.compactRevision}, ${this.revision}]`);
    }
    // Keys changed in the dropped revisions, and at the compact revision itself (which replaces
    // their older versions), are the only ones with versions to drop.
    const touched = new Set<KeyRecord>();
    const touch = (kv: KeyValue): void => {
      const record = this.index.get(kv.key);
      if (record === undefined) throw new Error(`revision log names '${kv.key}', which has no history`);
      touched.add(record);
    };
    this.log.dropBefore(revision, touch);
    for (let i = 0; i < this.log.changeCount(revision); i++) touch(this.log.change(revision, i));
    const freed: FreedBytes = { versions: 0, quotaBytes: 0, valueBytes: 0 };
    for (const record of touched) {
      record.compact(revision, freed);
      if (record.removed) this.index.remove(record);
    }
    this.sizeBytes -= freed.quotaBytes;
    this.valueBytes -= freed.valueBytes;
    this.versionCount -= freed.versions;
    this.compactRevision = revision;
    this.reclaimValueSpace();
  }

  /**
   * Once the arena holds more than twice the live values' bytes (plus a slab of slack), copies every
   * live value to a fresh arena, so that the old slabs (or a restored snapshot's bytes) can be freed.
   * KeyValues are updated in place: the bytes are equal, only the buffer they are a view of changes.
   * A version that shares its value with the one before (a put with ignoreValue) shares the copy.
   */
  private reclaimValueSpace(): void {
    if (this.values.heldBytes <= 2 * this.valueBytes + MAX_SLAB_BYTES) return;
    const fresh = new ValueArena();
    this.index.forEach((record) => {
      let before: Uint8Array | undefined;
      let moved: Uint8Array = EMPTY_VALUE;
      record.forEachVersion((kv) => {
        const value = kv.value;
        const copy = value === before ? moved : fresh.move(value);
        before = value;
        moved = copy;
        (kv as { value: Uint8Array }).value = copy;
      });
    });
    this.values = fresh;
  }

  // WatchSource: what the watch hub reads when a watcher catches up.

  changeCount(revision: number): number {
    return this.log.changeCount(revision);
  }

  change(revision: number, i: number): KeyValue {
    return this.log.change(revision, i);
  }

  /** The live version of kv's key just before kv was written (a watch event's prevKv). */
  previousVersion(kv: KeyValue): KeyValue | undefined {
    return this.index.get(kv.key)?.liveAt(kv.modRevision - 1);
  }

  private deleteRecord(record: KeyRecord): KeyValue {
    const prev = record.latest;
    const tombstone = makeTombstone(record.key, this.revision + 1);
    record.append(tombstone);
    this.sizeBytes += record.versionBytes(tombstone);
    this.versionCount++;
    this.record(tombstone, prev, record.sortKey);
    return prev;
  }

  private record(kv: KeyValue, prev: KeyValue | undefined, key: string): void {
    this.changes.push(kv);
    this.prevs.push(prev);
    this.sortKeys.push(key);
  }

  private assertWriting(): void {
    if (!this.writing) throw new Error('write outside beginWrite/endWrite');
  }
}
