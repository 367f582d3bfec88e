// `npm run bench`: Vane and etcd side by side on this machine, in one run. Starts a 3-member Vane
// cluster (dist/vane.mjs) and a 3-member etcd cluster on 127.0.0.1, drives both from this one
// process, alternating which goes first each round, and prints the median of every figure for
// each, their ratio and the spread across rounds; writes bench/results/<date>.json.
//
//   npm run bench                       full run (about 16 minutes on the 2-core machine)
//   npm run bench -- --quick            a short run for development (1 round, fewer keys and watchers)
//   npm run bench -- --only put,get     some workloads: load, restart, put, get, watch, kill
//   npm run bench -- --rounds 5         more rounds
//   npm run bench -- --systems vane     one system only (development: before/after a change)
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ClusterUnderTest,
  clusterCpuMs,
  etcdVersion,
  type SystemName,
  startEtcd,
  startVane,
} from './lib/clusters.ts';
import { type DiskLatency, probeFsync } from './lib/disk-probe.ts';
import {
  etcdGatewayClient,
  etcdGrpcClient,
  type KvClient,
  vaneHttpClient,
  vaneSdkClient,
  vaneSocketClient,
} from './lib/kv-clients.ts';
import type { LoadResult } from './lib/load.ts';
import { probeReplicationFloor } from './lib/replication-floor.ts';
import { Results } from './lib/report.ts';
import {
  fillReadKeys,
  getLoad,
  leaderKill,
  loadKeys,
  type OpenWatchers,
  putLoad,
  residentMiB,
  restartTime,
  type Timing,
  watchFanOut,
} from './lib/scenarios.ts';
import { median } from './lib/stats.ts';
import { openEtcdWatchers, openVaneWatchers } from './lib/watchers.ts';

const WORKLOADS = ['load', 'restart', 'put', 'get', 'watch', 'kill'] as const;
type Workload = (typeof WORKLOADS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    systems: { type: 'string', default: 'vane,etcd' },
  },
});
const quick = args.quick === true;
const rounds = args.rounds !== undefined ? Number(args.rounds) : quick ? 1 : 3;
const only = new Set((args.only ?? WORKLOADS.join(',')).split(',')) as Set<string>;
for (const name of only) {
  if (!(WORKLOADS as readonly string[]).includes(name))
    throw new Error(`--only: no workload '${name}' (${WORKLOADS.join(', ')})`);
}
const runs = (w: Workload): boolean => only.has(w);
const systemNames = new Set(args.systems!.split(','));

const timing: Timing = quick ? { warmupMs: 300, durationMs: 1500 } : { warmupMs: 1000, durationMs: 5000 };
const LOADED_KEYS = quick ? 10_000 : 100_000;
const WATCHER_COUNTS = quick ? [1000] : [1000, 10_000];
const FAN_OUT_MS = quick ? 2000 : 5000;
const PUTS_PER_SECOND = 50;

const results = new Results();
const started = performance.now();

