// Injects one planned fault into the running cluster and heals it: links through the peer proxy,
// processes by signal, membership through the API as an operator would. Member slots map to the
// member that holds them now (a replaced member's slot passes to its successor).
import { setTimeout as sleep } from 'node:timers/promises';
import type { SeededRandom } from '../../../core/random.ts';
import { type MemberProcess, type TestCluster, waitFor } from '../harness.ts';
import type { PeerProxy } from '../proxy.ts';
import { requestMember } from './member-http.ts';
import type { CutDirection, FaultPlan } from './schedule.ts';

/** The longest a membership change may take, retries included. */
const MEMBERSHIP_TIMEOUT_MS = 30_000;
/** The longest a new member may take to catch up and be promoted to a voter. */
const PROMOTION_TIMEOUT_MS = 60_000;
const STATUS_TIMEOUT_MS = 1000;

interface MemberListEntry {
  readonly id: string;
  readonly isLearner: boolean;
  readonly clientUrls: readonly string[];
}

export class FaultInjector {
  readonly #cluster: TestCluster;
  readonly #proxy: PeerProxy;
  readonly #random: SeededRandom;
  /** The member holding each slot. */
  readonly slots: MemberProcess[];
  #nextMemberNumber: number;
  readonly #log: (line: string) => void;

  constructor(cluster: TestCluster, proxy: PeerProxy, random: SeededRandom, log: (line: string) => void) {
    this.#cluster = cluster;
    this.#proxy = proxy;
    this.#random = random;
    this.slots = [...cluster.members];
    this.#nextMemberNumber = cluster.members.length + 1;
    this.#log = log;
  }

  get names(): string[] {
    return this.slots.map((m) => m.name);
  }

