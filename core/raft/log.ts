// The Raft log as the algorithm sees it: what storage holds, followed by the unstable tail not yet
// persisted. Tracks the commit and applied indexes and enforces their invariants.
import { entrySize, NO_ENTRIES } from './entry-size.ts';
import { invariant } from './raft-error.ts';
import type { Entry, Snapshot, Storage, StorageError } from './types.ts';
import { Unstable } from './unstable.ts';

export function isStorageError(value: unknown): value is StorageError {
  return typeof value === 'object' && value !== null && 'storageError' in value;
}

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** The highest index known to be committed by a quorum. */
  committed: number;
  /** The highest index the application has applied. */
  applied: number;
  /** Bytes of committed entries handed out per Ready; 0 = no limit. */
  private readonly maxCommittedSizePerReady: number;

  constructor(storage: Storage, maxCommittedSizePerReady: number) {
    this.storage = storage;
    this.maxCommittedSizePerReady = maxCommittedSizePerReady;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    invariant(term !== undefined, () => `the term of the last index ${this.lastIndex()} is unknown`);
    return term;
  }

  /** The term of the entry at `index`, or undefined if it is compacted or beyond the log. */
  term(index: number): number | undefined {
    const unstable = this.unstable.maybeTerm(index);
    if (unstable !== undefined) return unstable;
    // The entry just before firstIndex is compacted, but its term is kept for matching appends.
    if (index + 1 < this.firstIndex() || index > this.lastIndex()) return undefined;
    const stored = this.storage.term(index);
    return typeof stored === 'number' ? stored : undefined;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries from `lo` to the end, up to maxBytes (at least one); undefined if `lo` is compacted. */
  entries(lo: number, maxBytes: number): readonly Entry[] | undefined {
    const last = this.lastIndex();
    if (lo > last) return NO_ENTRIES;
    return this.slice(lo, last + 1, maxBytes);
  }

  /** Entries [lo, hi) up to maxBytes (at least one); undefined if `lo` is compacted. */
  slice(lo: number, hi: number, maxBytes: number): readonly Entry[] | undefined {
    invariant(lo <= hi, () => `invalid log slice [${lo}, ${hi})`);
    if (lo < this.firstIndex()) return undefined;
    invariant(
      hi <= this.lastIndex() + 1,
      () => `log slice [${lo}, ${hi}) beyond last index ${this.lastIndex()}`,
    );
    if (lo === hi) return NO_ENTRIES;
    const offset = this.unstable.offset;
    if (lo >= offset) return this.unstable.slice(lo, hi, maxBytes);
    const cut = Math.min(hi, offset);
    const stored = this.storage.entries(lo, cut, maxBytes);
    if (isStorageError(stored)) {
      if (stored.storageError === 'compacted') return undefined;
      throw new Error(`raft invariant: storage cannot read entries [${lo}, ${cut}): ${stored.message}`);
    }
    if (hi <= offset || stored.length < cut - lo) return stored;
    let size = 0;
    for (const entry of stored) size += entrySize(entry);
    if (size >= maxBytes) return stored;
    const unstable = this.unstable.slice(offset, hi, maxBytes - size);
    const joined = stored.slice();
    for (const entry of unstable) {
      size += entrySize(entry);
      // The unstable slice holds at least one entry even if it alone is over the remaining budget.
      if (size > maxBytes) break;
      joined.push(entry);
    }
    return joined;
  }

  /**
   * The last index at or below `index` whose term is at most `term`, with that term (0 if unknown,
   * e.g. compacted). Used on both sides of a rejected append to skip a whole conflicting term.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      const ours = this.term(i);
      if (ours === undefined) return { index: i, term: 0 };
      if (ours <= term) return { index: i, term: ours };
    }
    return { index: 0, term: 0 };
  }

  /**
   * Appends a leader's entries that follow (prevIndex, prevTerm) if our log matches there, replacing
   * a conflicting suffix. Returns the last index the leader's entries cover, or undefined on mismatch.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    let conflict = 0;
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) {
        conflict = entry.index;
        break;
      }
    }
    if (conflict !== 0) {
      invariant(
        conflict > this.committed,
        () => `entry ${conflict} conflicts with the committed log (committed ${this.committed})`,
      );
      this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  append(entries: readonly Entry[]): number {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    invariant(
      first.index > this.committed,
      () => `appending at ${first.index} would overwrite committed entries (committed ${this.committed})`,
    );
    invariant(
      first.index <= this.lastIndex() + 1,
      () => `appending at ${first.index} leaves a gap after last index ${this.lastIndex()}`,
    );
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    invariant(
      index <= this.lastIndex(),
      () =>
        `commit ${index} is beyond the last index ${this.lastIndex()} (log corrupted, truncated or lost?)`,
    );
    this.committed = index;
  }

  /** Commits `index` if it is from `term` (Raft §5.4.2: only entries of the leader's term commit by counting). */
  maybeCommit(index: number, term: number, anyTerm: boolean): boolean {
    if (index <= this.committed) return false;
    if (!anyTerm && this.term(index) !== term) return false;
    this.commitTo(index);
    return true;
  }

  appliedTo(index: number): void {
    invariant(
      index >= this.applied && index <= this.committed,
      () => `applied ${index} is outside [applied ${this.applied}, committed ${this.committed}]`,
    );
    this.applied = index;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  hasNextCommittedEntries(): boolean {
    return !this.hasPendingSnapshot() && this.applied < this.committed;
  }

  /** Committed entries not yet applied, up to maxCommittedSizePerReady bytes (at least one). */
  nextCommittedEntries(): readonly Entry[] {
    if (!this.hasNextCommittedEntries()) return NO_ENTRIES;
    const limit =
      this.maxCommittedSizePerReady === 0 ? Number.POSITIVE_INFINITY : this.maxCommittedSizePerReady;
    const entries = this.slice(this.applied + 1, this.committed + 1, limit);
    invariant(entries !== undefined, () => `committed entries after applied ${this.applied} are compacted`);
    return entries;
  }

  snapshot(): Snapshot | StorageError {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the log by a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    invariant(
      snapshot.metadata.index >= this.committed,
      () => `restoring snapshot ${snapshot.metadata.index} below committed ${this.committed}`,
    );
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }
}