function progress(text: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${seconds} s, load ${loadavg()[0]!.toFixed(1)}] ${text}`);
}

function fmt(result: LoadResult): string {
  return `${Math.round(result.rate).toLocaleString('en-US')}/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`;
}

interface SystemUnderTest {
  readonly name: SystemName;
  readonly cluster: ClusterUnderTest;
  /** The clients the throughput workloads run through, primary first. */
  readonly clients: KvClient[];
  /** The client for puts in the watch and loading workloads. */
  readonly writer: KvClient;
  readonly openWatchers: OpenWatchers;
  readonly watchPath: string;
}

/** Runs `measure` and records what it returns; a failure is reported and the run goes on. */
async function measured(what: string, measure: () => Promise<void>): Promise<void> {
  try {
    await measure();
  } catch (error) {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    results.failures.push(message);
    progress(`FAILED ${message}`);
  }
}

/** The order of the systems in round r: alternating, so neither always runs on a warmer (or busier) machine. */
function inOrder(systems: readonly SystemUnderTest[], round: number): SystemUnderTest[] {
  return round % 2 === 1 ? [...systems] : [...systems].reverse();
}

/** A system's clients starting with a different one each round, so none always follows the same workload. */
function rotated<T>(items: readonly T[], round: number): T[] {
  const start = (round - 1) % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

async function loadAndMeasureMemory(s: SystemUnderTest): Promise<void> {
  await measured(`${s.name} loading ${LOADED_KEYS} keys`, async () => {
    // The floor: what a member holds with an empty store, its clients connected.
    const empty = residentMiB(s.cluster);
    progress(
      `${s.name}: resident memory per member, empty ${empty.map((m) => `${m.toFixed(0)} MiB`).join(', ')}`,
    );
    results.record(
      { id: 'rss-empty', label: 'resident memory per member, empty store', unit: 'MiB', better: 'lower' },
      s.name,
      'any',
      1,
      median(empty),
    );
    const t0 = performance.now();
    await loadKeys(s.writer, LOADED_KEYS, (i) => `bench/load/${String(i).padStart(6, '0')}`);
    progress(
      `${s.name}: loaded ${LOADED_KEYS.toLocaleString('en-US')} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    // Let the members settle (GC, background compaction) before reading their memory.
    await new Promise((r) => setTimeout(r, 3000));
    const sizes = residentMiB(s.cluster);
    progress(`${s.name}: resident memory per member ${sizes.map((m) => `${m.toFixed(0)} MiB`).join(', ')}`);
    results.record(
      {
        id: 'rss',
        label: `resident memory per member, ${LOADED_KEYS.toLocaleString('en-US')} keys`,
        unit: 'MiB',
        better: 'lower',
      },
      s.name,
      'any',
      1,
      median(sizes),
    );
  });
}

async function throughputRound(systems: readonly SystemUnderTest[], round: number): Promise<void> {
  const cases: {
    id: string;
    label: string;
    run: (c: KvClient) => Promise<LoadResult>;
    workload: Workload;
  }[] = [];
  for (const inFlight of [1, 16, 128]) {
    cases.push({
      id: `put-${inFlight}`,
      label: `puts, ${inFlight} in flight`,
      workload: 'put',
      run: (c) => putLoad(c, inFlight, timing),
    });
  }
  for (const serializable of [false, true]) {
    for (const inFlight of [16, 128]) {
      const kind = serializable ? 'serializable' : 'linearizable';
      cases.push({
        id: `get-${kind}-${inFlight}`,
        label: `${kind} gets, ${inFlight} in flight`,
        workload: 'get',
        run: (c) => getLoad(c, inFlight, serializable, timing),
      });
    }
  }
  for (const c of cases) {
    if (!runs(c.workload)) continue;
    for (const s of inOrder(systems, round)) {
      for (const client of rotated(s.clients, round)) {
        await measured(`${c.label}, ${s.name} ${client.path}`, async () => {
          const cpuBefore = clusterCpuMs(s.cluster);
          const result = await c.run(client);
          // CPU per request says what a request costs the members, however busy the machine was.
          const cpuPerRequest = (clusterCpuMs(s.cluster) - cpuBefore) / result.total;
          progress(
            `round ${round}: ${c.label}, ${s.name} ${client.path}: ${fmt(result)}, members' CPU ${cpuPerRequest.toFixed(3)} ms per request`,
          );
          results.record(
            { id: `${c.id}-rate`, label: `${c.label}`, unit: '/s', better: 'higher' },
            s.name,
            client.path,
            round,
            result.rate,
          );
          results.record(
            { id: `${c.id}-p50`, label: `${c.label}, p50`, unit: 'ms', better: 'lower' },
            s.name,
            client.path,
            round,
            result.p50,
          );
          results.record(
            { id: `${c.id}-p99`, label: `${c.label}, p99`, unit: 'ms', better: 'lower' },
            s.name,
            client.path,
            round,
            result.p99,
          );
          results.record(
            { id: `${c.id}-cpu`, label: `${c.label}, members' CPU per request`, unit: 'ms', better: 'lower' },
            s.name,
            client.path,
            round,
            cpuPerRequest,
          );
        });
      }
    }
  }
}

