import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ErrorCode, vaneError } from '../../core/errors.ts';
import { CLIENT_ROUTES, decodeErrorBody, isDecodeError } from '../../core/protocol/index.ts';
import { createTestApp, FakeMember } from './testing.ts';

async function errorOf(response: Response) {
  const decoded = decodeErrorBody(await response.json());
  if (isDecodeError(decoded)) assert.fail(decoded.message);
  return decoded.error;
}

describe('errors', () => {
  const cases: readonly [ErrorCode, number][] = [
    ['noLeader', 503],
    ['unavailable', 503],
    ['proposalDropped', 503],
    ['timeout', 504],
    ['notLeader', 421],
    ['quotaExceeded', 507],
    ['compacted', 410],
    ['keyNotFound', 404],
    ['leaseNotFound', 404],
    ['leaseExists', 409],
    ['futureRevision', 400],
    ['unsupportedVersion', 400],
    ['requestTooLarge', 413],
  ];
  for (const [code, status] of cases) {
    test(`a member error ${code} is HTTP ${status} with the code and message in the body`, async () => {
      const { app, member } = createTestApp();
      member.failNext(vaneError(code, `the member says ${code}`, { hint: 'x' }));
      const response = await app.request('/v1/kv/k', { method: 'PUT', body: JSON.stringify({ value: 'v' }) });
      assert.equal(response.status, status);
      assert.deepEqual(await errorOf(response), {
        code,
        message: `the member says ${code}`,
        details: { hint: 'x' },
      });
      assert.equal(response.headers.get('Retry-After'), status === 503 ? '1' : null);
      assert.equal(response.headers.get('X-Vane-Member'), 'm1');
    });
  }

  test('a handler that throws answers 500 JSON, logs the stack, and the app keeps serving', async () => {
    const logLines: Record<string, unknown>[] = [];
    const { app, member } = createTestApp({ logLines });
    member.failNext(new Error('disk on fire'));
    const response = await app.request('/v1/kv/k');
    assert.equal(response.status, 500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'internal');
    assert.doesNotMatch(body.error.message, /disk on fire/);
    const logged = logLines.find((line) => line.msg === 'request handler threw');
    assert.ok(logged, 'the failure was logged');
    assert.match(String((logged.err as { stack?: unknown }).stack), /disk on fire/);
    assert.ok(
      logLines.some((line) => line.level === 40 && line.status === 500),
      'a warning for the 5xx',
    );

    assert.equal((await app.request('/v1/kv/k', { method: 'PUT', body: '{"value":"v"}' })).status, 200);
  });

  test('an unknown route is 404 JSON pointing at the OpenAPI document', async () => {
    const { app } = createTestApp();
    const response = await app.request('/v2/kv/k');
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'routeNotFound');
    assert.match(body.error.message, /openapi\.json/);
  });

  test('GET /v1/watch without a WebSocket upgrade says to use a WebSocket', async () => {
    const { app } = createTestApp();
    const response = await app.request('/v1/watch');
    assert.equal(response.status, 400);
    assert.match((await errorOf(response)).message, /WebSocket/);
  });
});

describe('/health', () => {
  test('is 200 when the member has a leader and is caught up, 503 with the reason otherwise', async () => {
    const { app, member } = createTestApp();
    const ok = await app.request('/health');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true });

    member.healthState = { ok: false, reason: 'no leader' };
    const down = await app.request('/health');
    assert.equal(down.status, 503);
    assert.deepEqual(await down.json(), { ok: false, reason: 'no leader' });
  });
});

describe('/ui', () => {
  test('run from the sources (no build), says how to get the dashboard', async () => {
    const { app } = createTestApp();
    const page = await app.request('/ui');
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /npm run build/);
  });
});

