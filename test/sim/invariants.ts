// Raft's safety properties, checked as the simulation runs (at every Ready, persist and apply):
// election safety, leader append-only, log matching, leader completeness, state machine safety,
// durability of acknowledgements, monotonic commit and applied indexes, and one canonical applied
// history (with its state machine hash) that every member's applied log must be a prefix of.
import type { Entry, HardState, NodeId, Ready, Role, Storage } from '../../core/raft/types.ts';
import { Fingerprint } from './fingerprint.ts';

export class InvariantViolation extends Error {
  readonly invariant: string;

  constructor(invariant: string, message: string) {
    super(`${invariant}: ${message}`);
    this.name = 'InvariantViolation';
    this.invariant = invariant;
  }
}

function violated(invariant: string, message: string): never {
  throw new InvariantViolation(invariant, message);
}

const digests = new WeakMap<Entry, string>();

/** Type and data of an entry; term and index are compared separately. */
export function entryDigest(entry: Entry): string {
  let digest = digests.get(entry);
  if (digest === undefined) {
    digest = `${entry.type}:${new Fingerprint().addBytes(entry.data).hex()}`;
    digests.set(entry, digest);
  }
  return digest;
}

function termAt(storage: Storage, index: number): number | null {
  const term = storage.term(index);
  return typeof term === 'number' ? term : null;
}

/** What a member looked like when it produced a Ready, before any of the Ready was persisted. */
export interface ReadyContext {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly hardState: HardState;
  /** The term in which the member was leader when it produced its previous Ready, if it was. */
  readonly leaderTermAtPreviousReady: number | null;
}

interface CanonicalEntry {
  readonly term: number;
  readonly digest: string;
  readonly stateHash: string;
}

interface LogRecord {
  prevTerm: number | null;
  readonly digest: string;
}

export class ClusterInvariants {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Every entry any member wrote, by "index/term": log matching says each such pair names one entry and one predecessor. */
  private readonly logRecords = new Map<string, LogRecord>();
  /** Term of every entry known to be committed, by index. */
  private readonly committedTerms: number[] = [];
  /**
   * The term in which each index was first known committed. Leader completeness binds the leaders of
   * later terms only: a leader of an older term (a candidate that was paused, say, and counts its
   * votes after the cluster moved on) may lack entries committed since.
   */
  private readonly commitTerms: number[] = [];
  private maxCommitted = 0;
  /** The applied history every member must follow; index 0 is the empty state before the first entry. */
  private readonly canonical: CanonicalEntry[] = [];
  private readonly commitOf = new Map<NodeId, number>();
  private readonly appliedOf = new Map<NodeId, number>();
  /** Leaders whose log was checked for every committed entry, as "id/term". */
  private readonly checkedLeaders = new Set<string>();
  /** Members currently leading, with the term and the log to check newly committed entries against. */
  private readonly leaders = new Map<NodeId, { term: number; storage: Storage }>();
  checks = 0;

  constructor(initialStateHash: string) {
    this.canonical.push({ term: 0, digest: '', stateHash: initialStateHash });
  }

  /** A member (re)started with this much applied; volatile indexes start over. */
  memberStarted(id: NodeId, applied: number, commit: number, stateHash: string): void {
    this.appliedOf.set(id, applied);
    this.commitOf.set(id, commit);
    this.leaders.delete(id);
    if (applied > 0) this.checkRestoredState(id, applied, stateHash);
  }

  memberStopped(id: NodeId): void {
    this.leaders.delete(id);
  }

  /** Called with the Ready before any of it is persisted or sent. */
  readyProduced(context: ReadyContext, ready: Ready, role: Role, term: number): void {
    this.checks++;
    const { id, storage } = context;
    if (role === 'leader') {
      const leader = this.leaderOfTerm.get(term);
      if (leader !== undefined && leader !== id) {
        violated('election safety', `${id} and ${leader} are both leaders of term ${term}`);
      }
      this.leaderOfTerm.set(term, id);
    }
    this.checkMustSync(context, ready);
    this.checkEarlyMessages(context, ready);
    if (context.leaderTermAtPreviousReady === term && role === 'leader') {
      this.checkLeaderCommit(context, ready, term);
      const first = ready.entries[0];
      if (ready.snapshot !== undefined)
        violated('leader append-only', `leader ${id} of term ${term} installs a snapshot`);
      if (first !== undefined && first.index !== storage.lastIndex() + 1) {
        violated(
          'leader append-only',
          `leader ${id} of term ${term} rewrites its log from ${first.index} (last index ${storage.lastIndex()})`,
        );
      }
    }
    let prevTerm = ready.entries[0] === undefined ? null : termAt(storage, ready.entries[0].index - 1);
    if (ready.snapshot !== undefined && ready.entries[0]?.index === ready.snapshot.metadata.index + 1) {
      prevTerm = ready.snapshot.metadata.term;
    }
    for (const entry of ready.entries) {
      this.recordLogEntry(id, entry, prevTerm);
      prevTerm = entry.term;
    }
  }

