// Real member processes on 127.0.0.1 for the multi-process tests: `node dist/vane.mjs serve` (or
// the Deno entry point) per member, ports from the OS, data under test-output/, logs kept per
// member. Processes are stopped by their pid. Waits poll a condition with a deadline; nothing
// sleeps blindly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/**
 * The bundle members run: dist/vane.mjs, built from the sources when they changed; or, with
 * VANE_MEMBER_BIN set, that bundle as it is (a long chaos run keeps one fixed while the sources move).
 */
const PREBUILT_BIN = process.env.VANE_MEMBER_BIN;
export const VANE_BIN = PREBUILT_BIN === undefined ? join(ROOT, 'dist/vane.mjs') : resolve(PREBUILT_BIN);
/** Extra node flags for Node members, e.g. VANE_MEMBER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p' to profile them. */
const NODE_MEMBER_ARGS = (process.env.VANE_MEMBER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
export const SECRET = 'test-cluster-secret-0123456789';
/** The Deno entry point of a member (server/adapters/deno), run from source. */
export const DENO_SERVE = join(ROOT, 'server/adapters/deno/serve.ts');

export type MemberRuntime = 'node' | 'deno';

let denoPath: string | undefined;
/** The deno binary of the `deno` devDependency (its platform package holds it; no download). */
export function denoExecutable(): string {
  if (denoPath === undefined) {
    const install = createRequire(import.meta.url)('deno/install_api.cjs') as { runInstall(): string };
    denoPath = install.runInstall();
  }
  return denoPath;
}

/**
 * `deno run` with the permissions a member needs: loopback network, its environment (VANE_*), the
 * host name (pino logs it), its data directory, and --allow-run so that the data-directory lock can
 * ask whether the process a kill -9 left in it is gone.
 */
export function denoServeCommand(dataDir: string, serveFlags: readonly string[]): [string, string[]] {
  return [
    denoExecutable(),
    [
      'run',
      '--no-prompt',
      '--allow-net=127.0.0.1',
      '--allow-env',
      '--allow-sys=hostname',
      '--allow-run',
      `--allow-read=${dataDir}`,
      `--allow-write=${dataDir}`,
      DENO_SERVE,
      ...serveFlags,
    ],
  ];
}

let built = false;
/** Builds dist/vane.mjs if a source is newer (scripts/build.mjs decides), once per test process. */
function buildOnce(): void {
  if (built || PREBUILT_BIN !== undefined) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  built = true;
}

const PORT_FLOOR = 10_000;

/**
 * The lowest port the kernel hands out to outgoing connections (and to listen(0)). Ports below it
 * are never taken by a client socket: a port from listen(0), closed and handed to a member, could
 * be taken by any outgoing connection before the member binds it (a chaos run once lost a member
 * to EADDRINUSE that way).
 */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'), 10);
    // A range starting lower leaves no room below it: ports are then picked in it, as listen(0) would.
    return Number.isInteger(low) && low > PORT_FLOOR + 1000 ? low : 32768;
  } catch {
    return 32768;
  }
}

const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolveListen) => {
    const server = createServer();
    server.once('error', () => resolveListen(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveListen(true)));
  });
}

/**
 * A port on 127.0.0.1 nothing listens on, below the kernel's ephemeral range (so no outgoing
 * connection takes it meanwhile), chosen at random so that test processes running side by side
 * rarely pick the same one, and never the same one twice in this process.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_FLOOR + Math.floor(Math.random() * (high - PORT_FLOOR));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${PORT_FLOOR} and ${high} after 200 attempts`);
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface MemberProcess {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  process: ChildProcess | null;
  /** Extra serve flags (e.g. --join) used on every start. */
  extraFlags: string[];
  secret: string;
  /** The --name it runs under (defaults to `name`; a test may start an impostor). */
  memberName?: string;
  /** Node (`node dist/vane.mjs serve`) when absent; Deno runs server/adapters/deno/serve.ts. */
  runtime?: MemberRuntime;
  /** Stopped by SIGSTOP (pause) and not yet continued. */
  paused: boolean;
}

