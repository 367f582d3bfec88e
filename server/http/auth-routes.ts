// Auth: GET /v1/auth/status and /v1/auth/keys (the token verification keys); POST /v1/auth/enable, /v1/auth/disable; GET/POST /v1/auth/roles,
// DELETE /v1/auth/roles/{name}, POST /v1/auth/roles/{name}/grant and /revoke; POST /v1/auth/tokens
// and /v1/auth/tokens/revoke. Everything but status, keys and (while auth is off) enable needs the admin
// role; the checks are AuthService's.
import type { Context, Hono } from 'hono';
import { isVaneError, type VaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import { isDecodeError, parseJsonBody } from '../../core/protocol/index.ts';
import {
  ADMIN_ROLE,
  type AuthChangeJson,
  type AuthKeysJson,
  type AuthService,
  type AuthStatusJson,
  addRoleRequestSchema,
  createTokenRequestSchema,
  decodeAuthJson,
  enableRequestSchema,
  grantRequestSchema,
  type IssuedToken,
  type IssuedTokenJson,
  type Principal,
  type RevokedTokenJson,
  type RoleListJson,
  revokeGrantRequestSchema,
  revokeTokenRequestSchema,
} from '../auth/index.ts';
import type { MemberApi } from '../member/index.ts';
import { readBoundedBody } from './body.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { replyJson } from './reply.ts';

export function registerAuthRoutes(
  app: Hono<AppEnv>,
  member: MemberApi,
  auth: AuthService,
  limits: Limits,
): void {
  const fail = (c: Context, error: VaneError): Response => errorResponse(c, error, member.header());
  const changed = (c: Context, revision: number | VaneError): Response => {
    if (isVaneError(revision)) return fail(c, revision);
    const body: AuthChangeJson = { header: member.header(), revision };
    return replyJson(c, body);
  };
  const issued = (c: Context, result: IssuedToken | VaneError): Response => {
    if (isVaneError(result)) return fail(c, result);
    const body: IssuedTokenJson = {
      header: member.header(),
      token: result.token,
      ...principalJson(result.principal),
    };
    return replyJson(c, body);
  };
  /** The body decoded with `schema`; an empty body counts as `{}` where every field is optional. */
  async function body<T>(
    c: Context,
    schema: Parameters<typeof decodeAuthJson<T>>[0],
    what: string,
    emptyIsObject = false,
  ): Promise<T | VaneError> {
    const bytes = await readBoundedBody(c.req.raw, limits.maxRequestBytes);
    if (isVaneError(bytes)) return bytes;
    if (bytes.length === 0 && emptyIsObject) return decodeAuthJson(schema, {}, what);
    const json = parseJsonBody(bytes, limits);
    if (isDecodeError(json)) return json;
    return decodeAuthJson(schema, json.value, what);
  }

  app.get('/v1/auth/status', (c) => {
    const principal = c.var.principal;
    const body: AuthStatusJson = {
      header: member.header(),
      ...auth.summary(),
      principal: principal === null ? null : principalJson(principal),
    };
    return replyJson(c, body);
  });

  // Public, like status: the keys are public halves, and the edge fetches them to verify tokens.
  app.get('/v1/auth/keys', (c) => {
    const verification = auth.tokenVerification();
    const body: AuthKeysJson = {
      header: member.header(),
      enabled: verification.enabled,
      issuer: verification.issuer,
      audience: verification.audience,
      keys: verification.keys.map((key) => ({ ...key, alg: 'EdDSA', use: 'sig' })),
    };
    return replyJson(c, body);
  });

  app.post('/v1/auth/enable', async (c) => {
    const request = await body(c, enableRequestSchema, 'enable', true);
    if (isVaneError(request)) return fail(c, request);
    return issued(c, await auth.enable(c.var.principal, request));
  });

  app.post('/v1/auth/disable', async (c) => changed(c, await auth.disable(c.var.principal)));

  app.get('/v1/auth/roles', (c) => {
    const roles = auth.listRoles(c.var.principal);
    if (isVaneError(roles)) return fail(c, roles);
    const body: RoleListJson = {
      header: member.header(),
      roles: [
        { name: ADMIN_ROLE, builtin: true, permissions: [{ prefix: '', access: 'readwrite' }] },
        ...roles.map((role) => ({ name: role.name, builtin: false, permissions: [...role.permissions] })),
      ],
    };
    return replyJson(c, body);
  });

  app.post('/v1/auth/roles', async (c) => {
    const request = await body(c, addRoleRequestSchema, 'addRole');
    if (isVaneError(request)) return fail(c, request);
    return changed(c, await auth.addRole(c.var.principal, request.name));
  });

  app.delete('/v1/auth/roles/:name', async (c) =>
    changed(c, await auth.deleteRole(c.var.principal, c.req.param('name'))),
  );

  app.post('/v1/auth/roles/:name/grant', async (c) => {
    const request = await body(c, grantRequestSchema, 'grant');
    if (isVaneError(request)) return fail(c, request);
    return changed(c, await auth.grant(c.var.principal, c.req.param('name'), request));
  });

  app.post('/v1/auth/roles/:name/revoke', async (c) => {
    const request = await body(c, revokeGrantRequestSchema, 'revoke');
    if (isVaneError(request)) return fail(c, request);
    return changed(c, await auth.revoke(c.var.principal, c.req.param('name'), request.prefix));
  });

  app.post('/v1/auth/tokens', async (c) => {
    const request = await body(c, createTokenRequestSchema, 'createToken');
    if (isVaneError(request)) return fail(c, request);
    return issued(c, await auth.createToken(c.var.principal, request));
  });

  app.post('/v1/auth/tokens/revoke', async (c) => {
    const request = await body(c, revokeTokenRequestSchema, 'revokeToken');
    if (isVaneError(request)) return fail(c, request);
    const result = await auth.revokeToken(c.var.principal, request);
    if (isVaneError(result)) return fail(c, result);
    const revoked: RevokedTokenJson = {
      header: member.header(),
      revision: result.revision,
      tokenId: result.tokenId,
    };
    return replyJson(c, revoked);
  });
}

function principalJson(principal: Principal): Omit<IssuedTokenJson, 'header' | 'token'> {
  return {
    tokenId: principal.tokenId,
    subject: principal.subject,
    roles: [...principal.roles],
    readPrefixes: [...principal.readPrefixes],
    expiresAt: new Date(principal.expiresAt).toISOString(),
  };
}
