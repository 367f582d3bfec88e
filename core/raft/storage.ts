// An in-memory Storage: the latest snapshot, the log after the compaction point, and the hard
// state. The server's durable storage and the simulator's disk build on it. Position 0 (term 0) is
// the snapshot every log starts from; a bootstrapped member holds the initial voters there.
import { entrySize, limitedSlice } from './entry-size.ts';
import type { ConfState, Entry, HardState, NodeId, Snapshot, Storage, StorageError } from './types.ts';

const EMPTY_CONF_STATE: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

function storageError(code: StorageError['storageError'], message: string): StorageError {
  return { storageError: code, message };
}

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private currentSnapshot: Snapshot;
  /** The index and term of the entry before log[0]: the compaction point. */
  private offset = 0;
  private offsetTerm = 0;
  private log: Entry[] = [];

  /** An empty member that has never been part of a cluster: it waits for a snapshot from a leader. */
  constructor(confState: ConfState = EMPTY_CONF_STATE) {
    this.currentSnapshot = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
  }

  /** A founding member of a new cluster of `voters`: an empty log starting from that configuration. */
  static bootstrap(voters: readonly NodeId[]): MemoryStorage {
    return new MemoryStorage({ ...EMPTY_CONF_STATE, voters: [...new Set(voters)].sort() });
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  setHardState(hardState: HardState): undefined {
    this.hardState = hardState;
    return undefined;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] | StorageError {
    if (lo <= this.offset)
      return storageError('compacted', `entry ${lo} is compacted (log starts after ${this.offset})`);
    if (hi > this.lastIndex() + 1) {
      return storageError(
        'unavailable',
        `entries up to ${hi - 1} requested; the log ends at ${this.lastIndex()}`,
      );
    }
    return limitedSlice(this.log, lo - this.offset - 1, hi - this.offset - 1, maxBytes);
  }

  term(index: number): number | StorageError {
    if (index < this.offset)
      return storageError('compacted', `entry ${index} is compacted (log starts after ${this.offset})`);
    if (index === this.offset) return this.offsetTerm;
    const entry = this.log[index - this.offset - 1];
    if (entry === undefined)
      return storageError('unavailable', `entry ${index} is beyond the log end ${this.lastIndex()}`);
    return entry.term;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.log.length;
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  /** Appends entries (from a Ready), replacing any stored entries from the first one's index on. */
  append(entries: readonly Entry[]): StorageError | undefined {
    const first = entries[0];
    if (first === undefined) return undefined;
    if (first.index > this.lastIndex() + 1) {
      return storageError(
        'unavailable',
        `entries from ${first.index} would leave a gap after ${this.lastIndex()}`,
      );
    }
    // Entries up to the compaction point are already covered.
    const skip = Math.max(0, this.offset + 1 - first.index);
    if (skip >= entries.length) return undefined;
    this.log.length = first.index + skip - this.offset - 1;
    for (let i = skip; i < entries.length; i++) this.log.push(entries[i]!);
    return undefined;
  }

  /** Replaces everything by a snapshot received from the leader (from a Ready). */
  applySnapshot(snapshot: Snapshot): StorageError | undefined {
    const { index, term } = snapshot.metadata;
    if (index < this.currentSnapshot.metadata.index) {
      return storageError(
        'snapshotOutOfDate',
        `snapshot at ${index} is older than the stored one at ${this.currentSnapshot.metadata.index}`,
      );
    }
    this.currentSnapshot = snapshot;
    this.offset = index;
    this.offsetTerm = term;
    this.log = [];
    return undefined;
  }

  /**
   * Records the application's snapshot of its state at `index` (an applied index). The log is kept
   * until compact() drops a prefix of it.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot | StorageError {
    if (index < this.currentSnapshot.metadata.index) {
      return storageError(
        'snapshotOutOfDate',
        `snapshot at ${index} is older than the stored one at ${this.currentSnapshot.metadata.index}`,
      );
    }
    const term = this.term(index);
    if (typeof term !== 'number') return term;
    this.currentSnapshot = { metadata: { index, term, confState }, data };
    return this.currentSnapshot;
  }

  /**
   * The compaction point that keeps at most `maxBytes` (by entrySize) of the entries up to `upTo`:
   * the smallest index such that the entries after it, up to `upTo`, fit (`upTo` itself if even its
   * own entry does not). Entries after `upTo` do not count. For bounding the catch-up log by bytes.
   */
  compactionPointKeeping(upTo: number, maxBytes: number): number {
    let index = Math.min(upTo, this.lastIndex());
    let kept = 0;
    while (index > this.offset) {
      kept += entrySize(this.log[index - this.offset - 1]!);
      if (kept > maxBytes) return index;
      index--;
    }
    return this.offset;
  }

  /** Drops the entries up to `index`, which a snapshot must cover. */
  compact(index: number): StorageError | undefined {
    if (index <= this.offset)
      return storageError('compacted', `the log is already compacted to ${this.offset}`);
    if (index > this.currentSnapshot.metadata.index) {
      return storageError(
        'unavailable',
        `compacting to ${index} would drop entries beyond the snapshot at ${this.currentSnapshot.metadata.index}`,
      );
    }
    const term = this.term(index);
    if (typeof term !== 'number') return term;
    this.log = this.log.slice(index - this.offset);
    this.offset = index;
    this.offsetTerm = term;
    return undefined;
  }
}
