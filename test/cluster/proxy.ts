// The network between members, under the test's control. Every member listens for peers on a port
// of its own but advertises this proxy's port instead, so every peer connection (a WebSocket, dialed
// by the member whose id sorts first) passes through here. The proxy is WebSocket-aware: it relays
// whole frames and learns the dialer's member id from the first frame it sends (the handshake's
// hello), so each direction of each connection is a directed link, dialer → listener or back, that
// the test can block (a partition or blackhole; one direction for an asymmetric partition), make
// lossy (each frame dropped with some chance) or slow (a delay with jitter, order kept as TCP keeps
// it). Dropping whole frames is what a lost packet becomes once TCP gives up; a member sees a silent
// link, an idle timeout, a redial whose handshake never completes.
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { decodeHandshakeFrame, isDecodeError } from '../../core/protocol/index.ts';
import type { SeededRandom } from '../../core/random.ts';

/** How one direction of the links between two members behaves. */
export interface LinkCondition {
  /** Every frame is dropped: a partition, or a blackholed member. */
  readonly blocked: boolean;
  /** The chance that each frame is dropped. */
  readonly dropRate: number;
  /** Each frame is held this long, plus up to ±jitterMs, in order. */
  readonly delayMs: number;
  readonly jitterMs: number;
}

export const HEALTHY_LINK: LinkCondition = { blocked: false, dropRate: 0, delayMs: 0, jitterMs: 0 };

export interface ProxyLimits {
  /** Bytes of one frame (a snapshot travels in chunks far below it). */
  readonly maxFrameBytes: number;
  /** Bytes held in one direction of one connection (delayed, or waiting for the listener to accept). */
  readonly maxHeldBytes: number;
  /** Bytes a receiving socket may have unsent before the sending side is paused. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxFrameBytes: 64 * 1024 * 1024,
  maxHeldBytes: 64 * 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
};

export interface LinkStats {
  forwarded: number;
  /** Dropped because the link was blocked or lossy. */
  dropped: number;
  /** Dropped because more than maxHeldBytes were held. */
  overflowed: number;
  delayed: number;
}

/** A member id we have not learned (yet): the connection's first frame was not a hello. */
const UNKNOWN_MEMBER = '?';
/** How often a paused sender looks at its receiver's buffer again (sockets do not signal draining). */
const DRAIN_POLL_MS = 5;

