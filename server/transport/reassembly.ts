// Puts a chunked message back together. One transfer at a time per connection (the sender keeps
// at most one in flight), bounded in size and in how long it may wait for its next chunk.
import { formatBytes } from '../../core/limits.ts';
import type { Chunk } from './frames.ts';

export interface ReassemblyLimits {
  /** Bytes of one reassembled message. */
  readonly maxMessageBytes: number;
  /** The longest wait for the next chunk of an unfinished transfer. */
  readonly chunkTimeoutMs: number;
}

export type ReassemblyResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'complete'; readonly bytes: Uint8Array }
  /** The sender broke the chunking rules; the connection should be closed. */
  | { readonly kind: 'violation'; readonly reason: string };

interface Transfer {
  readonly transferId: number;
  readonly count: number;
  readonly bytes: Uint8Array;
  nextIndex: number;
  filled: number;
  lastChunkAtMs: number;
}

export class ChunkReassembler {
  readonly #limits: ReassemblyLimits;
  #transfer: Transfer | null = null;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  /** Bytes held for the transfer in progress. */
  get pendingBytes(): number {
    return this.#transfer?.bytes.length ?? 0;
  }

  accept(chunk: Chunk, nowMs: number): ReassemblyResult {
    if (chunk.index === 0) {
      // A new transfer replaces an unfinished one: the sender gave up on it (e.g. a newer snapshot).
      if (chunk.totalBytes > this.#limits.maxMessageBytes) {
        this.#transfer = null;
        return {
          kind: 'violation',
          reason: `chunked message of ${formatBytes(chunk.totalBytes)} exceeds the ${formatBytes(this.#limits.maxMessageBytes)} limit (maxReassembledBytes)`,
        };
      }
      if (chunk.count > Math.max(1, chunk.totalBytes)) {
        this.#transfer = null;
        return { kind: 'violation', reason: `${chunk.count} chunks for ${chunk.totalBytes} bytes` };
      }
      this.#transfer = {
        transferId: chunk.transferId,
        count: chunk.count,
        bytes: new Uint8Array(chunk.totalBytes),
        nextIndex: 0,
        filled: 0,
        lastChunkAtMs: nowMs,
      };
    }
    const transfer = this.#transfer;
    if (transfer === null)
      return { kind: 'violation', reason: `chunk ${chunk.index} of a transfer that never started` };
    if (
      chunk.transferId !== transfer.transferId ||
      chunk.index !== transfer.nextIndex ||
      chunk.count !== transfer.count ||
      chunk.totalBytes !== transfer.bytes.length
    ) {
      this.#transfer = null;
      return {
        kind: 'violation',
        reason: `chunk ${chunk.index}/${chunk.count} of transfer ${chunk.transferId} does not follow chunk ${transfer.nextIndex - 1}/${transfer.count} of transfer ${transfer.transferId}`,
      };
    }
    if (transfer.filled + chunk.payload.length > transfer.bytes.length) {
      this.#transfer = null;
      return {
        kind: 'violation',
        reason: `chunks of transfer ${chunk.transferId} carry more than the announced ${chunk.totalBytes} bytes`,
      };
    }
    transfer.bytes.set(chunk.payload, transfer.filled);
    transfer.filled += chunk.payload.length;
    transfer.nextIndex++;
    transfer.lastChunkAtMs = nowMs;
    if (transfer.nextIndex < transfer.count) return { kind: 'incomplete' };
    this.#transfer = null;
    if (transfer.filled !== transfer.bytes.length) {
      return {
        kind: 'violation',
        reason: `transfer ${chunk.transferId} ended with ${transfer.filled} of ${transfer.bytes.length} bytes`,
      };
    }
    return { kind: 'complete', bytes: transfer.bytes };
  }

  /** Drops a transfer whose next chunk is overdue; returns true if one was dropped. */
  expire(nowMs: number): boolean {
    if (this.#transfer === null || nowMs - this.#transfer.lastChunkAtMs < this.#limits.chunkTimeoutMs)
      return false;
    this.#transfer = null;
    return true;
  }
}