export interface ClusterOptions {
  readonly size: number;
  readonly name: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotEntries?: number;
  readonly snapshotCatchupEntries?: number;
  readonly autoCompactRevisions?: number;
  /** Members (by name) to run on another runtime than Node, e.g. { m3: 'deno' }. */
  readonly runtimes?: Readonly<Record<string, MemberRuntime>>;
  /**
   * The peer URL a member advertises, given its name and the port it listens for peers on; by
   * default that port itself. A test that runs peer traffic through a proxy answers the proxy's URL.
   */
  readonly peerUrlFor?: (name: string, peerPort: number) => Promise<string>;
  /** A member process exited without kill() asking it to (it crashed, or stopped by itself). */
  readonly onExit?: (member: MemberProcess, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface JsonResponse {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON bodies
  readonly body: any;
}

export class TestCluster {
  readonly members: MemberProcess[] = [];
  readonly dir: string;
  private readonly options: ClusterOptions;
  /** Processes kill() signaled: their exit is expected. */
  private readonly killed = new WeakSet<ChildProcess>();

  private constructor(options: ClusterOptions, dir: string) {
    this.options = options;
    this.dir = dir;
  }

  static async start(options: ClusterOptions): Promise<TestCluster> {
    buildOnce();
    const dir = join(ROOT, 'test-output', 'cluster', `${options.name}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cluster = new TestCluster(options, dir);
    // Members never outlive the test process, however it ends (an exception, process.exit on Ctrl-C).
    process.once('exit', () => cluster.killNow());
    for (let i = 1; i <= options.size; i++) await cluster.define(`m${i}`);
    for (const m of cluster.members) cluster.spawn(m, ['--initial-cluster', cluster.initialCluster()]);
    return cluster;
  }

  initialCluster(): string {
    return this.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  }

  /** Reserves ports and a data directory for a member, without starting it. */
  async define(name: string): Promise<MemberProcess> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const member: MemberProcess = {
      name,
      clientPort,
      peerPort,
      clientUrl: `http://127.0.0.1:${clientPort}`,
      peerUrl: (await this.options.peerUrlFor?.(name, peerPort)) ?? `ws://127.0.0.1:${peerPort}`,
      dataDir: join(this.dir, name),
      logFile: join(this.dir, `${name}.log`),
      process: null,
      extraFlags: [],
      secret: SECRET,
      runtime: this.options.runtimes?.[name] ?? 'node',
      paused: false,
    };
    this.members.push(member);
    return member;
  }

  member(name: string): MemberProcess {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  spawn(m: MemberProcess, flags: string[] = []): void {
    if (m.process) throw new Error(`${m.name} is already running`);
    m.extraFlags = flags.length > 0 ? flags : m.extraFlags;
    const serveFlags = [
      '--name',
      m.memberName ?? m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client',
      `127.0.0.1:${m.clientPort}`,
      '--listen-peer',
      `127.0.0.1:${m.peerPort}`,
      '--advertise-peer',
      m.peerUrl,
      '--tick-ms',
      String(this.options.tickMs ?? 100),
      '--election-ticks',
      String(this.options.electionTicks ?? 10),
      '--snapshot-entries',
      String(this.options.snapshotEntries ?? 10_000),
      '--snapshot-catchup-entries',
      String(this.options.snapshotCatchupEntries ?? 5_000),
      '--auto-compact-revisions',
      String(this.options.autoCompactRevisions ?? 10_000),
      '--log-level',
      'info',
      ...m.extraFlags,
    ];
    const [command, args] =
      m.runtime === 'deno'
        ? denoServeCommand(m.dataDir, serveFlags)
        : [process.execPath, [...NODE_MEMBER_ARGS, VANE_BIN, 'serve', ...serveFlags]];
    const log = createWriteStream(m.logFile, { flags: 'a' });
    const child = spawn(command, args, {
      env: { ...process.env, VANE_CLUSTER_SECRET: m.secret, VANE_CLUSTER_ID: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', (code, signal) => {
      if (m.process === child) m.process = null;
      if (!this.killed.has(child)) this.options.onExit?.(m, code, signal);
    });
    m.process = child;
  }

  /** Sends a signal to the member's process by pid and waits for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(name);
    const child = m.process;
    if (!child || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    this.killed.add(child);
    process.kill(child.pid, signal);
    // A stopped process acts on no signal but SIGKILL until it is continued.
    if (m.paused && signal !== 'SIGKILL') process.kill(child.pid, 'SIGCONT');
    m.paused = false;
    await exited;
    m.process = null;
  }

  /** Stops the member's process (SIGSTOP): it keeps its sockets and state and does nothing at all. */
  pause(name: string): void {
    const m = this.member(name);
    if (!m.process || m.process.pid === undefined) throw new Error(`${name} is not running`);
    process.kill(m.process.pid, 'SIGSTOP');
    m.paused = true;
  }

  /** Continues a paused member (SIGCONT). */
  resume(name: string): void {
    const m = this.member(name);
    if (!m.process || m.process.pid === undefined || !m.paused) return;
    process.kill(m.process.pid, 'SIGCONT');
    m.paused = false;
  }

  restart(name: string): void {
    this.spawn(this.member(name));
  }

  /** SIGKILL to every running member, without waiting: for a test process that is exiting. */
  killNow(): void {
    for (const m of this.members) {
      if (m.process?.pid === undefined) continue;
      this.killed.add(m.process);
      try {
        process.kill(m.process.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.process).map((m) => this.kill(m.name, 'SIGKILL')));
  }

  running(): MemberProcess[] {
    return this.members.filter((m) => m.process !== null);
  }

  async request(
    name: string,
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 5000,
  ): Promise<JsonResponse> {
    const m = this.member(name);
    const response = await fetch(`${m.clientUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    return { status: response.status, body: text.length > 0 ? JSON.parse(text) : null };
  }

  put(name: string, key: string, value: string, timeoutMs?: number): Promise<JsonResponse> {
    return this.request(name, 'PUT', `/v1/kv/${encodeURIComponent(key)}`, { value }, timeoutMs);
  }

  get(name: string, key: string, query = ''): Promise<JsonResponse> {
    return this.request(name, 'GET', `/v1/kv/${encodeURIComponent(key)}${query}`);
  }

  /** The leader every running member agrees on, once /health is ok on all of them. */
  async waitForLeader(timeoutMs = 10_000): Promise<string> {
    // Each miss throws what it saw, so that a timeout says which member was not there yet.
    return waitFor('a leader that every running member follows', timeoutMs, async () => {
      const leaders = new Map<string, string[]>();
      for (const m of this.running()) {
        const health = await this.request(m.name, 'GET', '/health', undefined, 1000);
        if (health.status !== 200)
          throw new Error(`${m.name}: /health ${health.status} ${JSON.stringify(health.body)}`);
        const status = await this.request(m.name, 'GET', '/v1/cluster/status', undefined, 1000);
        if (!status.body?.leader) throw new Error(`${m.name} knows no leader`);
        leaders.set(status.body.leader, [...(leaders.get(status.body.leader) ?? []), m.name]);
      }
      if (leaders.size === 1) return [...leaders.keys()][0];
      throw new Error(`members name different leaders: ${JSON.stringify(Object.fromEntries(leaders))}`);
    });
  }

  /** Waits until the member's log (piped through this process, so slightly behind) has a matching line. */
  async waitForLog(name: string, pattern: RegExp, timeoutMs = 5000): Promise<void> {
    await waitFor(`${name} to log ${pattern}`, timeoutMs, () =>
      pattern.test(readFileSync(this.member(name).logFile, 'utf8')) ? true : undefined,
    );
  }

  async status(name: string): Promise<{ leader: string; revision: number; applied: number; role: string }> {
    const s = await this.request(name, 'GET', '/v1/cluster/status');
    return s.body;
  }
}
