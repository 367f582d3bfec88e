// The workloads of `npm run bench`, each written once and run against either system.
import { type ClusterUnderTest, residentBytes, type SystemName } from './clusters.ts';
import { HttpClient } from './http-client.ts';
import type { KvClient } from './kv-clients.ts';
import { closedLoop, inParallel, type LoadResult } from './load.ts';
import { LatencyRecorder } from './stats.ts';
import type { OnEvent, WatcherFleet } from './watchers.ts';

export const VALUE = 'v'.repeat(256);
export const PUT_KEYS = 10_000;
const putKey = (i: number): string => `bench/kv/${String(i % PUT_KEYS).padStart(5, '0')}`;

export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

export function putLoad(client: KvClient, inFlight: number, timing: Timing): Promise<LoadResult> {
  return closedLoop({ ...timing, inFlight, request: (i) => client.put(i, putKey(i), VALUE) });
}

export function getLoad(
  client: KvClient,
  inFlight: number,
  serializable: boolean,
  timing: Timing,
): Promise<LoadResult> {
  // Keys visited by a multiplicative stride, so consecutive reads touch different keys.
  return closedLoop({ ...timing, inFlight, request: (i) => client.get(i, putKey(i * 7919), serializable) });
}

/** Fills the PUT_KEYS keys that reads use. */
export async function fillReadKeys(client: KvClient): Promise<void> {
  await loadKeys(client, PUT_KEYS, putKey);
}

/** Puts `count` keys in transactions of 100 puts, 4 in flight over the members. */
export async function loadKeys(client: KvClient, count: number, keyOf: (i: number) => string): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < count; i += 100) {
    batches.push(Array.from({ length: Math.min(100, count - i) }, (_, j) => keyOf(i + j)));
  }
  await inParallel(batches, 4, (keys, index) => client.putMany(index, keys, VALUE));
}

export interface FanOutResult {
  readonly p50: number;
  readonly p99: number;
  readonly delivered: number;
  readonly expected: number;
  /** Every watcher got every event, each once, in the order the puts were made. */
  readonly complete: boolean;
  readonly outOfOrder: number;
}

export type OpenWatchers = (
  cluster: ClusterUnderTest,
  watchers: number,
  prefix: string,
  onEvent: OnEvent,
) => Promise<WatcherFleet>;

/**
 * `watchers` watchers on one prefix; puts at `putsPerSecond` for `durationMs` (one at a time,
 * members in turn); delay from sending each put to each watcher's delivery of it.
 */
export async function watchFanOut(
  cluster: ClusterUnderTest,
  open: OpenWatchers,
  putter: KvClient,
  options: { watchers: number; putsPerSecond: number; durationMs: number; prefix: string; drainMs: number },
): Promise<FanOutResult> {
  const puts = Math.max(1, Math.round((options.putsPerSecond * options.durationMs) / 1000));
  const sentAt = new Float64Array(puts);
  const nextExpected = new Int32Array(options.watchers);
  const delays = new LatencyRecorder();
  let delivered = 0;
  let outOfOrder = 0;
  const fleet = await open(cluster, options.watchers, options.prefix, (watcher, value) => {
    const sequence = Number.parseInt(value, 10);
    if (sequence !== nextExpected[watcher]) outOfOrder++;
    nextExpected[watcher] = sequence + 1;
    delays.record(performance.now() - sentAt[sequence]!);
    delivered++;
  });
  try {
    const interval = 1000 / options.putsPerSecond;
    const start = performance.now();
    for (let seq = 0; seq < puts; seq++) {
      const due = start + seq * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sentAt[seq] = performance.now();
      // The value leads with the sequence number; padded like the other workloads' values.
      await putter.put(seq, `${options.prefix}${seq % 100}`, `${seq}|${VALUE.slice(0, 32)}`);
    }
    const expected = puts * options.watchers;
    const deadline = performance.now() + options.drainMs;
    while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const complete = delivered === expected && outOfOrder === 0 && nextExpected.every((n) => n === puts);
    const { p50, p99 } = delays.summary();
    return { p50, p99, delivered, expected, complete, outOfOrder };
  } finally {
    await fleet.close();
  }
}

