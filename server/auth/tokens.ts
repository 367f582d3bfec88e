// Tokens are JWTs (RFC 7519) signed with EdDSA (Ed25519) by the member that issued them; the header's
// `kid` names the key, whose public half every member has (auth-state.ts). Claims: `sub` (who),
// `jti` (the id revocation names), `iat`/`exp`, `iss` 'vane', `aud` the cluster id (a token of one
// cluster is refused by another), `roles` and, for browser tokens, `read` (read-only prefixes).
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import { type VaneError, vaneError } from '../../core/errors.ts';
import type { Principal } from './principal.ts';
import { checkPrefix, checkRoleName } from './roles.ts';
import { type SigningKey, TOKEN_ALGORITHM } from './signing-key.ts';

export const TOKEN_ISSUER = 'vane';
/** A token longer than this is refused unread (a real one is well under 1 KiB). */
export const MAX_TOKEN_BYTES = 8 * 1024;
/** Roles, and read-only prefixes, one token may carry. */
export const MAX_TOKEN_GRANTS = 32;
export const MAX_SUBJECT_BYTES = 256;

const claimsSchema = z.object({
  sub: z.string().min(1).max(MAX_SUBJECT_BYTES),
  jti: z.string().min(1).max(64),
  exp: z.number(),
  roles: z.array(z.string()).max(MAX_TOKEN_GRANTS).default([]),
  read: z.array(z.string()).max(MAX_TOKEN_GRANTS).default([]),
});

/** A new token id: 128 random bits, base64url. */
export function newTokenId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

export async function signToken(
  key: SigningKey,
  principal: Principal,
  options: { readonly audience: string; readonly issuedAt: number },
): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (principal.roles.length > 0) claims.roles = [...principal.roles];
  if (principal.readPrefixes.length > 0) claims.read = [...principal.readPrefixes];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(options.audience)
    .setSubject(principal.subject)
    .setJti(principal.tokenId)
    .setIssuedAt(Math.floor(options.issuedAt / 1000))
    .setExpirationTime(Math.floor(principal.expiresAt / 1000))
    .sign(key.privateKey);
}

/** The verification key a kid names, or undefined when the cluster has none by that id. */
export type KeyLookup = (kid: string) => Promise<CryptoKey | undefined>;

function unauthenticated(message: string): VaneError {
  return vaneError('unauthenticated', message);
}

/** The principal a token stands for, or why it is not accepted (revocation is the caller's check). */
export async function verifyToken(
  token: string,
  lookup: KeyLookup,
  options: { readonly audience: string; readonly now: number },
): Promise<Principal | VaneError> {
  if (token.length > MAX_TOKEN_BYTES) {
    return unauthenticated(`the token has ${token.length} characters; tokens are at most ${MAX_TOKEN_BYTES}`);
  }
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    kid = header.kid;
    if (header.alg !== TOKEN_ALGORITHM) {
      return unauthenticated(
        `the token is signed with ${String(header.alg)}; Vane tokens use ${TOKEN_ALGORITHM}`,
      );
    }
  } catch {
    return unauthenticated('the token is not a JWT (expected three base64url parts separated by dots)');
  }
  if (kid === undefined) return unauthenticated('the token has no key id (kid); it was not issued by Vane');
  const key = await lookup(kid);
  if (key === undefined) {
    return unauthenticated(`the token was signed by key '${kid}', which this cluster does not know`);
  }
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: options.audience,
      currentDate: new Date(options.now),
      requiredClaims: ['exp', 'jti', 'sub'],
    }));
  } catch (error) {
    return unauthenticated(joseFailure(error, options.audience));
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    const issue = claims.error.issues[0]!;
    return unauthenticated(`the token's claim ${issue.path.join('.')} is not valid: ${issue.message}`);
  }
  const { sub, jti, exp, roles, read } = claims.data;
  for (const role of roles) {
    if (checkRoleName(role)) return unauthenticated(`the token names an invalid role '${role}'`);
  }
  for (const prefix of read) {
    if (checkPrefix(prefix)) return unauthenticated('the token grants read on an invalid prefix');
  }
  return { subject: sub, tokenId: jti, roles, readPrefixes: read, expiresAt: exp * 1000 };
}

function joseFailure(error: unknown, audience: string): string {
  if (error instanceof joseErrors.JWTExpired) {
    const exp = error.payload.exp;
    const at = typeof exp === 'number' ? ` at ${new Date(exp * 1000).toISOString()}` : '';
    return `the token expired${at}; ask for a new one (vane token create)`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return 'the token signature does not verify: it was altered, or not signed by this cluster';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `the token is for another cluster (this one is '${audience}')`;
    return `the token's ${error.claim} claim is not acceptable: ${error.message}`;
  }
  return `the token could not be read: ${error instanceof Error ? error.message : String(error)}`;
}
