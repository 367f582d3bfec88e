// ReadIndex bookkeeping on the leader. A read is answered at the commit index it arrived at, once a
// quorum has acknowledged a heartbeat sent after it arrived: that proves no newer leader could have
// committed anything the read would miss. Reads are grouped in numbered batches; a heartbeat carries
// its batch number as context, and an acknowledgement of batch n confirms every batch up to n. One
// confirmation round runs at a time; reads arriving meanwhile share the next round.
import type { NodeId } from './types.ts';

export interface ReadRequest {
  readonly context: Uint8Array;
  /** The member that asked (the leader itself for a local read). */
  readonly from: NodeId;
  /** The leader's commit index when the request arrived. */
  readonly index: number;
  readonly batch: number;
}

const MAX_BATCH_BYTES = 6;

export function encodeBatch(batch: number): Uint8Array {
  const bytes: number[] = [];
  let rest = batch;
  while (rest > 0) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return Uint8Array.from(bytes);
}

/** The batch number in a heartbeat context, or undefined if the context is not one. */
export function decodeBatch(context: Uint8Array | undefined): number | undefined {
  if (context === undefined || context.byteLength === 0 || context.byteLength > MAX_BATCH_BYTES)
    return undefined;
  if (context[0] === 0) return undefined;
  let batch = 0;
  for (const byte of context) batch = batch * 256 + byte;
  return batch;
}

export class ReadOnly {
  private requests: ReadRequest[] = [];
  /** The highest batch whose confirmation round was broadcast; requests in batch sentBatch+1 wait. */
  private sentBatch = 0;
  /** The highest batch each member acknowledged. */
  private readonly acked = new Map<NodeId, number>();
  readonly ackedOf = (id: NodeId): number | undefined => this.acked.get(id);

  get pendingCount(): number {
    return this.requests.length;
  }

  /** Queues a read in the next batch; startWaitingRound() broadcasts it unless a round is in flight. */
  add(context: Uint8Array, from: NodeId, index: number): void {
    this.requests.push({ context, from, index, batch: this.sentBatch + 1 });
  }

  private roundInFlight(): boolean {
    const oldest = this.requests[0];
    return oldest !== undefined && oldest.batch <= this.sentBatch;
  }

  private hasWaiting(): boolean {
    const newest = this.requests.at(-1);
    return newest !== undefined && newest.batch > this.sentBatch;
  }

  private startRound(selfId: NodeId): number {
    this.sentBatch++;
    this.acked.set(selfId, this.sentBatch);
    return this.sentBatch;
  }

  /** The batch to broadcast now, if reads are waiting and no round is in flight. */
  startWaitingRound(selfId: NodeId): number | undefined {
    return this.hasWaiting() && !this.roundInFlight() ? this.startRound(selfId) : undefined;
  }

  /** The context for a periodic heartbeat: it starts the waiting batch's round, or repeats the round in flight. */
  heartbeatBatch(selfId: NodeId): number | undefined {
    if (this.hasWaiting()) return this.startRound(selfId);
    return this.roundInFlight() ? this.sentBatch : undefined;
  }

  /** Records a member's acknowledgement of `batch`; false if it acknowledges nothing pending. */
  recordAck(from: NodeId, batch: number): boolean {
    if (batch > this.sentBatch || !this.roundInFlight()) return false;
    if ((this.acked.get(from) ?? 0) >= batch) return false;
    this.acked.set(from, batch);
    return true;
  }

  /** Removes and returns the requests of every batch up to `confirmedBatch`. */
  release(confirmedBatch: number): ReadRequest[] {
    let count = 0;
    while (count < this.requests.length && this.requests[count]!.batch <= confirmedBatch) count++;
    if (count === 0) return [];
    const released = this.requests.slice(0, count);
    this.requests = this.requests.slice(count);
    return released;
  }
}
