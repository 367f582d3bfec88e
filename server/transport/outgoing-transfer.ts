// A message too large for one frame (a snapshot, usually), sent as a run of chunk frames a few at a
// time so that small messages to the same peer are not stuck behind it.
import { encodePeerFrame } from '../../core/protocol/index.ts';
import type { Message } from '../../core/raft/types.ts';
import { CHUNK_HEADER_BYTES, encodeChunkFrame } from './frames.ts';

export class OutgoingTransfer {
  readonly message: Message;
  readonly transferId: number;
  readonly #chunkPayloadBytes: number;
  #encoded: Uint8Array | null = null;
  #nextIndex = 0;

  constructor(message: Message, transferId: number, maxFrameBytes: number, encoded?: Uint8Array) {
    if (maxFrameBytes <= CHUNK_HEADER_BYTES) {
      throw new Error(
        `maxFrameBytes ${maxFrameBytes} leaves no room after the ${CHUNK_HEADER_BYTES}-byte chunk header`,
      );
    }
    this.message = message;
    this.transferId = transferId;
    this.#chunkPayloadBytes = maxFrameBytes - CHUNK_HEADER_BYTES;
    this.#encoded = encoded ?? null;
  }

  get isSnapshot(): boolean {
    return this.message.snapshot !== undefined;
  }

  /** Bytes of the encoded message; encodes it on first use. */
  get totalBytes(): number {
    return this.#bytes().length;
  }

  get done(): boolean {
    return this.#encoded !== null && this.#nextIndex >= this.#count(this.#encoded);
  }

  nextFrame(): Uint8Array {
    const encoded = this.#bytes();
    const count = this.#count(encoded);
    if (this.#nextIndex >= count) throw new Error(`transfer ${this.transferId} has no chunk left to send`);
    const start = this.#nextIndex * this.#chunkPayloadBytes;
    const frame = encodeChunkFrame({
      transferId: this.transferId,
      index: this.#nextIndex,
      count,
      totalBytes: encoded.length,
      payload: encoded.subarray(start, start + this.#chunkPayloadBytes),
    });
    this.#nextIndex++;
    return frame;
  }

  #bytes(): Uint8Array {
    const encoded = this.#encoded ?? encodePeerFrame([this.message]);
    this.#encoded = encoded;
    return encoded;
  }

  #count(encoded: Uint8Array): number {
    return Math.max(1, Math.ceil(encoded.length / this.#chunkPayloadBytes));
  }
}
