// Figures for the peer transport between two members on loopback, both in this one process (so
// sender and receiver share a CPU):
//   npx tsx bench/transport.bench.ts
// appends of 16 entries × 256 bytes: messages/s, frames/s and MB/s; the round trip of one small
// message and its answer (p50/p99); a 64 MiB snapshot sent in chunks.

import { performance } from 'node:perf_hooks';
import type { Logger, Message, NodeId } from '../core/raft/types.ts';
import { createNodePeerNetwork } from '../server/adapters/node/peer-socket.ts';
import { PeerTransport } from '../server/transport/index.ts';

const ENTRIES_PER_APPEND = 16;
const ENTRY_BYTES = 256;
const THROUGHPUT_SECONDS = 3;
/** Messages sent but not yet received; stays under the queue's 4096 so nothing is dropped. */
const WINDOW = 2048;
const MESSAGES_PER_TURN = 256;
const ROUND_TRIPS = 5000;
const SNAPSHOT_BYTES = 64 * 1024 * 1024;

const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => console.warn(message, fields),
};

interface Endpoint {
  readonly transport: PeerTransport;
  url: string;
  onMessages: (messages: Message[]) => void;
}

async function endpoint(id: NodeId): Promise<Endpoint> {
  const self: Endpoint = {
    transport: new PeerTransport({
      memberId: id,
      clusterId: 'bench',
      secret: 'bench secret, 16 bytes or more',
      network: createNodePeerNetwork(),
      onMessages: (messages) => self.onMessages(messages),
      logger: quiet,
    }),
    url: '',
    onMessages: () => {},
  };
  const started = await self.transport.start('127.0.0.1', 0);
  if ('code' in started) throw new Error(started.message);
  self.url = `ws://127.0.0.1:${started.port}`;
  return self;
}

function append(index: number, data: Uint8Array): Message {
  return {
    type: 'append',
    from: 'a',
    to: 'b',
    term: 1,
    logTerm: 1,
    index,
    entries: Array.from({ length: ENTRIES_PER_APPEND }, (_, i) => ({
      term: 1,
      index: index * ENTRIES_PER_APPEND + i,
      type: 'normal' as const,
      data,
    })),
    commit: index,
    reject: false,
    rejectHint: 0,
  };
}

function heartbeat(from: NodeId, to: NodeId, index: number): Message {
  return {
    type: from === 'a' ? 'heartbeat' : 'heartbeatResponse',
    from,
    to,
    term: 1,
    logTerm: 0,
    index,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function connected(a: Endpoint, b: Endpoint): Promise<void> {
  const peers = new Map([
    ['a', a.url],
    ['b', b.url],
  ]);
  a.transport.setPeers(peers);
  b.transport.setPeers(peers);
  while (!a.transport.reachable('b') || !b.transport.reachable('a')) await nextTurn();
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
}

async function benchThroughput(a: Endpoint, b: Endpoint): Promise<void> {
  const data = new Uint8Array(ENTRY_BYTES).fill(7);
  let received = 0;
  b.onMessages = (messages) => {
    received += messages.length;
  };
  const framesBefore = a.transport.stats().peers.get('b')!.sentFrames;
  let sent = 0;
  const start = performance.now();
  while (performance.now() - start < THROUGHPUT_SECONDS * 1000) {
    if (sent - received < WINDOW) {
      a.transport.send(Array.from({ length: MESSAGES_PER_TURN }, (_, i) => append(sent + i, data)));
      sent += MESSAGES_PER_TURN;
    }
    await nextTurn();
  }
  while (received < sent) await nextTurn();
  const ms = performance.now() - start;
  const stats = a.transport.stats().peers.get('b')!;
  const frames = stats.sentFrames - framesBefore;
  const payloadMb = (received * ENTRIES_PER_APPEND * ENTRY_BYTES) / (1024 * 1024);
  console.log(
    `appends (${ENTRIES_PER_APPEND} × ${ENTRY_BYTES} B): ${rate(received, ms)} messages, ${rate(frames, ms)} frames ` +
      `(${(received / frames).toFixed(0)} messages/frame), ${(payloadMb / (ms / 1000)).toFixed(0)} MB/s of entry data, ` +
      `${stats.droppedMessages} dropped`,
  );
}

async function benchRoundTrip(a: Endpoint, b: Endpoint): Promise<void> {
  b.onMessages = (messages) => b.transport.send(messages.map((m) => heartbeat('b', 'a', m.index)));
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const answered = new Promise<void>((resolve) => {
      a.onMessages = () => resolve();
    });
    const start = performance.now();
    a.transport.send([heartbeat('a', 'b', i)]);
    await answered;
    samples.push(performance.now() - start);
  }
  samples.sort((x, y) => x - y);
  const at = (q: number): string =>
    `${(samples[Math.floor(q * (samples.length - 1))]! * 1000).toFixed(0)} µs`;
  console.log(`round trip of one small message (${ROUND_TRIPS} samples): p50 ${at(0.5)}, p99 ${at(0.99)}`);
}

async function benchSnapshot(a: Endpoint, b: Endpoint): Promise<void> {
  const data = new Uint8Array(SNAPSHOT_BYTES).fill(3);
  const done = new Promise<void>((resolve) => {
    b.onMessages = (messages) => {
      if (messages.some((m) => m.type === 'snapshot')) resolve();
    };
  });
  const start = performance.now();
  a.transport.send([
    {
      ...heartbeat('a', 'b', 0),
      type: 'snapshot',
      snapshot: {
        metadata: {
          index: 1,
          term: 1,
          confState: {
            voters: ['a', 'b'],
            learners: [],
            votersOutgoing: [],
            learnersNext: [],
            autoLeave: false,
          },
        },
        data,
      },
    },
  ]);
  await done;
  const ms = performance.now() - start;
  console.log(
    `snapshot of ${SNAPSHOT_BYTES / (1024 * 1024)} MiB in chunks: ${ms.toFixed(0)} ms, ` +
      `${(SNAPSHOT_BYTES / (1024 * 1024) / (ms / 1000)).toFixed(0)} MiB/s`,
  );
}

const a = await endpoint('a');
const b = await endpoint('b');
await connected(a, b);
await benchThroughput(a, b);
await benchRoundTrip(a, b);
await benchSnapshot(a, b);
await Promise.all([a.transport.close(), b.transport.close()]);
