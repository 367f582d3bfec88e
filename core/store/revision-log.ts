// What changed at each retained revision, in the order the write made the changes: the source for
// watch catch-up and for trimming key histories on compaction. Every revision has at least one change
// (a write that changes nothing does not take a revision), so the retained revisions are contiguous.
// A revision with one change (the common put) stores the KeyValue itself, not a one-element array.

import type { KeyValue } from './types.ts';

type Slot = KeyValue | readonly KeyValue[];

export class RevisionLog {
  private slots: Slot[] = [];
  private head = 0;
  /** The revision stored at slots[head]. */
  private first: number;

  constructor(firstRevision: number) {
    this.first = firstRevision;
  }

  /** The oldest retained revision (when empty: the next one to be appended). */
  get firstRevision(): number {
    return this.first;
  }

  /** The newest retained revision (firstRevision - 1 when empty). */
  get lastRevision(): number {
    return this.first + this.slots.length - this.head - 1;
  }

  append(revision: number, changes: readonly KeyValue[]): void {
    if (revision !== this.lastRevision + 1) {
      throw new Error(`revision log expects revision ${this.lastRevision + 1}, got ${revision}`);
    }
    if (changes.length === 0) throw new Error(`revision ${revision} has no changes`);
    this.slots.push(changes.length === 1 ? changes[0]! : changes);
  }

  /** Appends a revision with one change (the common put), without an array. */
  appendOne(revision: number, change: KeyValue): void {
    if (revision !== this.lastRevision + 1) {
      throw new Error(`revision log expects revision ${this.lastRevision + 1}, got ${revision}`);
    }
    this.slots.push(change);
  }

  changeCount(revision: number): number {
    const slot = this.slot(revision);
    return isKeyValue(slot) ? 1 : slot.length;
  }

  change(revision: number, i: number): KeyValue {
    const slot = this.slot(revision);
    if (isKeyValue(slot)) {
      if (i !== 0) throw new Error(`revision ${revision} has one change, asked for #${i}`);
      return slot;
    }
    const kv = slot[i];
    if (kv === undefined) throw new Error(`revision ${revision} has ${slot.length} changes, asked for #${i}`);
    return kv;
  }

  /** Drops every revision below `revision`, calling `visit` with each dropped change. */
  dropBefore(revision: number, visit: (kv: KeyValue) => void): void {
    while (this.first < revision && this.head < this.slots.length) {
      const slot = this.slots[this.head]!;
      if (isKeyValue(slot)) visit(slot);
      else for (const kv of slot) visit(kv);
      this.head++;
      this.first++;
    }
    if (this.head === this.slots.length) {
      this.first = Math.max(this.first, revision);
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  private slot(revision: number): Slot {
    const slot = this.slots[this.head + revision - this.first];
    if (slot === undefined || revision < this.first) {
      throw new Error(
        `revision ${revision} is outside the retained log [${this.first}, ${this.lastRevision}]`,
      );
    }
    return slot;
  }
}

function isKeyValue(slot: Slot): slot is KeyValue {
  return !Array.isArray(slot);
}
