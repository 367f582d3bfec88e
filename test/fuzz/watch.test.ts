// Hostile messages on the watch WebSocket of real members: every client message type with one thing
// broken gets an error naming it and the session carries on; frames the socket cannot take close
// it with the code and reason for that; the limits per connection hold; no store changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { MAX_WATCH_MESSAGE_BYTES } from '../../server/adapters/start-member.ts';
import { FuzzCluster, type FuzzMember } from './fuzz-cluster.ts';
import { FuzzTally, fuzzParameters } from './fuzz-runs.ts';
import { badWatchInput } from './watch-inputs.ts';

const MAX_WATCHES = 8;
const ANSWER_TIMEOUT_MS = 10_000;

interface ServerMessage {
  readonly type: string;
  readonly watchId?: number;
  readonly requestId?: number;
  readonly id?: number;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly events?: unknown[];
  readonly error?: { readonly code: string; readonly message: string };
}

/** One client socket: messages in arrival order, awaited one at a time, each with a deadline. */
class WatchClient {
  readonly ws: WebSocket;
  readonly #inbox: ServerMessage[] = [];
  #waiter: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.#inbox.push(JSON.parse(String(data)) as ServerMessage);
      this.#waiter?.();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#waiter?.();
      });
    });
  }

  static open(member: FuzzMember): Promise<WatchClient> {
    const ws = new WebSocket(`${member.clientUrl.replace('http', 'ws')}/v1/watch`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WatchClient(ws)));
      ws.once('error', reject);
    });
  }

  send(message: string | object): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async next(): Promise<ServerMessage> {
    const deadline = performance.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      const message = this.#inbox.shift();
      if (message !== undefined) return message;
      if (this.ws.readyState !== WebSocket.OPEN)
        throw new Error(`socket closed while waiting (${this.ws.readyState})`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no message within ${ANSWER_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = null;
    }
  }

  /** Everything the server sends up to the answer to a progress request (watchId -1), which syncs us. */
  async untilProgress(): Promise<ServerMessage[]> {
    this.send({ v: 1, type: 'progress' });
    const seen: ServerMessage[] = [];
    for (;;) {
      const message = await this.next();
      if (message.type === 'watchResponse' && message.watchId === -1) return seen;
      seen.push(message);
    }
  }

  close(): void {
    this.ws.close();
  }
}