async function watchRound(systems: readonly SystemUnderTest[], round: number): Promise<void> {
  for (const watchers of WATCHER_COUNTS) {
    for (const s of inOrder(systems, round)) {
      await measured(`watch fan-out to ${watchers} watchers, ${s.name}`, async () => {
        const result = await watchFanOut(s.cluster, s.openWatchers, s.writer, {
          watchers,
          putsPerSecond: PUTS_PER_SECOND,
          durationMs: FAN_OUT_MS,
          prefix: `bench/watch/${round}-${watchers}/`,
          drainMs: 120_000,
        });
        progress(
          `round ${round}: ${watchers} watchers, ${s.name} ${s.watchPath}: delay p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms; ` +
            `${result.delivered.toLocaleString('en-US')}/${result.expected.toLocaleString('en-US')} delivered, ${result.outOfOrder} out of order`,
        );
        const label = `watch fan-out, ${watchers.toLocaleString('en-US')} watchers, ${PUTS_PER_SECOND} puts/s`;
        const figure = (id: string, what: string, unit: string, better: 'higher' | 'lower') => ({
          id: `watch-${watchers}-${id}`,
          label: `${label}, ${what}`,
          unit,
          better,
        });
        results.record(figure('p50', 'delay p50', 'ms', 'lower'), s.name, s.watchPath, round, result.p50);
        results.record(figure('p99', 'delay p99', 'ms', 'lower'), s.name, s.watchPath, round, result.p99);
        results.record(
          figure('complete', 'every event to every watcher in order', '1 = yes', 'higher'),
          s.name,
          s.watchPath,
          round,
          result.complete ? 1 : 0,
        );
        if (!result.complete)
          results.failures.push(
            `${s.name}: ${watchers} watchers, round ${round}: ${result.delivered}/${result.expected} delivered, ${result.outOfOrder} out of order`,
          );
      });
    }
  }
}

async function killRound(systems: readonly SystemUnderTest[], round: number): Promise<void> {
  for (const s of inOrder(systems, round)) {
    await measured(`leader kill, ${s.name}`, async () => {
      const ms = await leaderKill(s.cluster);
      progress(
        `round ${round}: ${s.name}: kill -9 of the leader → next acknowledged write after ${ms.toFixed(0)} ms`,
      );
      results.record(
        { id: 'kill', label: 'kill -9 of the leader → next acknowledged write', unit: 'ms', better: 'lower' },
        s.name,
        'any',
        round,
        ms,
      );
    });
  }
}

async function restartRound(systems: readonly SystemUnderTest[], round: number): Promise<void> {
  for (const s of inOrder(systems, round)) {
    await measured(`restart, ${s.name}`, async () => {
      const ms = await restartTime(s.cluster, `bench/load/${String(LOADED_KEYS - 1).padStart(6, '0')}`);
      progress(
        `round ${round}: ${s.name}: restart of a member holding ${LOADED_KEYS.toLocaleString('en-US')} keys → serving after ${ms.toFixed(0)} ms`,
      );
      results.record(
        {
          id: 'restart',
          label: `restart of a member holding ${LOADED_KEYS.toLocaleString('en-US')} keys → serving reads`,
          unit: 'ms',
          better: 'lower',
        },
        s.name,
        'any',
        round,
        ms,
      );
    });
  }
}

const DATA_DIR = resolve(import.meta.dirname, '..', 'test-output', 'bench');

function probeDisk(when: string): DiskLatency {
  const disk = probeFsync(DATA_DIR);
  progress(
    `disk ${when}: 300-byte write + fdatasync p50 ${disk.p50Ms.toFixed(2)} ms, p99 ${disk.p99Ms.toFixed(2)} ms`,
  );
  return disk;
}

