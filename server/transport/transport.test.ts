// The peer transport over real WebSockets on 127.0.0.1 with OS-chosen ports.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  decodePeerFrame,
  encodeHandshakeFrame,
  encodePeerFrame,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { Logger, Message, NodeId } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import { createNodePeerNetwork } from '../adapters/node/peer-socket.ts';
import {
  PEER_CLOSE,
  PEER_PATH,
  type PeerNetwork,
  type PeerSocket,
  PeerTransport,
  type PeerTransportOptions,
  type TransportLimits,
  type TransportTimings,
} from './index.ts';
import { importClusterSecret } from './peer-auth.ts';
import { PeerConnection } from './peer-connection.ts';

const SECRET = 'a shared secret of the test cluster';
const CLUSTER = 'test-cluster';

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const record =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, message, fields });
    };
  return { debug: record('debug'), info: record('info'), warn: record('warn') };
}

/** Wraps the Node network to see every socket: how many are open, and the Raft frames each side sent. */
class ObservedNetwork implements PeerNetwork {
  readonly #inner = createNodePeerNetwork();
  readonly open = new Set<PeerSocket>();
  readonly dialed: PeerSocket[] = [];
  messageFramesSent = 0;

  listen(...args: Parameters<PeerNetwork['listen']>): ReturnType<PeerNetwork['listen']> {
    const [host, port, onSocket, options] = args;
    return this.#inner.listen(
      host,
      port,
      (socket, remote) => onSocket(this.#observe(socket), remote),
      options,
    );
  }

  async dial(...args: Parameters<PeerNetwork['dial']>): Promise<PeerSocket> {
    const socket = this.#observe(await this.#inner.dial(...args));
    this.dialed.push(socket);
    return socket;
  }

  #observe(socket: PeerSocket): PeerSocket {
    let onClose: ((code: number, reason: string) => void) | null = null;
    const observed: PeerSocket = {
      send: (frame) => {
        const decoded = decodePeerFrame(frame);
        if (!isDecodeError(decoded)) this.messageFramesSent++;
        socket.send(frame);
      },
      close: (code, reason) => socket.close(code, reason),
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      onMessage: (callback) => socket.onMessage(callback),
      onClose: (callback) => {
        onClose = callback;
      },
    };
    this.open.add(observed);
    socket.onClose((code, reason) => {
      this.open.delete(observed);
      onClose?.(code, reason);
    });
    return observed;
  }
}

interface Member {
  readonly id: NodeId;
  readonly transport: PeerTransport;
  readonly network: ObservedNetwork;
  readonly port: number;
  readonly url: string;
  readonly received: Message[];
  readonly logs: LogLine[];
  readonly unreachable: NodeId[];
  readonly snapshotStatus: { id: NodeId; status: 'finished' | 'failure' }[];
}

interface MemberOptions {
  readonly port?: number;
  readonly secret?: string;
  readonly clusterId?: string;
  readonly limits?: Partial<TransportLimits>;
  readonly timings?: Partial<TransportTimings>;
  readonly acceptPeer?: PeerTransportOptions['acceptPeer'];
}

const running = new Set<PeerTransport>();
after(async () => {
  await Promise.all([...running].map((transport) => transport.close()));
});

async function startMember(id: NodeId, options: MemberOptions = {}): Promise<Member> {
  const network = new ObservedNetwork();
  const received: Message[] = [];
  const logs: LogLine[] = [];
  const unreachable: NodeId[] = [];
  const snapshotStatus: Member['snapshotStatus'] = [];
  const transport = new PeerTransport({
    memberId: id,
    clusterId: options.clusterId ?? CLUSTER,
    secret: options.secret ?? SECRET,
    network,
    onMessages: (messages) => received.push(...messages),
    onUnreachable: (peer) => unreachable.push(peer),
    onSnapshotStatus: (peer, status) => snapshotStatus.push({ id: peer, status }),
    logger: recordingLogger(logs),
    backoff: { initialMs: 10, maxMs: 100 },
    random: createRandom(7),
    limits: options.limits,
    timings: { handshakeTimeoutMs: 2000, ...options.timings },
    acceptPeer: options.acceptPeer,
  });
  const started = await transport.start('127.0.0.1', options.port ?? 0);
  assert.ok(!('code' in started), `start failed: ${JSON.stringify(started)}`);
  running.add(transport);
  return {
    id,
    transport,
    network,
    port: started.port,
    url: `ws://127.0.0.1:${started.port}`,
    received,
    logs,
    unreachable,
    snapshotStatus,
  };
}

