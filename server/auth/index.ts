// server/auth: who may do what. Tokens (EdDSA JWTs) name a subject and roles; roles grant read or
// readwrite on key prefixes; the state (roles, verification keys, revoked tokens, the enabled flag)
// is replicated in reserved keys of the store. AuthService.authorize(principal) wraps the member in
// the checks every request and watch goes through.
export { AuditLog, type AuthAction } from './audit.ts';
export {
  type AuthClock,
  AuthService,
  type AuthServiceOptions,
  DEFAULT_READ_TOKEN_TTL_SECONDS,
  DEFAULT_TOKEN_TTL_SECONDS,
  type IssuedToken,
  MAX_READ_TOKEN_TTL_SECONDS,
  MAX_REVOKED_TOKENS,
  MAX_TOKEN_TTL_SECONDS,
  systemAuthClock,
  type TokenRequest,
  type TokenVerification,
} from './auth-service.ts';
export {
  bearerToken,
  chooseSubprotocol,
  offeredSubprotocols,
  TOKEN_QUERY_PARAMETER,
  TOKEN_SUBPROTOCOL_PREFIX,
  type UpgradeRequest,
  upgradeToken,
} from './credentials.ts';
export { describePrincipal, type Principal } from './principal.ts';
export { MAX_TRACKED_TOKENS, type RateLimit, TokenRateLimiter } from './rate-limiter.ts';
export { AUTH_PREFIX, clipSelector, isReservedKey, RESERVED_KEYS_START } from './reserved.ts';
export {
  type Access,
  ADMIN_ROLE,
  MAX_PERMISSIONS_PER_ROLE,
  MAX_ROLES,
  type Permission,
  type Role,
} from './roles.ts';
export { loadSigningKey, SIGNING_KEY_FILE, type SigningKey } from './signing-key.ts';
export * from './wire.ts';
