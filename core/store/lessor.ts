// The leader's lease clock. Only the leader decides that a lease expired, by its own clock (`now`, in
// ms, injected), and proposes the revoke through the log; no member expires a lease locally. The
// remaining TTL is checkpointed through the log every checkpointIntervalMs, so a new leader continues
// from it instead of resetting to the full TTL (etcd#9395) and never expires a lease early.
//
// Bounds, for a lease with TTL T, with keepalives applied through the log:
// - Never sooner than T after the leader applied the last keepalive (or the grant): the leader counts
//   T from when it sees the renewal; a new leader counts the checkpointed remainder from its promotion,
//   which is no earlier than when it was measured; a stale checkpoint (measured before a keepalive) is
//   ignored by the store, and an expiry revoke decided before a keepalive is applied is a no-op
//   (both carry the renewIndex they were computed from).
// - While one leader lasts: the revoke is proposed within one call interval (the caller's tick) of T
//   after the renewal (the Lessor sees an applied renewal at its next call, which only delays expiry).
// - Each leader change may add up to checkpointIntervalMs (the age of the replicated remainder, if the
//   last checkpoint committed) plus the time without a leader (about one election timeout); plus
//   commit latency for the revoke itself. Tested with a simulated clock across random leader changes.

import type { Lease, LeaseObserver } from './lease-table.ts';
import type { KvStore } from './store.ts';
import type { Command, LeaseCheckpoint } from './types.ts';

export interface LessorConfig {
  /** How often remaining TTLs are checkpointed through the log. */
  readonly checkpointIntervalMs: number;
  /** An expiry revoke not applied after this long is proposed again (a dropped proposal must not keep a lease alive). */
  readonly revokeRetryMs: number;
  /** Leases per checkpoint command. */
  readonly maxCheckpointsPerCommand: number;
  /** Revokes returned by one expired() call (etcd revokes at most 1000 leases per second). */
  readonly maxRevokesPerCall: number;
}

export const DEFAULT_LESSOR_CONFIG: LessorConfig = {
  checkpointIntervalMs: 5_000,
  revokeRetryMs: 3_000,
  maxCheckpointsPerCommand: 1_000,
  maxRevokesPerCall: 1_000,
};

interface TrackedLease {
  deadline: number;
  renewIndex: number;
  /** When the replicated remainder last matched this deadline (a renewal seen or a checkpoint proposed). */
  measuredAt: number;
  revokeProposedAt: number | undefined;
}

interface HeapEntry {
  readonly deadline: number;
  readonly id: number;
}

export class Lessor implements LeaseObserver {
  private readonly store: KvStore;
  private readonly config: LessorConfig;
  private leader = false;
  private readonly tracked = new Map<number, TrackedLease>();
  /** Leases granted or renewed since the last call with a clock reading. */
  private readonly renewals = new Set<number>();
  private needsReload = false;
  /** Min-heap by deadline; entries whose deadline no longer matches `tracked` are skipped. */
  private heap: HeapEntry[] = [];
  /** Past their deadline, waiting for the revoke to apply. */
  private readonly expiring = new Set<number>();
  private lastCheckpointAt = 0;

  constructor(store: KvStore, config: Partial<LessorConfig> = {}) {
    this.store = store;
    this.config = { ...DEFAULT_LESSOR_CONFIG, ...config };
    for (const [field, value] of Object.entries(this.config)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new Error(`lessor config ${field} must be a positive integer, got ${value}`);
      }
    }
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** This member became leader at `now`: every lease gets now + its checkpointed remaining TTL. */
  promote(now: number): void {
    if (this.leader) return;
    this.leader = true;
    this.store.leases.observe(this);
    this.lastCheckpointAt = now;
    for (const lease of this.store.leases.sorted()) this.track(lease, now + lease.remainingMs, now);
  }

  /** This member is no longer leader: forget every deadline. */
  demote(): void {
    if (!this.leader) return;
    this.leader = false;
    this.store.leases.observe(undefined);
    this.tracked.clear();
    this.renewals.clear();
    this.expiring.clear();
    this.heap = [];
    this.needsReload = false;
  }