async function stop(member: Member): Promise<void> {
  await member.transport.close();
  running.delete(member.transport);
}

function connectAll(members: readonly Member[]): void {
  const peers = new Map(members.map((member) => [member.id, member.url]));
  for (const member of members) assert.equal(member.transport.setPeers(peers), undefined);
}

/** Polls until `condition` holds; fails with `what` after the deadline. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function waitConnected(members: readonly Member[]): Promise<void> {
  for (const member of members) {
    for (const other of members) {
      if (other === member) continue;
      await waitFor(`${member.id} connected to ${other.id}`, () => member.transport.reachable(other.id));
    }
  }
}

function message(from: NodeId, to: NodeId, index: number, overrides: Partial<Message> = {}): Message {
  return {
    type: 'append',
    from,
    to,
    term: 1,
    logTerm: 1,
    index,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...overrides,
  };
}

function indexesFrom(member: Member, from: NodeId): number[] {
  return member.received.filter((m) => m.from === from).map((m) => m.index);
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function warnings(member: Member, text: string): LogLine[] {
  return member.logs.filter((line) => line.level === 'warn' && line.message.includes(text));
}

describe('PeerTransport', () => {
  it('delivers messages between three members in every direction, in order per pair', async () => {
    const members = await Promise.all(['a', 'b', 'c'].map((id) => startMember(id)));
    connectAll(members);
    await waitConnected(members);
    const perPair = 300;
    for (let turn = 0; turn < 3; turn++) {
      for (const from of members) {
        for (const to of members) {
          if (from === to) continue;
          from.transport.send(
            range(perPair / 3).map((i) => message(from.id, to.id, turn * (perPair / 3) + i)),
          );
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const to of members) {
      await waitFor(`${to.id} received everything`, () => to.received.length === 2 * perPair);
      for (const from of members) {
        if (from !== to) assert.deepEqual(indexesFrom(to, from.id), range(perPair), `${from.id} → ${to.id}`);
      }
    }
    await Promise.all(members.map(stop));
  });

  it('batches the messages of one turn into few frames', async () => {
    const [a, b] = await Promise.all([startMember('a'), startMember('b')]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    const framesBefore = a.network.messageFramesSent;
    for (const i of range(1000)) a.transport.send([message('a', 'b', i, { entries: [entry(i, 64)] })]);
    await waitFor('b received 1000 messages', () => b.received.length === 1000);
    assert.equal(a.network.messageFramesSent - framesBefore, 1, '1000 small sends in one turn → one frame');
    assert.deepEqual(indexesFrom(b, 'a'), range(1000));
    await Promise.all([stop(a), stop(b)]);
  });

  it('splits a turn larger than a frame into full frames', async () => {
    const limits = { maxFrameBytes: 64 * 1024 };
    const [a, b] = await Promise.all([startMember('a', { limits }), startMember('b', { limits })]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    const framesBefore = a.network.messageFramesSent;
    // 400 messages of ~1 KiB: ~400 KiB, so at least 7 frames of 64 KiB and not many more.
    a.transport.send(range(400).map((i) => message('a', 'b', i, { entries: [entry(i, 1000)] })));
    await waitFor('b received 400 messages', () => b.received.length === 400);
    const frames = a.network.messageFramesSent - framesBefore;
    assert.ok(frames >= 7 && frames <= 9, `expected 7-9 frames, got ${frames}`);
    assert.deepEqual(indexesFrom(b, 'a'), range(400));
    await Promise.all([stop(a), stop(b)]);
  });

  it('drops the newest messages when a peer queue is full, counts them, and leaves other peers alone', async () => {
    const limits = { queueMessages: 10 };
    const members = await Promise.all(['a', 'b', 'c'].map((id) => startMember(id, { limits })));
    const [a, b, c] = members as [Member, Member, Member];
    connectAll(members);
    await waitConnected(members);
    a.transport.send([
      ...range(50).map((i) => message('a', 'b', i)),
      ...range(5).map((i) => message('a', 'c', i)),
    ]);
    assert.equal(a.transport.stats().peers.get('b')?.droppedMessages, 40);
    assert.equal(a.transport.stats().peers.get('c')?.droppedMessages, 0);
    assert.deepEqual(a.unreachable, ['b']);
    await waitFor('c received 5', () => c.received.length === 5);
    await waitFor('b received 10', () => b.received.length === 10);
    assert.deepEqual(indexesFrom(b, 'a'), range(10), 'the first ten were kept, the newest dropped');
    await Promise.all(members.map(stop));
  });

  it('drops messages to a disconnected or unknown peer and reports it unreachable', async () => {
    const a = await startMember('a');
    a.transport.setPeers(new Map([['b', 'ws://127.0.0.1:1']]));
    a.transport.send([message('a', 'b', 1), message('a', 'b', 2), message('a', 'zed', 1)]);
    assert.equal(a.transport.reachable('b'), false);
    assert.deepEqual(a.unreachable, ['b', 'zed']);
    assert.equal(a.transport.stats().peers.get('b')?.droppedMessages, 2);
    await stop(a);
  });

  it('reconnects after either side of a pair restarts, and keeps one socket per pair', async () => {
    const members = await Promise.all(['a', 'b', 'c'].map((id) => startMember(id)));
    connectAll(members);
    await waitConnected(members);
    await waitForOneSocketPerPair(members);
    for (const restarting of ['b', 'a']) {
      const index = members.findIndex((member) => member.id === restarting);
      const old = members[index]!;
      await stop(old);
      await waitFor(`others notice ${restarting} is gone`, () =>
        members.every((member) => member === old || !member.transport.reachable(restarting)),
      );
      const restarted = await startMember(restarting, { port: old.port });
      members[index] = restarted;
      connectAll(members);
      await waitConnected(members);
      await waitForOneSocketPerPair(members);
      for (const other of members) {
        if (other === restarted) continue;
        other.transport.send([message(other.id, restarting, 42)]);
        restarted.transport.send([message(restarting, other.id, 43)]);
        await waitFor(`${other.id} → restarted ${restarting}`, () =>
          indexesFrom(restarted, other.id).includes(42),
        );
        await waitFor(`restarted ${restarting} → ${other.id}`, () =>
          indexesFrom(other, restarting).includes(43),
        );
      }
    }
    await Promise.all(members.map(stop));
  });

  it('ends with one socket per pair whatever order members start and learn of each other', async () => {
    const c = await startMember('c');
    const b = await startMember('b');
    const urls = new Map([
      ['c', c.url],
      ['b', b.url],
    ]);
    c.transport.setPeers(urls);
    b.transport.setPeers(urls);
    const a = await startMember('a');
    const all = new Map([...urls, ['a', a.url]]);
    a.transport.setPeers(all);
    c.transport.setPeers(all);
    b.transport.setPeers(all);
    await waitConnected([a, b, c]);
    await waitForOneSocketPerPair([a, b, c]);
    await Promise.all([a, b, c].map(stop));
  });

  it('refuses a peer with a wrong secret, logs it on both sides, and never reveals the secret', async () => {
    const wrongSecret = 'not the secret of the test cluster';
    const [a, b] = await Promise.all([startMember('a', { secret: wrongSecret }), startMember('b')]);
    connectAll([a, b]);
    await waitFor('a refused b', () => warnings(a, 'peer connection refused').length >= 1);
    const refusal = warnings(a, 'peer connection refused')[0]!;
    assert.equal(refusal.fields.claimedMemberId, 'b');
    assert.match(String(refusal.fields.reason), /authentication failed/);
    assert.match(String(refusal.fields.remote), /^ws:\/\/127\.0\.0\.1:\d+\/raft$/);
    await waitFor('b logged the refusal', () => warnings(b, 'refused').length >= 1);
    assert.equal(warnings(b, 'refused')[0]!.fields.claimedMemberId, 'a');
    assert.ok(!a.transport.reachable('b') && !b.transport.reachable('a'));
    assert.ok(b.transport.stats().failedHandshakes >= 1);
    const everything = JSON.stringify([...a.logs, ...b.logs]);
    assert.ok(!everything.includes(SECRET) && !everything.includes(wrongSecret), 'no secret in the logs');
    a.transport.send([message('a', 'b', 1)]);
    assert.deepEqual(a.unreachable, ['b'], 'nothing is sent to a peer that failed to authenticate');
    await Promise.all([stop(a), stop(b)]);
  });

  it('refuses a peer from another cluster and logs the remote address and claimed member', async () => {
    const [a, b] = await Promise.all([startMember('a', { clusterId: 'other-cluster' }), startMember('b')]);
    connectAll([a, b]);
    await waitFor('b refused a', () => warnings(b, 'peer connection refused').length >= 1);
    const refusal = warnings(b, 'peer connection refused')[0]!;
    assert.equal(refusal.fields.claimedMemberId, 'a');
    assert.match(String(refusal.fields.reason), /cluster id mismatch/);
    assert.match(String(refusal.fields.remote), /^127\.0\.0\.1:\d+$/);
    await waitFor('a saw the refusal', () => warnings(a, 'refused by the peer').length >= 1);
    assert.match(String(warnings(a, 'refused by the peer')[0]!.fields.reason), /cluster id mismatch/);
    assert.ok(!a.transport.reachable('b'));
    await Promise.all([stop(a), stop(b)]);
  });

  it('admits a member it does not know only if acceptPeer says so', async () => {
    const b = await startMember('b', { acceptPeer: (id) => id === 'a' });
    const [a, x] = await Promise.all([startMember('a'), startMember('0-unknown')]);
    a.transport.setPeers(new Map([['b', b.url]]));
    x.transport.setPeers(new Map([['b', b.url]]));
    await waitFor('a connected', () => a.transport.reachable('b') && b.transport.reachable('a'));
    a.transport.send([message('a', 'b', 7)]);
    await waitFor('b got the message of the admitted member', () => b.received.length === 1);
    b.transport.send([message('b', 'a', 8)]);
    await waitFor('a got the reply', () => a.received.length === 1);
    // A second connection of the admitted member replaces the first (it redialed after a restart).
    await stop(a);
    await waitFor('b saw a leave', () => !b.transport.reachable('a'));
    const first = await dialAs('a', b);
    const second = await dialAs('a', b);
    await waitFor('the older connection was closed', () => first.connection.isClosed);
    b.transport.send([message('b', 'a', 9)]);
    await waitFor(
      'b reaches the admitted member on its newer connection',
      () => second.received.length === 1,
    );
    assert.equal(second.received[0]!.index, 9);
    second.connection.close(1000, 'done');
    await waitFor('the unknown member refused', () => warnings(b, 'peer connection refused').length >= 1);
    assert.match(String(warnings(b, 'peer connection refused')[0]!.fields.reason), /not a known peer/);
    assert.equal(b.transport.reachable('0-unknown'), false);
    await Promise.all([stop(b), stop(x)]);
  });

  it('disconnects a peer removed from the peer set', async () => {
    const [a, b] = await Promise.all([startMember('a'), startMember('b')]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    a.transport.setPeers(new Map([['a', a.url]]));
    await waitFor('b sees a leave', () => !b.transport.reachable('a'));
    assert.equal(a.transport.reachable('b'), false);
    assert.equal(a.transport.stats().peers.has('b'), false);
    await waitFor('the socket closed', () => a.network.open.size === 0);
    assert.equal(a.network.dialed.length, 1);
    await Promise.all([stop(a), stop(b)]);
  });

  it('drops messages whose sender is not the authenticated peer, or whose recipient is not this member', async () => {
    const b = await startMember('b');
    b.transport.setPeers(
      new Map([
        ['a', 'ws://127.0.0.1:1'],
        ['c', 'ws://127.0.0.1:1'],
      ]),
    );
    const { connection: rogue } = await dialAs('a', b);
    rogue.send(
      encodePeerFrame([message('c', 'b', 1), message('a', 'someone-else', 2), message('a', 'b', 3)]),
    );
    await waitFor('the honest message arrived', () => b.received.length === 1);
    assert.equal(b.received[0]!.index, 3);
    assert.equal(b.transport.stats().peers.get('a')?.rejectedMessages, 2);
    const warning = warnings(b, 'wrong sender or recipient')[0]!;
    assert.equal(warning.fields.peer, 'a');
    assert.equal(warning.fields.refused, 2);
    rogue.close(1000, 'done');
    await stop(b);
  });

  it('closes the connection on a frame that does not decode, and recovers by reconnecting', async () => {
    const [a, b] = await Promise.all([startMember('a'), startMember('b')]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    const socket = a.network.dialed.at(-1)!;
    socket.send(new Uint8Array([0x56, 0x50, 1, 1, 0xff, 0xff, 0xff]));
    await waitFor('b counted the bad frame', () => b.transport.stats().peers.get('a')?.badFrames === 1);
    const warning = warnings(b, 'bad frame')[0]!;
    assert.equal(warning.fields.peer, 'a');
    assert.match(String(warning.fields.error), /peer frame/);
    assert.equal(b.received.length, 0);
    await waitFor('a reconnected', () => a.network.dialed.length === 2 && a.transport.reachable('b'));
    a.transport.send([message('a', 'b', 5)]);
    await waitFor('delivery resumed', () => b.received.length === 1);
    await Promise.all([stop(a), stop(b)]);
  });

  it('closes a connection whose handshake does not finish in time', async () => {
    const b = await startMember('b', { timings: { handshakeTimeoutMs: 100 } });
    const silent = await rawSocket(b);
    await waitFor('the silent socket closed', () => silent.closeCode() !== null);
    assert.equal(silent.closeCode(), PEER_CLOSE.refused);
    assert.match(
      String(warnings(b, 'peer connection refused')[0]!.fields.reason),
      /did not complete within 100 ms/,
    );
    await stop(b);
  });

  it('bounds what unauthenticated connections may cost: handshakes in progress, frame size, frame count', async () => {
    const limits = { maxHandshakingConnections: 2, maxFrameBytes: 64 * 1024 };
    const b = await startMember('b', { limits });
    const [first, second] = [await rawSocket(b), await rawSocket(b)];
    const third = await rawSocket(b);
    await waitFor('the third handshake refused', () => third.closeCode() !== null);
    assert.equal(third.closeCode(), PEER_CLOSE.refused);
    assert.equal(warnings(b, 'too many handshakes')[0]!.fields.limit, 2);
    assert.equal(first.closeCode(), null);
    first.close(1000, 'done');
    second.close(1000, 'done');
    await waitFor('slots freed', () => first.closeCode() !== null && second.closeCode() !== null);

    const oversized = await rawSocket(b);
    oversized.send(new Uint8Array(64 * 1024 + 1));
    await waitFor('the oversized frame closed its connection', () => oversized.closeCode() !== null);
    assert.equal(oversized.closeCode(), 1009, 'WebSocket "message too big"');

    b.transport.setPeers(new Map([['a', 'ws://127.0.0.1:1']]));
    const flood = await rawSocket(b);
    const hello = encodeHandshakeFrame({
      kind: 'hello',
      clusterId: CLUSTER,
      memberId: 'a',
      nonce: new Uint8Array(32),
    });
    for (let i = 0; i < 10; i++) flood.send(hello);
    await waitFor('the flood closed its connection', () => flood.closeCode() !== null);
    assert.match(String(warnings(b, 'peer connection refused').at(-1)!.fields.reason), /more than 4 frames/);
    await stop(b);
  });

  it('closes a connection on which the peer went silent', async () => {
    const b = await startMember('b', { timings: { pingIntervalMs: 20, idleTimeoutMs: 150 } });
    b.transport.setPeers(new Map([['a', 'ws://127.0.0.1:1']]));
    const impostor = await dialAs('a', b);
    b.transport.send([message('b', 'a', 1)]);
    await waitFor('the impostor answers at first', () => impostor.received.length === 1);
    impostor.mute();
    await waitFor('b closed the silent connection', () => impostor.closeCode() !== null);
    assert.equal(impostor.closeCode(), PEER_CLOSE.idle);
    assert.equal(warnings(b, 'idle')[0]!.fields.peer, 'a');
    assert.equal(b.transport.reachable('a'), false);
    await stop(b);
  });

  it('sends a 20 MiB snapshot in chunks and the peer receives it intact', async () => {
    const limits = { maxFrameBytes: 1024 * 1024 };
    const [a, b] = await Promise.all([startMember('a', { limits }), startMember('b', { limits })]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    const data = randomBytes(20 * 1024 * 1024, 11);
    const snapshot = snapshotMessage('a', 'b', data);
    a.transport.send([snapshot, message('a', 'b', 1)]);
    a.transport.send([snapshotMessage('a', 'b', new Uint8Array(10))]);
    assert.deepEqual(
      a.snapshotStatus,
      [{ id: 'b', status: 'failure' }],
      'a second snapshot while one is in flight is dropped',
    );
    await waitFor('b received the snapshot', () => b.received.some((m) => m.type === 'snapshot'), 10_000);
    const received = b.received.find((m) => m.type === 'snapshot')!;
    assert.deepEqual(received.snapshot?.metadata, snapshot.snapshot?.metadata);
    assert.ok(Buffer.from(received.snapshot!.data).equals(Buffer.from(data)), 'snapshot data intact');
    assert.ok(
      b.received.some((m) => m.index === 1),
      'the small message was not held up',
    );
    assert.deepEqual(a.snapshotStatus.at(-1), { id: 'b', status: 'finished' });
    assert.ok((b.transport.stats().peers.get('a')?.receivedFrames ?? 0) >= 20, 'it travelled in many frames');
    await Promise.all([stop(a), stop(b)]);
  });

  it('refuses to send a message larger than maxReassembledBytes and says which limit', async () => {
    const limits = { maxFrameBytes: 64 * 1024, maxReassembledBytes: 1024 * 1024 };
    const [a, b] = await Promise.all([startMember('a', { limits }), startMember('b', { limits })]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    a.transport.send([snapshotMessage('a', 'b', new Uint8Array(2 * 1024 * 1024))]);
    await waitFor('a reported the snapshot failed', () => a.snapshotStatus.length === 1);
    assert.deepEqual(a.snapshotStatus, [{ id: 'b', status: 'failure' }]);
    assert.match(String(warnings(a, 'too large')[0]!.fields.limit), /maxReassembledBytes/);
    assert.equal(a.transport.stats().peers.get('b')?.droppedMessages, 1);
    await Promise.all([stop(a), stop(b)]);
  });

  it('measures the round trip with pings and reports contact', async () => {
    const timings = { pingIntervalMs: 20 };
    const [a, b] = await Promise.all([startMember('a', { timings }), startMember('b', { timings })]);
    connectAll([a, b]);
    await waitConnected([a, b]);
    await waitFor('an rtt was measured', () => a.transport.stats().peers.get('b')?.rttMs != null);
    const stats = a.transport.stats().peers.get('b')!;
    assert.ok(stats.connected);
    assert.ok(stats.rttMs! >= 0 && stats.rttMs! < 1000);
    assert.ok(stats.lastContactMs !== null && stats.lastContactMs < 1000);
    await Promise.all([stop(a), stop(b)]);
  });

  it('refuses at start a short secret, an empty cluster id, and inconsistent limits, saying what is wrong', async () => {
    const cases: [Partial<PeerTransportOptions>, string, RegExp][] = [
      [{ secret: 'short' }, 'invalidClusterSecret', /5 bytes; use at least 16/],
      [{ clusterId: '' }, 'invalidOptions', /clusterId must be 1 to 256 bytes/],
      [{ limits: { maxFrameBytes: 1 << 20, maxBufferedBytes: 1000 } }, 'invalidOptions', /maxBufferedBytes/],
      [{ limits: { queueMessages: 0 } }, 'invalidOptions', /queueMessages must be a positive integer/],
    ];
    for (const [options, code, message] of cases) {
      const transport = new PeerTransport({
        memberId: 'a',
        clusterId: CLUSTER,
        secret: SECRET,
        network: createNodePeerNetwork(),
        onMessages: () => {},
        logger: recordingLogger([]),
        ...options,
      });
      const result = await transport.start('127.0.0.1', 0);
      assert.ok('code' in result);
      assert.equal(result.code, code);
      assert.match(result.message, message);
    }
  });

  it('refuses a peer URL that is not ws:// or wss://', async () => {
    const a = await startMember('a');
    const error = a.transport.setPeers(new Map([['b', 'http://127.0.0.1:80']]));
    assert.equal(error?.code, 'invalidPeerUrl');
    assert.equal(a.transport.stats().peers.size, 0, 'nothing applied');
    await stop(a);
  });
});

async function waitForOneSocketPerPair(members: readonly Member[]): Promise<void> {
  const counts = (): string => members.map((member) => `${member.id}:${member.network.open.size}`).join(' ');
  const expected = members.map((member) => `${member.id}:${members.length - 1}`).join(' ');
  await waitFor(`one socket per pair (${expected})`, () => counts() === expected);
}

/** A hand-driven dialer that authenticates as `id` and then sends whatever the test wants. */
interface Impostor {
  readonly connection: PeerConnection;
  readonly received: Message[];
  /** From now on, frames from the target are ignored: not even pings are answered. */
  mute(): void;
  closeCode(): number | null;
}

