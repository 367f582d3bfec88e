// Flow control for one follower in the replicate state: the append messages sent but not yet
// acknowledged, each remembered by its last index and its payload bytes. The leader stops sending
// entries when either the message count or the byte budget is used up.
import { invariant } from './raft-error.ts';

export class Inflights {
  /** Maximum messages in flight. */
  readonly capacity: number;
  /** Maximum payload bytes in flight; 0 = no byte limit. */
  readonly maxBytes: number;
  private start = 0;
  count = 0;
  bytes = 0;
  // A ring buffer, grown on demand up to `capacity` so that idle followers cost little.
  private lastIndexes: number[] = [];
  private sizes: number[] = [];

  constructor(capacity: number, maxBytes: number) {
    invariant(capacity > 0, () => `inflight capacity must be positive, got ${capacity}`);
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  /** Records an append message whose last entry is `lastIndex` carrying `bytes` of payload. */
  add(lastIndex: number, bytes: number): void {
    invariant(!this.full(), () => 'cannot add to full inflights');
    if (this.count > 0) {
      const newest = this.lastIndexes[(this.start + this.count - 1) % this.lastIndexes.length]!;
      invariant(lastIndex > newest, () => `inflight index ${lastIndex} does not follow ${newest}`);
    }
    if (this.count === this.lastIndexes.length) this.grow();
    const slot = (this.start + this.count) % this.lastIndexes.length;
    this.lastIndexes[slot] = lastIndex;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  private grow(): void {
    const size = Math.min(this.capacity, Math.max(4, this.lastIndexes.length * 2));
    const indexes: number[] = new Array(size);
    const sizes: number[] = new Array(size);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.lastIndexes.length;
      indexes[i] = this.lastIndexes[slot]!;
      sizes[i] = this.sizes[slot]!;
    }
    this.lastIndexes = indexes;
    this.sizes = sizes;
    this.start = 0;
  }

  /** Frees the messages whose last index is at most `index` (the follower acknowledged them). */
  freeLE(index: number): void {
    while (this.count > 0) {
      const slot = this.start;
      if (this.lastIndexes[slot]! > index) break;
      this.bytes -= this.sizes[slot]!;
      this.start = (slot + 1) % this.lastIndexes.length;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  /** Frees the oldest message: used when the pipeline is full and its messages may have been lost. */
  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.lastIndexes[this.start]!);
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes !== 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }

  clone(): Inflights {
    const copy = new Inflights(this.capacity, this.maxBytes);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.lastIndexes.length;
      copy.add(this.lastIndexes[slot]!, this.sizes[slot]!);
    }
    return copy;
  }
}
