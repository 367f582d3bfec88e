// One simulated run, entirely determined by its seed: the seed picks the options (swarm testing),
// then drives the network, disks, clocks, crashes, partitions, membership changes, leadership
// transfers, compactions, clients and watches. Every member runs Vane's store (core/store) on the
// entries the real command codec encodes. A safety phase with faults is followed by a liveness phase
// in which faults heal and the cluster must elect a leader and commit within a bound. Invariants are
// checked as the run goes (the store's hash included); at the end the clients' history is checked for
// linearizability and every watch against the committed history.
import { encodeCommand } from '../../core/protocol/index.ts';
import type { RaftNode } from '../../core/raft/api.ts';
import { defaultRaftConfig, MemoryStorage, RawNode } from '../../core/raft/index.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  RaftConfig,
  Role,
  Storage,
  UnsafeBugs,
} from '../../core/raft/types.ts';
import { MESSAGE_TYPES } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import { createRandom } from '../../core/random.ts';
import type { StoreConfig } from '../../core/store/index.ts';
import { DEFAULT_STORE_CONFIG } from '../../core/store/index.ts';
import { ClientWorkload } from './clients.ts';
import { CommittedHistory } from './committed-history.ts';
import { Fingerprint } from './fingerprint.ts';
import { ClusterInvariants, InvariantViolation } from './invariants.ts';
import { kvModel } from './kv-model.ts';
import { checkOperations, explainIllegal } from './linearizability.ts';
import type { MemberHost } from './member.ts';
import { Member } from './member.ts';
import type { LostReason } from './network.ts';
import { HEALTHY_NETWORK, SimNetwork } from './network.ts';
import type { SimOptions } from './options.ts';
import { chooseOptions, describeOptions } from './options.ts';
import type { AppliedCommand } from './store-state-machine.ts';
import { StoreStateMachine } from './store-state-machine.ts';
import { checkWatch, describeResponse } from './watch-checker.ts';
import type { WatchFault } from './watch-clients.ts';
import { WATCH_FAULTS, WatchWorkload } from './watch-clients.ts';

export interface SimulationConfig {
  readonly seed: number;
  readonly unsafeBugs?: UnsafeBugs;
  /** Deliberate damage outside the Raft core, to see the checkers catch it. */
  readonly fault?: SimFault;
  /** Receives a line per notable event (crash, partition, election, client operation...). */
  readonly trace?: (line: string) => void;
}

/**
 * Damage outside the Raft core: to one watch's recorded responses (watch-clients.ts), or a store that
 * forgets request ids at once (dedup window 0), so that retried and duplicated writes apply twice.
 */
export type SimFault = WatchFault | 'forgetRequestIds';
export const SIM_FAULTS: readonly SimFault[] = [...WATCH_FAULTS, 'forgetRequestIds'];

export type FailureKind = 'invariant' | 'linearizability' | 'watch' | 'liveness' | 'error';

export interface SimulationFailure {
  readonly kind: FailureKind;
  readonly message: string;
  /** Simulated time units when it was detected. */
  readonly time: number;
  readonly details: readonly string[];
}

export interface SimulationStats {
  readonly members: number;
  readonly ticks: number;
  readonly operations: number;
  readonly operationsChecked: number;
  readonly unknownOutcomes: number;
  /** Write attempts after the first (retries with the same request id). */
  readonly retries: number;
  /** Entries whose request id had applied already: answered from the store's dedup window. */
  readonly deduplicated: number;
  readonly compactions: number;
  readonly watches: number;
  /** Watch sessions: openings, and re-openings after a crash or removal. */
  readonly watchSessions: number;
  /** Watch events compared with the committed history. */
  readonly watchEvents: number;
  /** Watches canceled because the revision they needed was compacted. */
  readonly watchesCompacted: number;
  readonly elections: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly membershipChanges: number;
  readonly transfers: number;
  readonly snapshots: number;
  readonly committed: number;
  readonly messages: number;
  readonly messagesLost: number;
  /** Invariant checks made (one per Ready, persist, apply and restore). */
  readonly invariantChecks: number;
  readonly checkerSteps: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly options: SimOptions;
  readonly failure: SimulationFailure | null;
  readonly stats: SimulationStats;
  /** A fingerprint of every message sent and entry applied: equal runs have equal hashes. */
  readonly traceHash: string;
}

