// Figures of a real 3-member cluster on this machine (processes on 127.0.0.1, fsync on), through
// the HTTP API: single-client put latency, puts/s at 16 and 128 in flight, time to elect after a
// leader kill, and time to restart a member holding 100,000 keys.
// Run: npx tsx bench/cluster.bench.mts [--keys N]
import { TestCluster, waitFor } from '../test/cluster/harness.ts';

const keysArg = process.argv.indexOf('--keys');
const RESTART_KEYS = keysArg > 0 ? Number(process.argv[keysArg + 1]) : 100_000;
const VALUE = 'v'.repeat(256);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function putOk(cluster: TestCluster, member: string, key: string): Promise<void> {
  const r = await cluster.put(member, key, VALUE, 10_000);
  if (r.status !== 200) throw new Error(`put ${key} via ${member}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function concurrentPuts(cluster: TestCluster, inFlight: number, total: number): Promise<number> {
  const members = cluster.running().map((m) => m.name);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      while (next < total) {
        const i = next++;
        await putOk(cluster, members[w % members.length]!, `bench/c${inFlight}/${i % 10_000}`);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const cluster = await TestCluster.start({ name: 'bench', size: 3 });
  try {
    const leader = await cluster.waitForLeader(15_000);
    console.log(`cluster up, leader ${leader}`);

    for (let i = 0; i < 200; i++) await putOk(cluster, leader, `bench/warm/${i}`);
    const latencies: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await putOk(cluster, leader, `bench/seq/${i}`);
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `single client, 1 in flight, to the leader: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms (${(1000 / (latencies.reduce((a, b) => a + b, 0) / latencies.length)).toFixed(0)} puts/s)`,
    );
    for (const inFlight of [16, 128]) {
      const rate = await concurrentPuts(cluster, inFlight, inFlight * 100);
      console.log(`${inFlight} in flight, spread over all members: ${rate.toFixed(0)} puts/s`);
    }

    const killed = await cluster.waitForLeader();
    const survivor = cluster.members.find((m) => m.name !== killed)!.name;
    const t0 = performance.now();
    await cluster.kill(killed, 'SIGKILL');
    const newLeader = await waitFor('a new leader', 10_000, async () => {
      const s = await cluster.status(survivor);
      return s.leader && s.leader !== killed ? s.leader : undefined;
    });
    const elected = performance.now() - t0;
    await waitFor('a write after the kill', 10_000, async () => {
      const r = await cluster.put(survivor, 'bench/after-kill', 'x', 1000);
      return r.status === 200 ? true : undefined;
    });
    console.log(
      `kill -9 of leader ${killed}: ${newLeader} elected after ${elected.toFixed(0)} ms, next acknowledged write after ${(performance.now() - t0).toFixed(0)} ms`,
    );
    cluster.restart(killed);
    await cluster.waitForLeader(15_000);

    const loadStarted = performance.now();
    let loaded = 0;
    const members = cluster.members.map((m) => m.name);
    await Promise.all(
      Array.from({ length: 128 }, async (_, w) => {
        while (loaded < RESTART_KEYS) {
          const i = loaded++;
          await putOk(cluster, members[w % 3]!, `bench/restart/${String(i).padStart(6, '0')}`);
        }
      }),
    );
    console.log(`loaded ${RESTART_KEYS} keys in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
    const currentLeader = await cluster.waitForLeader();
    const target = cluster.members.find((m) => m.name !== currentLeader)!;
    await cluster.kill(target.name, 'SIGTERM');
    const restartStarted = performance.now();
    cluster.restart(target.name);
    await waitFor(`${target.name} healthy after restart`, 120_000, async () => {
      const h = await cluster.request(target.name, 'GET', '/health', undefined, 1000);
      return h.status === 200 ? true : undefined;
    });
    const status = await cluster.status(target.name);
    console.log(
      `restart of ${target.name} holding ${RESTART_KEYS} keys: healthy after ${(performance.now() - restartStarted).toFixed(0)} ms (revision ${status.revision})`,
    );
  } finally {
    await cluster.stop();
  }
}

await main();
