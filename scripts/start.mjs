// npm start: a local 3-member cluster on 127.0.0.1, one child process per member (`vane serve`),
// with its data under .data/cluster/<name> so that the next `npm start` restarts it from there.
// Prints each member's log lines prefixed with its name, waits for a leader, then prints the
// client URLs and the dashboard. Ctrl-C (or SIGTERM) stops every member cleanly.
// VANE_START_PORT moves the ports (default 7379: clients on 7379/7479/7579, peers one above each).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { BUNDLE, describeBuildFailure, ensureBuilt, ROOT } from './build.mjs';

const HOST = '127.0.0.1';
const NAMES = ['m1', 'm2', 'm3'];
const DEFAULT_BASE_PORT = 7379;
/** Members' ports are this far apart: client on base + k*step, peer one above. */
const PORT_STEP = 100;
const DATA_DIR = join(ROOT, '.data', 'cluster');
const SECRET_FILE = join(DATA_DIR, 'secret');
/** How long the cluster may take to elect a leader before npm start gives up. */
const LEADER_WAIT_MS = 30_000;
const HEALTH_POLL_MS = 250;
const WAITING_NOTE_EVERY_MS = 5_000;
/** How long members get to stop after SIGTERM before they are killed. */
const STOP_WAIT_MS = 10_000;
/** Fields of a log line shown after its message (a trailing … says some were left out). */
const MAX_LOG_FIELDS = 6;
const MAX_FIELD_CHARS = 80;

const colors = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (colors ? `\u001b[${code}m${text}\u001b[0m` : text);
const MEMBER_COLORS = [36, 35, 33];
const LEVELS = {
  10: ['TRACE', 90],
  20: ['DEBUG', 90],
  30: ['INFO', 32],
  40: ['WARN', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 31],
};

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

function basePort() {
  const text = process.env.VANE_START_PORT;
  if (text === undefined || text === '') return DEFAULT_BASE_PORT;
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const highest = 65535 - PORT_STEP * (NAMES.length - 1) - 1;
  if (!(port >= 1024 && port <= highest))
    fail(`VANE_START_PORT must be a port from 1024 to ${highest}, got '${text}'`);
  return port;
}

const base = basePort();
const members = NAMES.map((name, i) => ({
  name,
  color: MEMBER_COLORS[i],
  clientPort: base + PORT_STEP * i,
  peerPort: base + PORT_STEP * i + 1,
  dataDir: join(DATA_DIR, name),
  child: null,
  exited: null,
}));
const clientUrl = (m) => `http://${HOST}:${m.clientPort}`;
const initialCluster = members.map((m) => `${m.name}=ws://${HOST}:${m.peerPort}`).join(',');

/** Every port that another process holds, named, so the user knows what to stop. */
async function takenPorts() {
  const probe = (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', (error) => resolve(error.code ?? 'error'));
      server.listen(port, HOST, () => server.close(() => resolve(null)));
    });
  const taken = [];
  for (const m of members) {
    for (const [port, what] of [
      [m.clientPort, 'client API'],
      [m.peerPort, 'peer'],
    ]) {
      const problem = await probe(port);
      if (problem !== null)
        taken.push(`${port} (${m.name} ${what}${problem === 'EADDRINUSE' ? '' : `: ${problem}`})`);
    }
  }
  return taken;
}

async function clusterSecret() {
  await mkdir(DATA_DIR, { recursive: true });
  if (!existsSync(SECRET_FILE))
    await writeFile(SECRET_FILE, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const secret = (await readFile(SECRET_FILE, 'utf8')).trim();
  if (secret.length < 8)
    fail(`${relative(ROOT, SECRET_FILE)} holds no usable secret; delete it to get a new one`);
  return secret;
}

/** A member's JSON log line as `m1 12:00:01 INFO  message key=value ...`; other lines as they are. */
function prettyLine(member, line) {
  const tag = paint(member.color, member.name.padEnd(3));
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${tag} ${line}`;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return `${tag} ${line}`;
  const { level, time, msg, pid: _pid, hostname: _host, name, v: _v, ...fields } = entry;
  const [levelName, levelColor] = LEVELS[level] ?? [String(level), 0];
  const clock = typeof time === 'number' ? new Date(time).toTimeString().slice(0, 8) : '';
  const source = typeof name === 'string' && name !== member.name ? `[${name}] ` : '';
  const shown = Object.entries(fields)
    .slice(0, MAX_LOG_FIELDS)
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const more = Object.keys(fields).length > MAX_LOG_FIELDS ? ' …' : '';
  return `${tag} ${paint(90, clock)} ${paint(levelColor, levelName.padEnd(5))} ${source}${msg ?? ''}${shown.length > 0 ? `  ${paint(90, shown.join(' '))}` : ''}${more}`;
}

function fieldText(value) {
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Object && typeof value.message === 'string'
        ? value.message
        : JSON.stringify(value);
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS - 1)}…` : text;
}

let stopping = false;
let ready = false;

function startMember(member, secret) {
  const args = [
    BUNDLE,
    'serve',
    '--name',
    member.name,
    '--data-dir',
    member.dataDir,
    '--listen-client',
    `${HOST}:${member.clientPort}`,
    '--listen-peer',
    `${HOST}:${member.peerPort}`,
    '--initial-cluster',
    initialCluster,
  ];
  // Its own process group: the terminal's Ctrl-C reaches only this script, which stops each member
  // once with SIGTERM (a member that got SIGINT too would take our SIGTERM as a second, forceful one).
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, VANE_CLUSTER_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  member.child = child;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      say(prettyLine(member, line)),
    );
  }
  child.on('exit', (code, signal) => {
    member.exited = { code, signal };
    if (stopping) return;
    const how = signal === null ? `with code ${code}` : `on ${signal}`;
    if (!ready) {
      process.stderr.write(
        `npm start: ${member.name} exited ${how} before the cluster was ready; see its lines above\n`,
      );
      void stopAll(1);
      return;
    }
    process.stderr.write(`npm start: ${member.name} exited ${how}; the others keep running\n`);
    if (members.every((m) => m.exited !== null)) void stopAll(1);
  });
}