/** The liveness probe writes to a key no client uses, with request ids no client uses. */
const PROBE_KEY = '__liveness';
const PROBE_REQUEST = 'probe.';
const encoder = new TextEncoder();
/** Lines of the failing partition printed with a linearizability failure. */
const MAX_DETAIL_LINES = 60;

function union(conf: ConfState): Set<NodeId> {
  return new Set([...conf.voters, ...conf.learners, ...conf.votersOutgoing, ...conf.learnersNext]);
}

class Simulation implements MemberHost {
  readonly invariants: ClusterInvariants;
  private readonly options: SimOptions;
  private readonly network: SimNetwork;
  private readonly workload: ClientWorkload;
  private readonly watchWorkload: WatchWorkload;
  private readonly history: CommittedHistory;
  private readonly storeConfig: Partial<StoreConfig>;
  private readonly compactionRandom: SeededRandom;
  private readonly members = new Map<NodeId, Member<MemoryStorage>>();
  /** Creation order: every loop over members uses it, so runs are reproducible. */
  private readonly memberList: Member<MemoryStorage>[] = [];
  private readonly faultRandom: SeededRandom;
  private readonly nodeRandom: SeededRandom;
  private readonly diskRandom: SeededRandom;
  private readonly fsyncRandom: SeededRandom;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly fingerprint = new Fingerprint();
  /** Each member's last applied membership, to notice when a member is removed. */
  private readonly appliedMembership = new Map<NodeId, Set<NodeId>>();
  /**
   * Members whose removal some member applied, with the configuration that removed them and the
   * index it took effect at. A removed member keeps running (and voting) until every member of
   * that configuration applied it too: stopped earlier, it could leave the others unable to commit
   * the very change that removed it (a leader removing itself, say).
   */
  private readonly removals = new Map<NodeId, { members: Set<NodeId>; index: number }>();
  private lastMemberNumber = 0;
  private probe: { seq: number; proposedAt: number; refused: boolean; index: number | null } = {
    seq: 0,
    proposedAt: -Infinity,
    refused: false,
    index: null,
  };
  now = 0;
  private ticks = 0;
  private elections = 0;
  private crashes = 0;
  private partitions = 0;
  private membershipChanges = 0;
  private transfers = 0;
  private snapshots = 0;
  private compactions = 0;

  constructor(
    seed: number,
    unsafeBugs: UnsafeBugs | undefined,
    fault: SimFault | undefined,
    trace: ((line: string) => void) | undefined,
  ) {
    const root = createRandom(seed);
    this.options = chooseOptions(root.fork(), unsafeBugs);
    this.faultRandom = root.fork();
    this.nodeRandom = root.fork();
    this.diskRandom = root.fork();
    this.fsyncRandom = root.fork();
    this.trace = trace;
    this.network = new SimNetwork(root.fork(), this.options.network, (message, reason) =>
      this.lost(message, reason),
    );
    const traceNow = trace === undefined ? undefined : (line: string) => trace(`t=${this.now} ${line}`);
    this.workload = new ClientWorkload(root.fork(), this.options.workload, traceNow);
    this.watchWorkload = new WatchWorkload(
      root.fork(),
      this.options.watches,
      this.options.workload.keys,
      WATCH_FAULTS.find((f) => f === fault),
      traceNow,
    );
    this.compactionRandom = root.fork();
    this.storeConfig =
      fault === 'forgetRequestIds' ? { ...this.options.store, dedupWindow: 0 } : this.options.store;
    this.history = new CommittedHistory(DEFAULT_STORE_CONFIG.dedupWindow);
    this.invariants = new ClusterInvariants(StoreStateMachine.empty(this.storeConfig).hash());
  }

  get simOptions(): SimOptions {
    return this.options;
  }

  // MemberHost

  createNode(id: NodeId, storage: Storage, applied: number): RaftNode {
    const o = this.options;
    const config: RaftConfig = {
      ...defaultRaftConfig(id, storage, this.nodeRandom.fork()),
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      applied,
      maxInflightMsgs: o.maxInflightMsgs,
      maxSizePerMsg: o.maxSizePerMsg,
      ...(o.unsafeBugs === undefined ? {} : { unsafeBugs: o.unsafeBugs }),
    };
    this.appliedMembership.set(id, union(storage.initialState().confState));
    return new RawNode(config);
  }

