import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodeError,
  decodeErrorBody,
  decodeLeaseGrantResponse,
  decodeLeaseKeepAliveResponse,
  decodeLeaseListResponse,
  decodeLeaseTimeToLiveResponse,
  isDecodeError,
} from '../../core/protocol/index.ts';
import { createTestApp } from './testing.ts';

type App = ReturnType<typeof createTestApp>['app'];

async function post(app: App, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, { method: 'POST', body: JSON.stringify(body), headers });
}

function decoded<T>(value: T | DecodeError): T {
  if (isDecodeError(value)) assert.fail(value.message);
  return value;
}

test('a lease is granted, kept alive, listed, inspected with its keys, and revoked with its keys', async () => {
  const { app, member } = createTestApp();
  const grant = decoded(
    decodeLeaseGrantResponse(await (await post(app, '/v1/lease/grant', { ttl: 30 })).json()),
  );
  const id = grant.response.id;
  assert.ok(id > 0);
  assert.equal(grant.response.ttl, 30);

  const attached = await app.request('/v1/kv/service%2Fa', {
    method: 'PUT',
    body: JSON.stringify({ value: '10.0.0.1', lease: id }),
  });
  assert.equal(attached.status, 200);

  const alive = decoded(
    decodeLeaseKeepAliveResponse(await (await post(app, '/v1/lease/keepalive', { id })).json()),
  );
  assert.equal(alive.response.id, id);
  assert.equal(alive.response.ttl, 30);

  const listed = decoded(decodeLeaseListResponse(await (await app.request('/v1/lease')).json()));
  assert.deepEqual(listed.response.leases, [{ id, ttl: 30 }]);

  const ttl = decoded(
    decodeLeaseTimeToLiveResponse(await (await post(app, '/v1/lease/timetolive', { id, keys: true })).json()),
  );
  assert.equal(ttl.response.grantedTtl, 30);
  assert.deepEqual(ttl.response.keys, ['service/a']);

  const revoked = await post(app, '/v1/lease/revoke', { id });
  assert.equal(revoked.status, 200);
  assert.equal((await app.request('/v1/kv/service%2Fa')).status, 404);
  assert.equal(member.store.leaseList().leases.length, 0);
});

test('revoking or renewing an unknown lease is 404 leaseNotFound; granting a taken id is 409', async () => {
  const { app } = createTestApp();
  for (const path of ['/v1/lease/revoke', '/v1/lease/keepalive']) {
    const response = await post(app, path, { id: 12345 });
    assert.equal(response.status, 404, path);
    const body = decoded(decodeErrorBody(await response.json()));
    assert.equal(body.error.code, 'leaseNotFound');
  }
  assert.equal((await post(app, '/v1/lease/grant', { ttl: 10, id: 7 })).status, 200);
  const again = await post(app, '/v1/lease/grant', { ttl: 10, id: 7 });
  assert.equal(again.status, 409);
  assert.equal(decoded(decodeErrorBody(await again.json())).error.code, 'leaseExists');
});

test('an unknown lease has ttl -1 in time-to-live, as in etcd', async () => {
  const { app } = createTestApp();
  const ttl = decoded(
    decodeLeaseTimeToLiveResponse(await (await post(app, '/v1/lease/timetolive', { id: 9 })).json()),
  );
  assert.equal(ttl.response.ttl, -1);
});

test('a TTL over maxLeaseTtlSeconds is refused naming the limit', async () => {
  const { app } = createTestApp();
  const response = await post(app, '/v1/lease/grant', { ttl: 10 ** 12 });
  assert.equal(response.status, 400);
  const body = decoded(decodeErrorBody(await response.json()));
  assert.equal(body.error.code, 'leaseTtlTooLarge');
  assert.match(body.error.message, /maxLeaseTtlSeconds/);
});

test('a grant retried with the same Idempotency-Key returns the same lease', async () => {
  const { app, member } = createTestApp();
  const headers = { 'Idempotency-Key': 'grant-1' };
  const first = decoded(
    decodeLeaseGrantResponse(await (await post(app, '/v1/lease/grant', { ttl: 5 }, headers)).json()),
  );
  const retry = decoded(
    decodeLeaseGrantResponse(await (await post(app, '/v1/lease/grant', { ttl: 5 }, headers)).json()),
  );
  assert.equal(retry.response.id, first.response.id);
  assert.equal(member.store.leaseList().leases.length, 1);
});
