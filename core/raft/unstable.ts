// The tail of the log not yet handed to storage: entries (and possibly an incoming snapshot) that
// the application has still to persist. A prefix of it may be "in progress": handed out in a Ready
// whose advance() has not come yet.
import { limitedSlice } from './entry-size.ts';
import { invariant } from './raft-error.ts';
import type { Entry, Snapshot } from './types.ts';

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** The index of entries[0]. */
  offset: number;
  snapshotInProgress = false;
  /** Entries below this index are being persisted. */
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index, if there is an unstable snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index)
        return this.snapshot.metadata.term;
      return undefined;
    }
    const entry = this.entries[index - this.offset];
    return entry === undefined ? undefined : entry.term;
  }

  /** Entries not yet handed out for persistence. */
  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (inProgress >= this.entries.length) return [];
    return inProgress === 0 ? this.entries.slice() : this.entries.slice(inProgress);
  }

  hasNextEntries(): boolean {
    return this.offsetInProgress - this.offset < this.entries.length;
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  /** Marks everything unstable as handed out in a Ready. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== undefined) this.snapshotInProgress = true;
  }

  /**
   * Entries up to `index` are persisted, provided the entry there still has `term` (it may have
   * been replaced by a new leader's entries since it was handed out).
   */
  stableTo(index: number, term: number): void {
    const found = this.maybeTerm(index);
    if (found === undefined || found !== term || index < this.offset) return;
    const count = index + 1 - this.offset;
    this.entries = count === this.entries.length ? [] : this.entries.slice(count);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  /** Appends `entries`, first dropping any unstable entries at or after entries[0].index. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const from = first.index;
    if (from === this.offset + this.entries.length) {
      for (const entry of entries) this.entries.push(entry);
    } else if (from <= this.offset) {
      // Replaces everything unstable, and the stable entries from `from` on (storage truncates them on append).
      this.entries = entries.slice();
      this.offset = from;
    } else {
      const kept = this.entries.slice(0, from - this.offset);
      for (const entry of entries) kept.push(entry);
      this.entries = kept;
    }
    this.offsetInProgress = Math.min(this.offsetInProgress, from);
  }

  /** Entries [lo, hi) up to maxBytes (at least one), which must lie within the unstable entries. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    invariant(
      lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi,
      () => `unstable slice [${lo}, ${hi}) outside [${this.offset}, ${this.offset + this.entries.length})`,
    );
    return limitedSlice(this.entries, lo - this.offset, hi - this.offset, maxBytes);
  }
}
