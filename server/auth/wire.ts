// The JSON of the auth routes (/v1/auth/...), shared by the routes and the CLI. Until core/protocol
// has them (with their OpenAPI entries), they live beside the auth code that serves them.
import * as z from 'zod';
import { type VaneError, vaneError } from '../../core/errors.ts';

const ttlSeconds = z.number().int().positive();
const access = z.enum(['read', 'readwrite']);

export const enableRequestSchema = z.strictObject({
  /** The subject of the admin token the answer carries (default 'root'). */
  subject: z.string().min(1).optional(),
  ttlSeconds: ttlSeconds.optional(),
});
export type EnableRequest = z.infer<typeof enableRequestSchema>;

export const addRoleRequestSchema = z.strictObject({ name: z.string() });
export const grantRequestSchema = z.strictObject({ prefix: z.string(), access });
export const revokeGrantRequestSchema = z.strictObject({ prefix: z.string() });

export const createTokenRequestSchema = z.strictObject({
  roles: z.array(z.string()).optional(),
  /** Read-only prefixes carried in the token itself (browser tokens). */
  readPrefixes: z.array(z.string()).optional(),
  ttlSeconds: ttlSeconds.optional(),
  subject: z.string().min(1).optional(),
});
export type CreateTokenRequest = z.infer<typeof createTokenRequestSchema>;

/** Either the token's id (jti) or the token itself (which also says until when to remember it). */
export const revokeTokenRequestSchema = z.union([
  z.strictObject({ tokenId: z.string().min(1) }),
  z.strictObject({ token: z.string().min(1) }),
]);
export type RevokeTokenRequest = z.infer<typeof revokeTokenRequestSchema>;

const headerSchema = z.object({ revision: z.number(), member: z.string(), raftTerm: z.number() });

export const issuedTokenSchema = z.object({
  header: headerSchema,
  token: z.string(),
  tokenId: z.string(),
  subject: z.string(),
  roles: z.array(z.string()),
  readPrefixes: z.array(z.string()),
  /** ISO 8601. */
  expiresAt: z.string(),
});
export type IssuedTokenJson = z.infer<typeof issuedTokenSchema>;

const principalSchema = z.object({
  subject: z.string(),
  tokenId: z.string(),
  roles: z.array(z.string()),
  readPrefixes: z.array(z.string()),
  expiresAt: z.string(),
});

export const authStatusSchema = z.object({
  header: headerSchema,
  enabled: z.boolean(),
  /** Who the caller's token says it is; null without a token (or while auth is disabled). */
  principal: principalSchema.nullable(),
  roles: z.number(),
  verificationKeys: z.number(),
  revokedTokens: z.number(),
});
export type AuthStatusJson = z.infer<typeof authStatusSchema>;

/**
 * GET /v1/auth/keys (public): the members' token verification keys as a JWKS (RFC 7517), with the
 * issuer and audience tokens carry, so that a verifier outside the cluster (the edge) checks tokens.
 */
export const authKeysSchema = z.object({
  header: headerSchema,
  enabled: z.boolean(),
  issuer: z.string(),
  audience: z.string(),
  keys: z.array(
    z.object({
      kid: z.string(),
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: z.string(),
      alg: z.literal('EdDSA'),
      use: z.literal('sig'),
    }),
  ),
});
export type AuthKeysJson = z.infer<typeof authKeysSchema>;

export const roleListSchema = z.object({
  header: headerSchema,
  roles: z.array(
    z.object({
      name: z.string(),
      builtin: z.boolean(),
      permissions: z.array(z.object({ prefix: z.string(), access })),
    }),
  ),
});
export type RoleListJson = z.infer<typeof roleListSchema>;

/** An auth change's answer: the revision it took effect at. */
export const authChangeSchema = z.object({ header: headerSchema, revision: z.number() });
export type AuthChangeJson = z.infer<typeof authChangeSchema>;

export const revokedTokenSchema = authChangeSchema.extend({ tokenId: z.string() });
export type RevokedTokenJson = z.infer<typeof revokedTokenSchema>;

/** Decodes a request body with `schema`, naming the first problem. */
export function decodeAuthJson<T>(schema: z.ZodType<T>, json: unknown, what: string): T | VaneError {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? `${what}.${issue.path.join('.')}` : what;
  return vaneError('invalidRequest', `${where}: ${issue.message}`);
}
