// The peer transport between Vane members, runtime-neutral: a runtime supplies a PeerNetwork
// (Node: server/adapters/node/peer-socket.ts).
export type { BackoffOptions } from './backoff.ts';
export { DEFAULT_BACKOFF } from './backoff.ts';
export { MIN_SECRET_BYTES } from './peer-auth.ts';
export type {
  DialOptions,
  PeerListener,
  PeerNetwork,
  PeerNetworkOptions,
  PeerSocket,
} from './peer-network.ts';
export { PEER_CLOSE, PEER_PATH } from './peer-network.ts';
export { PeerSocketEvents } from './socket-events.ts';
export type {
  PeerStats,
  PeerTransportOptions,
  TransportError,
  TransportErrorCode,
  TransportLimits,
  TransportStats,
  TransportTimings,
} from './transport.ts';
export { DEFAULT_TRANSPORT_LIMITS, DEFAULT_TRANSPORT_TIMINGS, PeerTransport } from './transport.ts';
