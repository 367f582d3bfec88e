// The edge in workerd against a local cluster with auth enabled: browsers read and watch through it
// only with a browser read token whose prefixes cover what they ask for, checked against the keys
// the cluster publishes (GET /v1/auth/keys).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { TestCluster } from '../cluster/harness.ts';
import { BrowserSocket, EdgeWorker, type Message } from './edge-harness.ts';

describe('the edge with auth enabled on the cluster', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let edge: EdgeWorker;
  let admin: string;

  const call = async (path: string, body: object, token?: string): Promise<Message> => {
    const response = await fetch(`${cluster.member('m1').clientUrl}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    const json = await response.json();
    assert.equal(response.status, 200, JSON.stringify(json));
    return json;
  };
  const browserToken = async (readPrefixes: string[]): Promise<string> =>
    (await call('/v1/auth/tokens', { readPrefixes, ttlSeconds: 900, subject: 'browser' }, admin)).token;
  const read = async (path: string, token?: string): Promise<{ status: number; body: Message }> => {
    const response = await edge.get(
      path,
      token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
    );
    return { status: response.status, body: await response.json() };
  };
  /** A watch upgrade the edge refuses: the message it sends first, and the close code. */
  const refusedWatch = (query: string): Promise<{ message: Message; code: number }> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`${edge.wsUrl}/v1/watch?prefix=app%2F${query}`);
      let message: Message;
      socket.once('message', (data) => {
        message = JSON.parse(String(data));
      });
      socket.once('close', (code) => resolve({ message, code }));
      socket.once('error', reject);
    });

  before(async () => {
    cluster = await TestCluster.start({ name: 'edge-auth', size: 1 });
    await cluster.waitForLeader(15_000);
    admin = (await call('/v1/auth/enable', { subject: 'ops' })).token;
    const put = await fetch(`${cluster.member('m1').clientUrl}/v1/kv/app%2Fa`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ value: '1' }),
    });
    assert.equal(put.status, 200);
    edge = await EdgeWorker.start({
      name: 'edge-auth',
      clusterEndpoints: [cluster.member('m1').clientUrl],
      edgeToken: admin,
    });
  });

  after(async () => {
    await edge?.stop();
    await cluster?.stop();
  });

  it('refuses a read or a watch without a token: 401, and on the socket an error then close 4401', async () => {
    const anonymous = await read('/v1/kv/app%2Fa');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthenticated');
    assert.match(anonymous.body.error.message, /auth is enabled: send a read token for 'app\/'/);
    const watch = await refusedWatch('');
    assert.equal(watch.code, 4401);
    assert.equal(watch.message.type, 'error');
    assert.equal(watch.message.error.code, 'unauthenticated');
    const forged = await read('/v1/kv/app%2Fa', `${await browserToken(['app/'])}x`);
    assert.equal(forged.status, 401);
  });

  it('admits a read token for the prefix: the read is 200 and a watch sees a put', async () => {
    const token = await browserToken(['app/']);
    const answer = await read('/v1/kv/app%2Fa', token);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.kvs[0].value, '1');
    const browser = await BrowserSocket.connect(edge, 'app/', `&token=${token}`);
    browser.watch(1, 'app/');
    await browser.next('the watch to be created', (m) => m.created === true);
    const put = await fetch(`${cluster.member('m1').clientUrl}/v1/kv/app%2Fb`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ value: '2' }),
    });
    assert.equal(put.status, 200);
    await browser.next('the put of app/b', () => browser.events(1).includes('app/b=2'));
    browser.close();
  });

  it('refuses a token for another prefix (403, close 4403) and a role token (403, naming why)', async () => {
    const other = await browserToken(['other/']);
    const answer = await read('/v1/kv/app%2Fa', other);
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, 'permissionDenied');
    assert.match(
      answer.body.error.message,
      /grants read on 'other\/', which does not cover the prefix 'app\/'/,
    );
    const watch = await refusedWatch(`&token=${other}`);
    assert.equal(watch.code, 4403);
    assert.equal(watch.message.error.code, 'permissionDenied');
    const role = await read('/v1/kv/app%2Fa', admin);
    assert.equal(role.status, 403);
    assert.match(role.body.error.message, /accepts only browser read tokens/);
  });
});