  createStateMachine(snapshot: Uint8Array | null): StoreStateMachine {
    return snapshot === null
      ? StoreStateMachine.empty(this.storeConfig)
      : StoreStateMachine.fromSnapshot(snapshot, this.storeConfig);
  }

  send(message: Message): void {
    this.fingerprint
      .addWord(MESSAGE_TYPES.indexOf(message.type))
      .addString(message.from)
      .addString(message.to)
      .addNumber(message.term)
      .addNumber(message.index)
      .addNumber(message.commit)
      .addWord(message.entries.length);
    this.network.send(message, this.now);
  }

  fsyncLatency(): number {
    return this.options.fsyncMin + this.fsyncRandom.int(this.options.fsyncMax - this.options.fsyncMin + 1);
  }

  applied(member: Member, entry: Entry, command: AppliedCommand | null): void {
    this.fingerprint.addNumber(entry.index).addNumber(entry.term);
    // The first member to apply an entry extends the committed history; the invariants hold the others to it.
    if (entry.index === this.history.lastIndex + 1) this.history.record(entry.index, command);
    if (command === null) return;
    if (command.envelope.requestId?.startsWith(PROBE_REQUEST) === true) {
      this.probe.index ??= entry.index;
      return;
    }
    this.workload.applied(member, command);
  }

  get tracing(): boolean {
    return this.trace !== undefined;
  }

  note(line: string): void {
    this.trace?.(`t=${this.now} ${line}`);
  }

  roleChanged(member: Member, role: Role, term: number): void {
    if (role === 'leader') this.elections++;
    this.trace?.(`t=${this.now} ${member.id} is ${role} in term ${term}`);
  }

  membershipApplied(member: Member, confState: ConfState): void {
    const now = union(confState);
    const before = this.appliedMembership.get(member.id) ?? new Set<NodeId>();
    for (const id of before) {
      if (!now.has(id) && !this.removals.has(id))
        this.removals.set(id, { members: now, index: member.applied });
    }
    this.appliedMembership.set(member.id, now);
  }

  // Network

  private lost(message: Message, reason: LostReason): void {
    const sender = this.members.get(message.from);
    if (sender === undefined) return;
    if (message.type === 'snapshot')
      sender.enqueue({ kind: 'snapshotStatus', to: message.to, status: 'failure' });
    else if (reason === 'partitioned') sender.enqueue({ kind: 'unreachable', to: message.to });
  }

  private deliver(message: Message): void {
    const target = this.members.get(message.to);
    if (target === undefined || !target.isUp) {
      this.lost(message, 'dropped');
      return;
    }
    target.enqueue({ kind: 'message', message });
    if (message.type === 'snapshot') {
      this.members.get(message.from)?.enqueue({ kind: 'snapshotStatus', to: message.to, status: 'finished' });
    }
  }

  // Members

  private addMember(id: NodeId, createStorage: () => MemoryStorage): Member<MemoryStorage> {
    if (this.members.has(id)) throw new Error(`member ${id} exists already`);
    const member = new Member(id, this, createStorage);
    this.members.set(id, member);
    this.memberList.push(member);
    member.start();
    return member;
  }

  bootstrap(): void {
    const voters = Array.from({ length: this.options.clusterSize }, (_, i) => `n${i + 1}`);
    this.lastMemberNumber = voters.length;
    for (const id of voters) this.addMember(id, () => MemoryStorage.bootstrap(voters));
    this.trace?.(`seed options: ${describeOptions(this.options)}`);
  }

  private currentLeader(): Member<MemoryStorage> | null {
    let leader: Member<MemoryStorage> | null = null;
    for (const member of this.memberList) {
      if (member.isUp && member.role === 'leader' && (leader === null || member.term > leader.term))
        leader = member;
    }
    return leader;
  }

