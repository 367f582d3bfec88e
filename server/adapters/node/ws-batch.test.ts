// Writes that reach a member together over many WebSocket connections share a WAL fsync: the
// member runs its Raft loop once the event loop has read every socket with data, not after each.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { startOneMemberCluster, type TestMember } from './testing.ts';

const CONNECTIONS = 32;
const members: TestMember[] = [];
after(async () => {
  for (const member of members) await member.stop();
});

function open(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/watch`);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function answer(socket: WebSocket): Promise<{ type: string }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer) => resolve(JSON.parse(String(data)))),
  );
}

test('puts sent together on many WebSocket connections are written with a few fsyncs, not one each', async () => {
  const member = await startOneMemberCluster();
  members.push(member);
  const port = member.running.clientPort;
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(port)));
  const before = await member.walFsyncs();
  const answers = sockets.map(answer);
  sockets.forEach((socket, i) => {
    socket.send(
      JSON.stringify({ v: 1, type: 'request', id: 1, op: 'put', body: { key: `ws/${i}`, value: 'v' } }),
    );
  });
  for (const reply of await Promise.all(answers)) assert.equal(reply.type, 'response');
  const fsyncs = (await member.walFsyncs()) - before;
  // The sends may reach the member over a few turns of its event loop; one fsync each is the bug.
  assert.ok(fsyncs <= CONNECTIONS / 4, `${fsyncs} fsyncs for ${CONNECTIONS} puts`);
  for (const socket of sockets) socket.close();
});
