// The fuzzer's side of a peer connection to a fuzzed member, over the member's side door (an
// in-memory connection its listener accepts like any other). Either a raw socket that sends
// whatever it is given before any handshake, or an authenticated connection as FAKE_VOTER (the
// transport's own dialer logic, holding the cluster secret) that then sends hostile frames.
import { decodeHandshakeFrame, isDecodeError } from '../../core/protocol/index.ts';
import type { Logger, Message } from '../../core/raft/types.ts';
import { decodeTransportFrame, encodePingFrame, isTransportFrame } from '../../server/transport/frames.ts';
import type { PeerSocket } from '../../server/transport/index.ts';
import { importClusterSecret } from '../../server/transport/peer-auth.ts';
import { PeerConnection } from '../../server/transport/peer-connection.ts';
import { CLUSTER_ID, CLUSTER_SECRET, FAKE_VOTER, type FuzzMember } from './fuzz-cluster.ts';

const ANSWER_TIMEOUT_MS = 10_000;
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {} };

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** Polls `check` (each event-loop turn) until it returns a value, or fails naming `what`. */
async function until<T>(what: string, check: () => T | undefined): Promise<T> {
  const deadline = performance.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`no ${what} within ${ANSWER_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A connection with nothing of the transport on this side: what the member sends back, and its close. */
export class RawPeerSocket {
  readonly #socket: PeerSocket;
  /** Reasons of the handshake refusals the member sent. */
  readonly refusals: string[] = [];
  #closed: Closed | null = null;

  constructor(member: FuzzMember) {
    this.#socket = member.network.inject('fuzzer');
    this.#socket.onMessage((frame) => {
      const handshake = decodeHandshakeFrame(frame);
      if (!isDecodeError(handshake) && handshake.kind === 'refuse') this.refusals.push(handshake.reason);
    });
    this.#socket.onClose((code, reason) => {
      this.#closed = { code, reason };
    });
  }

  send(frame: Uint8Array): void {
    this.#socket.send(frame);
  }

  closed(): Promise<Closed> {
    return until('close of the connection', () => this.#closed ?? undefined);
  }

  close(): void {
    this.#socket.close(1000, 'fuzzer done');
  }
}

/** An authenticated connection to `member` as FAKE_VOTER. */
export class PeerImpostor {
  /** Raft messages the member sent to FAKE_VOTER. */
  readonly received: Message[] = [];
  readonly #connection: PeerConnection;
  readonly #pongs = new Set<number>();
  #closed: Closed | null = null;
  #established = false;
  #nextPing = 1_000_000;

  private constructor(member: FuzzMember, key: CryptoKey) {
    const socket = member.network.inject('fuzzer');
    const tapped: PeerSocket = {
      send: (frame) => socket.send(frame),
      close: (code, reason) => socket.close(code, reason),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      onMessage: (callback) =>
        socket.onMessage((frame) => {
          if (isTransportFrame(frame)) {
            const decoded = decodeTransportFrame(frame);
            if (!('code' in decoded) && decoded.kind === 'pong') this.#pongs.add(decoded.sequence);
          }
          callback(frame);
        }),
      onClose: (callback) => socket.onClose(callback),
    };
    this.#connection = new PeerConnection({
      socket: tapped,
      remoteAddress: 'fuzzer',
      role: { side: 'dialer', expectedPeerId: member.id },
      identity: { clusterId: CLUSTER_ID, memberId: FAKE_VOTER, key },
      timings: {
        handshakeTimeoutMs: ANSWER_TIMEOUT_MS,
        pingIntervalMs: 1000,
        idleTimeoutMs: 60_000,
        chunkTimeoutMs: 60_000,
      },
      limits: { maxFrameBytes: 64 * 1024 * 1024, maxReassembledBytes: 1024 * 1024 * 1024 },
      events: {
        established: () => {
          this.#established = true;
        },
        handshakeFailed: (_connection, failure) => {
          this.#closed = { code: -1, reason: `handshake failed: ${failure.reason}` };
        },
        messages: (_connection, messages) => this.received.push(...messages),
        badFrame: () => {},
        closed: (_connection, code, reason) => {
          this.#closed ??= { code, reason };
        },
      },
      logger: silent,
      now: () => performance.now(),
    });
  }

  static async connect(member: FuzzMember): Promise<PeerImpostor> {
    const key = await importClusterSecret(CLUSTER_SECRET);
    if ('code' in key) throw new Error(key.message);
    const impostor = new PeerImpostor(member, key);
    await until(`handshake with ${member.id}`, () => {
      if (impostor.#closed !== null)
        throw new Error(`${member.id} refused the impostor: ${impostor.#closed.reason}`);
      return impostor.#established ? true : undefined;
    });
    return impostor;
  }

  get isClosed(): boolean {
    return this.#closed !== null;
  }

  send(frame: Uint8Array): void {
    this.#connection.send(frame);
  }

  /**
   * Waits until the member has handled everything sent so far: its answer to a ping sent after it
   * (frames on a connection are handled in order), or its closing of the connection.
   */
  async sync(): Promise<Closed | 'open'> {
    if (this.#closed !== null) return this.#closed;
    const sequence = this.#nextPing++;
    this.#connection.send(encodePingFrame('ping', { sequence, sentAtMs: performance.now() }));
    return until('pong or close', () => this.#closed ?? (this.#pongs.delete(sequence) ? 'open' : undefined));
  }

  close(): void {
    this.#connection.close(1000, 'fuzzer done');
  }
}
