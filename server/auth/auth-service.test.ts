// AuthService over an in-process store: what a client notices when auth is off, turned on, and
// changed under its feet (roles revoked, tokens revoked or expired), and what the audit log says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isVaneError, type VaneError } from '../../core/errors.ts';
import type { Command, RangeResponse, WatchResponse } from '../../core/store/index.ts';
import { createLogger } from '../log.ts';
import type { WatchHandle } from '../member/index.ts';
import { AuthService } from './auth-service.ts';
import type { Principal } from './principal.ts';
import { AUTH_PREFIX } from './reserved.ts';
import { authFixture, newSigningKey, settle } from './testing.ts';

const utf8 = new TextEncoder();
const put = (key: string, value = 'v'): Command => ({
  op: 'put',
  request: { key, value: utf8.encode(value) },
});
const everyKey = { key: '\0', rangeEnd: '\0' };

function ok<T>(value: T | VaneError): T {
  if (isVaneError(value)) assert.fail(`unexpected ${value.code}: ${value.message}`);
  return value;
}

function refused(value: unknown, code: string, message?: RegExp): VaneError {
  assert.ok(isVaneError(value), `expected ${code}, got ${JSON.stringify(value)}`);
  assert.equal(value.code, code, value.message);
  if (message) assert.match(value.message, message);
  return value;
}

function keys(response: RangeResponse | VaneError): string[] {
  return ok(response).kvs.map((kv) => kv.key);
}

/** Auth enabled, a role 'reader' with read on app/, and an admin principal. */
async function enabledFixture(options: Parameters<typeof authFixture>[0] = {}) {
  const fixture = await authFixture(options);
  const { auth } = fixture;
  const issued = ok(await auth.enable(null, {}));
  const admin = ok(await auth.authenticate(issued.token)) as Principal;
  ok(await auth.addRole(admin, 'reader'));
  ok(await auth.grant(admin, 'reader', { prefix: 'app/', access: 'read' }));
  const readerToken = ok(await auth.createToken(admin, { roles: ['reader'], subject: 'web' })).token;
  const reader = ok(await auth.authenticate(readerToken)) as Principal;
  return { ...fixture, admin, adminToken: issued.token, reader, readerToken };
}

function takeAll(handle: WatchHandle): WatchResponse[] {
  return handle.take(100);
}

