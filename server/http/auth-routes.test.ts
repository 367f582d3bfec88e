// The auth routes and the token check of every /v1 route, through the app (no socket).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import type { RateLimit } from '../auth/index.ts';
import { authFixture } from '../auth/testing.ts';
import { createLogger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { createApp } from './app.ts';

async function authApp(options: { rateLimit?: RateLimit; cors?: string[] } = {}) {
  const fixture = await authFixture(options.rateLimit ? { rateLimit: options.rateLimit } : {});
  const app = createApp(fixture.member, {
    limits: DEFAULT_LIMITS,
    logger: createLogger({ level: 'silent', name: 'http' }),
    metrics: new Metrics(),
    auth: fixture.auth,
    ...(options.cors ? { cors: { origins: options.cors } } : {}),
  });
  const call = async (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.request(path, {
      method,
      headers: {
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON bodies
    const json: any = await response.json();
    return { status: response.status, headers: response.headers, json };
  };
  return { ...fixture, app, call };
}

async function enabled(options: Parameters<typeof authApp>[0] = {}) {
  const served = await authApp(options);
  const enable = await served.call('POST', '/v1/auth/enable', undefined, { subject: 'ops' });
  assert.equal(enable.status, 200, JSON.stringify(enable.json));
  const admin: string = enable.json.token;
  assert.equal((await served.call('POST', '/v1/auth/roles', admin, { name: 'reader' })).status, 200);
  const grant = await served.call('POST', '/v1/auth/roles/reader/grant', admin, {
    prefix: 'app/',
    access: 'read',
  });
  assert.equal(grant.status, 200, JSON.stringify(grant.json));
  const created = await served.call('POST', '/v1/auth/tokens', admin, { roles: ['reader'], subject: 'web' });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  return { ...served, admin, reader: created.json.token as string, readerId: created.json.tokenId as string };
}

describe('auth over HTTP', () => {
  test('enable answers with an admin token; then requests without a token get 401 with the reason', async () => {
    const { call, admin } = await enabled();
    const anonymous = await call('GET', '/v1/kv/app%2Fa');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'unauthenticated');
    assert.match(
      anonymous.json.error.message,
      /auth is enabled: send a token \(Authorization: Bearer <token>/,
    );
    assert.equal(anonymous.headers.get('WWW-Authenticate'), 'Bearer realm="vane"');
    const malformed = await call('GET', '/v1/kv/a', undefined, undefined, { Authorization: 'Basic dTpw' });
    assert.equal(malformed.status, 401);
    assert.match(malformed.json.error.message, /must be "Bearer <token>"/);
    assert.equal((await call('PUT', '/v1/kv/app%2Fa', admin, { value: '1' })).status, 200);
    const status = await call('GET', '/v1/auth/status', admin);
    assert.equal(status.json.enabled, true);
    assert.equal(status.json.principal.subject, 'ops');
    assert.deepEqual(status.json.principal.roles, ['admin']);
  });

  test('a read-only token reads its prefix; other reads and every write are 403 naming range and role', async () => {
    const { call, admin, reader } = await enabled();
    await call('PUT', '/v1/kv/app%2Fa', admin, { value: '1' });
    const read = await call('GET', '/v1/kv/app%2Fa', reader);
    assert.equal(read.status, 200);
    assert.equal(read.json.kvs[0].value, '1');
    const wide = await call('POST', '/v1/kv/range', reader, { key: 'app/', rangeEnd: '\0' });
    assert.equal(wide.status, 403);
    assert.equal(wide.json.error.code, 'permissionDenied');
    assert.equal(
      wide.json.error.message,
      "'web' (roles reader) may not read keys from 'app/' on: it may read keys under 'app/'",
    );
    const write = await call('PUT', '/v1/kv/app%2Fa', reader, { value: '2' });
    assert.equal(write.status, 403);
    assert.match(write.json.error.message, /may not write key 'app\/a'/);
    const txn = await call('POST', '/v1/txn', reader, {
      compare: [{ key: 'other', target: 'version', result: 'equal', value: 0 }],
      success: [],
    });
    assert.equal(txn.status, 403);
    assert.match(txn.json.error.message, /may not read key 'other'/);
    assert.equal((await call('GET', '/v1/snapshot', reader)).status, 403);
    assert.equal((await call('POST', '/v1/auth/roles', reader, { name: 'x' })).status, 403);
  });

  test('public routes answer without a token: health, the member list, the status', async () => {
    const { app } = await enabled();
    assert.equal((await app.request('/health')).status, 200);
    assert.equal((await app.request('/v1/cluster/members')).status, 200);
    assert.equal((await app.request('/v1/cluster/status')).status, 200);
    assert.equal((await app.request('/v1/auth/status')).status, 200);
  });

  test('the verification keys are public (a JWKS, with issuer and audience) and verify the tokens issued', async () => {
    const served = await authApp();
    const before = await served.call('GET', '/v1/auth/keys');
    assert.equal(before.status, 200);
    assert.equal(before.json.enabled, false);
    assert.deepEqual(before.json.keys, []);
    const { call, reader } = await enabled();
    const answer = await call('GET', '/v1/auth/keys');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.enabled, true);
    assert.equal(answer.json.issuer, 'vane');
    assert.equal(answer.json.audience, 'test');
    assert.equal(answer.json.keys.length, 1);
    const [key] = answer.json.keys;
    assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.deepEqual([key.kty, key.crv, key.alg, key.use], ['OKP', 'Ed25519', 'EdDSA', 'sig']);
    const { payload, protectedHeader } = await jwtVerify(reader, createLocalJWKSet(answer.json), {
      issuer: answer.json.issuer,
      audience: answer.json.audience,
    });
    assert.equal(protectedHeader.kid, key.kid);
    assert.equal(payload.sub, 'web');
  });

  test('roles are listed with the built-in admin; a revoked token is refused from then on', async () => {
    const { call, admin, reader, readerId } = await enabled();
    const roles = await call('GET', '/v1/auth/roles', admin);
    assert.deepEqual(roles.json.roles, [
      { name: 'admin', builtin: true, permissions: [{ prefix: '', access: 'readwrite' }] },
      { name: 'reader', builtin: false, permissions: [{ prefix: 'app/', access: 'read' }] },
    ]);
    const revoke = await call('POST', '/v1/auth/tokens/revoke', admin, { tokenId: readerId });
    assert.equal(revoke.status, 200);
    assert.equal(revoke.json.tokenId, readerId);
    const after = await call('GET', '/v1/kv/app%2Fa', reader);
    assert.equal(after.status, 401);
    assert.match(after.json.error.message, /was revoked/);
    const badGrant = await call('POST', '/v1/auth/roles/reader/grant', admin, {
      prefix: 'x/',
      access: 'write',
    });
    assert.equal(badGrant.status, 400);
    assert.match(badGrant.json.error.message, /^grant\.access: /);
    const admins = await call('DELETE', '/v1/auth/roles/admin', admin);
    assert.equal(admins.status, 400);
    assert.match(admins.json.error.message, /built-in role/);
    const disable = await call('POST', '/v1/auth/disable', admin);
    assert.equal(disable.status, 200);
    assert.equal((await call('GET', '/v1/kv/app%2Fa')).status, 404, 'no token needed once disabled');
  });

  test('over its rate a token gets 429 with Retry-After and the limit named', async () => {
    const { call, reader } = await enabled({ rateLimit: { perSecond: 1, burst: 3 } });
    for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/v1/kv/app%2Fa', reader)).status, 404);
    const limited = await call('GET', '/v1/kv/app%2Fa', reader);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'rateLimited');
    assert.equal(limited.json.error.details.limit, 'tokenRateLimit');
    assert.equal(limited.headers.get('Retry-After'), '1');
  });

  test('a refusal to a browser still carries the CORS headers, so its script can read the reason', async () => {
    const { call } = await enabled({ cors: ['https://app.example.com'] });
    const refused = await call('GET', '/v1/kv/a', undefined, undefined, {
      Origin: 'https://app.example.com',
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
  });
});