  /**
   * Raft's commitment rule (§5.4.2, figure 8): a leader advances its commit index only to an entry
   * of its own term; older entries commit with it, never by counting their replicas.
   */
  private checkLeaderCommit(context: ReadyContext, ready: Ready, term: number): void {
    const commit = ready.hardState?.commit;
    if (commit === undefined || commit <= context.hardState.commit) return;
    const entryTerm = ready.entries.find((e) => e.index === commit)?.term ?? termAt(context.storage, commit);
    if (entryTerm !== null && entryTerm !== term) {
      violated(
        'leader commits only entries of its term',
        `leader ${context.id} of term ${term} advanced its commit index to ${commit}, an entry of term ${entryTerm}`,
      );
    }
  }

  /** A Ready that must be synced has to say so: losing its entries or vote on a crash would break promises. */
  private checkMustSync(context: ReadyContext, ready: Ready): void {
    const hs = ready.hardState;
    const voteOrTermChanged =
      hs !== undefined && (hs.term !== context.hardState.term || hs.vote !== context.hardState.vote);
    if ((ready.entries.length > 0 || voteOrTermChanged) && !ready.mustSync) {
      violated('durability', `${context.id} produced entries or a new term/vote without mustSync`);
    }
  }

  /** Messages sent before persisting may not promise what is not yet durable. */
  private checkEarlyMessages(context: ReadyContext, ready: Ready): void {
    if (!ready.mustSync) return;
    const lastDurable = context.storage.lastIndex();
    for (const message of ready.messages) {
      const voteDurable = context.hardState.term === message.term && context.hardState.vote === message.to;
      if (message.type === 'voteResponse' && !message.reject && !voteDurable) {
        violated('durability', `${context.id} grants its vote to ${message.to} before persisting it`);
      }
      if (message.type === 'appendResponse' && !message.reject && message.index > lastDurable) {
        violated(
          'durability',
          `${context.id} acknowledges entries up to ${message.index} before persisting them (durable up to ${lastDurable})`,
        );
      }
    }
  }

  private recordLogEntry(id: NodeId, entry: Entry, prevTerm: number | null): void {
    const key = `${entry.index}/${entry.term}`;
    const digest = entryDigest(entry);
    const known = this.logRecords.get(key);
    if (known === undefined) {
      this.logRecords.set(key, { prevTerm, digest });
      return;
    }
    if (known.digest !== digest) {
      violated('log matching', `${id} holds a different entry ${key} than another member`);
    }
    if (prevTerm !== null && known.prevTerm !== null && prevTerm !== known.prevTerm) {
      violated(
        'log matching',
        `${id}'s entry ${key} follows an entry of term ${prevTerm}; another member's follows term ${known.prevTerm}`,
      );
    }
    if (known.prevTerm === null) known.prevTerm = prevTerm;
  }

  /** Called once a Ready's snapshot, entries and hard state are in the member's storage. */
  persisted(id: NodeId, storage: Storage, hardState: HardState | undefined, role: Role, term: number): void {
    this.checks++;
    if (hardState !== undefined) this.committedUpTo(id, storage, hardState.commit, term);
    if (role === 'leader') {
      this.leaders.set(id, { term, storage });
      if (!this.checkedLeaders.has(`${id}/${term}`)) {
        this.checkedLeaders.add(`${id}/${term}`);
        this.checkLeaderCompleteness(id, term, storage);
      }
    } else {
      this.leaders.delete(id);
    }
  }

  private recordCommitted(id: NodeId, index: number, term: number | null, commitTerm: number): void {
    if (term === null) return;
    const known = this.committedTerms[index];
    if (known !== undefined && known !== term) {
      violated(
        'committed entries never change',
        `${id} committed index ${index} in term ${term}; it was committed in term ${known}`,
      );
    }
    if (known !== undefined) return;
    this.committedTerms[index] = term;
    this.commitTerms[index] = commitTerm;
    this.maxCommitted = Math.max(this.maxCommitted, index);
    for (const [leaderId, leader] of this.leaders) {
      if (leader.term <= commitTerm) continue;
      const leaderTerm = termAt(leader.storage, index);
      if (leaderTerm !== null && leaderTerm !== term) {
        violated(
          'leader completeness',
          `entry ${index} committed in term ${term} (seen at ${id}) is missing from leader ${leaderId} of term ${leader.term}`,
        );
      }
      if (leader.storage.lastIndex() < index) {
        violated(
          'leader completeness',
          `entry ${index} committed in term ${term} is beyond leader ${leaderId}'s last index ${leader.storage.lastIndex()}`,
        );
      }
    }
  }