/** A write through the member's HTTP-speaking API (Vane's own; etcd's JSON gateway). */
function httpPut(system: SystemName, http: HttpClient, key: string, timeoutMs: number): Promise<boolean> {
  const request =
    system === 'vane'
      ? http.send('PUT', `/v1/kv/${encodeURIComponent(key)}`, JSON.stringify({ value: 'x' }), timeoutMs)
      : http.send(
          'POST',
          '/v3/kv/put',
          JSON.stringify({ key: Buffer.from(key).toString('base64'), value: 'eA==' }),
          timeoutMs,
        );
  return request.then(
    (answer) => answer.status === 200,
    () => false,
  );
}

/** The revision a member serves a serializable read at, or undefined if it does not answer. */
async function servingRevision(
  system: SystemName,
  http: HttpClient,
  key: string,
): Promise<number | undefined> {
  try {
    const answer =
      system === 'vane'
        ? await http.send('GET', `/v1/kv/${encodeURIComponent(key)}?serializable=true`, undefined, 1000)
        : await http.send(
            'POST',
            '/v3/kv/range',
            JSON.stringify({ key: Buffer.from(key).toString('base64'), serializable: true }),
            1000,
          );
    if (answer.status !== 200) return undefined;
    const revision = (JSON.parse(answer.text) as { header?: { revision?: string | number } }).header
      ?.revision;
    return revision === undefined ? undefined : Number(revision);
  } catch {
    return undefined;
  }
}

const PROBE_INTERVAL_MS = 5;
const KILL_TIMEOUT_MS = 30_000;

/**
 * kill -9 of the leader, then a new write every 5 ms to the survivors in turn (each may wait up to
 * 10 s): the time from the kill to the first write acknowledged. The member is restarted afterwards
 * and the cluster waits for a leader all three follow.
 */
export async function leaderKill(cluster: ClusterUnderTest): Promise<number> {
  const leader = await cluster.leader();
  const survivors = Array.from({ length: cluster.size }, (_, i) => i).filter((i) => i !== leader);
  const clients = survivors.map((i) => new HttpClient(cluster.clientUrl(i), 512));
  try {
    // Connections open before the kill, so the probe measures the cluster, not connection setup.
    for (const c of clients) await httpPut(cluster.system, c, 'bench/kill/warm', 5000);
    const killedAt = performance.now();
    await cluster.kill(leader, 'SIGKILL');
    const acknowledged = await new Promise<number>((resolve, reject) => {
      let done = false;
      let attempt = 0;
      const timer = setInterval(() => {
        if (performance.now() - killedAt > KILL_TIMEOUT_MS) {
          clearInterval(timer);
          reject(new Error(`no write acknowledged within ${KILL_TIMEOUT_MS} ms of killing the leader`));
          return;
        }
        const client = clients[attempt++ % clients.length]!;
        void httpPut(cluster.system, client, `bench/kill/${attempt}`, 10_000).then((ok) => {
          if (ok && !done) {
            done = true;
            clearInterval(timer);
            resolve(performance.now() - killedAt);
          }
        });
      }, PROBE_INTERVAL_MS);
    });
    cluster.restart(leader);
    await cluster.leader(30_000);
    return acknowledged;
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * kill -9 of a follower holding the loaded keys, then the time from starting it again until it
 * serves a serializable read at (at least) the revision it had.
 */
export async function restartTime(cluster: ClusterUnderTest, key: string): Promise<number> {
  const leader = await cluster.leader();
  const member = (leader + 1) % cluster.size;
  const http = new HttpClient(cluster.clientUrl(member), 2);
  try {
    const revision = await servingRevision(cluster.system, http, key);
    if (revision === undefined) throw new Error(`${cluster.system} member ${member} does not serve ${key}`);
    await cluster.kill(member, 'SIGKILL');
    const started = performance.now();
    cluster.restart(member);
    const deadline = started + 120_000;
    for (;;) {
      const serving = await servingRevision(cluster.system, http, key);
      if (serving !== undefined && serving >= revision) break;
      if (performance.now() > deadline)
        throw new Error(`${cluster.system} member ${member} did not come back in 120 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = performance.now() - started;
    await cluster.leader(30_000);
    return elapsed;
  } finally {
    http.close();
  }
}

/** Resident memory of each running member, in MiB. */
export function residentMiB(cluster: ClusterUnderTest): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < cluster.size; i++) {
    const pid = cluster.pid(i);
    if (pid !== undefined) sizes.push(residentBytes(pid) / (1024 * 1024));
  }
  return sizes;
}
