// CPU profiles of Vane members under one workload of `npm run bench`: starts a 3-member cluster
// with `node --cpu-prof`, drives the workload through the HTTP API, stops the members cleanly
// (SIGTERM, so each writes its profile) and prints where each member's time went: self time by
// function, and the share of idle time.
//
//   npx tsx bench/profile.mts --workload put --in-flight 128 [--client sdk] [--seconds 8] [--out /tmp/vane-prof]
//   workloads: put, get (linearizable), get-serializable; clients: http, socket (request messages), sdk
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    workload: { type: 'string', default: 'put' },
    'in-flight': { type: 'string', default: '128' },
    seconds: { type: 'string', default: '8' },
    out: { type: 'string', default: '/tmp/vane-prof' },
    top: { type: 'string', default: '30' },
    client: { type: 'string', default: 'http' },
  },
});
const out = args.out!;
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Read by test/cluster's harness when it loads, hence the imports below come after it.
process.env.VANE_MEMBER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${out}`;
const { startVane } = await import('./lib/clusters.ts');
const { vaneHttpClient, vaneSdkClient, vaneSocketClient } = await import('./lib/kv-clients.ts');
const { fillReadKeys, getLoad, putLoad } = await import('./lib/scenarios.ts');

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.replace(/^.*\/(node_modules\/)?/, '$1');
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return rows.map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`).join('\n');
}

const cluster = await startVane();
const clients = {
  http: async () => vaneHttpClient(cluster, 256),
  socket: vaneSocketClient,
  sdk: vaneSdkClient,
};
const open = clients[args.client as keyof typeof clients];
if (open === undefined) throw new Error(`--client: one of ${Object.keys(clients).join(', ')}`);
const client = await open(cluster);
try {
  const timing = { warmupMs: 500, durationMs: Number(args.seconds) * 1000 };
  const inFlight = Number(args['in-flight']);
  if (args.workload !== 'put') await fillReadKeys(client);
  const result =
    args.workload === 'put'
      ? await putLoad(client, inFlight, timing)
      : await getLoad(client, inFlight, args.workload === 'get-serializable', timing);
  const leader = await cluster.leader();
  console.log(
    `${args.workload} through ${client.path}, ${inFlight} in flight: ${Math.round(result.rate)}/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms; leader is member ${leader + 1} (pid ${cluster.pid(leader)})`,
  );
  const pids = Array.from({ length: cluster.size }, (_, i) => cluster.pid(i));
  for (let i = 0; i < cluster.size; i++) await cluster.kill(i, 'SIGTERM');
  for (const file of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
    const member = pids.findIndex((pid) => pid !== undefined && file.includes(`.${pid}.`));
    console.log(`\n== member ${member + 1}${member === leader ? ' (leader)' : ''}: ${join(out, file)}`);
    console.log(summarize(join(out, file), Number(args.top)));
  }
} finally {
  client.close();
  await cluster.stop();
}