const exitedPromise = (member) =>
  member.child === null || member.exited !== null
    ? Promise.resolve()
    : new Promise((resolve) => member.child.once('exit', resolve));

/** SIGTERM to each member by pid, a bounded wait, then SIGKILL for any that is still running. */
async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  const running = members.filter((m) => m.child !== null && m.exited === null);
  if (running.length > 0) say(`stopping ${running.map((m) => m.name).join(', ')}...`);
  for (const m of running) m.child.kill('SIGTERM');
  const all = Promise.all(running.map(exitedPromise));
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_WAIT_MS);
  });
  if ((await Promise.race([all, timedOut])) === 'timeout') {
    for (const m of running.filter((m) => m.exited === null)) {
      process.stderr.write(`npm start: ${m.name} did not stop within ${STOP_WAIT_MS / 1000}s; killing it\n`);
      m.child.kill('SIGKILL');
    }
    await all;
  }
  clearTimeout(timer);
  const unclean = running.filter((m) => m.exited.code !== 0);
  say(
    unclean.length === 0
      ? 'every member stopped cleanly'
      : `stopped (${unclean.map((m) => `${m.name}: ${m.exited.signal ?? `code ${m.exited.code}`}`).join(', ')})`,
  );
  process.exit(exitCode);
}

function forceStop() {
  process.stderr.write('npm start: killing every member now\n');
  for (const m of members) if (m.child !== null && m.exited === null) m.child.kill('SIGKILL');
  process.exit(130);
}

async function getJson(member, path) {
  try {
    const response = await fetch(`${clientUrl(member)}${path}`, {
      signal: AbortSignal.timeout(HEALTH_POLL_MS * 4),
    });
    return { status: response.status, body: await response.json() };
  } catch {
    return null;
  }
}

/**
 * Whether the member knows a leader and says it is healthy. Its status (always 200) is asked first,
 * /health only once it knows a leader: members log every unhealthy /health answer as a warning.
 */
async function isReady(member) {
  const status = await getJson(member, '/v1/cluster/status');
  if (typeof status?.body?.leader !== 'string') return false;
  const health = await getJson(member, '/health');
  return health?.status === 200 && health.body?.ok === true;
}

/** Resolves once a member reports a leader (its /health is ok); false after LEADER_WAIT_MS. */
async function waitForLeader() {
  const started = Date.now();
  let lastNote = started;
  say('waiting for a leader...');
  while (Date.now() - started < LEADER_WAIT_MS) {
    if (stopping) return false;
    const healthy = await Promise.all(members.map(isReady));
    if (healthy.some(Boolean)) return true;
    if (Date.now() - lastNote >= WAITING_NOTE_EVERY_MS) {
      lastNote = Date.now();
      say(`still waiting for a leader (${Math.round((Date.now() - started) / 1000)}s)...`);
    }
    await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS));
  }
  return false;
}

try {
  await ensureBuilt({ log: say });
} catch (error) {
  fail(`building dist/vane.mjs failed:\n${describeBuildFailure(error)}`);
}
const taken = await takenPorts();
if (taken.length > 0) {
  fail(
    `${taken.length === 1 ? 'port' : 'ports'} ${taken.join(', ')} ${taken.length === 1 ? 'is' : 'are'} already in use. ` +
      'Is another `npm start` running? Stop it, or set VANE_START_PORT to use other ports.',
  );
}
const secret = await clusterSecret();
const restarting = members.some((m) => existsSync(join(m.dataDir, 'wal')));
const dataShown = relative(process.cwd(), DATA_DIR) || '.';
say(
  restarting
    ? `restarting the cluster from its data in ${dataShown}`
    : `starting a new cluster; its data goes to ${dataShown}`,
);

// Members run in their own process groups: should this script die without stopping them, they must not linger.
process.on('exit', () => {
  for (const m of members) if (m.child !== null && m.exited === null) m.child.kill('SIGTERM');
});
process.on('SIGINT', () => (stopping ? forceStop() : void stopAll(0)));
process.on('SIGTERM', () => (stopping ? forceStop() : void stopAll(0)));
for (const m of members) startMember(m, secret);

if (!(await waitForLeader())) {
  if (!stopping) {
    process.stderr.write(
      `npm start: no member reported a leader within ${LEADER_WAIT_MS / 1000}s; see the members' lines above\n`,
    );
    await stopAll(1);
  }
} else {
  ready = true;
  const endpointsHint = base === DEFAULT_BASE_PORT ? '' : `VANE_ENDPOINTS=${clientUrl(members[0])} `;
  say('');
  say(paint(1, `Vane is running: ${members.length} members, data in ${dataShown}`));
  for (const m of members) say(`  ${m.name}  ${clientUrl(m)}`);
  say(`Dashboard: ${clientUrl(members[0])}/ui`);
  say(`Try it:    ${endpointsHint}npx vane put hello world && ${endpointsHint}npx vane get hello`);
  say('Ctrl-C stops every member; `npm start` again restarts them from their data.');
  say('');
}
