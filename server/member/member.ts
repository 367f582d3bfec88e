// One Vane member: drives the Raft core (persist, send, apply, advance), hosts the store, and
// serves the client API's needs (MemberApi). Runtime-neutral: the file system, the peer network
// and the clock are injected, so Node and Deno members share this file.
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import { decodeMemberListResponse, isDecodeError } from '../../core/protocol/index.ts';
import { decodeConfChange, defaultRaftConfig, MemoryStorage, RawNode } from '../../core/raft/index.ts';
import type { ConfChange, ConfState, Entry, NodeId, Ready, Snapshot } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import { AutoCompactor, KvStore, Lessor } from '../../core/store/index.ts';
import type {
  Command,
  CommandResponse,
  LeaseListResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  RangeRequest,
  RangeResponse,
  WatchRequest,
} from '../../core/store/types.ts';
import type { MemberConfig } from '../config.ts';
import { coreLogger, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { type DataDir, type FileSystem, openDataDir, type ProcessTable } from '../storage/index.ts';
import { DEFAULT_BACKOFF, type PeerNetwork, PeerTransport } from '../transport/index.ts';
import type {
  Health,
  MemberApi,
  MemberInfo,
  MemberStatus,
  ReadOptions,
  ResponseHeader,
  WatchHandle,
  WriteOptions,
} from './api.ts';
import { decodeMemberEntry, encodeMemberEntry } from './entry.ts';
import {
  decodeConfContext,
  decodeMemberSnapshot,
  encodeConfContext,
  encodeMemberSnapshot,
  MembersTable,
} from './members-table.ts';
import { ProposalTracker } from './proposal-tracker.ts';
import { ReadBatcher } from './read-batcher.ts';
import { watchStore } from './watch-handle.ts';

export const VANE_VERSION = '0.1.0';

export interface MemberDeps {
  readonly config: MemberConfig;
  readonly fs: FileSystem;
  readonly processes: ProcessTable;
  readonly network: PeerNetwork;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Milliseconds on a monotonic clock. */
  readonly now: () => number;
  /** Unpredictable per process (request ids, election jitter seed). */
  readonly randomSeed: number;
  /**
   * Runs a task once the event loop has handled all the I/O that is ready now (Node: setImmediate).
   * The Raft loop runs there, so that writes arriving together on many connections share one Ready
   * and one fsync; without it (a microtask) each connection's data gets a Raft loop of its own.
   */
  readonly afterIo?: (task: () => void) => void;
  /** Called once when the member stops itself (it was removed from the cluster, or hit a fatal error). */
  readonly onStopped?: (reason: string) => void;
}

/** Timeouts and bounds of the member's own work. */
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_PENDING_WRITES = 10_000;
const MIN_REVISION_WAIT_MS = 5_000;
/** A learner is promoted once it is this close to the leader's log. */
const PROMOTE_WITHIN_ENTRIES = 100;

export class Member implements MemberApi {
  readonly id: NodeId;
  private readonly node: RawNode;
  private readonly storage: MemoryStorage;
  private readonly store: KvStore;
  private table: MembersTable;
  private readonly lessor: Lessor;
  private readonly transport: PeerTransport;
  private readonly proposals: ProposalTracker;
  private readonly reads: ReadBatcher;
  private readonly appliedWaiters: { revision: number; deadline: number; resolve: (ok: boolean) => void }[] =
    [];
  private appliedIndex: number;
  private snapshotIndex: number;
  /** Size of the last snapshot, and bytes of log applied since: see maybeSnapshot. */
  private lastSnapshotBytes: number;
  private logBytesSinceSnapshot = 0;
  private confState: ConfState;
  private leader: NodeId | null = null;
  private lastLeaderContact: number;
  private draining = false;
  private stopped = false;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private requestSequence = 0;
  /** Writes submitted here that were applied, and their summed submit-to-apply time (status, dashboard). */
  private writesApplied = 0;
  private writeLatencyMsTotal = 0;
  private readonly bootId: string;
  private attributesProposedAt = Number.NEGATIVE_INFINITY;
  /** An applied membership change removed this member. */
  private removed = false;
  private stopTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPeerSampleAt = 0;
  private readonly autoCompactor: AutoCompactor | null;

  private readonly deps: MemberDeps;
  /** The port the peer listener got (the configured one, or the OS's pick for port 0). */
  peerPort = 0;
  private readonly dataDir: DataDir;

  private constructor(
    deps: MemberDeps,
    dataDir: DataDir,
    recovered: {
      storage: MemoryStorage;
      store: KvStore;
      members: MembersTable;
      applied: number;
      conf: ConfState;
      snapshotBytes: number;
    },
  ) {
    const { config, logger } = deps;
    this.deps = deps;
    this.dataDir = dataDir;
    this.id = config.name;
    this.storage = recovered.storage;
    this.store = recovered.store;
    this.table = recovered.members;
    this.appliedIndex = recovered.applied;
    this.snapshotIndex = recovered.applied;
    this.lastSnapshotBytes = recovered.snapshotBytes;
    this.confState = recovered.conf;
    this.lastLeaderContact = deps.now();
    const random = createRandom(deps.randomSeed);
    this.bootId = random.uint32().toString(36);
    this.node = new RawNode({
      ...defaultRaftConfig(config.name, this.storage, random),
      electionTick: config.electionTicks,
      heartbeatTick: config.heartbeatTicks,
      applied: recovered.applied,
      logger: coreLogger(logger),
    });
    const electionMs = config.tickMs * config.electionTicks;
    // Checkpointing every election timeout bounds how much a leader change can extend a lease.
    this.lessor = new Lessor(this.store, { checkpointIntervalMs: electionMs, revokeRetryMs: 3 * electionMs });
    this.autoCompactor =
      config.autoCompactMinutes > 0
        ? new AutoCompactor({ mode: 'periodic', retainMs: config.autoCompactMinutes * 60_000 })
        : config.autoCompactRevisions > 0
          ? new AutoCompactor({
              mode: 'revision',
              retainRevisions: config.autoCompactRevisions,
              checkIntervalMs: electionMs,
            })
          : null;
    this.proposals = new ProposalTracker({
      propose: (data) => this.withDrain(() => this.node.propose(data)),
      retryMs: config.tickMs * config.electionTicks * 2,
      maxPending: MAX_PENDING_WRITES,
      onOutcome: (outcome) => deps.metrics.countProposal(outcome),
    });
    this.reads = new ReadBatcher({
      issue: (context) => this.withDrain(() => this.node.readIndex(context)),
      retryMs: config.tickMs * config.electionTicks,
    });
    // A lost peer is redialed well within an election timeout: a restarted member (which the peers
    // that sort first must dial) then hears from the leader before it would campaign.
    const redialMaxMs = Math.max(1, Math.floor(electionMs / 4));
    this.transport = new PeerTransport({
      memberId: config.name,
      clusterId: config.clusterId,
      secret: config.clusterSecret,
      network: deps.network,
      backoff: { initialMs: Math.min(DEFAULT_BACKOFF.initialMs, redialMaxMs), maxMs: redialMaxMs },
      logger: coreLogger(logger),
      onMessages: (messages) => {
        for (const message of messages) {
          if (message.from === this.leader) this.lastLeaderContact = deps.now();
          // Raft carries a forwarded proposal's entries blindly; once committed, an entry no member
          // can apply would stop every member at it, on every restart. Refuse it at the door.
          const unappliable = message.type === 'propose' ? unappliableEntry(message.entries) : undefined;
          if (unappliable !== undefined) {
            logger.warn({ from: message.from, problem: unappliable }, 'peer proposal refused');
            continue;
          }
          const error = this.node.step(message);
          if (error && error.code !== 'unknownPeer')
            logger.debug({ error, from: message.from }, 'peer message refused');
        }
        this.scheduleDrain();
      },
      onUnreachable: (peer) => this.node.reportUnreachable(peer),
      onPeerStatus: (peer, connected) => {
        // A leader whose process died closes its connections at once: elect another now rather
        // than after a whole election timeout (Raft.forgetLeader; a live leader keeps its lease).
        if (!connected && peer === this.leader) {
          this.deps.logger.info({ leader: peer }, 'lost the connection to the leader; campaigning soon');
          this.withDrain(() => this.node.forgetLeader());
        }
      },
      onSnapshotStatus: (peer, status) => {
        this.node.reportSnapshot(peer, status);
        this.scheduleDrain();
      },
      acceptPeer: (peer) => this.table.has(peer),
    });
  }

  /** Opens (or creates) the data directory, recovers state, and starts ticking and listening. */
  static async start(deps: MemberDeps): Promise<Member> {
    const { config, logger } = deps;
    const { dataDir, recovered: state } = await openDataDir({
      dir: config.dataDir,
      fs: deps.fs,
      processes: deps.processes,
      logger: coreLogger(logger),
    });
    let storage: MemoryStorage;
    let store: KvStore;
    let members: MembersTable;
    let applied = 0;
    let conf = state.confState;
    if (state.snapshot) {
      const decoded = decodeMemberSnapshot(state.snapshot.data);
      if (typeof decoded === 'string') throw new Error(`snapshot in ${config.dataDir}: ${decoded}`);
      // The snapshot file's checksum, verified as it was read, covers the store's bytes.
      const restored = KvStore.restore(
        decoded.store,
        { quotaBytes: config.quotaBytes },
        { checksumVerified: true },
      );
      if (isVaneError(restored)) throw new Error(`snapshot in ${config.dataDir}: ${restored.message}`);
      store = restored;
      members = decoded.members;
      storage = new MemoryStorage();
      storage.applySnapshot(state.snapshot);
      applied = state.snapshot.metadata.index;
      conf = state.snapshot.metadata.confState;
      logger.info({ index: applied, revision: store.revision }, 'restored from snapshot');
    } else if (state.entries.length === 0 && state.hardState.term === 0 && config.initialCluster.size > 0) {
      // A founding member of a new cluster: every founder bootstraps the same configuration.
      const voters = [...config.initialCluster.keys()].sort();
      storage = MemoryStorage.bootstrap(voters);
      store = new KvStore({ quotaBytes: config.quotaBytes });
      members = new MembersTable();
      for (const [id, peerUrl] of config.initialCluster) members.set(id, peerUrl);
      conf = storage.initialState().confState;
      await dataDir.saveSnapshot(
        storage.createSnapshot(0, conf, encodeMemberSnapshot(members, store.snapshot())) as Snapshot,
      );
      logger.info({ voters }, 'bootstrapped a new cluster');
    } else {
      // Restarting without a snapshot, or joining: an empty member learns everything from the leader.
      storage = new MemoryStorage();
      store = new KvStore({ quotaBytes: config.quotaBytes });
      members = new MembersTable();
      if (config.join) {
        for (const m of await fetchMembers(config.join)) members.set(m.id, m.peerUrl);
        logger.info({ join: config.join, members: members.list(conf).map((m) => m.id) }, 'joining a cluster');
      }
    }
    if (state.entries.length > 0) storage.append(state.entries);
    storage.setHardState(state.hardState);
    const snapshotBytes = applied > 0 ? (state.snapshot?.data.length ?? 0) : 0;
    const member = new Member(deps, dataDir, { storage, store, members, applied, conf, snapshotBytes });
    await member.listen();
    return member;
  }

  private async listen(): Promise<void> {
    const { config, logger } = this.deps;
    const listening = await this.transport.start(config.listenPeer.host, config.listenPeer.port);
    if ('code' in listening) throw new Error(`peer listener: ${listening.message}`);
    this.peerPort = listening.port;
    this.transport.setPeers(this.table.peerUrls(this.id));
    this.ticker = setInterval(() => this.tick(), config.tickMs);
    logger.info(
      { peer: config.advertisePeerUrl, peers: [...this.table.peerUrls(this.id).keys()] },
      'member started',
    );
    this.scheduleDrain();
  }

  // ---- the Raft loop ----

  private withDrain<T>(fn: () => T): T {
    const result = fn();
    this.scheduleDrain();
    return result;
  }

  private scheduleDrain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    (this.deps.afterIo ?? queueMicrotask)(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.node.hasReady()) {
        const ready = this.node.ready();
        await this.handleReady(ready);
        this.node.advance(ready);
        this.afterAdvance(ready);
      }
    } catch (error) {
      this.fail(`raft loop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    } finally {
      this.draining = false;
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    const { metrics, now } = this.deps;
    if (ready.softState) this.onSoftState(ready.softState.leader, ready.softState.role);
    this.transport.send(ready.messages);
    // Entries that are committed and already in this member's own log are applied (and their
    // writers answered) before this Ready's new entries are written: under load the leader's Ready
    // carries the previous batch to apply and the next one to fsync, and the answers need not wait
    // for that fsync. Entries this Ready itself (re)writes, replacing a follower's conflicting
    // tail or not, are applied after the write, as Raft asks.
    const last = ready.committedEntries.at(-1);
    const applyFirst =
      ready.snapshot === undefined &&
      last !== undefined &&
      last.index <= this.storage.lastIndex() &&
      last.index < (ready.entries[0]?.index ?? Number.POSITIVE_INFINITY);
    if (applyFirst) {
      // The followers get the next batch before the apply, not after it.
      this.transport.flush();
      this.applyCommitted(ready);
    }
    if (ready.snapshot) await this.installSnapshot(ready.snapshot);
    if (ready.entries.length > 0 || ready.hardState) {
      const started = now();
      await this.dataDir.save({
        ...(ready.hardState ? { hardState: ready.hardState } : {}),
        entries: ready.entries,
        mustSync: ready.mustSync,
      });
      if (ready.mustSync) metrics.observeFsync((now() - started) / 1000);
      if (ready.entries.length > 0) this.storage.append(ready.entries);
      if (ready.hardState) this.storage.setHardState(ready.hardState);
    }
    this.transport.send(ready.messagesAfterPersist);
    if (!applyFirst) this.applyCommitted(ready);
    for (const state of ready.readStates) this.reads.onReadState(state, this.appliedIndex, now());
    const hs = this.node.status().hardState;
    metrics.setRaftState(hs.term, hs.commit, this.appliedIndex);
  }

  private applyCommitted(ready: Ready): void {
    if (ready.committedEntries.length === 0) return;
    for (const entry of ready.committedEntries) this.applyEntry(entry);
    this.reads.onApplied(this.appliedIndex);
    this.wakeRevisionWaiters();
  }

  private afterAdvance(ready: Ready): void {
    if (ready.committedEntries.some((e) => e.type === 'confChange')) {
      this.confState = this.node.status().confState;
      this.transport.setPeers(this.table.peerUrls(this.id));
      if (this.removed && this.stopTimer === null) {
        // Linger a little: as leader, this member hands leadership over, and the others may still
        // need its messages to learn that the change committed (stopping at once can stall them).
        const lingerMs = 3 * this.deps.config.tickMs * this.deps.config.electionTicks;
        this.deps.logger.warn({ lingerMs }, 'this member was removed from the cluster; stopping soon');
        this.stopTimer = setTimeout(() => void this.stop('removed from the cluster'), lingerMs);
      }
    }
    this.maybeSnapshot();
  }

  private applyEntry(entry: Entry): void {
    if (entry.index <= this.appliedIndex) return;
    if (entry.type === 'confChange') {
      const change = decodeConfChange(entry.data);
      if ('code' in change) throw new Error(`entry ${entry.index}: ${change.message}`);
      this.applyConfChangeToTable(change);
      this.store.markApplied(entry.index);
    } else {
      const decoded = decodeMemberEntry(entry.data);
      if (decoded.kind === 'invalid') throw new Error(`entry ${entry.index}: ${decoded.reason}`);
      if (decoded.kind === 'command') {
        const result = this.store.apply(entry.index, decoded.envelope);
        if (decoded.envelope.requestId !== undefined)
          this.proposals.applied(decoded.envelope.requestId, result);
      } else {
        if (decoded.kind === 'attributes') this.table.setClientUrl(decoded.id, decoded.clientUrl);
        this.store.markApplied(entry.index);
      }
    }
    this.appliedIndex = entry.index;
    this.logBytesSinceSnapshot += entry.data.length;
  }

  private applyConfChangeToTable(change: ConfChange): void {
    const context = decodeConfContext(change.context);
    for (const single of change.changes) {
      if (single.kind === 'removeNode' && single.nodeId === this.id) this.removed = true;
      if (single.kind === 'removeNode') this.table.remove(single.nodeId);
      else if (context && !this.table.has(single.nodeId)) this.table.set(single.nodeId, context.peerUrl);
    }
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    const decoded = decodeMemberSnapshot(snapshot.data);
    if (typeof decoded === 'string') throw new Error(`snapshot from the leader: ${decoded}`);
    await this.dataDir.save({ snapshot });
    this.storage.applySnapshot(snapshot);
    // In place, so open watches catch up from the snapshot (or are cancelled as compacted).
    const installed = this.store.installSnapshot(decoded.store);
    if (installed) throw new Error(`snapshot from the leader: ${installed.message}`);
    this.table = decoded.members;
    this.appliedIndex = snapshot.metadata.index;
    this.snapshotIndex = snapshot.metadata.index;
    this.lastSnapshotBytes = snapshot.data.length;
    this.logBytesSinceSnapshot = 0;
    this.confState = snapshot.metadata.confState;
    this.transport.setPeers(this.table.peerUrls(this.id));
    this.deps.logger.info(
      { index: snapshot.metadata.index, revision: this.store.revision },
      'installed a snapshot',
    );
  }

  private maybeSnapshot(): void {
    const { config, logger } = this.deps;
    // Due after --snapshot-entries entries, or after SNAPSHOT_LOG_BYTES of log however few entries
    // that is: a bulk load in large txns would otherwise leave its whole log to replay on restart.
    const due =
      this.appliedIndex - this.snapshotIndex >= config.snapshotEntries ||
      this.logBytesSinceSnapshot >= SNAPSHOT_LOG_BYTES;
    if (!due) return;
    // A snapshot stops this member for a time in proportion to the whole store (0.1 to 0.3 s for
    // 100,000 keys); waiting until the log has grown by a fixed share of the last snapshot keeps that
    // cost amortized per byte written, however large the store, instead of a stall every N entries.
    if (this.logBytesSinceSnapshot * SNAPSHOT_EVERY_SHARE_OF_STORE < this.lastSnapshotBytes) return;
    const index = this.appliedIndex;
    // The members table frames the store's snapshot: its frame alone (the member snapshot of an empty
    // store), with the store's snapshot encoded after it, is the member snapshot, and takes no copy.
    const frame = encodeMemberSnapshot(this.table, new Uint8Array(0));
    // The snapshot stays in memory for peers that need it: the store's values become views of it,
    // so that one copy serves both (and its old value slabs are freed).
    const data = this.store.snapshot({ prefix: frame, shareValues: true });
    const snapshot = this.storage.createSnapshot(index, this.confState, data);
    if ('storageError' in snapshot) {
      logger.warn({ index, error: snapshot.message }, 'snapshot skipped');
      return;
    }
    this.snapshotIndex = index;
    this.lastSnapshotBytes = snapshot.data.length;
    this.logBytesSinceSnapshot = 0;
    void this.dataDir.saveSnapshot(snapshot).then(
      () => {
        // The catch-up log kept for slow followers is bounded by entries and by bytes.
        const compactTo = Math.max(
          index - config.snapshotCatchupEntries,
          this.storage.compactionPointKeeping(index, CATCHUP_LOG_BYTES),
        );
        if (compactTo > this.storage.firstIndex()) {
          const error = this.storage.compact(compactTo);
          if (error) logger.warn({ index: compactTo, error: error.message }, 'log compaction refused');
        }
        logger.info(
          { index, revision: this.store.revision, logStartsAt: this.storage.firstIndex() },
          'snapshot saved',
        );
      },
      (error: unknown) => this.fail(`saving a snapshot: ${String(error)}`),
    );
  }

  private onSoftState(leader: NodeId | null, role: string): void {
    if (leader !== this.leader) {
      this.deps.logger.info({ leader, role }, leader ? 'leader elected' : 'leader lost');
      this.deps.metrics.countLeaderChange();
      this.leader = leader;
      // Counted from the last word of the leader that was lost, not from noticing the loss: the
      // age a cut-off member reports to its clients (progress answers) is then its true one.
      if (leader !== null) this.lastLeaderContact = this.deps.now();
      // Writes forwarded to a leader that died were lost with it: propose them again to the new
      // one now, not a retry interval later (their request ids keep them from applying twice).
      if (leader !== null) this.proposals.retryAll(this.deps.now());
    }
    if (role === 'leader') this.lessor.promote(this.deps.now());
    else this.lessor.demote();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.deps.now();
    this.node.tick();
    this.proposals.tick(now);
    this.reads.tick(now);
    this.expireRevisionWaiters(now);
    if (now - this.lastPeerSampleAt >= 1000) this.samplePeerRoundTrips(now);
    this.store.watches.tick(now);
    if (this.leader === this.id) this.leaderDuties(now);
    if (this.leader !== null) this.publishAttributes(now);
    this.scheduleDrain();
  }

  /** Lease expiry, TTL checkpoints and compaction are decided by the leader and go through the log. */
  private samplePeerRoundTrips(now: number): void {
    this.lastPeerSampleAt = now;
    for (const [peer, stats] of this.transport.stats().peers) {
      if (stats.rttMs !== null) this.deps.metrics.observePeerRoundTrip(peer, stats.rttMs / 1000);
    }
  }

  private leaderDuties(now: number): void {
    for (const command of this.lessor.expired(now)) void this.write(command);
    for (const command of this.lessor.checkpoints(now)) void this.write(command);
    const compaction = this.autoCompactor?.due(now, this.store.revision, this.store.compactRevision);
    if (compaction) void this.write({ op: 'compact', request: compaction });
    this.maybePromoteLearners();
  }

  private maybePromoteLearners(): void {
    const status = this.node.status();
    if (!status.progress || status.confState.votersOutgoing.length > 0) return;
    for (const learner of status.confState.learners) {
      const progress = status.progress.get(learner);
      // Caught up means: heard from lately, replicating, and within a few entries of the leader.
      const caughtUp =
        progress?.recentActive === true &&
        progress.state === 'replicate' &&
        progress.match > 0 &&
        progress.match + PROMOTE_WITHIN_ENTRIES >= status.lastIndex;
      if (caughtUp) {
        const error = this.node.proposeConfChange({
          transition: 'auto',
          changes: [{ kind: 'addVoter', nodeId: learner }],
        });
        if (!error)
          this.deps.logger.info({ learner, match: progress.match }, 'promoting a caught-up learner');
        return;
      }
    }
  }

  /** Until the log records this member's client URL, propose it (again each election timeout). */
  private publishAttributes(now: number): void {
    const mine = this.table.get(this.id);
    const clientUrl = this.deps.config.advertiseClientUrl;
    if (!mine || mine.clientUrl === clientUrl) return;
    const electionMs = this.deps.config.tickMs * this.deps.config.electionTicks;
    if (now - this.attributesProposedAt < electionMs) return;
    this.attributesProposedAt = now;
    this.node.propose(encodeMemberEntry({ kind: 'attributes', id: this.id, clientUrl }));
  }

  private fail(reason: string): void {
    this.deps.logger.error({ reason }, 'member stopping after a fatal error');
    void this.stop(reason);
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    const error = vaneError('unavailable', `member ${this.id} is stopping: ${reason}`);
    this.proposals.failAll(error);
    this.reads.failAll(error);
    for (const w of this.appliedWaiters.splice(0)) w.resolve(false);
    await this.transport.close();
    await this.dataDir.close();
    this.deps.onStopped?.(reason);
  }

  // ---- MemberApi ----

  header(): ResponseHeader {
    return { revision: this.store.revision, member: this.id, raftTerm: this.node.status().hardState.term };
  }

  async range(request: RangeRequest, options: ReadOptions = {}): Promise<RangeResponse | VaneError> {
    if (this.stopped) return vaneError('unavailable', `member ${this.id} is stopped`);
    if (!options.serializable) {
      const index = await this.reads.request(this.deps.now(), REQUEST_TIMEOUT_MS);
      if (isVaneError(index)) return index;
    }
    if (options.minRevision !== undefined && this.store.revision < options.minRevision) {
      const reached = await this.waitForRevision(options.minRevision);
      if (!reached) {
        return vaneError(
          'timeout',
          `this member did not reach revision ${options.minRevision} within ${MIN_REVISION_WAIT_MS} ms (it is at ${this.store.revision})`,
          { minRevision: options.minRevision, revision: this.store.revision },
        );
      }
    }
    return this.store.range(request);
  }

  write(command: Command, options: WriteOptions = {}): Promise<CommandResponse | VaneError> {
    if (this.stopped) return Promise.resolve(vaneError('unavailable', `member ${this.id} is stopped`));
    const requestId = options.requestId ?? `${this.id}.${this.bootId}.${++this.requestSequence}`;
    const data = encodeMemberEntry({ kind: 'command', envelope: { requestId, command } });
    const submitted = this.deps.now();
    return this.proposals.submit(requestId, data, submitted, REQUEST_TIMEOUT_MS).then((result) => {
      if (!isVaneError(result)) {
        this.writesApplied++;
        this.writeLatencyMsTotal += this.deps.now() - submitted;
      }
      return result;
    });
  }

  async leaseTimeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse | VaneError> {
    const index = await this.reads.request(this.deps.now(), REQUEST_TIMEOUT_MS);
    if (isVaneError(index)) return index;
    return this.store.leaseTimeToLive(request, this.lessor.remainingMs(request.id, this.deps.now()));
  }

  async leaseList(): Promise<LeaseListResponse | VaneError> {
    const index = await this.reads.request(this.deps.now(), REQUEST_TIMEOUT_MS);
    if (isVaneError(index)) return index;
    return this.store.leaseList();
  }

  watch(request: WatchRequest, onReady: () => void): WatchHandle | VaneError {
    if (this.stopped) return vaneError('unavailable', `member ${this.id} is stopped`);
    return watchStore(this.store, request, onReady);
  }

  members(): readonly MemberInfo[] {
    return this.table.list(this.confState);
  }

  status(): MemberStatus {
    const s = this.node.status();
    const isLearner = s.confState.learners.includes(this.id);
    return {
      id: this.id,
      role: isLearner ? 'learner' : s.role,
      leader: s.leader,
      term: s.hardState.term,
      commitIndex: s.hardState.commit,
      appliedIndex: this.appliedIndex,
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      keys: this.store.keyCount,
      leaderContactMs: s.role === 'leader' ? 0 : this.deps.now() - this.lastLeaderContact,
      healthy: this.health().ok,
      writesApplied: this.writesApplied,
      writeLatencyMsTotal: this.writeLatencyMsTotal,
      version: VANE_VERSION,
    };
  }

  health(): Health {
    if (this.stopped) return { ok: false, reason: 'stopped' };
    const s = this.node.status();
    if (s.leader === null) return { ok: false, reason: 'no leader' };
    const electionMs = this.deps.config.tickMs * this.deps.config.electionTicks;
    if (s.role !== 'leader' && this.deps.now() - this.lastLeaderContact > electionMs) {
      return { ok: false, reason: `no word from the leader for over ${electionMs} ms` };
    }
    if (s.hardState.commit - this.appliedIndex > 1000) {
      return {
        ok: false,
        reason: `applying: ${s.hardState.commit - this.appliedIndex} committed entries behind`,
      };
    }
    return { ok: true };
  }

  async snapshot(): Promise<Uint8Array | VaneError> {
    const index = await this.reads.request(this.deps.now(), REQUEST_TIMEOUT_MS);
    if (isVaneError(index)) return index;
    return this.store.snapshot();
  }

  async addMember(
    id: NodeId,
    peerUrl: string,
    options: { learner: boolean },
  ): Promise<MemberInfo[] | VaneError> {
    if (this.table.has(id)) return vaneError('invalidRequest', `member '${id}' already exists`);
    return this.changeMembership(
      {
        transition: 'auto',
        changes: [{ kind: options.learner ? 'addLearner' : 'addVoter', nodeId: id }],
        context: encodeConfContext(peerUrl),
      },
      () => this.table.has(id),
    );
  }

  async removeMember(id: NodeId): Promise<MemberInfo[] | VaneError> {
    if (!this.table.has(id)) return vaneError('invalidRequest', `member '${id}' is not in the cluster`);
    return this.changeMembership(
      { transition: 'auto', changes: [{ kind: 'removeNode', nodeId: id }] },
      () => !this.table.has(id),
    );
  }

  async promoteMember(id: NodeId): Promise<MemberInfo[] | VaneError> {
    if (!this.confState.learners.includes(id))
      return vaneError('invalidRequest', `member '${id}' is not a learner`);
    return this.changeMembership({ transition: 'auto', changes: [{ kind: 'addVoter', nodeId: id }] }, () =>
      this.confState.voters.includes(id),
    );
  }

  /** Proposes on the leader (conf changes are not forwarded) and waits until this member applied it. */
  private async changeMembership(change: ConfChange, done: () => boolean): Promise<MemberInfo[] | VaneError> {
    if (this.leader !== this.id) {
      const leaderUrl = this.leader ? this.table.get(this.leader)?.clientUrl : undefined;
      return vaneError(
        'notLeader',
        this.leader
          ? `membership changes go to the leader, ${this.leader}${leaderUrl ? ` at ${leaderUrl}` : ''}`
          : 'no leader: membership cannot change until one is elected',
        leaderUrl ? { leader: this.leader ?? '', leaderUrl } : undefined,
      );
    }
    const error = this.withDrain(() => this.node.proposeConfChange(change));
    if (error)
      return vaneError(error.code === 'pendingConfChange' ? 'unavailable' : 'invalidRequest', error.message);
    const deadline = this.deps.now() + REQUEST_TIMEOUT_MS;
    while (!done()) {
      if (this.deps.now() > deadline || this.stopped) {
        return vaneError(
          'timeout',
          'the membership change was not applied in time; check `vane member list`',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.deps.config.tickMs));
    }
    return this.table.list(this.confState);
  }

  private waitForRevision(revision: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.appliedWaiters.push({ revision, deadline: this.deps.now() + MIN_REVISION_WAIT_MS, resolve });
    });
  }

  private wakeRevisionWaiters(): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (this.store.revision >= w.revision) {
        this.appliedWaiters.splice(i, 1);
        w.resolve(true);
      }
    }
  }

  private expireRevisionWaiters(now: number): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (w.deadline <= now) {
        this.appliedWaiters.splice(i, 1);
        w.resolve(false);
      }
    }
  }

  /** Peer transport statistics, for /metrics and status. */
  peerStats(): ReturnType<PeerTransport['stats']> {
    return this.transport.stats();
  }
}

async function fetchMembers(joinUrl: string): Promise<MemberInfo[]> {
  const url = new URL('/v1/cluster/members', joinUrl);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`--join ${joinUrl}: GET ${url} answered ${response.status}`);
  const list = decodeMemberListResponse(await response.json());
  if (isDecodeError(list))
    throw new Error(`--join ${joinUrl}: the member list did not decode: ${list.message}`);
  // The API lists URLs as arrays (etcd's shape); a member has one of each, or no client URL yet.
  return list.members.map((m) => ({
    id: m.id,
    peerUrl: m.peerUrls[0] ?? '',
    clientUrl: m.clientUrls[0] ?? '',
    isLearner: m.isLearner,
  }));
}

/** Why one of a proposal's normal entries could not be applied, or undefined if all can (Raft checks conf changes). */
function unappliableEntry(entries: readonly Entry[]): string | undefined {
  for (const [i, entry] of entries.entries()) {
    if (entry.type !== 'normal') continue;
    const decoded = decodeMemberEntry(entry.data);
    if (decoded.kind === 'invalid') return `entry ${i}: ${decoded.reason}`;
  }
  return undefined;
}

/** Log bytes after which a snapshot is due whatever --snapshot-entries says. */
const SNAPSHOT_LOG_BYTES = 4 * 1024 * 1024;
/** A snapshot waits until the log has grown by at least 1/this of the last snapshot's size. */
const SNAPSHOT_EVERY_SHARE_OF_STORE = 4;
/** Bytes of applied log kept in memory for followers to catch up from (besides --snapshot-catchup-entries). */
const CATCHUP_LOG_BYTES = 4 * 1024 * 1024;
