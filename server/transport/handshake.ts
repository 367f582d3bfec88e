// The handshake every peer connection runs before any Raft message is accepted:
//   dialer   → hello {clusterId, memberId, nonce}
//   acceptor → hello {...its own...}, proof HMAC(role acceptor)
//   dialer   → proof HMAC(role dialer)
//   acceptor → accept            (or, at any step, refuse {reason} from either side)
// Each side is a state machine fed one frame at a time; steps that need the HMAC are async, the
// others synchronous, so the dialer is established in the same turn the accept frame arrives.
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.ts';
import {
  decodeHandshakeFrame,
  encodeHandshakeFrame,
  type HandshakeFrame,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { NodeId } from '../../core/raft/types.ts';
import {
  computeProof,
  constantTimeEqual,
  createNonce,
  type HandshakeRole,
  NONCE_BYTES,
} from './peer-auth.ts';

/** No legitimate handshake frame is larger (ids and the refusal reason are bounded by the codec). */
export const MAX_HANDSHAKE_FRAME_BYTES = 2048;
const HANDSHAKE_LIMITS: Limits = { ...DEFAULT_LIMITS, maxPeerFrameBytes: MAX_HANDSHAKE_FRAME_BYTES };

function decode(bytes: Uint8Array): HandshakeFrame | string {
  const frame = decodeHandshakeFrame(bytes, HANDSHAKE_LIMITS);
  return isDecodeError(frame) ? frame.message : frame;
}

export type HandshakeStep =
  /** Send these frames and wait for the next one. */
  | { readonly kind: 'continue'; readonly send: readonly Uint8Array[] }
  /** Send these frames; the peer is authenticated. */
  | { readonly kind: 'established'; readonly peerId: NodeId; readonly send: readonly Uint8Array[] }
  /** Send these frames (a refusal, if it was ours) and close. */
  | {
      readonly kind: 'failed';
      readonly send: readonly Uint8Array[];
      readonly reason: string;
      /** 'local' when this side refused, 'remote' when the peer did. */
      readonly refusedBy: 'local' | 'remote';
      readonly claimedMemberId: NodeId | null;
    };

export interface HandshakeIdentity {
  readonly clusterId: string;
  readonly memberId: NodeId;
  readonly key: CryptoKey;
}

interface PeerHello {
  readonly memberId: NodeId;
  readonly nonce: Uint8Array;
}

abstract class HandshakeSide {
  protected abstract readonly role: HandshakeRole;
  protected readonly identity: HandshakeIdentity;
  protected readonly nonce: Uint8Array = createNonce();
  protected peer: PeerHello | null = null;

  constructor(identity: HandshakeIdentity) {
    this.identity = identity;
  }

  /** Feeds one frame received before the handshake completed. */
  abstract receive(bytes: Uint8Array): HandshakeStep | Promise<HandshakeStep>;

  protected hello(): Uint8Array {
    return encodeHandshakeFrame({
      kind: 'hello',
      clusterId: this.identity.clusterId,
      memberId: this.identity.memberId,
      nonce: this.nonce,
    });
  }

  protected refuse(reason: string): HandshakeStep {
    return {
      kind: 'failed',
      send: [encodeHandshakeFrame({ kind: 'refuse', reason })],
      reason,
      refusedBy: 'local',
      claimedMemberId: this.peer?.memberId ?? null,
    };
  }

  protected refusedByPeer(reason: string): HandshakeStep {
    return {
      kind: 'failed',
      send: [],
      reason,
      refusedBy: 'remote',
      claimedMemberId: this.peer?.memberId ?? null,
    };
  }

  /** Checks a hello's cluster and member id; returns a refusal reason or null. */
  protected checkHello(hello: HandshakeFrame & { kind: 'hello' }): string | null {
    if (hello.clusterId !== this.identity.clusterId)
      return `cluster id mismatch: peer claims cluster "${hello.clusterId}"`;
    if (hello.memberId === this.identity.memberId)
      return `peer claims this member's own id "${hello.memberId}"`;
    if (hello.nonce.length !== NONCE_BYTES)
      return `hello nonce must be ${NONCE_BYTES} bytes, got ${hello.nonce.length}`;
    return null;
  }

  /** The HMAC that `prover` sends on this connection. */
  protected proofFor(prover: HandshakeRole, peer: PeerHello): Promise<Uint8Array> {
    const me = { id: this.identity.memberId, nonce: this.nonce };
    const them = { id: peer.memberId, nonce: peer.nonce };
    const [dialer, acceptor] = this.role === 'dialer' ? [me, them] : [them, me];
    return computeProof(this.identity.key, {
      clusterId: this.identity.clusterId,
      dialerId: dialer.id,
      acceptorId: acceptor.id,
      dialerNonce: dialer.nonce,
      acceptorNonce: acceptor.nonce,
      role: prover,
    });
  }
}

/** The side that opened the connection, expecting to reach `expectedPeerId`. */
export class DialerHandshake extends HandshakeSide {
  protected readonly role = 'dialer';
  readonly #expectedPeerId: NodeId;
  #state: 'awaitHello' | 'awaitProof' | 'awaitAccept' | 'done' = 'awaitHello';

  constructor(identity: HandshakeIdentity, expectedPeerId: NodeId) {
    super(identity);
    this.#expectedPeerId = expectedPeerId;
  }

  start(): HandshakeStep {
    return { kind: 'continue', send: [this.hello()] };
  }

  receive(bytes: Uint8Array): HandshakeStep | Promise<HandshakeStep> {
    const frame = decode(bytes);
    if (typeof frame === 'string') return this.#finish(this.refuse(frame));
    if (frame.kind === 'refuse') return this.#finish(this.refusedByPeer(frame.reason));
    switch (this.#state) {
      case 'awaitHello': {
        if (frame.kind !== 'hello') return this.#finish(this.refuse(`expected hello, got ${frame.kind}`));
        this.peer = { memberId: frame.memberId, nonce: frame.nonce };
        const problem = this.checkHello(frame);
        if (problem !== null) return this.#finish(this.refuse(problem));
        if (frame.memberId !== this.#expectedPeerId) {
          return this.#finish(
            this.refuse(
              `expected member "${this.#expectedPeerId}" at this address, found "${frame.memberId}"`,
            ),
          );
        }
        this.#state = 'awaitProof';
        return { kind: 'continue', send: [] };
      }
      case 'awaitProof': {
        if (frame.kind !== 'proof') return this.#finish(this.refuse(`expected proof, got ${frame.kind}`));
        return this.#checkProof(frame.hmac);
      }
      case 'awaitAccept':
        if (frame.kind !== 'accept') return this.#finish(this.refuse(`expected accept, got ${frame.kind}`));
        return this.#finish({ kind: 'established', peerId: this.#expectedPeerId, send: [] });
      case 'done':
        throw new Error('dialer handshake received a frame after it finished');
    }
  }

  async #checkProof(hmac: Uint8Array): Promise<HandshakeStep> {
    const peer = this.peer!;
    const expected = await this.proofFor('acceptor', peer);
    if (!constantTimeEqual(expected, hmac)) {
      return this.#finish(this.refuse('authentication failed: the peer does not hold this cluster secret'));
    }
    const proof = await this.proofFor('dialer', peer);
    this.#state = 'awaitAccept';
    return { kind: 'continue', send: [encodeHandshakeFrame({ kind: 'proof', hmac: proof })] };
  }

  #finish(step: HandshakeStep): HandshakeStep {
    this.#state = 'done';
    return step;
  }
}