/** A hand-driven dialer that authenticates as `id` and then sends whatever the test wants. */
async function dialAs(id: NodeId, target: Member): Promise<Impostor> {
  const socket = await rawSocket(target);
  const key = await importClusterSecret(SECRET);
  assert.ok(!('code' in key));
  let established = false;
  let muted = false;
  let closeCode: number | null = null;
  const received: Message[] = [];
  const muteable: PeerSocket = {
    send: (frame) => socket.send(frame),
    close: (code, reason) => socket.close(code, reason),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    onMessage: (callback) => socket.onMessage((frame) => muted || callback(frame)),
    onClose: (callback) => socket.onClose(callback),
  };
  const connection = new PeerConnection({
    socket: muteable,
    remoteAddress: target.url,
    role: { side: 'dialer', expectedPeerId: target.id },
    identity: { clusterId: CLUSTER, memberId: id, key },
    timings: {
      handshakeTimeoutMs: 2000,
      pingIntervalMs: 1000,
      idleTimeoutMs: 10_000,
      chunkTimeoutMs: 10_000,
    },
    limits: { maxFrameBytes: 1024 * 1024, maxReassembledBytes: 1024 * 1024 },
    events: {
      established: () => {
        established = true;
      },
      handshakeFailed: (_connection, failure) => assert.fail(failure.reason),
      messages: (_connection, messages) => received.push(...messages),
      badFrame: () => {},
      closed: (_connection, code) => {
        closeCode = code;
      },
    },
    logger: recordingLogger([]),
    now: () => performance.now(),
  });
  await waitFor(`impostor ${id} authenticated`, () => established);
  return {
    connection,
    received,
    mute: () => {
      muted = true;
    },
    closeCode: () => closeCode,
  };
}

/** A WebSocket to the member's peer endpoint with nothing of the transport on this side. */
async function rawSocket(target: Member): Promise<PeerSocket & { closeCode(): number | null }> {
  const socket = await createNodePeerNetwork().dial(`${target.url}${PEER_PATH}`, {
    maxFrameBytes: 1024 * 1024,
    connectTimeoutMs: 1000,
  });
  let closeCode: number | null = null;
  socket.onClose((code) => {
    closeCode = code;
  });
  return Object.assign(socket, { closeCode: () => closeCode });
}

function entry(index: number, bytes: number) {
  return { term: 1, index, type: 'normal' as const, data: new Uint8Array(bytes) };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const random = createRandom(seed);
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = random.uint32();
  return bytes;
}

function snapshotMessage(from: NodeId, to: NodeId, data: Uint8Array): Message {
  return message(from, to, 100, {
    type: 'snapshot',
    snapshot: {
      metadata: {
        index: 100,
        term: 3,
        confState: {
          voters: ['a', 'b', 'c'],
          learners: [],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        },
      },
      data,
    },
  });
}
