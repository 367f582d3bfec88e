// The peer transport of one member: one authenticated WebSocket per pair of members, Raft messages
// batched into binary frames, a bounded queue per peer, reconnects with backoff and jitter.
// One connection per pair: the member whose id sorts first dials, the other only accepts; a newer
// authenticated connection from a peer replaces the older one (the peer restarted or redialed).
import { DEFAULT_LIMITS, formatBytes } from '../../core/limits.ts';
import { encodePeerFrame, MAX_CLUSTER_ID_BYTES, MAX_NODE_ID_BYTES } from '../../core/protocol/index.ts';
import type { Logger, Message, NodeId, Random } from '../../core/raft/types.ts';
import { type BackoffOptions, DEFAULT_BACKOFF, ReconnectBackoff } from './backoff.ts';
import { MAX_CHUNKED_MESSAGE_BYTES } from './frames.ts';
import type { HandshakeIdentity } from './handshake.ts';
import { OutgoingTransfer } from './outgoing-transfer.ts';
import { importClusterSecret } from './peer-auth.ts';
import {
  type ConnectionEvents,
  type ConnectionTimings,
  type HandshakeFailure,
  PeerConnection,
} from './peer-connection.ts';
import {
  PEER_CLOSE,
  PEER_PATH,
  type PeerListener,
  type PeerNetwork,
  type PeerSocket,
} from './peer-network.ts';
import { PeerQueue } from './peer-queue.ts';

export interface TransportLimits {
  /** Messages waiting for one peer. */
  readonly queueMessages: number;
  /** Estimated encoded bytes waiting for one peer (large messages in transfer are not counted). */
  readonly queueBytes: number;
  /** Bytes in one WebSocket frame, either direction; larger messages travel in chunks. */
  readonly maxFrameBytes: number;
  /** Bytes of one chunked message (a snapshot) this member reassembles or sends. */
  readonly maxReassembledBytes: number;
  /** Bytes handed to one socket and not yet written; above it, frames wait in the queue. */
  readonly maxBufferedBytes: number;
  /** Inbound connections still in their handshake. */
  readonly maxHandshakingConnections: number;
}

export interface TransportTimings extends ConnectionTimings {
  /** The longest wait for a dialed peer's TCP connection and WebSocket upgrade. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  queueMessages: 4096,
  queueBytes: 64 * 1024 * 1024,
  maxFrameBytes: DEFAULT_LIMITS.maxPeerFrameBytes,
  maxReassembledBytes: 1024 * 1024 * 1024,
  maxBufferedBytes: 2 * DEFAULT_LIMITS.maxPeerFrameBytes,
  maxHandshakingConnections: 64,
};

export const DEFAULT_TRANSPORT_TIMINGS: TransportTimings = {
  handshakeTimeoutMs: 5000,
  connectTimeoutMs: 5000,
  pingIntervalMs: 1000,
  idleTimeoutMs: 10_000,
  chunkTimeoutMs: 30_000,
};

/** How often a peer whose socket is full is looked at again (sockets do not signal draining). */
const DRAIN_POLL_MS = 5;
/** Room left in a frame for the frame header and message count. */
const FRAME_OVERHEAD_BYTES = 16;

export interface PeerTransportOptions {
  readonly memberId: NodeId;
  readonly clusterId: string;
  /** Shared by every member of the cluster, at least 16 bytes; never sent. */
  readonly secret: string | Uint8Array;
  readonly network: PeerNetwork;
  /** Messages from authenticated peers, addressed to this member, in the order each peer sent them. */
  readonly onMessages: (messages: Message[]) => void;
  readonly onPeerStatus?: (id: NodeId, connected: boolean) => void;
  /** A message to `id` was dropped (no connection, or its queue is full): call raft.reportUnreachable. */
  readonly onUnreachable?: (id: NodeId) => void;
  /** A snapshot message was handed to the network in full, or dropped: call raft.reportSnapshot. */
  readonly onSnapshotStatus?: (id: NodeId, status: 'finished' | 'failure') => void;
  /** Whether a member not (yet) in setPeers may connect, e.g. one being added to the cluster. */
  readonly acceptPeer?: (id: NodeId) => boolean;
  readonly logger: Logger;
  readonly limits?: Partial<TransportLimits>;
  readonly timings?: Partial<TransportTimings>;
  readonly backoff?: BackoffOptions;
  readonly random?: Random;
  /** Milliseconds on a monotonic clock. */
  readonly now?: () => number;
}

export type TransportErrorCode =
  | 'invalidClusterSecret'
  | 'invalidPeerUrl'
  | 'listenFailed'
  | 'invalidOptions';

export interface TransportError {
  readonly code: TransportErrorCode;
  readonly message: string;
}

export interface PeerStats {
  readonly connected: boolean;
  readonly queuedMessages: number;
  /** Messages to this peer dropped: no connection, queue full, a transfer already in flight. */
  readonly droppedMessages: number;
  readonly sentFrames: number;
  readonly receivedFrames: number;
  /** Milliseconds since anything was received from this peer; null if never. */
  readonly lastContactMs: number | null;
  /** The last ping round trip; null before the first pong. */
  readonly rttMs: number | null;
  /** Frames from this peer that failed to decode or broke the rules (each closed the connection). */
  readonly badFrames: number;
  /** Messages from this peer refused: `from` was not the peer, or `to` was not this member. */
  readonly rejectedMessages: number;
}

export interface TransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerStats>;
  /** Handshakes that failed, refused by either side or timed out. */
  readonly failedHandshakes: number;
}