  private processRemovals(): void {
    for (const [id, removal] of this.removals) {
      const member = this.members.get(id)!;
      const everyoneKnows = [...removal.members].every((other) => {
        const m = this.members.get(other);
        return m?.isUp === true && m.applied >= removal.index;
      });
      if (!everyoneKnows) continue;
      this.removals.delete(id);
      if (member.state === 'removed') continue;
      member.remove();
      this.workload.memberLost(id);
      this.appliedMembership.delete(id);
      this.trace?.(`t=${this.now} ${id} removed from the cluster and stopped`);
    }
  }

  // Time

  private runTick(): void {
    this.ticks++;
    for (let unit = 0; unit < this.options.unitsPerTick; unit++) {
      for (const message of this.network.deliverDue(this.now)) this.deliver(message);
      for (const member of this.memberList) {
        if (unit === 0) member.tick(this.now);
        member.step(this.now);
      }
      this.processRemovals();
      this.workload.expire(this.now);
      this.now++;
    }
    this.watchWorkload.tick(this.memberList);
    if (this.options.snapshotEvery > 0) this.takeSnapshots();
  }

  private takeSnapshots(): void {
    for (const member of this.memberList) {
      if (!member.isUp || member.isBusy() || member.isPaused(this.now)) continue;
      const since = member.applied - member.storage.snapshot().metadata.index;
      if (since < this.options.snapshotEvery) continue;
      const index = member.snapshotAndCompact(this.options.snapshotRetain);
      if (index !== null) {
        this.snapshots++;
        this.trace?.(`t=${this.now} ${member.id} snapshots at ${index}`);
      }
    }
  }

  // Faults and administration, decided once per tick during the safety phase

  private injectFaults(): void {
    const random = this.faultRandom;
    if (this.network.isPartitioned()) {
      if (random.chance(this.options.healRate)) {
        this.network.heal();
        this.trace?.(`t=${this.now} partition healed`);
      }
    } else if (random.chance(this.options.partitionRate)) {
      this.partition();
    }
    const leader = this.currentLeader();
    if (leader !== null && random.chance(this.options.leaderCrashRate)) this.crash(leader);
    for (const member of this.memberList) {
      if (member.isUp && random.chance(this.options.pauseRate)) {
        const ticks = 1 + random.int(3 * this.options.electionTick);
        member.pause(this.now + ticks * this.options.unitsPerTick);
        this.trace?.(`t=${this.now} ${member.id} paused for ${ticks} ticks`);
      }
      if (member.state === 'up' && random.chance(this.options.crashRate)) {
        this.crash(member);
      } else if (member.state === 'down' && random.chance(this.options.restartRate)) {
        member.start();
        this.trace?.(
          `t=${this.now} ${member.id} restarted at applied ${member.applied}, commit ${member.commitIndex}`,
        );
      }
    }
  }

  private crash(member: Member<MemoryStorage>): void {
    const appliedBefore = member.applied;
    const report = member.crash(this.diskRandom, this.options.tornWriteRate);
    this.workload.memberLost(member.id);
    for (const other of this.memberList) if (other !== member) other.peerCrashed(member.id);
    this.crashes++;
    this.trace?.(
      `t=${this.now} ${member.id} crashed at applied ${appliedBefore} (lost ${report.lostRecords} unsynced records, tore ${report.tornEntries} entries)`,
    );
  }

  private partition(): void {
    const random = this.faultRandom;
    const ids = this.memberList.filter((m) => m.state !== 'removed').map((m) => m.id);
    if (ids.length < 2) return;
    const leader = this.currentLeader();
    const kind = random.pick(['split', 'oneWay', 'isolateLeader', 'leaderMute', 'leaderDeaf'] as const);
    let side: NodeId[];
    if (leader === null || kind === 'split' || kind === 'oneWay') {
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      side = shuffled.slice(0, 1 + random.int(ids.length - 1));
    } else {
      side = [leader.id];
    }
    const rest = ids.filter((id) => !side.includes(id));
    if (kind !== 'leaderDeaf') this.network.block(side, rest);
    if (kind === 'split' || kind === 'isolateLeader' || kind === 'leaderDeaf') this.network.block(rest, side);
    this.partitions++;
    this.trace?.(`t=${this.now} partition (${kind}): [${side.join(',')}] | [${rest.join(',')}]`);
  }

