// Messages waiting for one peer's connection, bounded in count and bytes. When full, the newest
// messages are dropped: Raft resends what matters (appends on the next heartbeat response, votes on
// the next election), and a queue that never refuses would hide a dead or slow peer behind memory.
import type { Message } from '../../core/raft/types.ts';

export interface PeerQueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

interface Queued {
  readonly message: Message;
  readonly bytes: number;
}

export class PeerQueue {
  readonly #limits: PeerQueueLimits;
  #items: Queued[] = [];
  #head = 0;
  #bytes = 0;

  constructor(limits: PeerQueueLimits) {
    if (!(limits.maxMessages >= 1 && limits.maxBytes >= 1)) {
      throw new RangeError(
        `queue limits must be at least 1, got ${limits.maxMessages} messages, ${limits.maxBytes} bytes`,
      );
    }
    this.#limits = limits;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Enqueues unless the queue would exceed a limit; returns false if the message was dropped. */
  push(message: Message, bytes: number): boolean {
    if (this.length >= this.#limits.maxMessages || this.#bytes + bytes > this.#limits.maxBytes) return false;
    this.#items.push({ message, bytes });
    this.#bytes += bytes;
    return true;
  }

  /** Removes messages from the front while their bytes fit `maxBytes`, always at least one. */
  take(maxBytes: number): Message[] {
    const batch: Message[] = [];
    let batchBytes = 0;
    while (this.#head < this.#items.length) {
      const next = this.#items[this.#head]!;
      if (batch.length > 0 && batchBytes + next.bytes > maxBytes) break;
      batch.push(next.message);
      batchBytes += next.bytes;
      this.#bytes -= next.bytes;
      this.#head++;
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  /** Empties the queue; returns how many messages were dropped. */
  clear(): number {
    const dropped = this.length;
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return dropped;
  }
}
