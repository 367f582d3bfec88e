import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DecodeError,
  decodeErrorBody,
  decodeMemberListResponse,
  decodeStatusResponse,
  isDecodeError,
} from '../../core/protocol/index.ts';
import { KvStore } from '../../core/store/index.ts';
import { createTestApp, FakeMember } from './testing.ts';

function decoded<T>(value: T | DecodeError): T {
  if (isDecodeError(value)) assert.fail(value.message);
  return value;
}

test('members are listed, added as learners, promoted and removed', async () => {
  const { app } = createTestApp();
  const initial = decoded(decodeMemberListResponse(await (await app.request('/v1/cluster/members')).json()));
  assert.deepEqual(
    initial.members.map((m) => m.id),
    ['m1'],
  );

  const added = await app.request('/v1/cluster/members', {
    method: 'POST',
    body: JSON.stringify({ id: 'm2', peerUrl: 'http://10.0.0.2:2380', learner: true }),
  });
  const afterAdd = decoded(decodeMemberListResponse(await added.json()));
  assert.deepEqual(afterAdd.members[1], {
    id: 'm2',
    name: 'm2',
    peerUrls: ['http://10.0.0.2:2380'],
    clientUrls: [],
    isLearner: true,
  });

  const promoted = await app.request('/v1/cluster/members/m2/promote', { method: 'POST' });
  assert.equal(decoded(decodeMemberListResponse(await promoted.json())).members[1]?.isLearner, false);

  const removed = await app.request('/v1/cluster/members/m2', { method: 'DELETE' });
  assert.deepEqual(
    decoded(decodeMemberListResponse(await removed.json())).members.map((m) => m.id),
    ['m1'],
  );
});

test('adding a member with a malformed peer URL is refused naming the field', async () => {
  const { app, member } = createTestApp();
  const response = await app.request('/v1/cluster/members', {
    method: 'POST',
    body: JSON.stringify({ id: 'm2', peerUrl: 'not a url' }),
  });
  assert.equal(response.status, 400);
  assert.match(decoded(decodeErrorBody(await response.json())).error.message, /peerUrl/);
  assert.equal(member.members().length, 1);
});

test("status reports this member's role, term, indexes, revision, leader and health", async () => {
  const { app, member } = createTestApp();
  member.raftTerm = 4;
  await app.request('/v1/kv/k', { method: 'PUT', body: JSON.stringify({ value: 'v' }) });
  const status = decoded(decodeStatusResponse(await (await app.request('/v1/cluster/status')).json()));
  assert.deepEqual(
    { ...status, header: undefined },
    {
      header: undefined,
      id: 'm1',
      name: 'm1',
      role: 'leader',
      isLearner: false,
      leader: 'm1',
      term: 4,
      commit: 1,
      applied: 1,
      revision: 1,
      protocolVersion: 1,
      healthy: true,
      leaderContactMs: 0,
      writes: { applied: 0, latencyMsTotal: 0 },
    },
  );
  assert.deepEqual(status.header, { revision: 1, member: 'm1', raftTerm: 4 });
});