  private administer(): void {
    const random = this.faultRandom;
    if (random.chance(this.options.transferRate)) this.transferLeadership();
    if (random.chance(this.options.confChangeRate)) this.changeMembership();
    if (this.compactionRandom.chance(this.options.compactRate)) this.compact();
  }

  /** Asks a member to compact its store's history, as the leader's auto-compactor does, through the log. */
  private compact(): void {
    const random = this.compactionRandom;
    const up = this.memberList.filter((m) => m.isUp);
    if (up.length === 0) return;
    const member = random.pick(up);
    const { revision, compactRevision } = member.store!;
    // Mostly a revision still retained; sometimes one compacted already, which the store refuses;
    // nothing while no revision is left to compact.
    const target =
      compactRevision > 0 && random.chance(0.2)
        ? 1 + random.int(compactRevision)
        : compactRevision + 1 + random.int(Math.max(1, revision - compactRevision));
    if (target > revision) return;
    const data = encodeCommand({ command: { op: 'compact', request: { revision: target } } });
    member.enqueue({ kind: 'propose', data, onRefused: () => {} });
    this.compactions++;
    this.trace?.(`t=${this.now} ${member.id} asked to compact to revision ${target} (at ${revision})`);
  }

  private transferLeadership(): void {
    const leader = this.currentLeader();
    const status = leader?.status();
    if (leader === null || status === null || status === undefined) return;
    const candidates = status.confState.voters.filter((id) => id !== leader.id);
    if (candidates.length === 0) return;
    const to = this.faultRandom.pick(candidates);
    leader.enqueue({ kind: 'transfer', to });
    this.transfers++;
    this.trace?.(`t=${this.now} ${leader.id} asked to transfer leadership to ${to}`);
  }

  private changeMembership(): void {
    const leader = this.currentLeader();
    if (leader === null) return;
    leader.enqueue({ kind: 'confChange', plan: (conf) => this.planMembershipChange(leader, conf) });
  }

  /** One membership change for the configuration the leader holds right now (none while joint). */
  private planMembershipChange(leader: Member<MemoryStorage>, conf: ConfState): ConfChange | null {
    const random = this.faultRandom;
    if (conf.votersOutgoing.length > 0) return null;
    const choices: ('addLearner' | 'promote' | 'removeVoter' | 'removeLearner' | 'replace')[] = [];
    if (this.memberList.length < this.options.maxMembers) choices.push('addLearner', 'addLearner');
    if (conf.learners.length > 0) choices.push('promote', 'removeLearner', 'replace');
    if (conf.voters.length > 1) choices.push('removeVoter');
    if (choices.length === 0) return null;
    let change: ConfChange;
    switch (random.pick(choices)) {
      case 'addLearner': {
        const id = `n${++this.lastMemberNumber}`;
        this.addMember(id, () => new MemoryStorage());
        change = { transition: 'auto', changes: [{ kind: 'addLearner', nodeId: id }] };
        break;
      }
      case 'promote':
        change = { transition: 'auto', changes: [{ kind: 'addVoter', nodeId: random.pick(conf.learners) }] };
        break;
      case 'removeLearner':
        change = {
          transition: 'auto',
          changes: [{ kind: 'removeNode', nodeId: random.pick(conf.learners) }],
        };
        break;
      case 'removeVoter':
        change = { transition: 'auto', changes: [{ kind: 'removeNode', nodeId: random.pick(conf.voters) }] };
        break;
      case 'replace':
        change = {
          transition: 'auto',
          changes: [
            { kind: 'addVoter', nodeId: random.pick(conf.learners) },
            { kind: 'removeNode', nodeId: random.pick(conf.voters) },
          ],
        };
        break;
    }
    this.membershipChanges++;
    this.trace?.(
      `t=${this.now} ${leader.id} proposes ${change.changes.map((c) => `${c.kind} ${c.nodeId}`).join(' + ')}`,
    );
    return change;
  }

  // Phases

  runSafetyPhase(): void {
    for (let tick = 0; tick < this.options.safetyTicks; tick++) {
      this.injectFaults();
      this.administer();
      this.workload.tick(this.now, this.memberList);
      this.runTick();
    }
  }

