// Where a request carries its token: `Authorization: Bearer <token>` on HTTP. A WebSocket upgrade
// may use that header too, but browsers cannot set headers on one, so it may instead offer the
// subprotocol `vane.token.<token>` (preferred: it stays out of URLs and access logs) or pass the
// query parameter `?token=<token>`.
import { type VaneError, vaneError } from '../../core/errors.ts';

export const TOKEN_SUBPROTOCOL_PREFIX = 'vane.token.';
export const TOKEN_QUERY_PARAMETER = 'token';

/** The token of an Authorization header; undefined without one; an error for another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined | VaneError {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (match === null) {
    return vaneError(
      'unauthenticated',
      'the Authorization header must be "Bearer <token>" (a token from `vane token create`)',
    );
  }
  return match[1]!;
}

/** What an upgrade request shows of itself. */
export interface UpgradeRequest {
  readonly url: URL;
  header(name: string): string | undefined;
}

/** The token of a WebSocket upgrade: Authorization header, then subprotocol, then query parameter. */
export function upgradeToken(request: UpgradeRequest): string | undefined | VaneError {
  const fromHeader = bearerToken(request.header('authorization'));
  if (fromHeader !== undefined) return fromHeader;
  for (const protocol of offeredSubprotocols(request)) {
    if (protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) {
      const token = protocol.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
      if (token !== '') return token;
    }
  }
  const fromQuery = request.url.searchParams.get(TOKEN_QUERY_PARAMETER);
  return fromQuery === null || fromQuery === '' ? undefined : fromQuery;
}

export function offeredSubprotocols(request: UpgradeRequest): string[] {
  return (request.header('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/**
 * The subprotocol to answer with: a browser fails the connection unless the server picks one of
 * those it offered. Another protocol it offered wins over the token one (no need to echo a token).
 */
export function chooseSubprotocol(offered: readonly string[]): string | undefined {
  return offered.find((p) => !p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) ?? offered[0];
}
