// The shape of the log as the WAL records it: which snapshot it starts after and the terms of the
// entries that follow. The writer checks every save against it (a save that breaks Raft's log
// rules is a bug upstream and stops the member); replay checks every record against it (a record
// that breaks them means the files are damaged).
import type { SnapshotMarker } from './record.ts';

export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

interface TermRun {
  /** The first index of a run of entries that share a term. */
  index: number;
  readonly term: number;
}

export class LogShape {
  /** The snapshot the log starts after; null while replay has not yet seen one (its segments start mid-log). */
  private snapshotBase: LogPosition | null;
  /** The index of the first entry known; entries run from `first` to `next - 1`. */
  private first: number;
  private next: number;
  private runs: TermRun[];

  private constructor(base: LogPosition | null, first: number, next: number, runs: TermRun[]) {
    this.snapshotBase = base;
    this.first = first;
    this.next = next;
    this.runs = runs;
  }

  /** A log that starts after `base` and holds no entries yet. */
  static after(base: LogPosition): LogShape {
    return new LogShape(base, base.index + 1, base.index + 1, []);
  }

  /** A log read from a segment whose predecessors were removed: entries before `firstIndex` are unknown. */
  static unanchored(firstIndex: number): LogShape {
    return new LogShape(null, firstIndex, firstIndex, []);
  }

  clone(): LogShape {
    return new LogShape(
      this.snapshotBase,
      this.first,
      this.next,
      this.runs.map((run) => ({ ...run })),
    );
  }

  get base(): LogPosition | null {
    return this.snapshotBase;
  }

  get firstIndex(): number {
    return this.first;
  }

  get lastIndex(): number {
    return this.next - 1;
  }

  /** True once the log is known from its snapshot on, with no gap between the two. */
  get anchored(): boolean {
    return this.snapshotBase !== null && this.first === this.snapshotBase.index + 1;
  }

  termAt(index: number): number | undefined {
    if (this.snapshotBase !== null && index === this.snapshotBase.index) return this.snapshotBase.term;
    if (index < this.first || index >= this.next) return undefined;
    // The last run whose first index is at or below `index` (binary search: elections can make many runs).
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.index <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.runs[lo]?.term;
  }

  /** Appends an entry, replacing any entries at or after its index; returns what is wrong instead if it breaks the log's rules. */
  append(index: number, term: number): string | undefined {
    if (index > this.next) return `entry ${index} leaves a gap after entry ${this.next - 1}`;
    if (this.snapshotBase !== null && index <= this.snapshotBase.index) {
      return `entry ${index} is at or below the snapshot index ${this.snapshotBase.index}`;
    }
    const previousTerm = this.termAt(index - 1);
    if (previousTerm !== undefined && term < previousTerm) {
      return `entry ${index} has term ${term}, lower than the term ${previousTerm} of the entry before it`;
    }
    if (index < this.first) {
      // Only while unanchored (or past a gap): what came before `first` was in removed segments.
      this.first = index;
      this.runs = [];
    } else {
      while (this.runs.length > 0 && this.runs[this.runs.length - 1]!.index >= index) this.runs.pop();
    }
    if (this.runs.length === 0 || this.runs[this.runs.length - 1]!.term !== term)
      this.runs.push({ index, term });
    this.next = index + 1;
    return undefined;
  }

  /** Applies a snapshot marker; returns what is wrong instead if it contradicts the log. */
  mark(marker: SnapshotMarker): string | undefined {
    const base = this.snapshotBase;
    if (base !== null && marker.index <= base.index) {
      if (marker.index === base.index && marker.term === base.term) return undefined;
      return `snapshot marker at index ${marker.index} term ${marker.term} does not follow the snapshot at index ${base.index} term ${base.term}`;
    }
    if (marker.origin === 'installed') {
      this.snapshotBase = { index: marker.index, term: marker.term };
      this.first = marker.index + 1;
      this.next = marker.index + 1;
      this.runs = [];
      return undefined;
    }
    if (marker.index >= this.next) {
      return `snapshot taken at index ${marker.index}, beyond the last entry ${this.next - 1}`;
    }
    if (marker.index >= this.first) {
      const term = this.termAt(marker.index);
      if (term !== marker.term) {
        return `snapshot taken at index ${marker.index} with term ${marker.term}, but the entry there has term ${term}`;
      }
      this.first = marker.index + 1;
      while (this.runs.length > 1 && this.runs[1]!.index <= this.first) this.runs.shift();
      if (this.first === this.next) this.runs = [];
      else if (this.runs[0] !== undefined) this.runs[0].index = this.first;
    }
    this.snapshotBase = { index: marker.index, term: marker.term };
    return undefined;
  }
}