  /** Faults heal; within the bound a leader must commit a probe write that every member of its configuration applies. */
  runLivenessPhase(): SimulationFailure | null {
    this.network.heal();
    this.network.setFaults(HEALTHY_NETWORK);
    for (const member of this.memberList) {
      if (member.state === 'down') member.start();
      member.pause(-1);
    }
    this.trace?.(`t=${this.now} liveness phase: faults healed, every member up`);
    const retryAfter = 2 * this.options.electionTick;
    for (let tick = 0; tick < this.options.livenessTicks; tick++) {
      if (this.converged()) {
        this.trace?.(`t=${this.now} converged after ${tick} ticks`);
        return null;
      }
      const leader = this.currentLeader();
      const probeDue = this.probe.refused || tick - this.probe.proposedAt >= retryAfter;
      if (leader !== null && this.probe.index === null && probeDue) this.proposeProbe(leader, tick);
      this.runTick();
    }
    return {
      kind: 'liveness',
      message: `no convergence within ${this.options.livenessTicks} ticks after faults healed`,
      time: this.now,
      details: this.memberList.map((m) => {
        const status = m.status();
        const conf =
          status === null
            ? ''
            : ` last index ${status.lastIndex} voters [${status.confState.voters.join(',')}]` +
              (status.confState.votersOutgoing.length > 0
                ? ` outgoing [${status.confState.votersOutgoing.join(',')}]`
                : '') +
              ` learners [${status.confState.learners.join(',')}] vote ${status.hardState.vote ?? '-'}`;
        return (
          `${m.id}: ${m.state} ${m.role} term ${m.term} applied ${m.applied} commit ${m.commitIndex}${conf} ` +
          `busy ${m.isBusy()} inputs dropped ${m.droppedInputs}`
        );
      }),
    };
  }

  private proposeProbe(leader: Member<MemoryStorage>, tick: number): void {
    const probe = this.probe;
    probe.seq++;
    probe.proposedAt = tick;
    probe.refused = false;
    const data = encodeCommand({
      requestId: `${PROBE_REQUEST}${probe.seq}`,
      command: { op: 'put', request: { key: PROBE_KEY, value: encoder.encode(`probe${probe.seq}`) } },
    });
    leader.enqueue({ kind: 'propose', data, onRefused: () => (probe.refused = true) });
  }

  private converged(): boolean {
    const index = this.probe.index;
    const leader = this.currentLeader();
    const conf = leader?.status()?.confState;
    if (index === null || conf === undefined) return false;
    for (const id of union(conf)) {
      const member = this.members.get(id);
      if (member === undefined || !member.isUp || member.applied < index) return false;
    }
    return true;
  }

  checkHistory(): SimulationFailure | null {
    this.workload.finish();
    const result = checkOperations(kvModel, this.workload.history);
    this.checkerSteps = result.steps;
    if (result.kind === 'ok') return null;
    if (result.kind === 'unknown') {
      return {
        kind: 'linearizability',
        message: `check gave up: ${result.reason}`,
        time: this.now,
        details: [],
      };
    }
    const ops = result.partitionOperations;
    const details = explainIllegal(kvModel, result, MAX_DETAIL_LINES);
    return {
      kind: 'linearizability',
      message: `history of key ${result.partition} is not linearizable (${ops.length} operations)`,
      time: this.now,
      details,
    };
  }

  checkerSteps = 0;
  private watchEvents = 0;

  /** Drains every watch and checks it against the committed history. */
  checkWatches(): SimulationFailure | null {
    const watches = this.watchWorkload;
    watches.finish(this.memberList);
    const failure = (message: string, details: readonly string[] = []): SimulationFailure => ({
      kind: 'watch',
      message,
      time: this.now,
      details,
    });
    if (watches.signalViolation !== null) return failure(watches.signalViolation);
    for (const watch of watches.watches) {
      const result = checkWatch(this.history, watch);
      this.watchEvents += result.events;
      if (result.violation !== null) {
        const responses = watch.sessions.flatMap((session) =>
          session.responses.map((r) => `${session.member}: ${describeResponse(r)}`),
        );
        return failure(`${result.violation.property}: ${result.violation.message}`, [
          `responses (last ${MAX_DETAIL_LINES / 2}):`,
          ...responses.slice(-MAX_DETAIL_LINES / 2).map((line) => `  ${line}`),
        ]);
      }
    }
    return null;
  }

