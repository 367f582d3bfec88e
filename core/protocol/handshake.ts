// Frames of the peer transport's handshake. Each side says hello (cluster, member, a fresh nonce),
// proves it holds the cluster secret with an HMAC over the other side's nonce, and is accepted or
// refused with a reason. The transport runs the exchange and computes the HMACs; this file only
// encodes the frames.

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { NodeId } from '../raft/types.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { type DecodeError, DecodeFailure, decodeError, runDecoder } from './errors.ts';
import { checkFrameSize, readFrameHeader, writeFrameHeader } from './frame.ts';
import { MAX_NODE_ID_BYTES } from './peer.ts';

/** Bytes in a cluster id. */
export const MAX_CLUSTER_ID_BYTES = 256;
/** Bytes in a handshake nonce or HMAC (SHA-512 needs 64). */
export const MAX_HANDSHAKE_TOKEN_BYTES = 64;
/** Bytes in a refusal's reason. */
export const MAX_REFUSAL_REASON_BYTES = 1024;

export type HandshakeFrame =
  | {
      readonly kind: 'hello';
      readonly clusterId: string;
      readonly memberId: NodeId;
      readonly nonce: Uint8Array;
    }
  | { readonly kind: 'proof'; readonly hmac: Uint8Array }
  | { readonly kind: 'accept' }
  | { readonly kind: 'refuse'; readonly reason: string };

export function encodeHandshakeFrame(frame: HandshakeFrame): Uint8Array {
  const writer = new ByteWriter(64);
  writeFrameHeader(writer, frame.kind);
  switch (frame.kind) {
    case 'hello':
      writer.string(frame.clusterId);
      writer.string(frame.memberId);
      writer.bytes(frame.nonce);
      break;
    case 'proof':
      writer.bytes(frame.hmac);
      break;
    case 'accept':
      break;
    case 'refuse':
      writer.string(frame.reason);
      break;
  }
  return writer.finish();
}

export function decodeHandshakeFrame(
  bytes: Uint8Array,
  limits: Limits = DEFAULT_LIMITS,
): HandshakeFrame | DecodeError {
  return runDecoder('handshake frame', () => {
    const tooLarge = checkFrameSize('handshake frame', bytes, limits);
    if (tooLarge) return tooLarge;
    try {
      const reader: ByteReader = new ByteReader(bytes);
      const kind = readFrameHeader(reader);
      let frame: HandshakeFrame;
      switch (kind) {
        case 'hello':
          frame = {
            kind,
            clusterId: reader.string('clusterId', MAX_CLUSTER_ID_BYTES),
            memberId: reader.string('memberId', MAX_NODE_ID_BYTES),
            nonce: reader.bytes('nonce', MAX_HANDSHAKE_TOKEN_BYTES),
          };
          break;
        case 'proof':
          frame = { kind, hmac: reader.bytes('hmac', MAX_HANDSHAKE_TOKEN_BYTES) };
          break;
        case 'accept':
          frame = { kind };
          break;
        case 'refuse':
          frame = { kind, reason: reader.string('reason', MAX_REFUSAL_REASON_BYTES) };
          break;
        case 'messages':
          return reader.fail(3, 'expected a handshake frame, got a messages frame');
      }
      reader.end(`${kind} frame`);
      return frame;
    } catch (caught) {
      if (caught instanceof DecodeFailure) {
        const { code, message, details } = caught.error;
        return decodeError(code, 'handshake frame', message, details);
      }
      throw caught;
    }
  });
}
