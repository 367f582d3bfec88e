// Auth on a 3-member cluster of real processes, driven with the `vane` CLI and raw HTTP/WebSocket:
// auth enabled through one member holds on all; a token one member issues works on the others; a
// read-only token is refused writes and reads beyond its prefix; a revoked token's open watches end;
// the audit log names who wrote what; a restarted member still enforces it all.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '../../core/protocol/index.ts';
import { type JsonResponse, TestCluster, VANE_BIN, waitFor } from './harness.ts';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function vane(cluster: TestCluster, member: string, args: string[], token?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VANE_BIN, ...args, '--endpoints', cluster.member(member).clientUrl],
      { env: { ...process.env, VANE_TOKEN: token ?? '' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function call(
  cluster: TestCluster,
  member: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<JsonResponse> {
  const response = await fetch(`${cluster.member(member).clientUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(5000),
    headers: {
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? JSON.parse(text) : null };
}

/** A watch socket whose messages are collected; `closed` resolves with the close code and reason. */
function openWatch(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON messages
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, messages, opened, closed };
}

describe('auth on a 3-member cluster of processes', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let admin: string;
  let reader: string;

  before(async () => {
    cluster = await TestCluster.start({ name: 'auth', size: 3 });
    await cluster.waitForLeader(15_000);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('auth enabled through one member holds on every member; a token made on another works everywhere', async () => {
    const enable = await vane(cluster, 'm1', ['auth', 'enable']);
    assert.equal(enable.code, 0, enable.stderr);
    admin = enable.stdout.trim();
    assert.match(enable.stderr, /auth enabled; admin token: subject 'root', roles admin/);
    for (const m of cluster.members) {
      await waitFor(`${m.name} to refuse anonymous requests`, 5000, async () =>
        (await call(cluster, m.name, 'GET', '/v1/kv/app%2Fa')).status === 401 ? true : undefined,
      );
    }
    assert.equal((await vane(cluster, 'm2', ['role', 'add', 'reader'], admin)).code, 0);
    const grant = await vane(cluster, 'm2', ['role', 'grant', 'reader', 'read', 'app/'], admin);
    assert.equal(grant.code, 0, grant.stderr);
    // m3 has issued no token yet: it publishes its verification key through the log first.
    const created = await vane(
      cluster,
      'm3',
      ['token', 'create', '--role', 'reader', '--ttl', '10m', '--subject', 'web'],
      admin,
    );
    assert.equal(created.code, 0, created.stderr);
    reader = created.stdout.trim();
    assert.equal((await call(cluster, 'm1', 'PUT', '/v1/kv/app%2Fa', admin, { value: 'one' })).status, 200);
    for (const m of cluster.members) {
      const read = await call(cluster, m.name, 'GET', '/v1/kv/app%2Fa', reader);
      assert.equal(read.status, 200, `${m.name}: ${JSON.stringify(read.body)}`);
      assert.equal(read.body.kvs[0].value, 'one');
    }
  });

  it('a read-only token is refused writes, and reads beyond its prefix, with the range and role named', async () => {
    const write = await call(cluster, 'm2', 'PUT', '/v1/kv/app%2Fa', reader, { value: 'two' });
    assert.equal(write.status, 403);
    assert.equal(write.body.error.code, 'permissionDenied');
    assert.match(write.body.error.message, /^'web' \(roles reader\) may not write key 'app\/a'/);
    const wide = await call(cluster, 'm3', 'POST', '/v1/kv/range', reader, { key: 'app/', rangeEnd: '\0' });
    assert.equal(wide.status, 403);
    assert.match(
      wide.body.error.message,
      /may not read keys from 'app\/' on: it may read keys under 'app\/'/,
    );
    const cli = await vane(cluster, 'm1', ['put', 'app/a', 'two'], reader);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /may not write key 'app\/a'.*\[permissionDenied\]/);
  });

  it("a revoked token's watches end at once, on every member, with a clear error; a bad token is refused", async () => {
    const byQuery = openWatch(`ws://127.0.0.1:${cluster.member('m2').clientPort}/v1/watch?token=${reader}`);
    const bySubprotocol = openWatch(`ws://127.0.0.1:${cluster.member('m3').clientPort}/v1/watch`, [
      `vane.token.${reader}`,
    ]);
    await Promise.all([byQuery.opened, bySubprotocol.opened]);
    assert.equal(bySubprotocol.ws.protocol, `vane.token.${reader}`, 'the offered subprotocol is accepted');
    for (const watch of [byQuery, bySubprotocol]) {
      watch.ws.send(
        JSON.stringify({ v: PROTOCOL_VERSION, type: 'watchCreate', key: 'app/', rangeEnd: 'app0' }),
      );
    }
    for (const watch of [byQuery, bySubprotocol]) {
      await waitFor('the watch to be created', 5000, () =>
        watch.messages.some((m) => m.created) ? true : undefined,
      );
    }
    assert.equal((await call(cluster, 'm1', 'PUT', '/v1/kv/app%2Fb', admin, { value: 'b' })).status, 200);
    for (const watch of [byQuery, bySubprotocol]) {
      await waitFor('the event', 5000, () =>
        watch.messages.some((m) => m.events?.some((e: { kv: { key: string } }) => e.kv.key === 'app/b'))
          ? true
          : undefined,
      );
    }
    const revoke = await vane(cluster, 'm1', ['token', 'revoke', reader], admin);
    assert.equal(revoke.code, 0, revoke.stderr);
    for (const watch of [byQuery, bySubprotocol]) {
      const ending = await waitFor('the watch to end', 5000, () => watch.messages.find((m) => m.canceled));
      assert.match(ending.cancelReason, /^unauthenticated: the token of 'web' \(id .+\) was revoked$/);
      watch.ws.close();
    }
    assert.equal((await call(cluster, 'm2', 'PUT', '/v1/kv/app%2Fc', admin, { value: 'c' })).status, 200);
    assert.equal(
      byQuery.messages.filter((m) => m.events?.length > 0).length,
      1,
      'nothing was delivered after the revocation',
    );
    const refused = openWatch(`ws://127.0.0.1:${cluster.member('m1').clientPort}/v1/watch?token=${reader}`);
    const close = await refused.closed;
    assert.equal(close.code, 4401);
    assert.equal(refused.messages[0]?.error?.code, 'unauthenticated');
    assert.match(refused.messages[0]?.error?.message, /was revoked/);
  });

  it('the audit log says who wrote which key at which revision, and every auth change', async () => {
    const put = await call(cluster, 'm1', 'PUT', '/v1/kv/app%2Faudited', admin, { value: 'x' });
    assert.equal(put.status, 200);
    const revision = put.body.header.revision;
    await cluster.waitForLog(
      'm1',
      new RegExp(`"audit":true.*"op":"put","key":"app/audited".*"revision":${revision}`),
    );
    const lines = readFileSync(cluster.member('m1').logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"audit":true'))
      .map((line) => JSON.parse(line));
    const written = lines.find((line) => line.key === 'app/audited');
    assert.equal(written.subject, 'root');
    assert.equal(written.revision, revision);
    assert.ok(lines.some((line) => line.action === 'auth.enable'));
    assert.ok(lines.some((line) => line.action === 'token.revoke' && line.subject === 'root'));
  });

  it('a member restarted after kill -9 still enforces auth and accepts the tokens', async () => {
    await cluster.kill('m2');
    cluster.restart('m2');
    await cluster.waitForLeader(15_000);
    assert.equal((await call(cluster, 'm2', 'GET', '/v1/kv/app%2Fa')).status, 401);
    const read = await waitFor('m2 to serve the admin', 5000, async () => {
      const r = await call(cluster, 'm2', 'GET', '/v1/kv/app%2Fa', admin);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(read.body.kvs[0].value, 'one');
    assert.equal((await call(cluster, 'm2', 'GET', '/v1/kv/app%2Fa', reader)).status, 401, 'still revoked');
  });
});
