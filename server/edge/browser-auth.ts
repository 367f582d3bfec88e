// Browser credentials at the edge, in one place. A browser presents a read token the way it does to
// a member: `Authorization: Bearer <token>` on HTTP; on a WebSocket upgrade, where browsers cannot
// set headers, the subprotocol `vane.token.<token>` or the query parameter `?token=<token>`.
//
// authorizeBrowserRead is the single verification hook, called before any read or watch reaches an
// object. This edge admits every browser to every prefix it serves: the cluster's read tokens are
// verified by its members, and this hook is where the edge verifies them too (against the members'
// published verification keys, with the token's prefixes checked against `prefix`), so that no
// other code changes when it does. It is async so that a verifier may fetch keys.
import { type VaneError, vaneError } from '../../core/errors.ts';

export const TOKEN_SUBPROTOCOL_PREFIX = 'vane.token.';
export const TOKEN_QUERY_PARAMETER = 'token';

/** What a browser asks to read, and the token it showed (undefined: none). */
export interface BrowserReadRequest {
  readonly token: string | undefined;
  readonly prefix: string;
}

/** undefined: allowed. An error (unauthenticated or permissionDenied) refuses the read or watch. */
export async function authorizeBrowserRead(_request: BrowserReadRequest): Promise<VaneError | undefined> {
  return undefined;
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
