// The transport's own frames, beside core/protocol's peer frames ("VP": handshake and message
// batches): "VT" frames carry what only the transport needs: pieces of a message too large for one
// frame, and keepalive pings whose echo measures the round trip. Header: magic "VT", version, kind.
import type { VaneError } from '../../core/errors.ts';
import { vaneError } from '../../core/errors.ts';

const MAGIC_0 = 0x56; // 'V'
const MAGIC_1 = 0x54; // 'T'
export const TRANSPORT_FRAME_VERSION = 1;
const HEADER_BYTES = 4;
const KIND_TAGS = { chunk: 1, ping: 2, pong: 3 } as const;

export const CHUNK_HEADER_BYTES = HEADER_BYTES + 4 + 4 + 4 + 4;
/** Chunk headers carry the total size in 32 bits. */
export const MAX_CHUNKED_MESSAGE_BYTES = 0xffff_ffff;
const PING_FRAME_BYTES = HEADER_BYTES + 4 + 8;

/** One piece of a message too large for a single frame. */
export interface Chunk {
  /** Distinguishes transfers on one connection; a new transfer abandons an unfinished one. */
  readonly transferId: number;
  /** 0-based; chunks of a transfer arrive in order on their connection. */
  readonly index: number;
  readonly count: number;
  /** Bytes of the whole encoded message. */
  readonly totalBytes: number;
  readonly payload: Uint8Array;
}

/** A ping carries its send time; the pong echoes it, so the pinging side measures the round trip. */
export interface Ping {
  readonly sequence: number;
  readonly sentAtMs: number;
}

export type TransportFrame =
  | ({ readonly kind: 'chunk' } & Chunk)
  | ({ readonly kind: 'ping' } & Ping)
  | ({ readonly kind: 'pong' } & Ping);

/** True for "VT" frames; anything else is for core/protocol's decoders (which refuse garbage). */
export function isTransportFrame(frame: Uint8Array): boolean {
  return frame.length >= 2 && frame[0] === MAGIC_0 && frame[1] === MAGIC_1;
}

function writeHeader(frame: Uint8Array, kind: keyof typeof KIND_TAGS): DataView {
  frame[0] = MAGIC_0;
  frame[1] = MAGIC_1;
  frame[2] = TRANSPORT_FRAME_VERSION;
  frame[3] = KIND_TAGS[kind];
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
}

export function encodeChunkFrame(chunk: Chunk): Uint8Array {
  const frame = new Uint8Array(CHUNK_HEADER_BYTES + chunk.payload.length);
  const view = writeHeader(frame, 'chunk');
  view.setUint32(4, chunk.transferId);
  view.setUint32(8, chunk.index);
  view.setUint32(12, chunk.count);
  view.setUint32(16, chunk.totalBytes);
  frame.set(chunk.payload, CHUNK_HEADER_BYTES);
  return frame;
}

export function encodePingFrame(kind: 'ping' | 'pong', ping: Ping): Uint8Array {
  const frame = new Uint8Array(PING_FRAME_BYTES);
  const view = writeHeader(frame, kind);
  view.setUint32(4, ping.sequence);
  view.setFloat64(8, ping.sentAtMs);
  return frame;
}

export function decodeTransportFrame(frame: Uint8Array): TransportFrame | VaneError {
  if (frame.length < HEADER_BYTES || !isTransportFrame(frame)) {
    return vaneError('decodeError', 'transport frame: does not start with the "VT" header');
  }
  if (frame[2] !== TRANSPORT_FRAME_VERSION) {
    return vaneError(
      'unsupportedVersion',
      `transport frame: version ${frame[2]} is not supported; this member speaks version ${TRANSPORT_FRAME_VERSION}`,
    );
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (frame[3]) {
    case KIND_TAGS.chunk: {
      if (frame.length < CHUNK_HEADER_BYTES) {
        return vaneError(
          'decodeError',
          `chunk frame: ${frame.length} bytes, shorter than its ${CHUNK_HEADER_BYTES}-byte header`,
        );
      }
      const chunk = {
        kind: 'chunk',
        transferId: view.getUint32(4),
        index: view.getUint32(8),
        count: view.getUint32(12),
        totalBytes: view.getUint32(16),
        payload: frame.subarray(CHUNK_HEADER_BYTES),
      } as const;
      if (chunk.index >= chunk.count) {
        return vaneError(
          'decodeError',
          `chunk frame: chunk ${chunk.index} of ${chunk.count} is out of range`,
        );
      }
      return chunk;
    }
    case KIND_TAGS.ping:
    case KIND_TAGS.pong: {
      if (frame.length !== PING_FRAME_BYTES) {
        return vaneError('decodeError', `ping frame: ${frame.length} bytes, expected ${PING_FRAME_BYTES}`);
      }
      const sentAtMs = view.getFloat64(8);
      if (!Number.isFinite(sentAtMs))
        return vaneError('decodeError', 'ping frame: the send time is not a finite number');
      return { kind: frame[3] === KIND_TAGS.ping ? 'ping' : 'pong', sequence: view.getUint32(4), sentAtMs };
    }
    default:
      return vaneError('decodeError', `transport frame: unknown kind ${frame[3]}`);
  }
}