function linkKey(from: string, to: string): string {
  return `${from}>${to}`;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

/** A close code that may be sent on (1005, 1006 and 1015 are only ever reported, never sent). */
function sendableCode(code: number): number {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
    ? code
    : 1001;
}

/** The condition and counts of every directed link. */
class LinkTable {
  readonly #random: SeededRandom;
  readonly #conditions = new Map<string, LinkCondition>();
  readonly stats = new Map<string, LinkStats>();

  constructor(random: SeededRandom) {
    this.#random = random;
  }

  condition(from: string, to: string): LinkCondition {
    return this.#conditions.get(linkKey(from, to)) ?? HEALTHY_LINK;
  }

  set(from: string, to: string, condition: LinkCondition): void {
    this.#conditions.set(linkKey(from, to), condition);
  }

  clear(): void {
    this.#conditions.clear();
  }

  /** What becomes of one frame sent on a link: dropped (null), or held for so many ms. */
  route(from: string, to: string): number | null {
    const condition = this.condition(from, to);
    if (condition.blocked || (condition.dropRate > 0 && this.#random.chance(condition.dropRate))) {
      this.count(from, to, 'dropped');
      return null;
    }
    if (condition.delayMs === 0) return 0;
    this.count(from, to, 'delayed');
    return condition.delayMs + (this.#random.float() * 2 - 1) * condition.jitterMs;
  }

  count(from: string, to: string, what: keyof LinkStats): void {
    const key = linkKey(from, to);
    let stats = this.stats.get(key);
    if (stats === undefined) {
      stats = { forwarded: 0, dropped: 0, overflowed: 0, delayed: 0 };
      this.stats.set(key, stats);
    }
    stats[what]++;
  }
}

export class PeerProxy {
  readonly #links: LinkTable;
  readonly #limits: ProxyLimits;
  readonly #listeners = new Map<string, ProxyListener>();

  /** `random` decides which frames a lossy link drops and how long each delayed one waits. */
  constructor(random: SeededRandom, limits: Partial<ProxyLimits> = {}) {
    this.#links = new LinkTable(random);
    this.#limits = { ...DEFAULT_PROXY_LIMITS, ...limits };
  }

  /** Starts the proxy in front of `member`'s peer listener; returns the URL the member must advertise. */
  async listen(member: string, upstreamPort: number): Promise<string> {
    if (this.#listeners.has(member)) throw new Error(`the proxy already listens for ${member}`);
    const listener = await ProxyListener.start(this.#links, member, upstreamPort, this.#limits);
    this.#listeners.set(member, listener);
    return `ws://127.0.0.1:${listener.port}`;
  }

  link(from: string, to: string): LinkCondition {
    return this.#links.condition(from, to);
  }

  /** Changes the named parts of the link's condition; frames already held keep their delay. */
  setLink(from: string, to: string, condition: Partial<LinkCondition>): void {
    if (from === to) throw new Error(`a link needs two members, got ${from} twice`);
    const next = { ...this.link(from, to), ...condition };
    if (!(next.dropRate >= 0 && next.dropRate <= 1))
      throw new Error(`dropRate ${next.dropRate} is not in [0, 1]`);
    if (!(next.delayMs >= 0 && next.jitterMs >= 0 && next.jitterMs <= next.delayMs)) {
      throw new Error(`delay ${next.delayMs} ± ${next.jitterMs} ms: need 0 <= jitter <= delay`);
    }
    this.#links.set(from, to, next);
  }

  /** Every link back to healthy. */
  heal(): void {
    this.#links.clear();
  }

  /** Counts per directed link, keyed `from>to`. */
  stats(): ReadonlyMap<string, Readonly<LinkStats>> {
    return this.#links.stats;
  }

  /** Counts summed over every link. */
  totals(): LinkStats {
    const total: LinkStats = { forwarded: 0, dropped: 0, overflowed: 0, delayed: 0 };
    for (const s of this.#links.stats.values()) {
      total.forwarded += s.forwarded;
      total.dropped += s.dropped;
      total.overflowed += s.overflowed;
      total.delayed += s.delayed;
    }
    return total;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#listeners.values()].map((l) => l.close()));
    this.#listeners.clear();
  }
}

/** The proxy's listener in front of one member. */
class ProxyListener {
  readonly port: number;
  readonly #server: WebSocketServer;
  readonly #connections = new Set<ProxiedConnection>();

  private constructor(server: WebSocketServer, port: number) {
    this.#server = server;
    this.port = port;
  }

  static start(
    links: LinkTable,
    member: string,
    upstreamPort: number,
    limits: ProxyLimits,
  ): Promise<ProxyListener> {
    return new Promise((resolve, reject) => {
      const server = new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        maxPayload: limits.maxFrameBytes,
        perMessageDeflate: false,
      });
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        const listener = new ProxyListener(server, (server.address() as AddressInfo).port);
        server.on('connection', (socket, request) => {
          const connection = new ProxiedConnection(
            links,
            member,
            socket,
            upstreamPort,
            request.url ?? '/',
            limits,
          );
          listener.#connections.add(connection);
          connection.onEnd(() => listener.#connections.delete(connection));
        });
        resolve(listener);
      });
    });
  }

  close(): Promise<void> {
    for (const connection of this.#connections) connection.terminate();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** One peer connection: the dialer's socket (downstream) and ours to the member (upstream). */
class ProxiedConnection {
  readonly #downstream: WebSocket;
  readonly #upstream: WebSocket;
  #dialer: string = UNKNOWN_MEMBER;
  readonly #toListener: Pipe;
  readonly #toDialer: Pipe;
  #ended = false;
  readonly #onEnd: (() => void)[] = [];

  constructor(
    links: LinkTable,
    listener: string,
    downstream: WebSocket,
    upstreamPort: number,
    path: string,
    limits: ProxyLimits,
  ) {
    this.#downstream = downstream;
    this.#upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}${path}`, {
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      // Peer frames are not masked (the transport's choice); neither are ours, to keep the proxy cheap.
      generateMask: (mask) => mask.fill(0),
    });
    const dialer = (): string => this.#dialer;
    this.#toListener = new Pipe(links, downstream, this.#upstream, dialer, () => listener, limits);
    this.#toDialer = new Pipe(links, this.#upstream, downstream, () => listener, dialer, limits);
    let first = true;
    downstream.on('message', (data, isBinary) => {
      const frame = toBuffer(data);
      if (first) this.#dialer = helloSender(frame);
      first = false;
      this.#toListener.send(frame, isBinary);
    });
    this.#upstream.on('message', (data, isBinary) => this.#toDialer.send(toBuffer(data), isBinary));
    this.#upstream.on('open', () => this.#toListener.open());
    this.#toDialer.open();
    downstream.on('close', (code, reason) => this.#end(this.#upstream, code, reason));
    this.#upstream.on('close', (code, reason) => this.#end(downstream, code, reason));
    // An error ends its socket, whose 'close' then ends the other one.
    downstream.on('error', () => {});
    this.#upstream.on('error', () => {});
  }

  onEnd(callback: () => void): void {
    this.#onEnd.push(callback);
  }

  terminate(): void {
    this.#downstream.terminate();
    this.#upstream.terminate();
  }

  #end(other: WebSocket, code: number, reason: Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#toListener.stop();
    this.#toDialer.stop();
    if (other.readyState === WebSocket.OPEN) other.close(sendableCode(code), reason);
    else other.terminate();
    for (const callback of this.#onEnd) callback();
  }
}

/** The member id in a handshake hello, or UNKNOWN_MEMBER if the frame is something else. */
function helloSender(frame: Buffer): string {
  const decoded = decodeHandshakeFrame(frame);
  return !isDecodeError(decoded) && decoded.kind === 'hello' ? decoded.memberId : UNKNOWN_MEMBER;
}

interface HeldFrame {
  readonly frame: Buffer;
  readonly isBinary: boolean;
  readonly dueAt: number;
}

/** One direction of a connection: frames routed by the link's condition, held in order until due. */
class Pipe {
  readonly #links: LinkTable;
  readonly #source: WebSocket;
  readonly #target: WebSocket;
  readonly #from: () => string;
  readonly #to: () => string;
  readonly #limits: ProxyLimits;
  readonly #held: HeldFrame[] = [];
  #heldBytes = 0;
  #open = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** When the last held frame is due: frames never overtake each other. */
  #lastDueAt = 0;

  constructor(
    links: LinkTable,
    source: WebSocket,
    target: WebSocket,
    from: () => string,
    to: () => string,
    limits: ProxyLimits,
  ) {
    this.#links = links;
    this.#source = source;
    this.#target = target;
    this.#from = from;
    this.#to = to;
    this.#limits = limits;
  }

  send(frame: Buffer, isBinary: boolean): void {
    if (this.#stopped) return;
    const delayMs = this.#links.route(this.#from(), this.#to());
    if (delayMs === null) return;
    if (this.#heldBytes + frame.length > this.#limits.maxHeldBytes) {
      this.#links.count(this.#from(), this.#to(), 'overflowed');
      return;
    }
    const dueAt = Math.max(performance.now() + delayMs, this.#lastDueAt);
    this.#lastDueAt = dueAt;
    this.#held.push({ frame, isBinary, dueAt });
    this.#heldBytes += frame.length;
    this.#flush();
  }

  /** The target socket is open: held frames may go. */
  open(): void {
    this.#open = true;
    this.#flush();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#held.length = 0;
    this.#heldBytes = 0;
  }

  #flush(): void {
    if (!this.#open || this.#stopped || this.#timer !== null) return;
    const now = performance.now();
    while (this.#held.length > 0) {
      const next = this.#held[0]!;
      if (next.dueAt > now) {
        this.#schedule(next.dueAt - now);
        return;
      }
      if (this.#target.bufferedAmount > this.#limits.maxBufferedBytes) {
        // The receiver is not keeping up: stop reading from the sender until it does.
        this.#source.pause();
        this.#schedule(DRAIN_POLL_MS);
        return;
      }
      this.#held.shift();
      this.#heldBytes -= next.frame.length;
      const from = this.#from();
      const to = this.#to();
      // A partition that began while the frame was held catches it too.
      if (this.#links.condition(from, to).blocked) this.#links.count(from, to, 'dropped');
      else if (this.#target.readyState === WebSocket.OPEN) {
        this.#target.send(next.frame, { binary: next.isBinary });
        this.#links.count(from, to, 'forwarded');
      }
    }
    if (this.#source.isPaused) this.#source.resume();
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, ms);
  }
}