  /** Runs the fault from start to heal. */
  async inject(plan: FaultPlan): Promise<void> {
    switch (plan.kind) {
      case 'partition':
      case 'oneWayPartition':
        return this.#cut(this.#targets(plan), plan.direction, plan.durationMs);
      case 'isolateLeader':
        return this.#cut([await this.#leaderOrAny()], plan.direction, plan.durationMs);
      case 'lossyLinks':
        return this.#degrade(this.#targets(plan), { dropRate: plan.dropRate }, plan.durationMs);
      case 'slowLinks':
        return this.#degrade(
          this.#targets(plan),
          { delayMs: plan.delayMs, jitterMs: plan.jitterMs },
          plan.durationMs,
        );
      case 'kill':
        return this.#kill(await this.#target(plan), plan.durationMs);
      case 'pause':
        return this.#pause(await this.#target(plan), plan.durationMs);
      case 'replaceMember':
        return this.#replace(await this.#target(plan), plan.successorSortsFirst);
    }
  }

  /** Everything back to normal: links healed, paused members continued, stopped ones restarted. */
  healAll(): void {
    this.#proxy.heal();
    for (const m of this.slots) {
      if (m.paused) this.#cluster.resume(m.name);
      if (m.process === null) this.#cluster.restart(m.name);
    }
  }

  #targets(plan: FaultPlan): string[] {
    if (plan.target.kind === 'leader') throw new Error(`${plan.kind} does not target the leader`);
    return plan.target.slots.map((slot) => this.slots[slot]!.name);
  }

  async #target(plan: FaultPlan): Promise<string> {
    return plan.target.kind === 'leader' ? this.#leaderOrAny() : this.#targets(plan)[0]!;
  }

  /** The leader most members that answer name, or a random member if none is agreed on. */
  async #leaderOrAny(): Promise<string> {
    const answers = await Promise.all(
      this.slots
        .filter((m) => m.process !== null && !m.paused)
        .map((m) =>
          requestMember(m.clientUrl, {
            method: 'GET',
            path: '/v1/cluster/status',
            timeoutMs: STATUS_TIMEOUT_MS,
          }),
        ),
    );
    const votes = new Map<string, number>();
    for (const answer of answers) {
      const leader =
        answer.kind === 'answered' ? (answer.body as { leader?: unknown } | undefined)?.leader : undefined;
      if (typeof leader === 'string' && leader !== '') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    const [leader] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    return leader !== undefined && this.names.includes(leader) ? leader : this.#random.pick(this.names);
  }

  /** Blocks the links between `side` and every other member: both ways, or only what `side` sends or hears. */
  async #cut(side: readonly string[], direction: CutDirection, durationMs: number): Promise<void> {
    const rest = this.names.filter((name) => !side.includes(name));
    for (const a of side) {
      for (const b of rest) {
        if (direction !== 'inbound') this.#proxy.setLink(a, b, { blocked: true });
        if (direction !== 'outbound') this.#proxy.setLink(b, a, { blocked: true });
      }
    }
    await sleep(durationMs);
    this.#proxy.heal();
  }

  /** Makes every link of `members` (every link at all when empty) lossy or slow. */
  async #degrade(
    members: readonly string[],
    condition: { dropRate?: number; delayMs?: number; jitterMs?: number },
    durationMs: number,
  ): Promise<void> {
    for (const a of this.names) {
      for (const b of this.names) {
        if (a !== b && (members.length === 0 || members.includes(a) || members.includes(b))) {
          this.#proxy.setLink(a, b, condition);
        }
      }
    }
    await sleep(durationMs);
    this.#proxy.heal();
  }

  async #kill(name: string, downMs: number): Promise<void> {
    await this.#cluster.kill(name, 'SIGKILL');
    await sleep(downMs);
    this.#cluster.restart(name);
  }

  async #pause(name: string, pausedMs: number): Promise<void> {
    this.#cluster.pause(name);
    await sleep(pausedMs);
    this.#cluster.resume(name);
  }

  /**
   * etcd's member replacement: the member fails (kill -9), is removed, and a new member with an empty
   * data directory is added as a learner, started with --join, and promoted once it caught up.
   */
  async #replace(name: string, sortsFirst: boolean): Promise<void> {
    const slot = this.slots.findIndex((m) => m.name === name);
    await this.#cluster.kill(name, 'SIGKILL');
    await this.#changeMembership(
      `remove ${name}`,
      { method: 'DELETE', path: `/v1/cluster/members/${name}` },
      (list) => list.every((m) => m.id !== name),
    );
    // Of two members, the one whose id sorts first dials: a successor named a6 dials the founders
    // (m1...), one named z6 is dialed by them.
    const prefix = sortsFirst ? 'a' : 'z';
    const successor = await this.#cluster.define(`${prefix}${this.#nextMemberNumber++}`);
    await this.#changeMembership(
      `add ${successor.name}`,
      {
        method: 'POST',
        path: '/v1/cluster/members',
        body: { id: successor.name, peerUrl: successor.peerUrl, learner: true },
      },
      (list) => list.some((m) => m.id === successor.name),
    );
    this.slots[slot] = successor;
    const join = this.#random.pick(this.slots.filter((m) => m.process !== null && !m.paused));
    this.#cluster.spawn(successor, ['--join', join.clientUrl]);
    await waitFor(`${successor.name} to be promoted to a voter`, PROMOTION_TIMEOUT_MS, async () => {
      // Asked of the others: the new member's own list is only what it was told when it joined.
      const list = await this.#memberList(successor.name);
      const entry = list?.find((m) => m.id === successor.name);
      return entry !== undefined && !entry.isLearner ? true : undefined;
    });
    this.#log(`${successor.name} replaced ${name} and is a voter`);
  }

  /** The member list as some running member (but `exclude`) sees it; null if none answered. */
  async #memberList(exclude?: string): Promise<MemberListEntry[] | null> {
    for (const m of this.slots) {
      if (m.process === null || m.paused || m.name === exclude) continue;
      const answer = await requestMember(m.clientUrl, {
        method: 'GET',
        path: '/v1/cluster/members',
        timeoutMs: STATUS_TIMEOUT_MS,
      });
      if (answer.kind === 'answered' && answer.status === 200) {
        return (answer.body as { members: MemberListEntry[] }).members;
      }
    }
    return null;
  }

  /**
   * Asks the leader (following notLeader answers) until the change is in the member list: an attempt
   * that timed out may still have applied, so the list, not the answer, says when it is done.
   */
  async #changeMembership(
    what: string,
    request: { method: 'POST' | 'DELETE'; path: string; body?: unknown },
    done: (list: readonly MemberListEntry[]) => boolean,
  ): Promise<void> {
    const deadline = performance.now() + MEMBERSHIP_TIMEOUT_MS;
    let url: string | null = null;
    let last = '';
    while (performance.now() < deadline) {
      const list = await this.#memberList();
      if (list !== null && done(list)) return;
      url ??= this.#random.pick(this.slots.filter((m) => m.process !== null && !m.paused)).clientUrl;
      const answer = await requestMember(url, { ...request, timeoutMs: 5000 });
      if (answer.kind === 'answered' && answer.status === 200) return;
      const details =
        answer.kind === 'answered'
          ? (answer.body as { error?: { details?: { leaderUrl?: unknown } } })?.error?.details
          : undefined;
      url = typeof details?.leaderUrl === 'string' ? details.leaderUrl : null;
      last = answer.kind === 'answered' ? JSON.stringify(answer.body) : answer.reason;
      await sleep(200);
    }
    throw new Error(
      `membership change (${what}) did not apply within ${MEMBERSHIP_TIMEOUT_MS} ms; last answer: ${last}`,
    );
  }
}