describe('/metrics', () => {
  test('exposes the Raft, WAL, peer, watch and HTTP metrics, with requests counted by route pattern', async () => {
    const { app, metrics } = createTestApp();
    metrics.setRaftState(3, 10, 9);
    metrics.countLeaderChange();
    metrics.countProposal('applied');
    metrics.observeFsync(0.002);
    metrics.observePeerRoundTrip('m2', 0.0004);
    await app.request('/v1/kv/a%2Fb', { method: 'PUT', body: '{"value":"v"}' });
    await app.request('/v1/kv/missing');
    await app.request('/nowhere');

    const response = await app.request('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('Content-Type') ?? '', /text\/plain/);
    const text = await response.text();
    for (const line of [
      'vane_raft_term 3',
      'vane_raft_commit_index 10',
      'vane_raft_applied_index 9',
      'vane_raft_leader_changes_total 1',
      'vane_proposals_total{result="applied"} 1',
      'vane_wal_fsync_seconds_count 1',
      'vane_peer_round_trip_seconds_count{peer="m2"} 1',
      'vane_watchers 0',
      'vane_http_requests_total{route="/v1/kv/*",method="PUT",status="200"} 1',
      'vane_http_requests_total{route="/v1/kv/*",method="GET",status="404"} 1',
      'vane_http_requests_total{route="unmatched",method="GET",status="404"} 1',
      'vane_http_request_seconds_count{route="/v1/kv/*"} 2',
    ]) {
      assert.ok(text.includes(line), `missing: ${line}`);
    }
  });

  test('two apps in one process keep separate counts', async () => {
    const first = createTestApp();
    const second = createTestApp();
    await first.app.request('/health');
    const text = await (await second.app.request('/metrics')).text();
    assert.ok(!text.includes('route="/health"'));
  });
});

describe('CORS', () => {
  const cors = { origins: ['https://app.example.com'] };

  test('a preflight from an allowed origin is answered with the methods and headers the API takes', async () => {
    const { app } = createTestApp({ cors });
    const response = await app.request('/v1/kv/k', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type, idempotency-key',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
    assert.match(response.headers.get('Access-Control-Allow-Methods') ?? '', /PUT/);
    assert.match(response.headers.get('Access-Control-Allow-Headers') ?? '', /Idempotency-Key/);
  });

  test('an allowed origin may read the response and its revision header; another origin may not', async () => {
    const { app } = createTestApp({ cors });
    await app.request('/v1/kv/k', { method: 'PUT', body: '{"value":"v"}' });
    const allowed = await app.request('/v1/kv/k', { headers: { Origin: 'https://app.example.com' } });
    assert.equal(allowed.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
    assert.match(allowed.headers.get('Access-Control-Expose-Headers') ?? '', /X-Vane-Revision/);

    const denied = await app.request('/v1/kv/k', { headers: { Origin: 'https://evil.example.com' } });
    assert.equal(denied.headers.get('Access-Control-Allow-Origin'), null);
    const deniedPreflight = await app.request('/v1/kv/k', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'PUT' },
    });
    assert.equal(deniedPreflight.headers.get('Access-Control-Allow-Origin'), null);
  });

  test("'*' allows any origin, and without a CORS setting no CORS headers are sent", async () => {
    const open = createTestApp({ cors: { origins: ['*'] } });
    const any = await open.app.request('/health', { headers: { Origin: 'https://anything.example' } });
    assert.equal(any.headers.get('Access-Control-Allow-Origin'), '*');

    const closed = createTestApp();
    const none = await closed.app.request('/health', { headers: { Origin: 'https://app.example.com' } });
    assert.equal(none.headers.get('Access-Control-Allow-Origin'), null);
  });

  test("the cluster's own members' client URLs are allowed besides the configured origins", async () => {
    const member = new FakeMember({ id: 'm1' });
    member.memberList = [
      ...member.memberList,
      { id: 'm2', peerUrl: 'http://127.0.0.1:2380', clientUrl: 'http://127.0.0.1:2379/', isLearner: false },
    ];
    for (const options of [{ member }, { member, cors }]) {
      const { app } = createTestApp(options);
      const fromMember = await app.request('/health', { headers: { Origin: 'http://127.0.0.1:2379' } });
      assert.equal(fromMember.headers.get('Access-Control-Allow-Origin'), 'http://127.0.0.1:2379');
      const other = await app.request('/health', { headers: { Origin: 'http://127.0.0.1:9999' } });
      assert.equal(other.headers.get('Access-Control-Allow-Origin'), null);
    }
    const { app } = createTestApp({ member, cors });
    const listed = await app.request('/health', { headers: { Origin: 'https://app.example.com' } });
    assert.equal(listed.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
  });
});

describe('/v1/openapi.json', () => {
  test('serves the document generated from the protocol schemas', async () => {
    const { app } = createTestApp();
    const response = await app.request('/v1/openapi.json');
    assert.equal(response.status, 200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(document.openapi, '3.1.0');
    assert.ok('/v1/kv/{key}' in document.paths);
  });

  test('every route the document lists is served', async () => {
    const { app } = createTestApp();
    for (const route of CLIENT_ROUTES) {
      const path = route.path.replace('{key}', 'k');
      const response = await app.request(path, { method: route.method.toUpperCase() });
      const body = response.headers.get('Content-Type')?.includes('json')
        ? ((await response.json()) as { error?: { code?: string } })
        : {};
      assert.notEqual(body.error?.code, 'routeNotFound', `${route.method} ${route.path}`);
    }
  });
});