test('status?all=true gathers every member, listing one that cannot be reached with an error', async () => {
  const peer = createTestApp({ member: new FakeMember({ id: 'm2' }) });
  const local = new FakeMember({ id: 'm1' });
  local.memberList = [
    { id: 'm1', peerUrl: 'http://m1:2380', clientUrl: 'http://m1:2379', isLearner: false },
    { id: 'm2', peerUrl: 'http://m2:2380', clientUrl: 'http://m2:2379/', isLearner: false },
    { id: 'm3', peerUrl: 'http://m3:2380', clientUrl: 'http://m3:2379', isLearner: false },
    { id: 'm4', peerUrl: 'http://m4:2380', clientUrl: 'http://m4:2379', isLearner: true },
    { id: 'm5', peerUrl: 'http://m5:2380', clientUrl: '', isLearner: true },
  ];
  const asked: string[] = [];
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    asked.push(url);
    if (url.startsWith('http://m2:2379')) return peer.app.request(new URL(url).pathname);
    if (url.startsWith('http://m3:2379')) throw new TypeError('fetch failed: connection refused');
    // m4 never answers: only the timeout ends the wait.
    return new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });
  }) as typeof fetch;
  const { app } = createTestApp({ member: local, fetch: fetcher, peerStatusTimeoutMs: 50 });

  const response = await app.request('/v1/cluster/status?all=true');
  assert.equal(response.status, 200);
  const body = (await response.json()) as {
    header: { member: string };
    members: { id: string; role?: string; error?: { code: string; message: string } }[];
  };
  assert.equal(body.header.member, 'm1');
  assert.deepEqual(
    body.members.map((m) => [m.id, m.role ?? m.error?.code]),
    [
      ['m1', 'leader'],
      ['m2', 'leader'],
      ['m3', 'unavailable'],
      ['m4', 'timeout'],
      ['m5', 'unavailable'],
    ],
  );
  assert.match(body.members[2]!.error!.message, /m3.*could not be reached/);
  assert.match(body.members[3]!.error!.message, /50 ms/);
  assert.deepEqual(asked.sort(), [
    'http://m2:2379/v1/cluster/status',
    'http://m3:2379/v1/cluster/status',
    'http://m4:2379/v1/cluster/status',
  ]);
});

test('a member answering status with an error is listed with that error', async () => {
  const local = new FakeMember({ id: 'm1' });
  local.memberList = [
    ...local.memberList,
    { id: 'm2', peerUrl: 'http://m2:2380', clientUrl: 'http://m2:2379', isLearner: false },
  ];
  const fetcher = (async () =>
    new Response(JSON.stringify({ error: { code: 'noLeader', message: 'no leader; retry' } }), {
      status: 503,
    })) as typeof fetch;
  const { app } = createTestApp({ member: local, fetch: fetcher });
  const body = (await (await app.request('/v1/cluster/status?all=true')).json()) as {
    members: { id: string; error?: { code: string } }[];
  };
  assert.equal(body.members[1]?.error?.code, 'noLeader');
});

test("status?all=true asks the other members with the caller's credentials", async () => {
  const local = new FakeMember({ id: 'm1' });
  local.memberList = [
    ...local.memberList,
    { id: 'm2', peerUrl: 'http://m2:2380', clientUrl: 'http://m2:2379', isLearner: false },
  ];
  const sent: (string | null)[] = [];
  const peer = createTestApp({ member: new FakeMember({ id: 'm2' }) });
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push(new Headers(init?.headers).get('Authorization'));
    return peer.app.request(new URL(String(input)).pathname);
  }) as typeof fetch;
  const { app } = createTestApp({ member: local, fetch: fetcher });
  await app.request('/v1/cluster/status?all=true', { headers: { Authorization: 'Bearer t-1' } });
  await app.request('/v1/cluster/status?all=true');
  assert.deepEqual(sent, ['Bearer t-1', null]);
});

test('the snapshot downloads as bytes a store can be restored from', async () => {
  const { app } = createTestApp();
  for (const key of ['a', 'b', 'c']) {
    await app.request(`/v1/kv/${key}`, { method: 'PUT', body: JSON.stringify({ value: key.toUpperCase() }) });
  }
  const response = await app.request('/v1/snapshot');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('Content-Type'), 'application/octet-stream');
  assert.equal(response.headers.get('X-Vane-Revision'), '3');
  assert.match(response.headers.get('Content-Disposition') ?? '', /filename="vane-m1-3\.snapshot"/);
  const restored = KvStore.restore(new Uint8Array(await response.arrayBuffer()));
  assert.ok(restored instanceof KvStore);
  const read = restored.range({ key: 'a', rangeEnd: 'z' });
  assert.ok(!('code' in read));
  assert.deepEqual(
    read.kvs.map((kv) => new TextDecoder().decode(kv.value)),
    ['A', 'B', 'C'],
  );
});