  stats(): SimulationStats {
    return {
      members: this.memberList.length,
      ticks: this.ticks,
      operations: this.workload.stats.issued,
      operationsChecked: this.workload.history.length,
      unknownOutcomes: this.workload.stats.unknownApplied + this.workload.stats.unknownNeverApplied,
      retries: this.workload.stats.retries,
      deduplicated: this.history.duplicates,
      compactions: this.compactions,
      watches: this.watchWorkload.watches.length,
      watchSessions: this.watchWorkload.watches.reduce((n, w) => n + w.sessions.length, 0),
      watchEvents: this.watchEvents,
      watchesCompacted: this.watchWorkload.watches.filter((w) =>
        w.sessions.some((s) => s.responses.some((r) => r.canceled === true)),
      ).length,
      elections: this.elections,
      crashes: this.crashes,
      partitions: this.partitions,
      membershipChanges: this.membershipChanges,
      transfers: this.transfers,
      snapshots: this.snapshots,
      committed: this.invariants.committedCount(),
      messages: this.network.sent,
      messagesLost: this.network.lost,
      invariantChecks: this.invariants.checks,
      checkerSteps: this.checkerSteps,
    };
  }

  traceHash(): string {
    return this.fingerprint.hex();
  }
}

export function runSimulation(config: SimulationConfig): SimulationResult {
  const sim = new Simulation(config.seed, config.unsafeBugs, config.fault, config.trace);
  let failure: SimulationFailure | null = null;
  try {
    sim.bootstrap();
    sim.runSafetyPhase();
    failure = sim.runLivenessPhase() ?? sim.checkHistory() ?? sim.checkWatches();
  } catch (error) {
    failure = describeError(error, sim.now);
  }
  return {
    seed: config.seed,
    options: sim.simOptions,
    failure,
    stats: sim.stats(),
    traceHash: sim.traceHash(),
  };
}

function describeError(error: unknown, time: number): SimulationFailure {
  if (error instanceof InvariantViolation)
    return { kind: 'invariant', message: error.message, time, details: [] };
  if (error instanceof Error) {
    const frames = (error.stack ?? '')
      .split('\n')
      .slice(1, 6)
      .map((line) => line.trim());
    return { kind: 'error', message: `${error.name}: ${error.message}`, time, details: frames };
  }
  return { kind: 'error', message: String(error), time, details: [] };
}

/** The one-line outcome of a run; byte-identical for the same seed and code. */
export function summarize(result: SimulationResult): string {
  const s = result.stats;
  const outcome = result.failure === null ? 'ok' : `FAIL ${result.failure.kind} at t=${result.failure.time}`;
  return (
    `seed ${result.seed}: ${outcome} members=${s.members} ticks=${s.ticks} ops=${s.operations} ` +
    `checked=${s.operationsChecked} unknown=${s.unknownOutcomes} retries=${s.retries} dedup=${s.deduplicated} ` +
    `elections=${s.elections} crashes=${s.crashes} partitions=${s.partitions} confChanges=${s.membershipChanges} ` +
    `transfers=${s.transfers} snapshots=${s.snapshots} compactions=${s.compactions} committed=${s.committed} ` +
    `messages=${s.messages} search=${s.checkerSteps} watches=${s.watches} sessions=${s.watchSessions} ` +
    `watchEvents=${s.watchEvents} watchesCompacted=${s.watchesCompacted} ` +
    `trace=${result.traceHash}`
  );
}

/** A failed run in full: summary, what broke, the seed's options and the command that replays it. */
export function describeFailure(result: SimulationResult, bug?: keyof UnsafeBugs | SimFault): string {
  const failure = result.failure;
  if (failure === null) throw new Error(`seed ${result.seed} did not fail`);
  return [
    summarize(result),
    `  ${failure.message}`,
    ...failure.details.map((d) => `    ${d}`),
    `  options: ${describeOptions(result.options)}`,
    `  reproduce: npm run sim -- --seed ${result.seed}${bug === undefined ? '' : ` --bug ${bug}`} --trace`,
  ].join('\n');
}
