// One WebSocket to one peer, from the first frame of the handshake to its close. Until the
// handshake succeeds only handshake frames are read (bounded in count and size); afterwards frames
// are decoded into Raft messages, chunked messages are reassembled, and pings measure the round
// trip and detect a peer that went silent.
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.ts';
import { decodePeerFrame, isDecodeError } from '../../core/protocol/index.ts';
import type { Logger, Message, NodeId } from '../../core/raft/types.ts';
import { decodeTransportFrame, encodePingFrame, isTransportFrame } from './frames.ts';
import {
  AcceptorHandshake,
  DialerHandshake,
  type HandshakeIdentity,
  type HandshakeStep,
} from './handshake.ts';
import { PEER_CLOSE, type PeerSocket } from './peer-network.ts';
import { ChunkReassembler } from './reassembly.ts';

/** A legitimate peer has at most two handshake frames in flight; more is a flood. */
const MAX_PENDING_HANDSHAKE_FRAMES = 4;
/** WebSocket close reasons are limited to 123 bytes of UTF-8: 40 UTF-16 units and an ellipsis always fit. */
const MAX_CLOSE_REASON_CHARS = 40;

export interface ConnectionTimings {
  readonly handshakeTimeoutMs: number;
  readonly pingIntervalMs: number;
  /** Close the connection when nothing at all was received for this long. */
  readonly idleTimeoutMs: number;
  readonly chunkTimeoutMs: number;
}

export interface ConnectionLimits {
  readonly maxFrameBytes: number;
  readonly maxReassembledBytes: number;
}

export interface HandshakeFailure {
  readonly reason: string;
  readonly refusedBy: 'local' | 'remote';
  readonly claimedMemberId: NodeId | null;
}

export interface ConnectionEvents {
  /** The peer is authenticated as `connection.peerId`. */
  established(connection: PeerConnection): void;
  handshakeFailed(connection: PeerConnection, failure: HandshakeFailure): void;
  messages(connection: PeerConnection, messages: Message[]): void;
  /** The peer sent something undecodable or against the rules; the connection is being closed. */
  badFrame(connection: PeerConnection, reason: string): void;
  /** Called exactly once, when either side closed the connection. */
  closed(connection: PeerConnection, code: number, reason: string): void;
}

export type ConnectionRole =
  | { readonly side: 'dialer'; readonly expectedPeerId: NodeId }
  | { readonly side: 'acceptor'; readonly admit: (claimedId: NodeId) => string | null };

export interface ConnectionOptions {
  readonly socket: PeerSocket;
  readonly remoteAddress: string;
  readonly role: ConnectionRole;
  readonly identity: HandshakeIdentity;
  readonly timings: ConnectionTimings;
  readonly limits: ConnectionLimits;
  readonly events: ConnectionEvents;
  readonly logger: Logger;
  readonly now: () => number;
}

