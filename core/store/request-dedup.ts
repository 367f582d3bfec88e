// Responses to the most recent client request ids, so that a retried write is answered with the
// original response instead of applying twice. Bounded by count; the oldest id leaves first (a ring
// of ids beside the map: a Map used as a FIFO queue gets slow as deleted entries pile up at its head).
// Only commands that succeeded are remembered: a refused command changed nothing, so running its
// retry is still at most once.

import type { CommandResponse } from './types.ts';

export class DedupWindow {
  private readonly responses = new Map<string, CommandResponse>();
  private readonly order: string[] = [];
  /** Position of the oldest id in `order` once the ring is full. */
  private oldest = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new Error(`dedup window capacity must be a non-negative integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.responses.size;
  }

  get(requestId: string): CommandResponse | undefined {
    return this.responses.get(requestId);
  }

  remember(requestId: string, response: CommandResponse): void {
    if (this.capacity === 0) return;
    if (this.responses.has(requestId)) throw new Error(`request id '${requestId}' remembered twice`);
    this.responses.set(requestId, response);
    if (this.order.length < this.capacity) {
      this.order.push(requestId);
      return;
    }
    this.responses.delete(this.order[this.oldest]!);
    this.order[this.oldest] = requestId;
    this.oldest = (this.oldest + 1) % this.capacity;
  }

  /** Entries oldest first. */
  *entries(): IterableIterator<[string, CommandResponse]> {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const requestId = this.order[(this.oldest + i) % n]!;
      yield [requestId, this.responses.get(requestId)!];
    }
  }
}