interface DialAttempt {
  connection: PeerConnection | null;
}

interface PeerState {
  readonly id: NodeId;
  /** Base URL from setPeers (ws://host:port); null for a peer admitted through acceptPeer only. */
  url: string | null;
  connection: PeerConnection | null;
  dialing: DialAttempt | null;
  redialTimer: ReturnType<typeof setTimeout> | null;
  readonly backoff: ReconnectBackoff;
  readonly queue: PeerQueue;
  transfer: OutgoingTransfer | null;
  nextTransferId: number;
  droppedMessages: number;
  badFrames: number;
  rejectedMessages: number;
  /** Frame counts of this peer's connections that have closed. */
  retiredSentFrames: number;
  retiredReceivedFrames: number;
  lastReceivedAtMs: number | null;
  rttMs: number | null;
}

const defaultRandom: Random = { int: (maxExclusive) => Math.floor(Math.random() * maxExclusive) };

/** A rough size of a message's encoding, for queue accounting and batching; frames that still come out too large are split. */
function estimateMessageBytes(message: Message): number {
  let bytes = 40 + message.from.length + message.to.length + (message.context?.length ?? 0);
  for (const entry of message.entries) bytes += 24 + entry.data.length;
  if (message.snapshot !== undefined) bytes += 256 + message.snapshot.data.length;
  return bytes;
}

function validateIdentity(memberId: NodeId, clusterId: string): string | null {
  const encoder = new TextEncoder();
  if (memberId === '' || encoder.encode(memberId).length > MAX_NODE_ID_BYTES) {
    return `memberId must be 1 to ${MAX_NODE_ID_BYTES} bytes, got "${memberId}"`;
  }
  if (clusterId === '' || encoder.encode(clusterId).length > MAX_CLUSTER_ID_BYTES) {
    return `clusterId must be 1 to ${MAX_CLUSTER_ID_BYTES} bytes, got "${clusterId}"`;
  }
  return null;
}

function validateLimits(limits: TransportLimits): string | null {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      return `limit ${name} must be a positive integer, got ${value}`;
  }
  if (limits.maxFrameBytes < 1024) return `maxFrameBytes must be at least 1 KiB, got ${limits.maxFrameBytes}`;
  if (limits.maxBufferedBytes < limits.maxFrameBytes) {
    return `maxBufferedBytes (${limits.maxBufferedBytes}) must be at least maxFrameBytes (${limits.maxFrameBytes})`;
  }
  if (limits.maxReassembledBytes > MAX_CHUNKED_MESSAGE_BYTES) {
    return `maxReassembledBytes must be at most ${MAX_CHUNKED_MESSAGE_BYTES}, got ${limits.maxReassembledBytes}`;
  }
  return null;
}