/** The side that accepted the connection; `admit` decides which member ids may connect. */
export class AcceptorHandshake extends HandshakeSide {
  protected readonly role = 'acceptor';
  readonly #admit: (claimedId: NodeId) => string | null;
  #state: 'awaitHello' | 'awaitProof' | 'done' = 'awaitHello';

  /** `admit` returns a refusal reason, or null to let the claimed member try to authenticate. */
  constructor(identity: HandshakeIdentity, admit: (claimedId: NodeId) => string | null) {
    super(identity);
    this.#admit = admit;
  }

  receive(bytes: Uint8Array): HandshakeStep | Promise<HandshakeStep> {
    const frame = decode(bytes);
    if (typeof frame === 'string') return this.#finish(this.refuse(frame));
    if (frame.kind === 'refuse') return this.#finish(this.refusedByPeer(frame.reason));
    switch (this.#state) {
      case 'awaitHello': {
        if (frame.kind !== 'hello') return this.#finish(this.refuse(`expected hello, got ${frame.kind}`));
        this.peer = { memberId: frame.memberId, nonce: frame.nonce };
        const problem = this.checkHello(frame) ?? this.#admit(frame.memberId);
        if (problem !== null) return this.#finish(this.refuse(problem));
        return this.#answerHello(this.peer);
      }
      case 'awaitProof':
        if (frame.kind !== 'proof') return this.#finish(this.refuse(`expected proof, got ${frame.kind}`));
        return this.#checkProof(frame.hmac);
      case 'done':
        throw new Error('acceptor handshake received a frame after it finished');
    }
  }

  async #answerHello(peer: PeerHello): Promise<HandshakeStep> {
    const proof = await this.proofFor('acceptor', peer);
    this.#state = 'awaitProof';
    return { kind: 'continue', send: [this.hello(), encodeHandshakeFrame({ kind: 'proof', hmac: proof })] };
  }

  async #checkProof(hmac: Uint8Array): Promise<HandshakeStep> {
    const peer = this.peer!;
    const expected = await this.proofFor('dialer', peer);
    if (!constantTimeEqual(expected, hmac)) {
      return this.#finish(this.refuse('authentication failed: the peer does not hold this cluster secret'));
    }
    return this.#finish({
      kind: 'established',
      peerId: peer.memberId,
      send: [encodeHandshakeFrame({ kind: 'accept' })],
    });
  }

  #finish(step: HandshakeStep): HandshakeStep {
    this.#state = 'done';
    return step;
  }
}
