// The two systems under test as 3-member clusters of processes on 127.0.0.1, behind one interface:
// Vane (dist/vane.mjs through test/cluster's harness) and etcd (Debian's etcd-server). Both keep
// their data under test-output/ on the same disk, fsync on, with the same Raft timing: a 100 ms
// heartbeat and a 1 s election timeout.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, TestCluster, waitFor } from '../../test/cluster/harness.ts';
import { killOnExit } from './cleanup.ts';
import { HttpClient } from './http-client.ts';

export type SystemName = 'vane' | 'etcd';

const ROOT = resolve(import.meta.dirname, '../..');
export const HEARTBEAT_MS = 100;
export const ELECTION_MS = 1000;
/** Both keep this many revisions of history (Vane's default; etcd is told the same). */
const RETAIN_REVISIONS = 10_000;

export interface ClusterUnderTest {
  readonly system: SystemName;
  readonly size: number;
  /** Base URL of member i's client API (Vane's HTTP API; etcd's gRPC and JSON gateway share it). */
  clientUrl(member: number): string;
  isRunning(member: number): boolean;
  pid(member: number): number | undefined;
  /** The leader's index, once every running member agrees on it. */
  leader(timeoutMs?: number): Promise<number>;
  kill(member: number, signal: NodeJS.Signals): Promise<void>;
  restart(member: number): void;
  stop(): Promise<void>;
}

/** Resident memory of a process in bytes (VmRSS), from /proc. */
export function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used, in ms, from /proc (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU ms used so far by all of the cluster's running members. */
export function clusterCpuMs(cluster: ClusterUnderTest): number {
  let total = 0;
  for (let i = 0; i < cluster.size; i++) {
    const pid = cluster.pid(i);
    if (pid !== undefined) total += cpuMs(pid);
  }
  return total;
}

export async function startVane(): Promise<ClusterUnderTest> {
  const cluster = await TestCluster.start({
    name: 'bench',
    size: 3,
    tickMs: HEARTBEAT_MS,
    electionTicks: ELECTION_MS / HEARTBEAT_MS,
    autoCompactRevisions: RETAIN_REVISIONS,
  });
  const pids = (): number[] => cluster.running().flatMap((m) => (m.process?.pid ? [m.process.pid] : []));
  const forget = killOnExit(pids);
  const name = (i: number): string => cluster.members[i]!.name;
  const vane: ClusterUnderTest = {
    system: 'vane',
    size: cluster.members.length,
    clientUrl: (i) => cluster.members[i]!.clientUrl,
    isRunning: (i) => cluster.members[i]!.process !== null,
    pid: (i) => cluster.members[i]!.process?.pid,
    async leader(timeoutMs = 15_000) {
      const leader = await cluster.waitForLeader(timeoutMs);
      return cluster.members.findIndex((m) => m.name === leader);
    },
    kill: (i, signal) => cluster.kill(name(i), signal),
    restart: (i) => cluster.restart(name(i)),
    async stop() {
      await cluster.stop();
      forget();
    },
  };
  await vane.leader();
  return vane;
}

interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  process: ChildProcess | null;
}

interface EtcdStatus {
  readonly header?: { readonly member_id?: string };
  readonly leader?: string;
}

/** Debian's etcd 3.4; `.ci/run` installs it (apt-get install etcd-server etcd-client). */
export function etcdVersion(): string {
  try {
    return execFileSync('etcd', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    throw new Error('etcd is not installed: apt-get install -y etcd-server etcd-client (see .ci/run)');
  }
}

export async function startEtcd(): Promise<ClusterUnderTest> {
  etcdVersion();
  const dir = join(ROOT, 'test-output', 'bench', `etcd-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const members: EtcdMember[] = [];
  for (let i = 1; i <= 3; i++) {
    members.push({
      name: `e${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(dir, `e${i}`),
      logFile: join(dir, `e${i}.log`),
      process: null,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const spawnMember = (m: EtcdMember): void => {
    if (m.process) throw new Error(`${m.name} is already running`);
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--advertise-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      m.peerUrl,
      '--initial-advertise-peer-urls',
      m.peerUrl,
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      'vane-bench',
      '--heartbeat-interval',
      String(HEARTBEAT_MS),
      '--election-timeout',
      String(ELECTION_MS),
      '--auto-compaction-mode',
      'revision',
      '--auto-compaction-retention',
      String(RETAIN_REVISIONS),
      '--logger',
      'zap',
      '--log-level',
      'warn',
    ];
    const log = createWriteStream(m.logFile, { flags: 'a' });
    const child = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', () => {
      if (m.process === child) m.process = null;
    });
    m.process = child;
  };
  const forget = killOnExit(() => members.flatMap((m) => (m.process?.pid ? [m.process.pid] : [])));
  for (const m of members) spawnMember(m);
  const control = members.map((m) => new HttpClient(m.clientUrl, 4));

  const kill = async (i: number, signal: NodeJS.Signals): Promise<void> => {
    const child = members[i]!.process;
    if (!child || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, signal);
    await exited;
    members[i]!.process = null;
  };

  const etcd: ClusterUnderTest = {
    system: 'etcd',
    size: members.length,
    clientUrl: (i) => members[i]!.clientUrl,
    isRunning: (i) => members[i]!.process !== null,
    pid: (i) => members[i]!.process?.pid,
    leader(timeoutMs = 15_000) {
      return waitFor('an etcd leader every running member follows', timeoutMs, async () => {
        const leaders = new Set<string>();
        const ids = new Map<string, number>();
        for (let i = 0; i < members.length; i++) {
          if (!members[i]!.process) continue;
          const answer = await control[i]!.send('POST', '/v3/maintenance/status', '{}', 1000);
          if (answer.status !== 200) return undefined;
          const status = JSON.parse(answer.text) as EtcdStatus;
          if (!status.leader || status.leader === '0' || !status.header?.member_id) return undefined;
          leaders.add(status.leader);
          ids.set(status.header.member_id, i);
        }
        const [leader] = [...leaders];
        return leaders.size === 1 && leader !== undefined ? ids.get(leader) : undefined;
      });
    },
    kill,
    restart: (i) => spawnMember(members[i]!),
    async stop() {
      await Promise.all(members.map((_, i) => kill(i, 'SIGKILL')));
      for (const c of control) c.close();
      forget();
    },
  };
  await etcd.leader();
  return etcd;
}