describe('auth disabled', () => {
  test('clients may do everything, but never see or touch the reserved keys', async () => {
    const { auth } = await authFixture();
    ok(await auth.addRole(null, 'ops'));
    const api = auth.authorize(null);
    ok(await api.write(put('a')));
    assert.deepEqual(keys(await api.range(everyKey)), ['a']);
    refused(await api.write(put(`${AUTH_PREFIX}role/ops`, 'x')), 'permissionDenied', /reserved/);
    refused(await api.range({ key: `${AUTH_PREFIX}enabled` }), 'permissionDenied', /reserved/);
    const deleted = ok(await api.write({ op: 'deleteRange', request: everyKey }));
    assert.equal((deleted as { deleted: number }).deleted, 1);
    assert.equal(auth.state.roles.has('ops'), true, 'a delete of every key left the auth state alone');
  });

  test("a watch of every key does not see auth changes; the leader's checkpoint command is refused", async () => {
    const { auth } = await authFixture();
    const api = auth.authorize(null);
    const watch = ok(api.watch(everyKey, () => {}));
    ok(await auth.addRole(null, 'ops'));
    ok(await api.write(put('b')));
    const events = takeAll(watch).flatMap((r) => r.events.map((e) => e.kv.key));
    assert.deepEqual(events, ['b']);
    refused(await api.write({ op: 'leaseCheckpoint', checkpoints: [] }), 'invalidRequest', /leader's own/);
  });
});

describe('auth enabled', () => {
  test('enable answers with an admin token; requests without one are refused as unauthenticated', async () => {
    const { auth, adminToken, admin } = await enabledFixture();
    assert.equal(auth.enabled, true);
    assert.deepEqual(admin.roles, ['admin']);
    assert.equal(admin.subject, 'root');
    refused(await auth.authorize(null).range({ key: 'a' }), 'unauthenticated', /send a token/);
    ok(await auth.authorize(admin).write(put('secret/x')));
    refused(await auth.enable(null, {}), 'invalidRequest', /already enabled/);
    refused(await auth.authenticate(`${adminToken}x`), 'unauthenticated', /signature/);
    refused(await auth.authenticate('not-a-jwt'), 'unauthenticated', /not a JWT/);
  });

  test('a read role reads its prefix; a range past it, writes and foreign compares are refused naming range and role', async () => {
    const { auth, admin, reader } = await enabledFixture();
    ok(await auth.authorize(admin).write(put('app/a', '1')));
    ok(await auth.authorize(admin).write(put('billing/b', '2')));
    const api = auth.authorize(reader);
    assert.deepEqual(keys(await api.range({ key: 'app/', rangeEnd: 'app0' })), ['app/a']);
    assert.deepEqual(keys(await api.range({ key: 'app/a' })), ['app/a']);
    refused(
      await api.range(everyKey),
      'permissionDenied',
      /^'web' \(roles reader\) may not read every key: it may read keys under 'app\/'$/,
    );
    refused(await api.range({ key: 'app/', rangeEnd: 'b' }), 'permissionDenied', /keys \['app\/', 'b'\)/);
    refused(
      await api.write(put('app/a')),
      'permissionDenied',
      /may not write key 'app\/a': it may write no keys/,
    );
    const txn = (compareKey: string, putKey: string): Command => ({
      op: 'txn',
      request: {
        compare: [{ key: compareKey, target: 'version', result: 'greater', value: 0 }],
        success: [],
        failure: [{ put: { key: putKey, value: utf8.encode('x') } }],
      },
    });
    refused(await api.write(txn('billing/b', 'app/z')), 'permissionDenied', /may not read key 'billing\/b'/);
    refused(await api.write(txn('app/a', 'app/z')), 'permissionDenied', /may not write key 'app\/z'/);
    refused(
      await api.watch({ key: 'billing/', rangeEnd: 'billing0' }, () => {}),
      'permissionDenied',
      /prefix 'billing\/'/,
    );
  });

  test('readwrite writes; prevKv needs read too; compact, snapshot and membership need admin', async () => {
    const { auth, admin } = await enabledFixture();
    ok(await auth.addRole(admin, 'writer'));
    ok(await auth.grant(admin, 'writer', { prefix: 'app/', access: 'readwrite' }));
    ok(await auth.addRole(admin, 'blind'));
    ok(await auth.grant(admin, 'blind', { prefix: 'drop/', access: 'readwrite' }));
    ok(await auth.revoke(admin, 'blind', 'drop/'));
    const writer = ok(
      await auth.authenticate(ok(await auth.createToken(admin, { roles: ['writer'] })).token),
    );
    const api = auth.authorize(writer as Principal);
    ok(await api.write(put('app/x')));
    ok(await api.write({ op: 'deleteRange', request: { key: 'app/', rangeEnd: 'app0', prevKv: true } }));
    refused(
      await api.write({ op: 'compact', request: { revision: 1 } }),
      'permissionDenied',
      /compacting.*needs the admin role/,
    );
    refused(await api.snapshot(), 'permissionDenied', /admin role/);
    refused(await api.addMember('m9', 'ws://x:1', { learner: true }), 'permissionDenied', /adding a member/);
    ok(await auth.authorize(admin).snapshot());
  });

  test('revoking a lease needs write on every key attached to it', async () => {
    const { auth, admin, reader } = await enabledFixture();
    const adminApi = auth.authorize(admin);
    ok(await adminApi.write({ op: 'leaseGrant', request: { ttl: 60, id: 5 } }));
    ok(
      await adminApi.write({
        op: 'put',
        request: { key: 'billing/lock', value: utf8.encode('1'), lease: 5 },
      }),
    );
    const api = auth.authorize(reader);
    refused(
      await api.write({ op: 'leaseRevoke', request: { id: 5 } }),
      'permissionDenied',
      /write key 'billing\/lock'/,
    );
    refused(await api.leaseTimeToLive({ id: 5, keys: true }), 'permissionDenied', /read key 'billing\/lock'/);
    ok(await api.leaseTimeToLive({ id: 5 }));
    ok(await adminApi.write({ op: 'leaseRevoke', request: { id: 5 } }));
  });

  test('a browser token reads its prefix only, and may not live longer than 24 h', async () => {
    const { auth, admin } = await enabledFixture();
    const issued = ok(await auth.createToken(admin, { readPrefixes: ['app/flags/'] }));
    assert.equal(issued.principal.subject, 'read:app/flags/');
    assert.equal(issued.principal.expiresAt - Date.UTC(2030, 0, 1), 15 * 60 * 1000, 'default 15 minutes');
    const browser = ok(await auth.authenticate(issued.token)) as Principal;
    ok(await auth.authorize(browser).range({ key: 'app/flags/', rangeEnd: 'app/flags0' }));
    refused(
      await auth.authorize(browser).write(put('app/flags/x')),
      'permissionDenied',
      /read-only on 'app\/flags\/'/,
    );
    refused(
      await auth.createToken(admin, { readPrefixes: ['app/'], ttlSeconds: 25 * 3600 }),
      'invalidRequest',
      /longest this kind of token may live/,
    );
    refused(
      await auth.createToken(admin, { roles: ['nobody'] }),
      'invalidRequest',
      /role 'nobody' does not exist/,
    );
    refused(
      await auth.createToken(browser, { roles: ['reader'] }),
      'permissionDenied',
      /creating a token needs the admin role/,
    );
  });
});

describe('auth changes reach open watches', () => {
  async function watching() {
    const fixture = await enabledFixture();
    const { auth, admin, reader } = fixture;
    let signals = 0;
    const watch = ok(auth.authorize(reader).watch({ key: 'app/', rangeEnd: 'app0' }, () => signals++));
    ok(await auth.authorize(admin).write(put('app/a', '1')));
    const first = takeAll(watch);
    assert.deepEqual(
      first.flatMap((r) => r.events.map((e) => e.kv.key)),
      ['app/a'],
    );
    return { ...fixture, watch, signals: () => signals };
  }

  function lastResponse(watch: WatchHandle): WatchResponse {
    const responses = takeAll(watch);
    assert.equal(responses.length, 1, JSON.stringify(responses));
    return responses[0]!;
  }

  test('revoking the permission a watch relies on ends it with permissionDenied and no further events', async () => {
    const { auth, admin, watch, signals } = await watching();
    const before = signals();
    ok(await auth.revoke(admin, 'reader', 'app/'));
    await settle();
    assert.ok(signals() > before, 'the session was told to take the ending');
    ok(await auth.authorize(admin).write(put('app/b', '2')));
    const end = lastResponse(watch);
    assert.equal(end.canceled, true);
    assert.deepEqual(end.events, []);
    assert.match(
      end.cancelReason ?? '',
      /^permissionDenied: 'web' \(roles reader\) may not read prefix 'app\/'/,
    );
    assert.deepEqual(takeAll(watch), []);
    assert.equal(auth.openWatches, 0);
  });

  test('deleting the role ends the watch too', async () => {
    const { auth, admin, watch } = await watching();
    ok(await auth.deleteRole(admin, 'reader'));
    await settle();
    assert.match(lastResponse(watch).cancelReason ?? '', /^permissionDenied: .*it may read no keys/);
  });

  test('revoking the token ends its watches; the token is refused from then on', async () => {
    const { auth, admin, watch, readerToken, reader } = await watching();
    ok(await auth.revokeToken(admin, { token: readerToken }));
    await settle();
    assert.match(
      lastResponse(watch).cancelReason ?? '',
      /^unauthenticated: the token of 'web' \(id .+\) was revoked/,
    );
    refused(await auth.authenticate(readerToken), 'unauthenticated', /was revoked/);
    refused(await auth.authorize(reader).range({ key: 'app/a' }), 'unauthenticated', /was revoked/);
    const revoked = auth.state.revoked.get(reader.tokenId);
    assert.equal(revoked, reader.expiresAt, 'remembered until the token would have expired');
  });

  test('a watch ends within a second of its token expiring', async () => {
    const { auth, watch, clock, reader } = await watching();
    clock.advance(reader.expiresAt - clock.now() - 1);
    assert.deepEqual(takeAll(watch), []);
    clock.advance(1000);
    assert.match(lastResponse(watch).cancelReason ?? '', /^unauthenticated: the token of 'web' expired at/);
    assert.equal(auth.openWatches, 0);
  });

  test('enabling auth ends anonymous watches; a granted permission leaves watches running', async () => {
    const { auth } = await authFixture();
    const anonymous = ok(auth.authorize(null).watch({ key: 'x' }, () => {}));
    takeAll(anonymous);
    const admin = ok(await auth.authenticate(ok(await auth.enable(null, {})).token)) as Principal;
    await settle();
    assert.match(takeAll(anonymous)[0]?.cancelReason ?? '', /^unauthenticated: auth was enabled/);
    const adminWatch = ok(auth.authorize(admin).watch({ key: 'x' }, () => {}));
    takeAll(adminWatch);
    ok(await auth.addRole(admin, 'other'));
    await settle();
    assert.deepEqual(takeAll(adminWatch), []);
    assert.equal(auth.openWatches, 1);
  });
});

describe('tokens across members', () => {
  test('a token issued by one member is accepted by another that shares the log (its key is replicated)', async () => {
    const first = await enabledFixture();
    const second = await AuthService.start({
      member: first.member,
      clusterId: 'test',
      loadSigningKey: newSigningKey,
      logger: createLogger({ level: 'silent', name: 'auth' }),
      clock: first.clock,
    });
    await settle();
    assert.equal(second.enabled, true);
    const issuedBySecond = ok(await second.createToken(first.admin, { roles: ['reader'] }));
    const verified = ok(await first.auth.authenticate(issuedBySecond.token)) as Principal;
    assert.deepEqual(verified.roles, ['reader']);
    assert.equal(first.auth.state.keys.size, 2);
    second.stop();
  });

  test("another cluster's token is refused", async () => {
    const signingKey = await newSigningKey();
    const other = await enabledFixture({ signingKey, clusterId: 'other' });
    const mine = await enabledFixture({ signingKey });
    refused(await mine.auth.authenticate(other.readerToken), 'unauthenticated', /another cluster/);
  });
});

describe('rate limit', () => {
  test('a token over its rate is refused with rateLimited naming the limit, and admitted again once refilled', async () => {
    const { auth, reader, clock } = await enabledFixture({ rateLimit: { perSecond: 2, burst: 3 } });
    const api = auth.authorize(reader);
    for (let i = 0; i < 3; i++) ok(await api.range({ key: 'app/a' }));
    const limited = refused(
      await api.range({ key: 'app/a' }),
      'rateLimited',
      /rate limit of 2 requests\/s \(burst 3; --token-rate-limit\); retry in 500 ms/,
    );
    assert.deepEqual(limited.details, { limit: 'tokenRateLimit', maximum: 2, burst: 3, retryAfterMs: 500 });
    refused(
      api.watch({ key: 'app/a' }, () => {}),
      'rateLimited',
    );
    clock.advance(500);
    ok(await api.range({ key: 'app/a' }));
  });
});

describe('audit log', () => {
  test('one line per write and per auth change: who, what, which revision', async () => {
    const fixture = await enabledFixture();
    const { auth, admin, audit } = fixture;
    const written = ok(await auth.authorize(admin).write(put('app/x'))) as { revision: number };
    ok(
      await auth.authorize(admin).write({
        op: 'txn',
        request: {
          compare: [],
          success: [{ put: { key: 'app/y', value: utf8.encode('1') } }, { deleteRange: { key: 'app/x' } }],
          failure: [],
        },
      }),
    );
    const lines = audit();
    const actions = lines.map((line) => line.action ?? line.op);
    assert.deepEqual(actions, [
      'auth.enable',
      'token.create',
      'role.add',
      'role.grant',
      'token.create',
      'put',
      'txn',
    ]);
    const putLine = lines.find((line) => line.op === 'put')!;
    assert.equal(putLine.subject, 'root');
    assert.equal(putLine.tokenId, admin.tokenId);
    assert.equal(putLine.key, 'app/x');
    assert.equal(putLine.revision, written.revision);
    const grant = lines.find((line) => line.action === 'role.grant')!;
    assert.deepEqual(
      [grant.role, grant.prefix, grant.access, grant.subject],
      ['reader', 'app/', 'read', 'root'],
    );
    const txn = lines.find((line) => line.op === 'txn')!;
    assert.deepEqual(txn.writes, [
      { op: 'put', key: 'app/y' },
      { op: 'deleteRange', key: 'app/x' },
    ]);
  });
});
