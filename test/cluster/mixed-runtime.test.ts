// A cluster of two members on Node and one on Deno, as real processes on 127.0.0.1: the same Raft,
// store and client API over each runtime's own sockets, files and HTTP server must interoperate for
// reads, writes, watches and leader failover in both directions. The Deno member is m2: the member
// whose id sorts first dials, so m2 accepts m1's connection and dials m3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { MAX_WATCH_MESSAGE_BYTES } from '../../server/adapters/start-member.ts';
import { denoExecutable, TestCluster, waitFor } from './harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

const DENO_MEMBER = 'm2';
const NODE_MEMBERS = ['m1', 'm3'];

interface WatchedPut {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  /** The member whose watch stream delivered it. */
  readonly deliveredBy: string;
}

/** A /v1/watch WebSocket on one member with one prefix watch, collecting the puts it delivers. */
class PrefixWatch {
  readonly puts: WatchedPut[] = [];
  readonly #ws: WebSocket;
  #created = false;
  /** Anything on the stream other than a watch response (an error message). */
  #unexpected: string | null = null;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type !== 'watchResponse') {
        this.#unexpected ??= String(data);
        return;
      }
      if (message.created === true) this.#created = true;
      for (const event of message.events as {
        type: string;
        kv: { key: string; value: string; modRevision: number };
      }[]) {
        if (event.type !== 'put') continue;
        this.puts.push({
          key: event.kv.key,
          value: event.kv.value,
          modRevision: event.kv.modRevision,
          deliveredBy: message.header.member,
        });
      }
    });
  }

  static async open(cluster: TestCluster, member: string, prefix: string): Promise<PrefixWatch> {
    const port = cluster.member(member).clientPort;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/watch`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const watch = new PrefixWatch(ws);
    ws.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 1, key: prefix, prefix: true }));
    await waitFor(`the watch on ${member} to be created`, 5000, () => watch.#check(() => watch.#created));
    return watch;
  }

  async waitForKey(key: string): Promise<WatchedPut> {
    return waitFor(`a watch event for ${key}`, 5000, () =>
      this.#check(() => this.puts.find((put) => put.key === key)),
    );
  }

  #check<T>(condition: () => T | undefined | false): T | undefined {
    assert.equal(this.#unexpected, null, 'the watch stream carries only watch responses');
    return condition() || undefined;
  }

  close(): void {
    this.#ws.close();
  }
}

describe('the Deno adapters on their own', () => {
  it('keep a data directory on Deno: write, reopen, torn tail, lock (deno test fs_test.ts)', () => {
    // Type errors are `npm run typecheck`'s (deno check); this runs the tests only.
    const run = spawnSync(
      denoExecutable(),
      [
        'test',
        '--no-check',
        '--no-prompt',
        '--allow-read',
        '--allow-write',
        '--allow-run',
        'server/adapters/deno/fs_test.ts',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 0, `deno test failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /ok \| [1-9]\d* passed \| 0 failed/);
  });
});