  private checkLeaderCompleteness(id: NodeId, term: number, storage: Storage): void {
    for (let index = storage.firstIndex(); index <= this.maxCommitted; index++) {
      const committed = this.committedTerms[index];
      if (committed === undefined || this.commitTerms[index]! >= term) continue;
      if (index > storage.lastIndex()) {
        violated(
          'leader completeness',
          `leader ${id} of term ${term} ends at ${storage.lastIndex()}, before committed index ${index}`,
        );
      }
      const own = termAt(storage, index);
      if (own !== null && own !== committed) {
        violated(
          'leader completeness',
          `leader ${id} of term ${term} has term ${own} at committed index ${index} (committed in term ${committed})`,
        );
      }
    }
  }

  /**
   * The member learned that its log is committed up to `commit`: from a persisted hard state, or
   * from a Ready whose committed entries it applies before persisting that Ready (they are already
   * in its synced log).
   */
  committedUpTo(id: NodeId, storage: Storage, commit: number, term: number): void {
    const previous = this.commitOf.get(id) ?? 0;
    if (commit < previous) {
      violated('commit index monotonic', `${id}'s commit index went from ${previous} to ${commit}`);
    }
    if (commit > storage.lastIndex()) {
      violated('commit index', `${id} commits ${commit} beyond its last index ${storage.lastIndex()}`);
    }
    for (let index = Math.max(previous, storage.firstIndex() - 1) + 1; index <= commit; index++) {
      this.recordCommitted(id, index, termAt(storage, index), term);
    }
    this.commitOf.set(id, commit);
  }

  /** Every apply must extend the member's applied log by one entry of the canonical history. */
  applied(id: NodeId, entry: Entry, stateHash: string): void {
    this.checks++;
    const previous = this.appliedOf.get(id) ?? 0;
    if (entry.index !== previous + 1) {
      violated('applied index monotonic', `${id} applied entry ${entry.index} right after ${previous}`);
    }
    const committedTerm = this.committedTerms[entry.index];
    if (committedTerm !== undefined && committedTerm !== entry.term) {
      violated(
        'state machine safety',
        `${id} applied entry ${entry.index} of term ${entry.term}; the committed one has term ${committedTerm}`,
      );
    }
    if ((this.commitOf.get(id) ?? 0) < entry.index) {
      violated(
        'state machine safety',
        `${id} applied entry ${entry.index} beyond its commit index ${this.commitOf.get(id)}`,
      );
    }
    this.appliedOf.set(id, entry.index);
    const digest = entryDigest(entry);
    const canonical = this.canonical[entry.index];
    if (canonical === undefined) {
      if (this.canonical.length !== entry.index)
        throw new Error(`canonical history has a gap before ${entry.index}`);
      this.canonical.push({ term: entry.term, digest, stateHash });
      return;
    }
    if (canonical.term !== entry.term || canonical.digest !== digest) {
      violated(
        'state machine safety',
        `${id} applied entry ${entry.index} (term ${entry.term}) where another member applied a different entry (term ${canonical.term})`,
      );
    }
    if (canonical.stateHash !== stateHash) {
      violated(
        'state machine safety',
        `${id}'s state after entry ${entry.index} differs from another member's`,
      );
    }
  }

  /** A member replaced its state by a snapshot taken at `index`. */
  restored(id: NodeId, index: number, stateHash: string): void {
    this.checks++;
    const previous = this.appliedOf.get(id) ?? 0;
    if (index < previous) {
      violated('applied index monotonic', `${id} restored a snapshot at ${index} after applying ${previous}`);
    }
    this.appliedOf.set(id, index);
    this.checkRestoredState(id, index, stateHash);
  }

  private checkRestoredState(id: NodeId, index: number, stateHash: string): void {
    const canonical = this.canonical[index];
    if (canonical === undefined) {
      violated('state machine safety', `${id} holds a state at ${index}, beyond anything any member applied`);
    }
    if (canonical.stateHash !== stateHash) {
      violated(
        'state machine safety',
        `${id}'s state restored at ${index} differs from the applied history's`,
      );
    }
  }

  committedCount(): number {
    return this.maxCommitted;
  }
}