export class PeerConnection {
  readonly remoteAddress: string;
  readonly side: 'dialer' | 'acceptor';
  readonly #socket: PeerSocket;
  readonly #handshake: DialerHandshake | AcceptorHandshake;
  readonly #options: ConnectionOptions;
  readonly #frameLimits: Limits;
  readonly #reassembledLimits: Limits;
  readonly #reassembler: ChunkReassembler;
  #state: 'handshaking' | 'established' | 'closed' = 'handshaking';
  #peerId: NodeId | null = null;
  #pending: Uint8Array[] = [];
  #handshakeBusy = false;
  #handshakeTimer: ReturnType<typeof setTimeout> | null;
  #keepaliveTimer: ReturnType<typeof setInterval> | null = null;
  #pingSequence = 0;
  #sentFrames = 0;
  #receivedFrames = 0;
  #lastReceivedAtMs: number;
  #rttMs: number | null = null;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#socket = options.socket;
    this.remoteAddress = options.remoteAddress;
    this.side = options.role.side;
    this.#frameLimits = { ...DEFAULT_LIMITS, maxPeerFrameBytes: options.limits.maxFrameBytes };
    this.#reassembledLimits = { ...DEFAULT_LIMITS, maxPeerFrameBytes: options.limits.maxReassembledBytes };
    this.#reassembler = new ChunkReassembler({
      maxMessageBytes: options.limits.maxReassembledBytes,
      chunkTimeoutMs: options.timings.chunkTimeoutMs,
    });
    this.#lastReceivedAtMs = options.now();
    this.#handshake =
      options.role.side === 'dialer'
        ? new DialerHandshake(options.identity, options.role.expectedPeerId)
        : new AcceptorHandshake(options.identity, options.role.admit);
    this.#handshakeTimer = setTimeout(() => {
      this.#handshakeTimer = null;
      this.#failHandshake({
        reason: `handshake did not complete within ${options.timings.handshakeTimeoutMs} ms`,
        refusedBy: 'local',
        claimedMemberId: null,
      });
    }, options.timings.handshakeTimeoutMs);
    this.#socket.onMessage((frame) => this.#receive(frame));
    this.#socket.onClose((code, reason) => this.#closed(code, reason));
    if (this.#handshake instanceof DialerHandshake) this.#apply(this.#handshake.start());
  }

  /** The authenticated peer; null until the handshake succeeded. */
  get peerId(): NodeId | null {
    return this.#peerId;
  }

  get established(): boolean {
    return this.#state === 'established';
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  get sentFrames(): number {
    return this.#sentFrames;
  }

  get receivedFrames(): number {
    return this.#receivedFrames;
  }

  get lastReceivedAtMs(): number {
    return this.#lastReceivedAtMs;
  }

  /** The last measured round trip of a ping, or null before the first pong. */
  get rttMs(): number | null {
    return this.#rttMs;
  }

  /** Sends one frame after the handshake. */
  send(frame: Uint8Array): void {
    if (this.#state !== 'established') throw new Error(`send on a ${this.#state} peer connection`);
    this.#sentFrames++;
    this.#socket.send(frame);
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#socket.close(
      code,
      reason.length > MAX_CLOSE_REASON_CHARS ? `${reason.slice(0, MAX_CLOSE_REASON_CHARS)}…` : reason,
    );
    this.#closed(code, reason);
  }

  #closed(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    if (this.#keepaliveTimer !== null) clearInterval(this.#keepaliveTimer);
    this.#handshakeTimer = null;
    this.#keepaliveTimer = null;
    this.#pending = [];
    this.#options.events.closed(this, code, reason);
  }

  #receive(frame: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#receivedFrames++;
    this.#lastReceivedAtMs = this.#options.now();
    if (this.#state === 'established') {
      this.#receiveEstablished(frame);
      return;
    }
    if (this.#pending.length >= MAX_PENDING_HANDSHAKE_FRAMES) {
      this.#failHandshake({
        reason: `more than ${MAX_PENDING_HANDSHAKE_FRAMES} frames arrived during the handshake`,
        refusedBy: 'local',
        claimedMemberId: null,
      });
      return;
    }
    this.#pending.push(frame);
    this.#pumpHandshake();
  }

  /** Feeds pending frames to the handshake one at a time, waiting out its async (HMAC) steps. */
  #pumpHandshake(): void {
    while (!this.#handshakeBusy && this.#state === 'handshaking' && this.#pending.length > 0) {
      const step = this.#handshake.receive(this.#pending.shift()!);
      if (step instanceof Promise) {
        this.#handshakeBusy = true;
        void step.then((resolved) => {
          this.#handshakeBusy = false;
          this.#apply(resolved);
          this.#pumpHandshake();
        });
        return;
      }
      this.#apply(step);
    }
    // Frames that arrived in the same read as the last handshake frame belong to the established phase.
    while (this.#state === 'established' && this.#pending.length > 0)
      this.#receiveEstablished(this.#pending.shift()!);
  }

  #apply(step: HandshakeStep): void {
    if (this.#state !== 'handshaking') return;
    for (const frame of step.send) this.#socket.send(frame);
    if (step.kind === 'continue') return;
    if (step.kind === 'failed') {
      this.#failHandshake(step);
      return;
    }
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#state = 'established';
    this.#peerId = step.peerId;
    this.#lastReceivedAtMs = this.#options.now();
    this.#keepaliveTimer = setInterval(() => this.#keepalive(), this.#options.timings.pingIntervalMs);
    this.#options.events.established(this);
    if (this.#state === 'established') this.#ping();
  }

  #failHandshake(failure: HandshakeFailure): void {
    if (this.#state !== 'handshaking') return;
    this.#options.events.handshakeFailed(this, failure);
    this.close(PEER_CLOSE.refused, failure.reason);
  }

  #receiveEstablished(frame: Uint8Array): void {
    if (!isTransportFrame(frame)) {
      this.#deliver(decodePeerFrame(frame, this.#frameLimits));
      return;
    }
    const decoded = decodeTransportFrame(frame);
    if ('code' in decoded) {
      this.#badFrame(decoded.message);
      return;
    }
    switch (decoded.kind) {
      case 'ping':
        this.send(encodePingFrame('pong', decoded));
        return;
      case 'pong':
        this.#rttMs = Math.max(0, this.#options.now() - decoded.sentAtMs);
        return;
      case 'chunk': {
        const result = this.#reassembler.accept(decoded, this.#options.now());
        if (result.kind === 'violation') this.#badFrame(result.reason);
        else if (result.kind === 'complete')
          this.#deliver(decodePeerFrame(result.bytes, this.#reassembledLimits));
        return;
      }
    }
  }

  #deliver(decoded: ReturnType<typeof decodePeerFrame>): void {
    if (isDecodeError(decoded)) this.#badFrame(decoded.message);
    else if (decoded.length > 0) this.#options.events.messages(this, decoded);
  }

  #badFrame(reason: string): void {
    this.#options.events.badFrame(this, reason);
    this.close(PEER_CLOSE.protocolError, reason);
  }

  #keepalive(): void {
    const now = this.#options.now();
    const silentMs = now - this.#lastReceivedAtMs;
    if (silentMs >= this.#options.timings.idleTimeoutMs) {
      this.#options.logger.warn('peer connection idle, closing', { peer: this.#peerId, silentMs });
      this.close(PEER_CLOSE.idle, `nothing received for ${Math.round(silentMs)} ms`);
      return;
    }
    if (this.#reassembler.expire(now)) {
      this.#options.logger.warn('chunked message abandoned: next chunk overdue', {
        peer: this.#peerId,
        chunkTimeoutMs: this.#options.timings.chunkTimeoutMs,
      });
    }
    this.#ping();
  }

  #ping(): void {
    this.send(
      encodePingFrame('ping', { sequence: this.#pingSequence++ >>> 0, sentAtMs: this.#options.now() }),
    );
  }
}