describe('a mixed cluster: m1 and m3 on Node, m2 on Deno', { timeout: 300_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ name: 'mixed', size: 3, runtimes: { [DENO_MEMBER]: 'deno' } });
    await cluster.waitForLeader(15_000);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('connects the Deno member to both Node members, accepting from m1 and dialing m3', async () => {
    await cluster.waitForLog(DENO_MEMBER, /"peer":"m1".*"side":"acceptor".*"msg":"peer connected"/);
    await cluster.waitForLog(DENO_MEMBER, /"peer":"m3".*"side":"dialer".*"msg":"peer connected"/);
  });

  it('takes writes through every member and serves linearizable reads of them from every member', async () => {
    const written = new Map<string, number>();
    for (const m of cluster.members) {
      const put = await cluster.put(m.name, `through/${m.name}`, `written via ${m.name}`);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.header.member, m.name);
      written.set(m.name, put.body.header.revision);
    }
    for (const reader of cluster.members) {
      for (const writer of cluster.members) {
        const read = await cluster.get(reader.name, `through/${writer.name}`);
        assert.equal(read.status, 200);
        assert.equal(read.body.header.member, reader.name);
        assert.equal(read.body.kvs[0].value, `written via ${writer.name}`);
        assert.equal(read.body.kvs[0].modRevision, written.get(writer.name));
      }
    }
  });

  it('delivers to a watch on the Deno member the writes made through Node members, and the other way round', async () => {
    const onDeno = await PrefixWatch.open(cluster, DENO_MEMBER, 'watched/');
    const onNode = await PrefixWatch.open(cluster, NODE_MEMBERS[0]!, 'watched/');
    try {
      const revisions: number[] = [];
      for (const writer of ['m1', 'm2', 'm3']) {
        const put = await cluster.put(writer, `watched/${writer}`, `from ${writer}`);
        assert.equal(put.status, 200);
        revisions.push(put.body.header.revision);
      }
      for (const [watch, member] of [
        [onDeno, DENO_MEMBER],
        [onNode, NODE_MEMBERS[0]!],
      ] as const) {
        for (const writer of ['m1', 'm2', 'm3']) {
          const event = await watch.waitForKey(`watched/${writer}`);
          assert.equal(event.value, `from ${writer}`);
          assert.equal(event.deliveredBy, member);
        }
        // Both runtimes deliver the same writes, once each, in revision order.
        assert.deepEqual(
          watch.puts.map((put) => put.modRevision),
          revisions,
        );
      }
    } finally {
      onDeno.close();
      onNode.close();
    }
  });

  it('closes a socket that sends a frame over its limit with 1009 on both runtimes (watch 1.5 MiB, peer 8 MiB)', async () => {
    const closeCodeAfterSending = async (url: string, frame: string | Uint8Array): Promise<number> => {
      const ws = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(frame);
      return closed;
    };
    for (const name of [NODE_MEMBERS[0]!, DENO_MEMBER]) {
      const m = cluster.member(name);
      const watchCode = await closeCodeAfterSending(
        `ws://127.0.0.1:${m.clientPort}/v1/watch`,
        JSON.stringify({ v: 1, type: 'watchCreate', key: 'k'.repeat(MAX_WATCH_MESSAGE_BYTES + 1) }),
      );
      assert.equal(watchCode, 1009, `watch socket on ${name}`);
      const peerCode = await closeCodeAfterSending(`${m.peerUrl}/raft`, new Uint8Array(8 * 1024 * 1024 + 1));
      assert.equal(peerCode, 1009, `peer socket on ${name}`);
    }
    // Neither refusal disturbed the cluster.
    assert.equal((await cluster.put(DENO_MEMBER, 'after/oversized', 'ok')).status, 200);
  });

  it('elects a new leader after a kill -9 of a Node leader and of the Deno leader, and loses no acknowledged write', async () => {
    const acknowledged = new Map<string, string>();
    let failures = 0;
    let writing = true;
    // One writer, through whichever members are running, all along.
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const running = cluster.running();
        const through = running[i % running.length];
        assert.ok(through, 'at least one member runs at any time');
        const key = `failover/${i}`;
        try {
          const put = await cluster.put(through.name, key, `v${i}`, 2000);
          if (put.status === 200) acknowledged.set(key, `v${i}`);
          else failures++;
        } catch {
          failures++;
        }
      }
    })();
    const acknowledgedAfter = async (what: string): Promise<void> => {
      const before = acknowledged.size;
      await waitFor(`writes acknowledged after ${what}`, 10_000, () =>
        acknowledged.size >= before + 10 ? true : undefined,
      );
    };
    const otherLeaderThan = (dead: string): Promise<string> =>
      waitFor(`a leader other than ${dead}`, 10_000, async () => {
        const survivor = cluster.running()[0]!.name;
        const status = await cluster.status(survivor);
        return status.leader && status.leader !== dead ? status.leader : undefined;
      });
    const timings: string[] = [];

    /** kill -9 the leader; the survivors elect another while the writer keeps going; it then restarts. */
    const killLeader = async (leader: string): Promise<string> => {
      const killedAt = performance.now();
      await cluster.kill(leader, 'SIGKILL');
      const next = await otherLeaderThan(leader);
      timings.push(`${leader} killed → ${next} leads after ${(performance.now() - killedAt).toFixed(0)} ms`);
      await acknowledgedAfter(`${leader} was killed`);
      cluster.restart(leader);
      assert.equal(await cluster.waitForLeader(15_000), next);
      return next;
    };

    /**
     * kill -9 a Node leader so that the Deno member must take over: the other Node member is killed
     * first and misses some writes, so when it restarts only the Deno member's log can win its vote.
     */
    const killNodeLeaderForDeno = async (nodeLeader: string): Promise<void> => {
      const otherNode = NODE_MEMBERS.find((name) => name !== nodeLeader)!;
      await cluster.kill(otherNode, 'SIGKILL');
      await acknowledgedAfter(`${otherNode} was killed`);
      const killedAt = performance.now();
      await cluster.kill(nodeLeader, 'SIGKILL');
      cluster.restart(otherNode);
      const next = await otherLeaderThan(nodeLeader);
      timings.push(
        `${nodeLeader} killed → ${next} leads after ${(performance.now() - killedAt).toFixed(0)} ms`,
      );
      assert.equal(next, DENO_MEMBER, 'the only member with the whole log wins the election');
      await acknowledgedAfter(`${nodeLeader} was killed`);
      cluster.restart(nodeLeader);
      assert.equal(await cluster.waitForLeader(15_000), DENO_MEMBER);
    };

    try {
      await acknowledgedAfter('the start');
      const first = await cluster.waitForLeader();
      if (first === DENO_MEMBER) {
        await killNodeLeaderForDeno(await killLeader(DENO_MEMBER));
      } else {
        await killNodeLeaderForDeno(first);
        await killLeader(DENO_MEMBER);
      }
    } finally {
      writing = false;
      await writer;
    }
    console.log(
      `${timings.join('; ')}; ${acknowledged.size} writes acknowledged, ${failures} refused or timed out`,
    );

    for (const m of cluster.members) {
      const read = await cluster.get(m.name, 'failover/', '?prefix=true');
      assert.equal(read.body.more, false);
      const stored = new Map<string, string>(
        read.body.kvs.map((kv: { key: string; value: string }) => [kv.key, kv.value]),
      );
      for (const [key, value] of acknowledged) {
        assert.equal(stored.get(key), value, `acknowledged ${key} missing on ${m.name}`);
      }
    }
  });
});
