// One chaos run: a cluster of real member processes whose peer links all pass through the test's
// proxy; key-value clients and watchers working throughout; faults from the seed's schedule, one at
// a time, each healed and followed by a leader before the next. Then the liveness phase: everything
// healed, the cluster must elect a leader, apply a barrier write on every member and agree on one
// history; watchers must catch up to it. Then the checks (checks.ts). Figures and failures come back
// in a report; progress lines go to `log` while it runs.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRandom } from '../../../core/random.ts';
import { NO_RANGE_END } from '../../../core/store/index.ts';
import { TestCluster, waitFor } from '../harness.ts';
import { type LinkStats, PeerProxy } from '../proxy.ts';
import { type CheckSummary, checkRun } from './checks.ts';
import { compareHistories, type ObservedHistory, readHistory } from './committed.ts';
import { FaultInjector } from './faults.ts';
import { type Endpoint, KvWorkload, type KvWorkloadStats, LogicalClock } from './kv-clients.ts';
import { requestMember } from './member-http.ts';
import { checkMemberLogs, countLeaderTerms, type MemberLog } from './member-logs.ts';
import { describePlan, FAULT_KINDS, type FaultKind, FaultSchedule } from './schedule.ts';
import { type WatcherStats, WatchWorkload } from './watchers.ts';

