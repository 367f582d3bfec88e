// Who a request comes from, as its token says. Requests without a token (or any request while auth
// is disabled) have no principal: `null` stands for "anonymous".
export interface Principal {
  /** The token's subject (`sub`): who it was issued to. */
  readonly subject: string;
  /** The token's id (`jti`): what revocation names. */
  readonly tokenId: string;
  /** Roles whose permissions the token carries; they are looked up at each request. */
  readonly roles: readonly string[];
  /** Read-only grants carried in the token itself (browser tokens): key prefixes. */
  readonly readPrefixes: readonly string[];
  /** When the token stops being accepted, in milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** How a principal is named in messages and audit lines. */
export function describePrincipal(principal: Principal | null): string {
  if (principal === null) return 'an anonymous client';
  const grants = [
    ...(principal.roles.length > 0 ? [`roles ${principal.roles.join(', ')}`] : []),
    ...(principal.readPrefixes.length > 0
      ? [`read-only on ${principal.readPrefixes.map((p) => `'${p}'`).join(', ')}`]
      : []),
  ];
  return `'${principal.subject}' (${grants.join('; ') || 'no grants'})`;
}
