// The replicated lease table: which leases exist, their granted TTL, the remaining TTL the leader last
// checkpointed, and the keys attached to each. It holds no clock: expiry is decided by the leader's
// Lessor (lessor.ts) and arrives here as a revoke through the log.

export interface Lease {
  readonly id: number;
  /** Granted TTL in seconds. */
  readonly ttlSeconds: number;
  /** Remaining TTL as last checkpointed (the full TTL after a grant or keepalive). */
  remainingMs: number;
  /** Log index of the grant or latest keepalive; a checkpoint computed before it is stale. */
  renewIndex: number;
  /** Keys attached to the lease. */
  readonly keys: Set<string>;
}

/** What the Lessor hears about from the table. */
export interface LeaseObserver {
  renewed(id: number): void;
  revoked(id: number): void;
  /** The whole table was replaced (a snapshot was installed). */
  reset(): void;
}

/** Bytes a lease counts toward the quota. */
export const LEASE_OVERHEAD_BYTES = 64;

export class LeaseTable {
  private readonly leases = new Map<number, Lease>();
  private observer: LeaseObserver | undefined;
  /** The id the store gives the next lease granted without one. */
  nextId = 1;

  get size(): number {
    return this.leases.size;
  }

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  /** Leases ordered by id. */
  sorted(): Lease[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id);
  }

  /** An unused id, from nextId upward; deterministic on every member. */
  pickId(): number {
    while (this.leases.has(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  grant(id: number, ttlSeconds: number, renewIndex: number): Lease {
    if (this.leases.has(id)) throw new Error(`lease ${id} granted twice`);
    const lease: Lease = { id, ttlSeconds, remainingMs: ttlSeconds * 1000, renewIndex, keys: new Set() };
    this.leases.set(id, lease);
    this.observer?.renewed(id);
    return lease;
  }

  /** Restores a lease as recorded in a snapshot (its keys are attached afterwards). */
  load(id: number, ttlSeconds: number, remainingMs: number, renewIndex: number): void {
    if (this.leases.has(id)) throw new Error(`lease ${id} loaded twice`);
    this.leases.set(id, { id, ttlSeconds, remainingMs, renewIndex, keys: new Set() });
  }

  renew(lease: Lease, renewIndex: number): void {
    lease.remainingMs = lease.ttlSeconds * 1000;
    lease.renewIndex = renewIndex;
    this.observer?.renewed(lease.id);
  }

  remove(id: number): void {
    if (!this.leases.delete(id)) throw new Error(`lease ${id} removed but not present`);
    this.observer?.revoked(id);
  }

  attach(id: number, key: string): void {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new Error(`key '${key}' attached to missing lease ${id}`);
    lease.keys.add(key);
  }

  detach(id: number, key: string): void {
    this.leases.get(id)?.keys.delete(key);
  }

  observe(observer: LeaseObserver | undefined): void {
    if (observer !== undefined && this.observer !== undefined && this.observer !== observer) {
      throw new Error('lease table already has an observer (one Lessor per store)');
    }
    this.observer = observer;
  }

  /** Moves the observer to `next` (which replaces this table) and tells it. */
  handOver(next: LeaseTable): void {
    const observer = this.observer;
    this.observer = undefined;
    next.observer = observer;
    observer?.reset();
  }
}
