// The Node peer network with a side door for the fuzzer: the member listens and dials over real
// WebSockets as usual, and the test may also hand its listener an in-memory connection, so that
// hostile frames go through the member's own transport (handshake, decoding, reassembly, Raft)
// without a TCP connection per input.
import { createNodePeerNetwork } from '../../server/adapters/node/peer-socket.ts';
import {
  type PeerListener,
  type PeerNetwork,
  type PeerSocket,
  PeerSocketEvents,
} from '../../server/transport/index.ts';

/** One end of an in-memory connection; frames and the close reach the other end on a later turn. */
class MemoryPeerSocket implements PeerSocket {
  readonly #events = new PeerSocketEvents();
  #other: MemoryPeerSocket | null = null;
  #closed = false;

  static pair(): [MemoryPeerSocket, MemoryPeerSocket] {
    const a = new MemoryPeerSocket();
    const b = new MemoryPeerSocket();
    a.#other = b;
    b.#other = a;
    return [a, b];
  }

  get bufferedAmount(): number {
    return 0;
  }

  send(frame: Uint8Array): void {
    const other = this.#other;
    if (this.#closed || other === null) return;
    const copy = frame.slice();
    setImmediate(() => other.#events.deliver(copy));
  }

  close(code = 1000, reason = ''): void {
    const other = this.#other;
    if (this.#closed || other === null) return;
    this.#closed = true;
    other.#closed = true;
    setImmediate(() => {
      this.#events.close(code, reason);
      other.#events.close(code, reason);
    });
  }

  onMessage(callback: (frame: Uint8Array) => void): void {
    this.#events.onMessage(callback);
  }

  onClose(callback: (code: number, reason: string) => void): void {
    this.#events.onClose(callback);
  }
}

export class InjectableNetwork implements PeerNetwork {
  readonly #inner = createNodePeerNetwork();
  #accept: ((socket: PeerSocket, remoteAddress: string) => void) | null = null;

  listen(...args: Parameters<PeerNetwork['listen']>): Promise<PeerListener> {
    const [host, port, onSocket, options] = args;
    this.#accept = onSocket;
    return this.#inner.listen(host, port, onSocket, options);
  }

  dial(...args: Parameters<PeerNetwork['dial']>): Promise<PeerSocket> {
    return this.#inner.dial(...args);
  }

  /** A new connection to the member's listener, as if dialed from `remoteAddress`; returns the dialer's end. */
  inject(remoteAddress: string): PeerSocket {
    if (this.#accept === null) throw new Error('InjectableNetwork.inject: the member is not listening yet');
    const [dialer, acceptor] = MemoryPeerSocket.pair();
    this.#accept(acceptor, remoteAddress);
    return dialer;
  }
}
