// The auth state as one member sees it: a view of the reserved auth keys in its store, kept current
// by a watch on them. Every member applies the same log, so every member enforces the same roles,
// keys and revocations (each as soon as it has applied the change).
//
//   <AUTH_PREFIX>enabled            '1' while auth is enabled (absent: disabled)
//   <AUTH_PREFIX>key/<kid>          a member's token verification key (public JWK, JSON)
//   <AUTH_PREFIX>role/<name>        a role (JSON, see roles.ts)
//   <AUTH_PREFIX>revoked/<tokenId>  a revoked token, kept until it would have expired anyway (JSON)
import * as z from 'zod';
import type { KeyValue } from '../../core/store/index.ts';
import { AUTH_PREFIX } from './reserved.ts';
import { decodeRole, encodeRole, type Role } from './roles.ts';

export const AUTH_KEYS = {
  enabled: `${AUTH_PREFIX}enabled`,
  keyPrefix: `${AUTH_PREFIX}key/`,
  rolePrefix: `${AUTH_PREFIX}role/`,
  revokedPrefix: `${AUTH_PREFIX}revoked/`,
  key: (kid: string) => `${AUTH_PREFIX}key/${kid}`,
  role: (name: string) => `${AUTH_PREFIX}role/${name}`,
  revoked: (tokenId: string) => `${AUTH_PREFIX}revoked/${tokenId}`,
} as const;

/** An Ed25519 public key as a JWK (RFC 8037). */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

const publicJwkSchema = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() });
const revokedSchema = z.object({ expiresAt: z.number() });

/** A decoded stored value went wrong: the caller logs it (a bug or a hand-edited store). */
export type AuthStateProblem = { readonly key: string; readonly reason: string };

export class AuthState {
  enabled = false;
  readonly keys = new Map<string, PublicJwk>();
  readonly roles = new Map<string, Role>();
  /** Token id → until when (ms since the epoch) its revocation matters. */
  readonly revoked = new Map<string, number>();
  /** The store revision this view reflects. */
  revision = 0;

  /** Applies one key's new value (or its deletion); a value that cannot be read is reported and left out. */
  apply(key: string, value: Uint8Array | null): AuthStateProblem | undefined {
    const text = value === null ? null : new TextDecoder().decode(value);
    if (key === AUTH_KEYS.enabled) {
      this.enabled = text !== null;
      return undefined;
    }
    if (key.startsWith(AUTH_KEYS.keyPrefix)) {
      const kid = key.slice(AUTH_KEYS.keyPrefix.length);
      return this.#set(this.keys, kid, text, key, (t) => publicJwkSchema.safeParse(JSON.parse(t)).data);
    }
    if (key.startsWith(AUTH_KEYS.rolePrefix)) {
      const name = key.slice(AUTH_KEYS.rolePrefix.length);
      return this.#set(this.roles, name, text, key, decodeRole);
    }
    if (key.startsWith(AUTH_KEYS.revokedPrefix)) {
      const tokenId = key.slice(AUTH_KEYS.revokedPrefix.length);
      return this.#set(
        this.revoked,
        tokenId,
        text,
        key,
        (t) => revokedSchema.safeParse(JSON.parse(t)).data?.expiresAt,
      );
    }
    return { key, reason: 'not an auth key this version knows' };
  }

  applyAll(kvs: readonly KeyValue[]): AuthStateProblem[] {
    const problems: AuthStateProblem[] = [];
    for (const kv of kvs) {
      const problem = this.apply(kv.key, kv.value);
      if (problem) problems.push(problem);
    }
    return problems;
  }

  #set<T>(
    map: Map<string, T>,
    name: string,
    text: string | null,
    key: string,
    decode: (text: string) => T | undefined,
  ): AuthStateProblem | undefined {
    if (text === null) {
      map.delete(name);
      return undefined;
    }
    let decoded: T | undefined;
    try {
      decoded = decode(text);
    } catch {
      decoded = undefined;
    }
    if (decoded === undefined) {
      map.delete(name);
      return { key, reason: `stored value is not readable: ${text.slice(0, 100)}` };
    }
    map.set(name, decoded);
    return undefined;
  }
}

const utf8 = new TextEncoder();

export function encodeRoleValue(role: Role): Uint8Array {
  return utf8.encode(encodeRole(role));
}

export function encodePublicJwk(jwk: PublicJwk): Uint8Array {
  return utf8.encode(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }));
}

export function encodeRevoked(expiresAt: number): Uint8Array {
  return utf8.encode(JSON.stringify({ expiresAt }));
}

export const ENABLED_VALUE = utf8.encode('1');