async function main(): Promise<number> {
  const etcd = etcdVersion();
  const diskBefore = probeDisk('before the run');
  progress('measuring the replication floor (ws hops and fdatasync only, one write at a time)...');
  const floor = await probeReplicationFloor(DATA_DIR);
  progress(
    `replication floor: client → leader → 2 followers, a 300-byte append + fdatasync on each, p50 ${floor.p50Ms.toFixed(2)} ms, p90 ${floor.p90Ms.toFixed(2)} ms`,
  );
  progress(
    `starting 3-member clusters of ${[...systemNames].join(' and ')} (${etcd}) on 127.0.0.1; ${rounds} round(s)${quick ? ', quick' : ''}`,
  );
  const [vaneCluster, etcdCluster] = await Promise.all([
    systemNames.has('vane') ? startVane() : undefined,
    systemNames.has('etcd') ? startEtcd() : undefined,
  ]);
  const systems: SystemUnderTest[] = [];
  try {
    if (vaneCluster) {
      const vaneHttp = vaneHttpClient(vaneCluster, 256);
      const vaneClients: KvClient[] = [];
      for (const [path, open] of [
        ['SDK', vaneSdkClient],
        ['WebSocket request messages', vaneSocketClient],
      ] as const) {
        try {
          vaneClients.push(await open(vaneCluster));
        } catch (error) {
          const note = `Vane's ${path} path was not measured: ${error instanceof Error ? error.message : String(error)}`;
          results.notes.push(note);
          progress(note);
        }
      }
      vaneClients.push(vaneHttp);
      systems.push({
        name: 'vane',
        cluster: vaneCluster,
        clients: vaneClients,
        writer: vaneHttp,
        openWatchers: openVaneWatchers,
        watchPath: 'WebSocket',
      });
    }
    if (etcdCluster) {
      const grpc = etcdGrpcClient(etcdCluster);
      systems.push({
        name: 'etcd',
        cluster: etcdCluster,
        clients: [grpc, etcdGatewayClient(etcdCluster, 256)],
        writer: grpc,
        openWatchers: openEtcdWatchers,
        watchPath: 'gRPC',
      });
    }
    progress(`clusters up: ${systems.map((s) => `${s.name} ${s.cluster.clientUrl(0)}…`).join(', ')}`);

    if (runs('load')) for (const s of systems) await loadAndMeasureMemory(s);
    if (runs('restart')) for (let r = 1; r <= rounds; r++) await restartRound(systems, r);
    if (runs('get')) {
      for (const s of systems) await measured(`${s.name}: filling read keys`, () => fillReadKeys(s.writer));
    }
    for (let r = 1; r <= rounds; r++) {
      await throughputRound(systems, r);
      if (runs('watch')) await watchRound(systems, r);
      if (runs('kill')) await killRound(systems, r);
    }
  } finally {
    for (const s of systems) for (const c of s.clients) c.close();
    await Promise.all([vaneCluster?.stop(), etcdCluster?.stop()]);
    progress('clusters stopped');
  }

  const diskAfter = probeDisk('after the run');
  const oneSided = systems.length === 1;
  const tables = [
    results.table('Vane SDK vs etcd gRPC (etcd3 client)', 'SDK', 'gRPC', oneSided),
    results.table(
      'Vane WebSocket requests (the SDK wire path) vs etcd gRPC (etcd3 client)',
      'WebSocket',
      'gRPC',
      oneSided,
    ),
    results.table('Vane HTTP vs etcd gRPC (etcd3 client)', 'HTTP', 'gRPC', oneSided),
    results.table('Vane HTTP vs etcd JSON gateway', 'HTTP', 'JSON gateway', oneSided),
    results.table('Either API', 'any', 'any', oneSided),
  ].filter((t) => t.length > 0);
  console.log(
    `\nMedians of ${rounds} round(s); spread is min–max across rounds; load is the 1-minute load average while measuring. ` +
      `Disk (300-byte write + fdatasync) p50/p99: ${diskBefore.p50Ms.toFixed(2)}/${diskBefore.p99Ms.toFixed(2)} ms before, ` +
      `${diskAfter.p50Ms.toFixed(2)}/${diskAfter.p99Ms.toFixed(2)} ms after. ` +
      `Replication floor (one write at a time through 3 processes doing only the hops and fdatasyncs) p50/p90: ` +
      `${floor.p50Ms.toFixed(2)}/${floor.p90Ms.toFixed(2)} ms.\n`,
  );
  console.log(tables.join('\n\n'));
  const file = results.write(join(resolve(import.meta.dirname), 'results'), {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    etcd,
    rounds,
    quick,
    timing,
    loadedKeys: LOADED_KEYS,
    watchers: WATCHER_COUNTS,
    disk: { before: diskBefore, after: diskAfter },
    replicationFloor: floor,
  });
  for (const note of results.notes) console.log(`\nnote: ${note}`);
  console.log(`\nwrote ${file}`);
  if (results.failures.length > 0) {
    console.log(
      `\n${results.failures.length} failure(s):\n${results.failures.map((f) => `- ${f}`).join('\n')}`,
    );
    return 1;
  }
  return 0;
}

// Exit explicitly: client libraries (gRPC channels, keep-alive agents) may hold the event loop open.
process.exit(await main());
