// What the transport needs from a runtime: binary WebSocket connections, accepted on a listening
// address and dialed by URL. Each runtime implements this in its adapter folder (Node: `ws`).

/** The path peers connect to on a member's peer address. */
export const PEER_PATH = '/raft';

/** WebSocket close codes the transport uses (4000-4999 is the application range). */
export const PEER_CLOSE = {
  normal: 1000,
  /** The handshake failed: wrong cluster, wrong secret, unknown or unexpected member. */
  refused: 4001,
  /** The peer sent something the protocol does not allow (bad frame, chunk out of order). */
  protocolError: 4002,
  /** A newer authenticated connection from the same member took this one's place. */
  replaced: 4003,
  /** The member was removed from the peer set, or the transport is closing. */
  removed: 4004,
  /** Nothing was heard from the peer for too long (half-open connection). */
  idle: 4005,
  /** The handshake did not finish in time. */
  handshakeTimeout: 4006,
} as const;

export interface PeerSocket {
  /** Queues one binary frame; never blocks. Frames sent after close are discarded. */
  send(frame: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /** Bytes handed to send() and not yet written to the network. */
  readonly bufferedAmount: number;
  /** One callback per socket; frames that arrive before it is set are held until it is. */
  onMessage(callback: (frame: Uint8Array) => void): void;
  /** Called once, when the connection is closed from either side or fails. */
  onClose(callback: (code: number, reason: string) => void): void;
}

export interface PeerListener {
  /** The port actually bound (the OS picks one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting and closes every socket accepted through this listener. */
  close(): Promise<void>;
}

export interface PeerNetworkOptions {
  /** Frames larger than this are refused by the WebSocket layer and close the connection. */
  readonly maxFrameBytes: number;
}

export interface DialOptions extends PeerNetworkOptions {
  /** The longest wait for the TCP connection and the WebSocket upgrade. */
  readonly connectTimeoutMs: number;
}

export interface PeerNetwork {
  /** Accepts WebSocket connections on ws://host:port/raft. */
  listen(
    host: string,
    port: number,
    onSocket: (socket: PeerSocket, remoteAddress: string) => void,
    options: PeerNetworkOptions,
  ): Promise<PeerListener>;
  /** Opens a WebSocket to `url` (a full ws:// URL, path included); rejects if it cannot connect in time. */
  dial(url: string, options: DialOptions): Promise<PeerSocket>;
}
