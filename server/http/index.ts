// server/http: the client-facing API of a member — the hono app (/v1 routes, /health, /metrics,
// /v1/openapi.json) and the watch WebSocket session. Runtime-neutral; adapters serve them.
export { allowedOrigins, type OriginPolicy } from './allowed-origins.ts';
export { type AppOptions, type CorsOptions, createApp } from './app.ts';
export type { MemberStatusEntry } from './cluster-routes.ts';
export {
  ConnectionLimiter,
  DEFAULT_MAX_CLIENT_CONNECTIONS,
  tooManyConnectionsReply,
} from './connection-limits.ts';
export { type HttpErrorCode, httpStatusOf, RETRY_AFTER_SECONDS } from './errors.ts';
export { MEMBER_HEADER, REVISION_HEADER } from './reply.ts';
export { IDEMPOTENCY_KEY_HEADER } from './request.ts';
export { CLOSE_REFUSED_BASE, refuseWatchSocket } from './watch-admission.ts';
export {
  CLOSE_CLIENT_TOO_SLOW,
  type ClientSocket,
  DEFAULT_WATCH_SESSION_LIMITS,
  type SessionTimers,
  systemTimers,
  WATCH_PATH,
  WatchSession,
  type WatchSessionLimits,
  type WatchSessionOptions,
  type WatchSocketListener,
} from './watch-session.ts';
