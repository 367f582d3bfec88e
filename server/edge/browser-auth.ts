// Browser credentials at the edge, in one place. A browser presents a read token the way it does to
// a member: `Authorization: Bearer <token>` on HTTP; on a WebSocket upgrade, where browsers cannot
// set headers, the subprotocol `vane.token.<token>` or the query parameter `?token=<token>`.
//
// authorizeBrowserRead is the single verification hook, called before any read or watch reaches an
// object. While the cluster has auth enabled it verifies the browser's token against the members'
// published verification keys (cluster-keys.ts), and admits it only to prefixes the token's `read`
// claim covers. Only browser tokens (those with `read`) are accepted: the edge cannot see the
// cluster's roles, so it cannot tell what a role token may read.
//
// Revocation is not visible to the edge: a revoked token that has not expired still reads here.
// Browser tokens must therefore stay short-lived (`vane token create` caps them at 24 h; minutes are
// better), and a leaked one is contained by waiting out its expiry.
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import type { ClusterKeys, ClusterKeysView } from './cluster-keys.ts';

/** A token longer than this is refused unread (as the members do). */
export const MAX_BROWSER_TOKEN_CHARS = 8 * 1024;
const TOKEN_ALGORITHM = 'EdDSA';

export const TOKEN_SUBPROTOCOL_PREFIX = 'vane.token.';
export const TOKEN_QUERY_PARAMETER = 'token';

/** What a browser asks to read, and the token it showed (undefined: none). */
export interface BrowserReadRequest {
  readonly token: string | undefined;
  readonly prefix: string;
}

/** undefined: allowed. An error (unauthenticated or permissionDenied) refuses the read or watch. */
export async function authorizeBrowserRead(
  request: BrowserReadRequest,
  clusterKeys: ClusterKeys,
): Promise<VaneError | undefined> {
  const view = await clusterKeys.current();
  if (isVaneError(view)) return view;
  if (!view.enabled) return undefined;
  const { token, prefix } = request;
  if (token === undefined) {
    return vaneError(
      'unauthenticated',
      `auth is enabled: send a read token for '${prefix}' (vane token create --read-prefix ${prefix}) as Authorization: Bearer <token>, ?token= or the vane.token.<token> subprotocol`,
    );
  }
  const verified = await verifiedReadPrefixes(token, view, clusterKeys);
  if (!Array.isArray(verified)) return verified;
  if (verified.length === 0) {
    return vaneError(
      'permissionDenied',
      'the edge accepts only browser read tokens (vane token create --read-prefix P); a token with roles is for the cluster itself, whose roles the edge cannot see',
    );
  }
  if (!verified.some((granted) => prefix.startsWith(granted))) {
    return vaneError(
      'permissionDenied',
      `the token grants read on ${verified.map((p) => `'${p}'`).join(', ')}, which does not cover the prefix '${prefix}'`,
      { prefix },
    );
  }
  return undefined;
}

/** The token's `read` prefixes ([] for a token without them), or why it is not accepted. */
async function verifiedReadPrefixes(
  token: string,
  view: ClusterKeysView,
  clusterKeys: ClusterKeys,
): Promise<string[] | VaneError> {
  const refused = (message: string): VaneError => vaneError('unauthenticated', message);
  if (token.length > MAX_BROWSER_TOKEN_CHARS) {
    return refused(`the token has ${token.length} characters; tokens are at most ${MAX_BROWSER_TOKEN_CHARS}`);
  }
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== TOKEN_ALGORITHM) {
      return refused(`the token is signed with ${String(header.alg)}; Vane tokens use ${TOKEN_ALGORITHM}`);
    }
    kid = header.kid;
  } catch {
    return refused('the token is not a JWT (expected three base64url parts separated by dots)');
  }
  if (kid === undefined) return refused('the token has no key id (kid); it was not issued by Vane');
  let keys = view;
  if (!keys.keys.has(kid)) {
    const refetched = await clusterKeys.afterUnknownKid(view);
    if (isVaneError(refetched)) return refetched;
    keys = refetched;
  }
  const key = keys.keys.get(kid);
  if (key === undefined)
    return refused(`the token was signed by key '${kid}', which this cluster does not know`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: keys.issuer,
      audience: keys.audience,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    return refused(joseFailure(error, keys.audience));
  }
  const read = payload.read;
  if (read === undefined) return [];
  if (!Array.isArray(read) || !read.every((p): p is string => typeof p === 'string')) {
    return refused("the token's read claim is not a list of prefixes");
  }
  return read;
}

function joseFailure(error: unknown, audience: string): string {
  if (error instanceof joseErrors.JWTExpired)
    return 'the token expired; ask for a new one (vane token create)';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return 'the token signature does not verify: it was altered, or not signed by this cluster';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the token is for another cluster (this one is '${audience}')`;
    return `the token's ${error.claim} claim is not acceptable: ${error.message}`;
  }
  return `the token could not be read: ${error instanceof Error ? error.message : String(error)}`;
}

/** The token a request carries: Authorization header, then subprotocol, then query parameter. */
export function browserToken(request: Request): string | undefined | VaneError {
  const authorization = request.headers.get('authorization');
  if (authorization !== null && authorization.trim() !== '') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match === null)
      return vaneError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    return match[1]!;
  }
  for (const protocol of offeredSubprotocols(request)) {
    if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX) && protocol.length > TOKEN_SUBPROTOCOL_PREFIX.length) {
      return protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    }
  }
  const fromQuery = new URL(request.url).searchParams.get(TOKEN_QUERY_PARAMETER);
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}

export function offeredSubprotocols(request: Request): string[] {
  return (request.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * The subprotocol the 101 answer names: a browser fails the connection unless it is one it offered.
 * Another protocol it offered wins over the token one (no need to echo a token).
 */
export function chooseSubprotocol(offered: readonly string[]): string | undefined {
  return offered.find((p) => !p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) ?? offered[0];
}
