// The recent change sets one object keeps, oldest first, so that a browser that reconnects with a
// revision gets every change since, from the edge. Bounded by count and by bytes; once the oldest
// go, a resume from before them is answered with a compaction (the SDK then re-lists).
import type { WatchEvent } from '../../core/store/index.ts';

/** Every event of one revision (a txn's events together), each with the key's previous version. */
export interface ChangeSet {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

interface Kept {
  readonly changeSet: ChangeSet;
  readonly bytes: number;
}

/** Bytes a change set is counted as: its keys and values, plus a fixed cost per version for the rest. */
const BYTES_PER_VERSION = 64;

export function changeSetBytes(changeSet: ChangeSet): number {
  let bytes = 0;
  for (const event of changeSet.events) {
    bytes += event.kv.key.length + event.kv.value.length + BYTES_PER_VERSION;
    if (event.prevKv !== undefined) bytes += event.prevKv.value.length + BYTES_PER_VERSION;
  }
  return bytes;
}

export class ChangeHistory {
  readonly #maxChangeSets: number;
  readonly #maxBytes: number;
  #kept: Kept[] = [];
  /** Index of the oldest kept entry in #kept (entries before it are dropped lazily). */
  #head = 0;
  #bytes = 0;
  /** Every change set after this revision is kept. */
  #coveredFrom: number;

  constructor(coveredFrom: number, limits: { readonly maxChangeSets: number; readonly maxBytes: number }) {
    if (limits.maxChangeSets < 1) throw new Error('ChangeHistory: maxChangeSets must be at least 1');
    this.#coveredFrom = coveredFrom;
    this.#maxChangeSets = limits.maxChangeSets;
    this.#maxBytes = limits.maxBytes;
  }

  /** Change sets after this revision are all here; a resume must start above it. */
  get coveredFrom(): number {
    return this.#coveredFrom;
  }

  get size(): number {
    return this.#kept.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The newest revision kept, or coveredFrom when none is. */
  get lastRevision(): number {
    return this.#kept.length > this.#head
      ? this.#kept[this.#kept.length - 1]!.changeSet.revision
      : this.#coveredFrom;
  }

  /**
   * Appends the next change set; returns the revisions dropped from the front to stay within the
   * limits (the newest is always kept, however large).
   */
  append(changeSet: ChangeSet): number[] {
    if (changeSet.revision <= this.lastRevision) {
      throw new Error(
        `ChangeHistory: change set at revision ${changeSet.revision} is not after ${this.lastRevision}`,
      );
    }
    const bytes = changeSetBytes(changeSet);
    this.#kept.push({ changeSet, bytes });
    this.#bytes += bytes;
    const dropped: number[] = [];
    while (this.size > 1 && (this.size > this.#maxChangeSets || this.#bytes > this.#maxBytes)) {
      const oldest = this.#kept[this.#head]!;
      this.#head++;
      this.#bytes -= oldest.bytes;
      this.#coveredFrom = oldest.changeSet.revision;
      dropped.push(oldest.changeSet.revision);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#kept.length) {
      this.#kept = this.#kept.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  /**
   * The change sets from `startRevision` on, or the revision a resume must start at instead when
   * some of them are no longer kept.
   */
  since(startRevision: number): readonly ChangeSet[] | { readonly compactRevision: number } {
    if (startRevision <= this.#coveredFrom) return { compactRevision: this.#coveredFrom + 1 };
    const out: ChangeSet[] = [];
    for (let i = this.#kept.length - 1; i >= this.#head; i--) {
      const kept = this.#kept[i]!.changeSet;
      if (kept.revision < startRevision) break;
      out.push(kept);
    }
    return out.reverse();
  }

  /** Every kept change set, oldest first. */
  all(): readonly ChangeSet[] {
    return this.#kept.slice(this.#head).map((kept) => kept.changeSet);
  }

  /** Forgets everything: the state jumped (a re-list) and nothing before `revision` can be replayed. */
  reset(revision: number): void {
    this.#kept = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#coveredFrom = revision;
  }
}