export interface ChaosOptions {
  readonly seed: number;
  /** How long faults are injected, from the first; the liveness phase and the checks come after. */
  readonly durationMs: number;
  /** Faults injected at least, however long they take (the first FAULT_KINDS.length are one of each kind). */
  readonly minFaults: number;
  readonly members: number;
  readonly clients: number;
  /** Registers (r/0 ...), each with a side key (s/0 ...). */
  readonly keys: number;
  readonly opsPerSecondPerClient: number;
  readonly opTimeoutMs: number;
  readonly watchesPerClient: number;
  readonly snapshotEntries: number;
  readonly snapshotCatchupEntries: number;
  /** How often a progress line is printed. */
  readonly progressEveryMs: number;
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'seed' | 'durationMs'> = {
  minFaults: 0,
  members: 5,
  clients: 8,
  keys: 10,
  opsPerSecondPerClient: 20,
  opTimeoutMs: 2000,
  watchesPerClient: 2,
  // Small, so that snapshots, log compaction and catching up by snapshot happen often.
  snapshotEntries: 1000,
  snapshotCatchupEntries: 200,
  progressEveryMs: 10_000,
};

/** How long the cluster may take to have a leader again after a fault is healed. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** The liveness phase's bound on each of its steps. */
const CONVERGENCE_TIMEOUT_MS = 60_000;
const BARRIER_KEY = 'x/barrier';

export interface ChaosReport {
  readonly seed: number;
  readonly options: ChaosOptions;
  readonly elapsedMs: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly kv: KvWorkloadStats;
  readonly watch: WatcherStats;
  readonly proxy: LinkStats;
  readonly finalRevision: number;
  /** Terms in which some member became leader. */
  readonly elections: number;
  readonly check: CheckSummary | null;
  readonly failures: readonly string[];
  /** Where the members' data directories and logs are. */
  readonly dir: string;
}

export async function runChaos(options: ChaosOptions, log: (line: string) => void): Promise<ChaosReport> {
  const began = performance.now();
  const stamp = (): string => `[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s]`;
  const say = (line: string): void => log(`${stamp()} ${line}`);
  const root = createRandom(options.seed ^ 0x6a09e667);
  const proxy = new PeerProxy(root.fork());
  const failures: string[] = [];
  const faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;

  const cluster = await TestCluster.start({
    name: `chaos-${options.seed}`,
    size: options.members,
    snapshotEntries: options.snapshotEntries,
    snapshotCatchupEntries: options.snapshotCatchupEntries,
    // Never compacted: the whole history is read back at the end.
    autoCompactRevisions: 0,
    peerUrlFor: (name, peerPort) => proxy.listen(name, peerPort),
    onExit: (member, code, signal) => {
      const tail = readFileSync(member.logFile, 'utf8').trimEnd().split('\n').slice(-5);
      failures.push(
        `${member.name} exited by itself (code ${code}, signal ${signal}); the end of ${member.logFile}:\n    ${tail.join('\n    ')}`,
      );
    },
  });
  const injector = new FaultInjector(cluster, proxy, root.fork(), say);
  const endpoints = (): Endpoint[] => injector.slots.map((m) => ({ name: m.name, url: m.clientUrl }));
  const kv = new KvWorkload(options, endpoints, new LogicalClock());
  const watches = new WatchWorkload(
    {
      clients: options.clients,
      watchesPerClient: options.watchesPerClient,
      progressIntervalMs: 1000,
      stallTimeoutMs: 3000,
      moveChance: 0.03,
      replaceWatchChance: 0.3,
    },
    root.fork(),
    endpoints,
    () => kv.highestRevision,
    kv.keys,
  );
  const kvRandom = root.fork();
  const progress = setInterval(() => say(describeProgress(kv, watches, faults)), options.progressEveryMs);
  let finalRevision = 0;
  let check: CheckSummary | null = null;
  try {
    say(
      `seed ${options.seed}: ${options.members} members, ${options.clients} clients, faults for ${(options.durationMs / 1000).toFixed(0)} s; data and logs in ${cluster.dir}`,
    );
    await cluster.waitForLeader(CONVERGENCE_TIMEOUT_MS);
    kv.start(kvRandom);
    watches.start();
    await injectFaults(options, injector, cluster, faults, failures, kv, say);
    clearInterval(progress);
    say(
      `faults over; healing everything and stopping the clients (${describeProgress(kv, watches, faults)})`,
    );
    injector.healAll();
    await kv.stop();
    if (kv.failure !== null) failures.push(kv.failure);
    finalRevision = await converge(cluster, endpoints());
    say(`every member applied revision ${finalRevision}; reading the history back`);
    const history = await agreedHistory(endpoints(), finalRevision, failures);
    await watches.finish(finalRevision, CONVERGENCE_TIMEOUT_MS);
    failures.push(...watches.errors);
    if (history !== null) {
      await checkFinalState(endpoints(), history, failures);
      say(`checking ${kv.history.length} operations and ${watches.watches.length} watches`);
      check = checkRun(history, kv.history, watches.watches);
      failures.push(...check.failures);
    }
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    clearInterval(progress);
    watches.stop();
    await kv.stop();
    await cluster.stop();
    await proxy.close();
  }
  const logs: MemberLog[] = cluster.members
    .filter((m) => existsSync(m.logFile))
    .map((m) => ({ member: m.name, text: readFileSync(m.logFile, 'utf8') }));
  failures.push(...checkMemberLogs(logs));
  return {
    seed: options.seed,
    options,
    elapsedMs: performance.now() - began,
    faults,
    kv: kv.stats,
    watch: watches.stats,
    proxy: proxy.totals(),
    finalRevision,
    elections: countLeaderTerms(logs),
    check,
    failures,
    dir: cluster.dir,
  };
}

async function injectFaults(
  options: ChaosOptions,
  injector: FaultInjector,
  cluster: TestCluster,
  faults: Record<FaultKind, number>,
  failures: string[],
  kv: KvWorkload,
  say: (line: string) => void,
): Promise<void> {
  const schedule = new FaultSchedule(options.seed, { members: options.members });
  const began = performance.now();
  const elapsed = (): number => performance.now() - began;
  const injected = (): number => FAULT_KINDS.reduce((n, kind) => n + faults[kind], 0);
  while (failures.length === 0 && kv.failure === null) {
    const plan = schedule.next();
    await sleep(plan.gapMs);
    if (elapsed() >= options.durationMs && injected() >= options.minFaults) return;
    const description = describePlan(plan, injector.names);
    say(`fault ${plan.index}: ${description}`);
    try {
      await injector.inject(plan);
    } catch (error) {
      failures.push(
        `fault ${plan.index} (${description}): ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    faults[plan.kind]++;
    const healedAt = performance.now();
    try {
      const leader = await cluster.waitForLeader(RECOVERY_TIMEOUT_MS);
      say(
        `fault ${plan.index} healed; leader ${leader} after ${(performance.now() - healedAt).toFixed(0)} ms`,
      );
    } catch (error) {
      failures.push(
        `after fault ${plan.index} (${description}): ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
  }
}

/** A barrier write, then the revision every member has applied once they all agree. */
async function converge(cluster: TestCluster, members: readonly Endpoint[]): Promise<number> {
  await cluster.waitForLeader(CONVERGENCE_TIMEOUT_MS);
  const barrier = await waitFor('a barrier write after the faults', CONVERGENCE_TIMEOUT_MS, async () => {
    const member = members[0]!;
    const answer = await requestMember(member.url, {
      method: 'PUT',
      path: `/v1/kv/${encodeURIComponent(BARRIER_KEY)}`,
      body: { value: 'barrier' },
      requestId: 'barrier',
      timeoutMs: 5000,
    });
    return answer.kind === 'answered' && answer.status === 200 ? (answer.revision ?? undefined) : undefined;
  });
  return waitFor(`every member to apply revision ${barrier}`, CONVERGENCE_TIMEOUT_MS, async () => {
    const revisions = await Promise.all(
      members.map(async (m) => {
        const answer = await requestMember(m.url, {
          method: 'GET',
          path: '/v1/cluster/status',
          timeoutMs: 2000,
        });
        return answer.kind === 'answered' ? (answer.body as { revision?: number }).revision : undefined;
      }),
    );
    const first = revisions[0];
    return first !== undefined && first >= barrier && revisions.every((r) => r === first) ? first : undefined;
  });
}

/** Every member's history up to `revision`; they must be equal. The first member's, or null if unreadable. */
async function agreedHistory(
  members: readonly Endpoint[],
  revision: number,
  failures: string[],
): Promise<ObservedHistory | null> {
  let reference: { name: string; history: ObservedHistory } | null = null;
  for (const member of members) {
    const history = await readHistory(member, revision, CONVERGENCE_TIMEOUT_MS);
    if (typeof history === 'string') {
      failures.push(`history: ${history}`);
      continue;
    }
    if (reference === null) {
      reference = { name: member.name, history };
      continue;
    }
    const difference = compareHistories(reference.history, reference.name, history, member.name);
    if (difference !== null) failures.push(`history: ${difference}`);
  }
  return reference?.history ?? null;
}

/** A linearizable range of every key on every member must give the history's final state. */
async function checkFinalState(
  members: readonly Endpoint[],
  history: ObservedHistory,
  failures: string[],
): Promise<void> {
  const expected = [...history.finalState()].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const member of members) {
    const answer = await requestMember(member.url, {
      method: 'POST',
      path: '/v1/kv/range',
      body: { key: NO_RANGE_END, rangeEnd: NO_RANGE_END },
      timeoutMs: 10_000,
    });
    if (answer.kind !== 'answered' || answer.status !== 200) {
      failures.push(`final state: ${member.name} did not answer a range of every key`);
      continue;
    }
    const kvs = (answer.body as { kvs: { key: string; value: string }[] }).kvs.map((kv) => [
      kv.key,
      kv.value,
    ]);
    const differs =
      kvs.length !== expected.length ||
      kvs.some(([key, value], i) => expected[i]?.[0] !== key || expected[i]?.[1] !== value);
    if (differs) {
      failures.push(
        `final state: ${member.name} holds ${JSON.stringify(kvs)}; the history ends with ${JSON.stringify(expected)}`,
      );
    }
  }
}

function describeProgress(
  kv: KvWorkload,
  watches: WatchWorkload,
  faults: Readonly<Record<FaultKind, number>>,
): string {
  const s = kv.stats;
  const w = watches.stats;
  const injected = FAULT_KINDS.reduce((n, kind) => n + faults[kind], 0);
  return (
    `ops ${s.issued} (writes acknowledged ${s.writesAcknowledged}, unknown ${s.writesUnknown}; reads failed ${s.readsFailed}), ` +
    `revision ${kv.highestRevision}, watch responses ${w.responses} (resumed ${w.resumptions} times), faults ${injected}`
  );
}

/** The run's figures and its failures, for people. */
export function summarizeChaos(report: ChaosReport): string {
  const { kv, watch, check, proxy } = report;
  const faultList = FAULT_KINDS.map((kind) => `${kind} ${report.faults[kind]}`).join(', ');
  const lines = [
    `chaos seed ${report.seed}: ${report.failures.length === 0 ? 'ok' : `FAILED (${report.failures.length})`} in ${(report.elapsedMs / 1000).toFixed(0)} s, final revision ${report.finalRevision}, ${report.elections} elections won`,
    `  faults: ${faultList}`,
    `  operations: ${kv.issued} issued (puts ${kv.puts}, gets ${kv.gets}, ranges ${kv.ranges}, compare-and-swaps ${kv.compareAndSwaps}); ` +
      `writes acknowledged ${kv.writesAcknowledged}, unknown ${kv.writesUnknown} (retried ${kv.retries}); reads failed ${kv.readsFailed}; ` +
      `mean answer ${(kv.answeredMs / Math.max(1, kv.answered)).toFixed(0)} ms`,
    `  watches: ${watch.watches} in ${watch.watches + watch.resumptions} sessions (stalls ${watch.stalls}, moves ${watch.moves}), ${watch.responses} responses`,
    `  peer frames: ${proxy.forwarded} forwarded, ${proxy.dropped} dropped, ${proxy.delayed} delayed, ${proxy.overflowed} overflowed`,
  ];
  if (check !== null) {
    lines.push(
      `  checked: ${check.operationsChecked} operations linearizable (${check.checkerSteps} search steps), ` +
        `${check.acknowledgedWritesVerified} acknowledged writes and ${check.readsVerified} reads against the history, ` +
        `unknown writes ${check.unknownApplied} applied / ${check.unknownNotApplied} not, ` +
        `${check.watchEventsChecked} watch events in ${check.watchesChecked} watches`,
    );
  }
  for (const failure of report.failures) lines.push(`  FAILURE ${failure}`);
  if (report.failures.length > 0) {
    lines.push(`  logs: ${report.dir}`);
    const minFaults = report.options.minFaults > 0 ? ` --min-faults ${report.options.minFaults}` : '';
    lines.push(
      `  reproduce the schedule: npm run chaos -- --seed ${report.seed} --minutes ${(report.options.durationMs / 60_000).toFixed(2)}${minFaults}`,
    );
  }
  return lines.join('\n');
}
