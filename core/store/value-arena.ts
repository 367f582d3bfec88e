// Where the store keeps value bytes: appended to shared slabs, each value a view of its slab, instead
// of one ArrayBuffer per value. V8 spends some 200 bytes of bookkeeping on every ArrayBuffer (the
// buffer object, its backing-store record, the allocator's header): as much as a typical value. A
// value restored from a snapshot stays a view of the snapshot's bytes, which the arena then holds.
// A slab is freed only once no view of it is left, so the store moves the live values to a fresh
// arena when this one holds more than twice their bytes (Mvcc.reclaimValueSpace): memory stays within
// about twice the live bytes, and each move is paid for by at least as many bytes freed before it.

import { EMPTY_VALUE } from './key-record.ts';

const FIRST_SLAB_BYTES = 4 * 1024;
export const MAX_SLAB_BYTES = 256 * 1024;
/** Values larger than this get a buffer of their own: the bookkeeping is small beside them. */
export const MAX_SLAB_VALUE_BYTES = 16 * 1024;

export class ValueArena {
  private slab: Uint8Array = EMPTY_VALUE;
  private used = 0;
  private held = 0;

  /** Bytes of slabs, large values and adopted buffers that views handed out by this arena keep alive. */
  get heldBytes(): number {
    return this.held;
  }

  /** The store's copy of `value`: a view of a slab, or for a large value an exact copy of its own. */
  store(value: Uint8Array): Uint8Array {
    const n = value.length;
    if (n === 0) return EMPTY_VALUE;
    if (n > MAX_SLAB_VALUE_BYTES) {
      this.held += n;
      return value.slice();
    }
    if (this.used + n > this.slab.length) this.startSlab(n);
    const start = this.used;
    this.slab.set(value, start);
    this.used = start + n;
    return this.slab.subarray(start, start + n);
  }

  /**
   * A value's place in this arena when the store moves its values here: a small one is copied to a
   * slab; a large one that fills a buffer of its own stays where it is (a large view of some bigger
   * buffer, such as a snapshot's, is copied so that it no longer keeps that buffer alive).
   */
  move(value: Uint8Array): Uint8Array {
    if (value.length <= MAX_SLAB_VALUE_BYTES || value.byteLength !== value.buffer.byteLength) {
      return this.store(value);
    }
    this.held += value.length;
    return value;
  }

  /** Counts a buffer that values were decoded as views of (a snapshot's bytes) as held by this arena. */
  adopt(buffer: Uint8Array): void {
    this.held += buffer.buffer.byteLength;
  }

  private startSlab(needed: number): void {
    let size = Math.min(MAX_SLAB_BYTES, Math.max(FIRST_SLAB_BYTES, this.slab.length * 2));
    while (size < needed) size *= 2;
    this.slab = new Uint8Array(size);
    this.used = 0;
    this.held += size;
  }
}