  /** Revokes to propose for leases past their deadline (again if an earlier one did not apply in time). */
  expired(now: number): Command[] {
    if (!this.leader) return [];
    this.catchUp(now);
    while (this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const entry = this.popHeap();
      if (this.tracked.get(entry.id)?.deadline === entry.deadline) this.expiring.add(entry.id);
    }
    const revokes: Command[] = [];
    for (const id of this.expiring) {
      const lease = this.tracked.get(id);
      if (lease === undefined || lease.deadline > now) {
        this.expiring.delete(id);
        continue;
      }
      if (revokes.length >= this.config.maxRevokesPerCall) break;
      if (lease.revokeProposedAt !== undefined && now - lease.revokeProposedAt < this.config.revokeRetryMs)
        continue;
      lease.revokeProposedAt = now;
      revokes.push({ op: 'leaseRevoke', request: { id, renewIndex: lease.renewIndex } });
    }
    return revokes;
  }

  /** Checkpoint commands to propose, once per checkpointIntervalMs. */
  checkpoints(now: number): Command[] {
    if (!this.leader) return [];
    this.catchUp(now);
    if (now - this.lastCheckpointAt < this.config.checkpointIntervalMs) return [];
    this.lastCheckpointAt = now;
    const due: LeaseCheckpoint[] = [];
    for (const [id, lease] of this.tracked) {
      if (lease.measuredAt >= now || lease.deadline <= now) continue;
      // Whole milliseconds, rounded up: the log carries integers, and rounding up never expires a lease early.
      due.push({ id, remainingMs: Math.ceil(lease.deadline - now), renewIndex: lease.renewIndex });
      lease.measuredAt = now;
    }
    due.sort((a, b) => a.id - b.id);
    const commands: Command[] = [];
    for (let i = 0; i < due.length; i += this.config.maxCheckpointsPerCommand) {
      commands.push({
        op: 'leaseCheckpoint',
        checkpoints: due.slice(i, i + this.config.maxCheckpointsPerCommand),
      });
    }
    return commands;
  }

  /** The leader's live remaining TTL of a lease (for LeaseTimeToLive), or undefined when not leader or unknown. */
  remainingMs(id: number, now: number): number | undefined {
    if (!this.leader) return undefined;
    this.catchUp(now);
    const lease = this.tracked.get(id);
    return lease === undefined ? undefined : Math.max(0, lease.deadline - now);
  }

  // LeaseObserver: called by the store while it applies; the clock reading comes with the next call.

  renewed(id: number): void {
    this.renewals.add(id);
  }

  revoked(id: number): void {
    this.tracked.delete(id);
    this.renewals.delete(id);
    this.expiring.delete(id);
  }

  reset(): void {
    this.needsReload = true;
  }

  /** Applies what the store reported since the last call, dated `now` (later than it happened: safe). */
  private catchUp(now: number): void {
    const leases = this.store.leases;
    if (this.needsReload) {
      this.needsReload = false;
      for (const id of [...this.tracked.keys()]) if (leases.get(id) === undefined) this.revoked(id);
      for (const lease of leases.sorted()) {
        if (this.tracked.get(lease.id)?.renewIndex !== lease.renewIndex) {
          this.track(lease, now + lease.remainingMs, now);
        }
      }
    }
    for (const id of this.renewals) {
      const lease = leases.get(id);
      if (lease !== undefined) this.track(lease, now + lease.ttlSeconds * 1000, now);
    }
    this.renewals.clear();
    if (this.heap.length > 2 * this.tracked.size + 64) this.rebuildHeap();
  }

  private track(lease: Lease, deadline: number, now: number): void {
    this.tracked.set(lease.id, {
      deadline,
      renewIndex: lease.renewIndex,
      measuredAt: now,
      revokeProposedAt: undefined,
    });
    this.pushHeap({ deadline, id: lease.id });
  }

  private rebuildHeap(): void {
    this.heap = [];
    for (const [id, lease] of this.tracked) this.pushHeap({ deadline: lease.deadline, id });
  }

  private pushHeap(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.deadline <= entry.deadline) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private popHeap(): HeapEntry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.deadline < heap[left]!.deadline ? right : left;
        if (heap[child]!.deadline >= last.deadline) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}