export class PeerTransport {
  readonly #options: PeerTransportOptions;
  readonly #memberId: NodeId;
  readonly #limits: TransportLimits;
  readonly #timings: TransportTimings;
  readonly #random: Random;
  readonly #now: () => number;
  readonly #peers = new Map<NodeId, PeerState>();
  /** Ids given to the last setPeers, this member excluded. */
  #configured = new Set<NodeId>();
  readonly #handshaking = new Set<PeerConnection>();
  #identity: HandshakeIdentity | null = null;
  #listener: PeerListener | null = null;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #flushScheduled = false;
  #drainTimer: ReturnType<typeof setTimeout> | null = null;
  #failedHandshakes = 0;
  readonly #events: ConnectionEvents;

  constructor(options: PeerTransportOptions) {
    this.#options = options;
    this.#memberId = options.memberId;
    this.#limits = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
    this.#timings = { ...DEFAULT_TRANSPORT_TIMINGS, ...options.timings };
    this.#random = options.random ?? defaultRandom;
    this.#now = options.now ?? (() => performance.now());
    this.#events = {
      established: (connection) => this.#established(connection),
      handshakeFailed: (connection, failure) => this.#handshakeFailed(connection, failure),
      messages: (connection, messages) => this.#received(connection, messages),
      badFrame: (connection, reason) => this.#badFrame(connection, reason),
      closed: (connection, code, reason) => this.#connectionClosed(connection, code, reason),
    };
  }

  /** Validates the configuration and listens on ws://host:port/raft; port 0 lets the OS choose. */
  async start(listenHost: string, listenPort: number): Promise<{ port: number } | TransportError> {
    if (this.#state !== 'new') throw new Error(`PeerTransport.start() called on a ${this.#state} transport`);
    this.#state = 'starting';
    const problem = validateIdentity(this.#memberId, this.#options.clusterId) ?? validateLimits(this.#limits);
    if (problem !== null) return this.#startFailed({ code: 'invalidOptions', message: problem });
    const key = await importClusterSecret(this.#options.secret);
    if ('code' in key) return this.#startFailed(key);
    this.#identity = { clusterId: this.#options.clusterId, memberId: this.#memberId, key };
    try {
      this.#listener = await this.#options.network.listen(
        listenHost,
        listenPort,
        (socket, remoteAddress) => this.#accept(socket, remoteAddress),
        { maxFrameBytes: this.#limits.maxFrameBytes },
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.#startFailed({
        code: 'listenFailed',
        message: `cannot listen for peers on ${listenHost}:${listenPort}: ${reason}`,
      });
    }
    if (this.#closedWhileStarting()) {
      await this.#listener.close();
      return { code: 'listenFailed', message: 'the transport was closed while starting' };
    }
    this.#state = 'running';
    for (const peer of this.#peers.values()) this.#dial(peer);
    return { port: this.#listener.port };
  }

  /**
   * The cluster's other members and their peer URLs (ws://host:port). Peers no longer listed are
   * disconnected and forgotten; a changed URL reconnects. This member's own id may be included.
   */
  setPeers(peers: ReadonlyMap<NodeId, string>): TransportError | undefined {
    for (const [id, url] of peers) {
      if (id === this.#memberId) continue;
      if (!URL.canParse(url) || !['ws:', 'wss:'].includes(new URL(url).protocol)) {
        return { code: 'invalidPeerUrl', message: `peer "${id}" has URL "${url}"; expected ws://host:port` };
      }
    }
    const next = new Set([...peers.keys()].filter((id) => id !== this.#memberId));
    for (const id of this.#configured) {
      if (!next.has(id)) this.#forget(id, 'removed from the peer set');
    }
    this.#configured = next;
    for (const id of next) {
      const url = peers.get(id)!;
      const existing = this.#peers.get(id);
      if (existing === undefined) {
        const peer = this.#newPeer(id, url);
        this.#peers.set(id, peer);
        this.#dial(peer);
      } else if (existing.url !== url) {
        existing.url = url;
        if (this.#dials(id)) {
          existing.connection?.close(PEER_CLOSE.removed, 'peer URL changed');
          this.#abandonDial(existing);
          this.#dial(existing);
        }
      }
    }
    return undefined;
  }

  /** Queues messages for their peers and returns at once; they go out in batches on the next turn. */
  send(messages: readonly Message[]): void {
    let unreachable: Set<NodeId> | null = null;
    for (const message of messages) {
      if (message.from !== this.#memberId || message.to === this.#memberId) {
        throw new Error(
          `transport of "${this.#memberId}" asked to send a message from "${message.from}" to "${message.to}"`,
        );
      }
      const peer = this.#peers.get(message.to);
      if (!this.#enqueue(peer, message)) {
        if (peer !== undefined) peer.droppedMessages++;
        if (message.snapshot !== undefined) this.#options.onSnapshotStatus?.(message.to, 'failure');
        unreachable ??= new Set();
        unreachable.add(message.to);
      }
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    if (unreachable !== null) for (const id of unreachable) this.#options.onUnreachable?.(id);
  }

  /** Hands what send() queued to the sockets now, rather than on the next microtask. */
  flush(): void {
    if (this.#flushScheduled) this.#flush();
  }

  /** True while an authenticated connection to the peer is open. */
  reachable(id: NodeId): boolean {
    return this.#peers.get(id)?.connection != null;
  }

  stats(): TransportStats {
    const now = this.#now();
    const peers = new Map<NodeId, PeerStats>();
    for (const peer of this.#peers.values()) {
      const connection = peer.connection;
      const lastReceivedAtMs = connection?.lastReceivedAtMs ?? peer.lastReceivedAtMs;
      peers.set(peer.id, {
        connected: connection !== null,
        queuedMessages: peer.queue.length,
        droppedMessages: peer.droppedMessages,
        sentFrames: peer.retiredSentFrames + (connection?.sentFrames ?? 0),
        receivedFrames: peer.retiredReceivedFrames + (connection?.receivedFrames ?? 0),
        lastContactMs: lastReceivedAtMs === null ? null : Math.max(0, now - lastReceivedAtMs),
        rttMs: connection?.rttMs ?? peer.rttMs,
        badFrames: peer.badFrames,
        rejectedMessages: peer.rejectedMessages,
      });
    }
    return { peers, failedHandshakes: this.#failedHandshakes };
  }

  /** Closes every connection and stops listening; queued messages are dropped. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#drainTimer = null;
    for (const id of [...this.#peers.keys()]) this.#forget(id, 'transport closing');
    for (const connection of [...this.#handshaking])
      connection.close(PEER_CLOSE.removed, 'transport closing');
    await this.#listener?.close();
  }

  /** close() may run while start() awaits. */
  #closedWhileStarting(): boolean {
    return this.#state === 'closed';
  }

  #startFailed(error: TransportError): TransportError {
    this.#state = 'closed';
    return error;
  }

  #newPeer(id: NodeId, url: string | null): PeerState {
    return {
      id,
      url,
      connection: null,
      dialing: null,
      redialTimer: null,
      backoff: new ReconnectBackoff(this.#options.backoff ?? DEFAULT_BACKOFF, this.#random),
      queue: new PeerQueue({ maxMessages: this.#limits.queueMessages, maxBytes: this.#limits.queueBytes }),
      transfer: null,
      nextTransferId: 0,
      droppedMessages: 0,
      badFrames: 0,
      rejectedMessages: 0,
      retiredSentFrames: 0,
      retiredReceivedFrames: 0,
      lastReceivedAtMs: null,
      rttMs: null,
    };
  }

  /** The member whose id sorts first opens the connection of a pair. */
  #dials(peerId: NodeId): boolean {
    return this.#memberId < peerId;
  }

  /** Returns false if the message was dropped. */
  #enqueue(peer: PeerState | undefined, message: Message): boolean {
    if (peer === undefined || peer.connection === null) return false;
    const bytes = estimateMessageBytes(message);
    if (message.snapshot !== undefined || bytes > this.#limits.maxFrameBytes - FRAME_OVERHEAD_BYTES) {
      return this.#startTransfer(peer, message);
    }
    return peer.queue.push(message, bytes);
  }

  /** One large message in flight per peer; another one meanwhile is dropped (Raft sends it again). */
  #startTransfer(peer: PeerState, message: Message, encoded?: Uint8Array): boolean {
    if (peer.transfer !== null) return false;
    peer.transfer = new OutgoingTransfer(
      message,
      peer.nextTransferId++ >>> 0,
      this.#limits.maxFrameBytes,
      encoded,
    );
    return true;
  }

  #flush(): void {
    this.#flushScheduled = false;
    let backlog = false;
    for (const peer of this.#peers.values()) {
      if (this.#flushPeer(peer)) backlog = true;
    }
    if (backlog && this.#drainTimer === null && this.#state !== 'closed') {
      this.#drainTimer = setTimeout(() => {
        this.#drainTimer = null;
        this.#flush();
      }, DRAIN_POLL_MS);
    }
  }

  /** Sends what the socket has room for; returns true if something is left waiting. */
  #flushPeer(peer: PeerState): boolean {
    const connection = peer.connection;
    if (connection === null) return false;
    const { maxBufferedBytes, maxFrameBytes } = this.#limits;
    while (peer.queue.length > 0 && !connection.isClosed && connection.bufferedAmount < maxBufferedBytes) {
      this.#sendBatch(peer, connection, peer.queue.take(maxFrameBytes - FRAME_OVERHEAD_BYTES));
    }
    // Chunks may fill only half the socket buffer, so small messages always find room behind them.
    while (
      peer.transfer !== null &&
      !connection.isClosed &&
      connection.bufferedAmount < maxBufferedBytes / 2
    ) {
      this.#sendChunk(peer, connection, peer.transfer);
    }
    return !connection.isClosed && (peer.queue.length > 0 || peer.transfer !== null);
  }

  #sendBatch(peer: PeerState, connection: PeerConnection, batch: Message[]): void {
    const frame = encodePeerFrame(batch);
    if (frame.length <= this.#limits.maxFrameBytes) {
      connection.send(frame);
      return;
    }
    if (batch.length === 1) {
      // The estimate was too low for this one message: it travels in chunks after all.
      if (!this.#startTransfer(peer, batch[0]!, frame)) this.#dropped(peer, batch[0]!);
      return;
    }
    const half = Math.ceil(batch.length / 2);
    this.#sendBatch(peer, connection, batch.slice(0, half));
    this.#sendBatch(peer, connection, batch.slice(half));
  }

  #sendChunk(peer: PeerState, connection: PeerConnection, transfer: OutgoingTransfer): void {
    if (transfer.totalBytes > this.#limits.maxReassembledBytes) {
      this.#options.logger.warn('message too large to send to peer, dropped', {
        peer: peer.id,
        type: transfer.message.type,
        bytes: transfer.totalBytes,
        limit: `${formatBytes(this.#limits.maxReassembledBytes)} (maxReassembledBytes)`,
      });
      peer.transfer = null;
      this.#dropped(peer, transfer.message);
      return;
    }
    connection.send(transfer.nextFrame());
    if (!transfer.done) return;
    peer.transfer = null;
    if (transfer.isSnapshot) this.#options.onSnapshotStatus?.(peer.id, 'finished');
  }

  #dropped(peer: PeerState, message: Message): void {
    peer.droppedMessages++;
    if (message.snapshot !== undefined) this.#options.onSnapshotStatus?.(peer.id, 'failure');
    this.#options.onUnreachable?.(peer.id);
  }

  #dial(peer: PeerState): void {
    if (this.#state !== 'running' || peer.url === null || !this.#dials(peer.id)) return;
    if (peer.connection !== null || peer.dialing !== null || peer.redialTimer !== null) return;
    const attempt: DialAttempt = { connection: null };
    peer.dialing = attempt;
    const url = new URL(PEER_PATH, peer.url).href;
    this.#options.network
      .dial(url, {
        maxFrameBytes: this.#limits.maxFrameBytes,
        connectTimeoutMs: this.#timings.connectTimeoutMs,
      })
      .then(
        (socket) => {
          if (peer.dialing !== attempt || this.#state !== 'running') {
            socket.close(PEER_CLOSE.removed, 'dial no longer wanted');
            return;
          }
          attempt.connection = this.#connection(socket, url, { side: 'dialer', expectedPeerId: peer.id });
        },
        (error: unknown) => {
          if (peer.dialing !== attempt) return;
          peer.dialing = null;
          this.#options.logger.debug('peer dial failed', {
            peer: peer.id,
            url,
            error: error instanceof Error ? error.message : String(error),
          });
          this.#scheduleRedial(peer);
        },
      );
  }

  #scheduleRedial(peer: PeerState): void {
    if (this.#state !== 'running' || peer.url === null || !this.#dials(peer.id)) return;
    if (this.#peers.get(peer.id) !== peer || peer.redialTimer !== null) return;
    peer.redialTimer = setTimeout(() => {
      peer.redialTimer = null;
      this.#dial(peer);
    }, peer.backoff.next());
  }

  #abandonDial(peer: PeerState): void {
    const attempt = peer.dialing;
    peer.dialing = null;
    attempt?.connection?.close(PEER_CLOSE.removed, 'dial no longer wanted');
    if (peer.redialTimer !== null) clearTimeout(peer.redialTimer);
    peer.redialTimer = null;
  }

  #accept(socket: PeerSocket, remoteAddress: string): void {
    if (this.#state !== 'running') {
      socket.close(PEER_CLOSE.removed, 'transport closing');
      return;
    }
    if (this.#handshaking.size >= this.#limits.maxHandshakingConnections) {
      this.#options.logger.warn('peer connection refused: too many handshakes in progress', {
        remote: remoteAddress,
        limit: this.#limits.maxHandshakingConnections,
      });
      socket.close(PEER_CLOSE.refused, 'too many handshakes in progress');
      return;
    }
    this.#connection(socket, remoteAddress, { side: 'acceptor', admit: (id) => this.#admit(id) });
  }

  #connection(
    socket: PeerSocket,
    remoteAddress: string,
    role: ConstructorParameters<typeof PeerConnection>[0]['role'],
  ): PeerConnection {
    const connection = new PeerConnection({
      socket,
      remoteAddress,
      role,
      identity: this.#identity!,
      timings: this.#timings,
      limits: {
        maxFrameBytes: this.#limits.maxFrameBytes,
        maxReassembledBytes: this.#limits.maxReassembledBytes,
      },
      events: this.#events,
      logger: this.#options.logger,
      now: this.#now,
    });
    if (!connection.isClosed) this.#handshaking.add(connection);
    return connection;
  }

  /** Which member ids may complete a handshake as the dialing side; returns a refusal reason or null. */
  #admit(claimedId: NodeId): string | null {
    if (this.#state !== 'running') return 'transport closing';
    if (this.#dials(claimedId)) {
      return `member "${claimedId}" must wait for "${this.#memberId}" to connect (the member whose id sorts first dials)`;
    }
    if (this.#configured.has(claimedId) || this.#options.acceptPeer?.(claimedId) === true) return null;
    return `member "${claimedId}" is not a known peer of "${this.#memberId}"`;
  }

  #established(connection: PeerConnection): void {
    this.#handshaking.delete(connection);
    const peerId = connection.peerId!;
    const attempt = this.#peers.get(peerId)?.dialing;
    const wanted =
      connection.side === 'dialer' ? attempt?.connection === connection : this.#admit(peerId) === null;
    if (!wanted) {
      connection.close(PEER_CLOSE.removed, 'peer no longer wanted');
      return;
    }
    let peer = this.#peers.get(peerId);
    if (peer === undefined) {
      peer = this.#newPeer(peerId, null);
      this.#peers.set(peerId, peer);
    }
    peer.dialing = null;
    const older = peer.connection;
    if (older !== null) {
      this.#options.logger.info('peer reconnected, replacing the older connection', { peer: peerId });
      this.#detach(peer, PEER_CLOSE.replaced, 'replaced by a newer connection');
      older.close(PEER_CLOSE.replaced, 'replaced by a newer connection');
    }
    peer.connection = connection;
    peer.backoff.reset();
    this.#options.logger.info('peer connected', {
      peer: peerId,
      remote: connection.remoteAddress,
      side: connection.side,
    });
    this.#options.onPeerStatus?.(peerId, true);
  }

  #handshakeFailed(connection: PeerConnection, failure: HandshakeFailure): void {
    this.#failedHandshakes++;
    this.#options.logger.warn(
      failure.refusedBy === 'local' ? 'peer connection refused' : 'peer connection refused by the peer',
      {
        remote: connection.remoteAddress,
        claimedMemberId: failure.claimedMemberId,
        side: connection.side,
        reason: failure.reason,
      },
    );
  }

  #received(connection: PeerConnection, messages: Message[]): void {
    const peer = this.#peers.get(connection.peerId!);
    if (peer === undefined || peer.connection !== connection) return;
    const accepted = messages.filter((message) => message.from === peer.id && message.to === this.#memberId);
    if (accepted.length < messages.length) {
      const refused = messages.find((message) => message.from !== peer.id || message.to !== this.#memberId)!;
      peer.rejectedMessages += messages.length - accepted.length;
      this.#options.logger.warn('messages from peer refused: wrong sender or recipient', {
        peer: peer.id,
        refused: messages.length - accepted.length,
        example: { type: refused.type, from: refused.from, to: refused.to },
      });
    }
    if (accepted.length > 0) this.#options.onMessages(accepted);
  }

  #badFrame(connection: PeerConnection, reason: string): void {
    const peer = this.#peers.get(connection.peerId!);
    if (peer !== undefined) peer.badFrames++;
    this.#options.logger.warn('bad frame from peer, closing the connection', {
      peer: connection.peerId,
      remote: connection.remoteAddress,
      error: reason,
    });
  }

  #connectionClosed(connection: PeerConnection, code: number, reason: string): void {
    this.#handshaking.delete(connection);
    for (const peer of this.#peers.values()) {
      if (peer.dialing?.connection === connection) {
        peer.dialing = null;
        this.#scheduleRedial(peer);
      }
    }
    const peer = connection.peerId === null ? undefined : this.#peers.get(connection.peerId);
    if (peer === undefined || peer.connection !== connection) return;
    this.#detach(peer, code, reason);
    if (peer.url === null && !this.#configured.has(peer.id)) this.#peers.delete(peer.id);
    else this.#scheduleRedial(peer);
  }

  /** The peer's connection is gone: what was waiting for it is dropped (Raft retries). */
  #detach(peer: PeerState, code: number, reason: string): void {
    const connection = peer.connection;
    if (connection === null) return;
    peer.connection = null;
    peer.retiredSentFrames += connection.sentFrames;
    peer.retiredReceivedFrames += connection.receivedFrames;
    peer.lastReceivedAtMs = connection.lastReceivedAtMs;
    peer.rttMs = connection.rttMs;
    peer.droppedMessages += peer.queue.clear();
    if (peer.transfer !== null) {
      this.#dropped(peer, peer.transfer.message);
      peer.transfer = null;
    }
    this.#options.logger.info('peer disconnected', { peer: peer.id, code, reason });
    this.#options.onPeerStatus?.(peer.id, false);
  }

  /** Disconnects a peer and drops everything kept for it. */
  #forget(id: NodeId, reason: string): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#peers.delete(id);
    this.#abandonDial(peer);
    const connection = peer.connection;
    this.#detach(peer, PEER_CLOSE.removed, reason);
    connection?.close(PEER_CLOSE.removed, reason);
  }
}
