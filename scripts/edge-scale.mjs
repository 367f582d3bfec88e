#!/usr/bin/env node
// The edge tier at scale, on one machine: a 3-member cluster, the edge Worker in workerd (the bundle
// `wrangler deploy` would upload, run by miniflare with no dev proxy in front), several prefix
// objects, and many simulated browser WebSockets (the `ws` package) split across them. It reports
// how long a put on the cluster takes to reach every browser (p50/p99 over all browser deliveries)
// and how many connections the cluster held from the edge, which must equal the number of objects.
// Not part of `npm test`. Lowers its own priority (and so its children's): the machine is shared.
//
// Usage: node scripts/edge-scale.mjs [--browsers 10000] [--objects 4] [--puts 30]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';
import { register } from 'tsx/esm/api';
import { WebSocket } from 'ws';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values: args } = parseArgs({
  options: {
    browsers: { type: 'string', default: '10000' },
    objects: { type: 'string', default: '4' },
    puts: { type: 'string', default: '30' },
  },
});
const BROWSERS = Number(args.browsers);
const OBJECTS = Number(args.objects);
const PUTS = Number(args.puts);
/** Upgrades in flight at once while the browsers connect. */
const CONNECT_CONCURRENCY = 100;
const DELIVERY_TIMEOUT_MS = 60_000;

setPriority(10);
register();
const { TestCluster, waitFor } = await import('../test/cluster/harness.ts');

const log = (line) => console.log(`[edge-scale] ${line}`);
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

const workDir = join(ROOT, 'test-output', 'edge-scale');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });

log('building the Worker bundle with wrangler (deploy --dry-run)...');
const bundleDir = join(workDir, 'bundle');
execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', bundleDir], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' },
});

log('starting a 3-member cluster...');
const cluster = await TestCluster.start({ name: 'edge-scale', size: 3 });
let mf;
const sockets = [];
try {
  await cluster.waitForLeader(60_000);
  const endpoints = cluster.members.map((m) => m.clientUrl);
  const prefixes = Array.from({ length: OBJECTS }, (_, i) => `scale${i}/`);
  for (const prefix of prefixes) await cluster.put('m1', `${prefix}k`, 'initial');

  mf = new Miniflare({
    modules: true,
    scriptPath: join(bundleDir, 'worker.js'),
    compatibilityDate: '2025-09-01',
    durableObjects: { PREFIX_OBJECTS: { className: 'PrefixObject', useSQLite: true } },
    durableObjectsPersist: join(workDir, 'objects'),
    bindings: {
      VANE_CLUSTER_ENDPOINTS: endpoints.join(','),
      VANE_EDGE_PREFIXES: '',
      VANE_EDGE_ALLOW_ORIGIN: '*',
    },
    host: '127.0.0.1',
    port: 0,
    cf: false,
  });
  const edgeUrl = (await mf.ready).origin;
  const wsUrl = edgeUrl.replace(/^http/, 'ws');
  log(`edge at ${edgeUrl}; connecting ${BROWSERS} browsers to ${OBJECTS} objects...`);

  const connectStarted = performance.now();
  let next = 0;
  let refused = 0;
  let dropped = 0;
  const connectOne = async (i) => {
    const prefix = prefixes[i % OBJECTS];
    for (let attempt = 1; ; attempt++) {
      try {
        sockets.push(await openBrowser(prefix));
        return;
      } catch (error) {
        refused++;
        if (attempt === 5) throw new Error(`browser ${i} could not connect: ${error.message}`);
      }
    }
  };
  const openBrowser = async (prefix) => {
    const socket = new WebSocket(`${wsUrl}/v1/watch?prefix=${encodeURIComponent(prefix)}`);
    const browser = { socket, prefix, created: false, lastEventAt: 0, events: 0 };
    socket.on('close', () => {
      if (browser.created) dropped++;
    });
    socket.on('message', (data) => {
      const text = String(data);
      if (text.includes('"created":true')) browser.created = true;
      else if (text.includes('"events":[{')) {
        browser.events++;
        browser.lastEventAt = performance.now();
      }
    });
    await new Promise((resolveOpen, reject) => {
      socket.once('open', resolveOpen);
      socket.on('error', reject);
    });
    socket.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 1, key: prefix, prefix: true }));
    return browser;
  };
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (next < BROWSERS) await connectOne(next++);
    }),
  );
  await waitFor('every watch to be created', 120_000, () =>
    sockets.every((b) => b.created) ? true : undefined,
  );
  log(
    `${BROWSERS} browsers connected and watching in ${((performance.now() - connectStarted) / 1000).toFixed(1)} s (${refused} upgrade attempts failed and were retried)`,
  );

  const delays = [];
  const perPutMax = [];
  for (let i = 0; i < PUTS; i++) {
    const prefix = prefixes[i % OBJECTS];
    const audience = sockets.filter((b) => b.prefix === prefix);
    const before = audience.map((b) => b.events);
    const started = performance.now();
    const response = await cluster.put('m1', `${prefix}k`, `v${i}`);
    if (response.status !== 200) throw new Error(`put failed: ${JSON.stringify(response.body)}`);
    await waitFor(`put ${i} to reach ${audience.length} browsers`, DELIVERY_TIMEOUT_MS, () =>
      audience.every((b, j) => b.events > before[j]) ? true : undefined,
    );
    let slowest = 0;
    for (const b of audience) {
      const delay = b.lastEventAt - started;
      delays.push(delay);
      slowest = Math.max(slowest, delay);
    }
    perPutMax.push(slowest);
  }
  delays.sort((a, b) => a - b);
  perPutMax.sort((a, b) => a - b);

  log(`objects: ${OBJECTS}; browsers: ${BROWSERS}; puts: ${PUTS} (${delays.length} deliveries)`);
  log(
    `propagation put→browser: p50 ${percentile(delays, 0.5).toFixed(1)} ms, p99 ${percentile(delays, 0.99).toFixed(1)} ms, max ${delays[delays.length - 1].toFixed(1)} ms`,
  );
  log(
    `time for a put to reach all its object's browsers: p50 ${percentile(perPutMax, 0.5).toFixed(1)} ms, p99 ${percentile(perPutMax, 0.99).toFixed(1)} ms`,
  );
  log(`browser sockets dropped during the run: ${dropped}`);

  // Established TCP connections from workerd to the members' client ports (ss filters them itself).
  const portFilter = cluster.members.map((m) => `dport = :${m.clientPort}`).join(' or ');
  const workerdConnections = execFileSync('ss', ['-Htnp', 'state', 'established', `( ${portFilter} )`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line.includes('"workerd"')).length;
  let watchers = 0;
  for (const m of cluster.members) {
    const metrics = await (await fetch(`${m.clientUrl}/metrics`)).text();
    watchers += Number(/^vane_watchers (\S+)$/m.exec(metrics)?.[1] ?? 0);
  }

  log(
    `connections the cluster held from the edge: ${workerdConnections} TCP (ss), ${watchers} watches (vane_watchers); objects: ${OBJECTS}`,
  );
  if (workerdConnections !== OBJECTS) {
    log(`MISMATCH: ${workerdConnections} connections for ${OBJECTS} objects`);
    process.exitCode = 1;
  }
} finally {
  for (const b of sockets) b.socket.terminate();
  await mf?.dispose();
  await cluster.stop();
}