describe('fuzzing the watch WebSocket of real members', () => {
  const tally = new FuzzTally('watch socket');
  let cluster: FuzzCluster;
  let hashesBefore: Record<string, string>;
  const clients = new Map<string, WatchClient>();

  before(async () => {
    cluster = await FuzzCluster.start('watch', {
      flags: { 'max-watches-per-connection': String(MAX_WATCHES) },
    });
    await cluster.seed();
    hashesBefore = await cluster.storeHashes();
    for (const member of cluster.members) clients.set(member.id, await WatchClient.open(member));
  });

  after(async () => {
    console.log(tally.summary());
    for (const client of clients.values()) client.close();
    await cluster?.stop();
  });

  it('answers every bad message with an error naming the problem, and every bad frame with a close saying why', async () => {
    const limits = {
      maxRequestBytes: DEFAULT_LIMITS.maxRequestBytes,
      maxKeyBytes: DEFAULT_LIMITS.maxKeyBytes,
    };
    await fc.assert(
      fc.asyncProperty(
        badWatchInput({ ...limits, maxMessageBytes: MAX_WATCH_MESSAGE_BYTES }),
        fc.constantFrom('m1', 'm2'),
        async (input, id) => {
          tally.count(input.kind);
          if (input.expect === 'close') {
            const client = await WatchClient.open(cluster.member(id));
            client.ws.send(input.frame, { binary: input.binary });
            const closed = await client.closed;
            assert.equal(
              closed.code,
              input.closeCode,
              `${input.kind}: closed with ${JSON.stringify(closed)}`,
            );
            if (input.reason !== null) assert.match(closed.reason, input.reason, input.kind);
            return;
          }
          const client = clients.get(id)!;
          client.send(input.text);
          const answers = await client.untilProgress();
          const where = `${input.kind} answered ${JSON.stringify(answers).slice(0, 500)}`;
          assert.equal(answers.length, 1, where);
          const [answer] = answers;
          assert.equal(answer?.type, 'error', where);
          assert.ok(
            input.mentions.some((mention) => answer?.error?.message.includes(mention)),
            `${where}\nexpected the message to name one of ${JSON.stringify(input.mentions)}`,
          );
          if (input.requestId !== undefined) assert.equal(answer?.requestId, input.requestId, where);
        },
      ),
      fuzzParameters(500),
    );
  });

  it(`refuses watch ${MAX_WATCHES + 1} on a connection naming maxWatchesPerConnection, and a watch id in use`, async () => {
    const client = await WatchClient.open(cluster.member('m1'));
    for (let watchId = 0; watchId < MAX_WATCHES; watchId++) {
      client.send({ v: 1, type: 'watchCreate', watchId, key: `app/`, prefix: true });
      const created = await client.next();
      assert.equal(created.created, true, JSON.stringify(created));
    }
    tally.count('watch over the per-connection limit');
    client.send({ v: 1, type: 'watchCreate', watchId: MAX_WATCHES, key: 'app/', prefix: true });
    const refused = await client.next();
    assert.equal(refused.type, 'error');
    assert.match(refused.error?.message ?? '', /already has 8 watches \(maxWatchesPerConnection\)/);

    client.send({ v: 1, type: 'watchCancel', watchId: 3 });
    assert.equal((await client.next()).canceled, true);
    tally.count('watch id already in use');
    client.send({ v: 1, type: 'watchCreate', watchId: 4, key: 'x' });
    assert.match((await client.next()).error?.message ?? '', /watchId 4 is already in use/);
    client.send({ v: 1, type: 'watchCreate', watchId: 3, key: 'x' });
    assert.equal((await client.next()).created, true, 'a canceled watch frees its slot');
    client.close();
  });

  it('refuses requests over the pending limit naming it, and a request id already pending', async () => {
    const client = await WatchClient.open(cluster.member('m2'));
    const burst = 300;
    const range = (id: number) => ({
      v: 1,
      type: 'request',
      id,
      op: 'range',
      body: { key: 'app/', prefix: true },
    });
    client.send(range(0));
    client.send(range(0));
    for (let id = 1; id < burst; id++) client.send(range(id));
    const answers: ServerMessage[] = [];
    while (answers.length < burst + 1) answers.push(await client.next());
    tally.count(`request burst of ${burst + 1}`);
    const duplicate = answers.filter((a) => a.error?.message.includes('request id 0 is already pending'));
    const overLimit = answers.filter((a) => a.error?.message.includes('maxPendingRequestsPerConnection'));
    const ranges = answers.filter((a) => a.type === 'response');
    assert.equal(duplicate.length, 1, 'a second request with a pending id is refused');
    assert.ok(overLimit.length > 0, 'a burst past the limit is refused, naming it');
    assert.equal(
      overLimit.length + duplicate.length + ranges.length,
      burst + 1,
      JSON.stringify(answers.slice(0, 3)),
    );
    client.close();
  });

  it('leaves every store as it was, and sessions still deliver events', async () => {
    assert.deepEqual(cluster.crashed(), []);
    assert.deepEqual(await cluster.storeHashes(), hashesBefore, 'bad input changed a store');
    const client = clients.get('m1')!;
    client.send({ v: 1, type: 'watchCreate', watchId: 7, key: 'after-fuzz' });
    assert.equal((await client.next()).created, true);
    const put = await fetch(`${cluster.member('m2').clientUrl}/v1/kv/after-fuzz`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'seen' }),
    });
    assert.equal(put.status, 200);
    const event = await client.next();
    assert.equal(event.watchId, 7);
    assert.equal(event.events?.length, 1);
  });
});
