// The peer proxy between a dialing member and a listening one, with plain WebSockets standing in for
// both: what each side receives when the test blocks, delays or heals a direction of their link.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeHandshakeFrame } from '../../core/protocol/index.ts';
import { createRandom } from '../../core/random.ts';
import { waitFor } from './harness.ts';
import { PeerProxy } from './proxy.ts';

/** Frames one side received, with a way to wait for the next. */
class Inbox {
  readonly frames: string[] = [];
  readonly #waiters: ((frame: string) => void)[] = [];

  push(frame: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(frame);
    else this.frames.push(frame);
  }

  next(): Promise<string> {
    const frame = this.frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function hello(memberId: string): Uint8Array {
  return encodeHandshakeFrame({ kind: 'hello', clusterId: 'test', memberId, nonce: new Uint8Array(32) });
}

/** A listening member "m2" behind the proxy and a dialing member "m1" connected through it. */
interface Connected {
  readonly member: WebSocketServer;
  readonly listenerSocket: WebSocket;
  readonly atListener: Inbox;
  readonly dialer: WebSocket;
  readonly atDialer: Inbox;
}

async function connectThrough(proxy: PeerProxy): Promise<Connected> {
  const member = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => member.once('listening', resolve));
  const atListener = new Inbox();
  const accepted = new Promise<WebSocket>((resolve) => {
    member.on('connection', (socket, request) => {
      assert.equal(request.url, '/raft');
      socket.on('message', (data, isBinary) => atListener.push(isBinary ? 'hello' : String(data)));
      resolve(socket);
    });
  });
  const url = await proxy.listen('m2', (member.address() as AddressInfo).port);
  const dialer = new WebSocket(`${url}/raft`);
  const atDialer = new Inbox();
  dialer.on('message', (data) => atDialer.push(String(data)));
  await new Promise((resolve) => dialer.once('open', resolve));
  dialer.send(hello('m1'));
  const listenerSocket = await accepted;
  assert.equal(await atListener.next(), 'hello');
  return { member, listenerSocket, atListener, dialer, atDialer };
}

async function disconnect(proxy: PeerProxy, connected: Connected): Promise<void> {
  connected.dialer.close();
  await proxy.close();
  await new Promise((resolve) => connected.member.close(resolve));
}

describe('the peer proxy', () => {
  const proxy = new PeerProxy(createRandom(1));
  /** What the listening member "m2" received, and its socket to answer on. */
  let atListener: Inbox;
  let listenerSocket: WebSocket;
  /** The dialing member "m1". */
  let dialer: WebSocket;
  let atDialer: Inbox;
  let connected: Connected;

  before(async () => {
    connected = await connectThrough(proxy);
    ({ listenerSocket, atListener, dialer, atDialer } = connected);
  });

  after(() => disconnect(proxy, connected));

  it('relays frames both ways and counts them on the link named by the hello', async () => {
    dialer.send('ping');
    assert.equal(await atListener.next(), 'ping');
    listenerSocket.send('pong');
    assert.equal(await atDialer.next(), 'pong');
    assert.equal(proxy.stats().get('m1>m2')?.forwarded, 2);
    assert.equal(proxy.stats().get('m2>m1')?.forwarded, 1);
  });

  it('drops what a one-way partition blocks while the other direction still flows, until healed', async () => {
    proxy.setLink('m1', 'm2', { blocked: true });
    dialer.send('lost');
    listenerSocket.send('still flows');
    assert.equal(await atDialer.next(), 'still flows');
    proxy.heal();
    dialer.send('after heal');
    // Frames keep their order, so had 'lost' passed it would arrive first.
    assert.equal(await atListener.next(), 'after heal');
    assert.equal(proxy.stats().get('m1>m2')?.dropped, 1);
  });

  it('holds frames on a slow link for the delay, in the order they were sent', async () => {
    proxy.setLink('m2', 'm1', { delayMs: 80, jitterMs: 40 });
    const sentAt = performance.now();
    for (const frame of ['a', 'b', 'c', 'd']) listenerSocket.send(frame);
    const received = [
      await atDialer.next(),
      await atDialer.next(),
      await atDialer.next(),
      await atDialer.next(),
    ];
    const elapsed = performance.now() - sentAt;
    assert.deepEqual(received, ['a', 'b', 'c', 'd']);
    assert.ok(elapsed >= 40, `frames arrived after ${elapsed.toFixed(0)} ms, before the shortest delay`);
    proxy.heal();
  });

  it('drops a frame held on a delayed link when a partition begins before it is due', async () => {
    const droppedBefore = proxy.stats().get('m1>m2')?.dropped ?? 0;
    proxy.setLink('m1', 'm2', { delayMs: 200 });
    const delayedBefore = proxy.stats().get('m1>m2')?.delayed ?? 0;
    dialer.send('in flight');
    await waitFor('the proxy to hold the frame', 2000, () =>
      (proxy.stats().get('m1>m2')?.delayed ?? 0) > delayedBefore ? true : undefined,
    );
    const heldAt = performance.now();
    proxy.setLink('m1', 'm2', { blocked: true, delayMs: 0 });
    await waitFor('the held frame to be dropped', 2000, () =>
      (proxy.stats().get('m1>m2')?.dropped ?? 0) > droppedBefore ? true : undefined,
    );
    assert.ok(performance.now() - heldAt >= 150, 'the frame was dropped before it was due');
    proxy.heal();
    dialer.send('next');
    assert.equal(await atListener.next(), 'next');
  });

  it('refuses link conditions that make no sense', () => {
    assert.throws(() => proxy.setLink('m1', 'm1', { blocked: true }), /two members/);
    assert.throws(() => proxy.setLink('m1', 'm2', { dropRate: 1.5 }), /dropRate/);
    assert.throws(() => proxy.setLink('m1', 'm2', { delayMs: 10, jitterMs: 20 }), /jitter/);
  });

  it('closes the other side when one side of a connection goes away', async () => {
    const closed = new Promise<number>((resolve) => dialer.once('close', (code) => resolve(code)));
    listenerSocket.close(4000, 'bye');
    assert.equal(await closed, 4000);
  });
});

describe('the peer proxy at its limit', () => {
  it('drops, and counts, frames that would hold more than maxHeldBytes on a slow link', async () => {
    // Room for the hello (about 50 bytes), which passes at once, and for one of the frames below.
    const proxy = new PeerProxy(createRandom(2), { maxHeldBytes: 100 });
    const connected = await connectThrough(proxy);
    try {
      proxy.setLink('m1', 'm2', { delayMs: 50 });
      connected.dialer.send('a'.repeat(60));
      connected.dialer.send('b'.repeat(60));
      connected.dialer.send('ok');
      assert.equal(await connected.atListener.next(), 'a'.repeat(60));
      assert.equal(await connected.atListener.next(), 'ok');
      assert.equal(proxy.stats().get('m1>m2')?.overflowed, 1);
    } finally {
      await disconnect(proxy, connected);
    }
  });
});
