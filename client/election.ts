// Leader election as etcd's concurrency API does it. Each candidate puts `elections/<name>/<lease id
// in hex>` under its own kept-alive lease; the key with the lowest createRevision leads. A candidate
// waits for the deletion of the key just before its own (the next lower createRevision), so a
// leader's departure wakes one waiter, not all. The winning key's createRevision is the fencing
// revision: a lease alone cannot guarantee mutual exclusion (a paused leader may not know it lost),
// so writes made as leader should be guarded by a txn comparing createRevision(key) with it.
import type { Client } from './client.ts';
import { Listeners } from './emitter.ts';
import { VaneClientError } from './errors.ts';
import type { Lease } from './lease.ts';
import type { Replica } from './replica.ts';
import type { KeyValue } from './types.ts';
import { keyValues } from './wire.ts';

export interface ElectionOptions {
  /** Seconds a candidate's key outlives its last heartbeat (its process dying, or losing the cluster). */
  readonly ttl?: number;
}

export const DEFAULT_ELECTION_TTL_SECONDS = 10;

/** What campaign() resolves with once this candidate leads. */
export interface Leadership {
  /** The winning key's createRevision: guard writes with compare createRevision(key) == it. */
  readonly fencingRevision: number;
  readonly key: string;
  readonly lease: Lease;
}

export interface Leader {
  readonly key: string;
  readonly value: string;
  readonly fencingRevision: number;
}

/** What an election needs from the client. */
export interface ElectionClient extends Pick<Client, 'grantLease' | 'txn' | 'range' | 'watch'> {
  replica(prefix: string): Pick<Replica, 'entries' | 'subscribe' | 'ready' | 'close'>;
}

export class Election {
  readonly name: string;
  readonly prefix: string;
  readonly #ttl: number;
  readonly #client: ElectionClient;
  readonly #observers = new Listeners<Leader | null>();
  #lease: Lease | undefined;
  #key: string | undefined;
  /** Ends the wait of a campaign in progress (resign, a lost lease, close). */
  #abort: ((error: VaneClientError) => void) | undefined;
  #replica: ReturnType<ElectionClient['replica']> | undefined;
  #observed: Leader | null | undefined;
  #closed = false;

  constructor(name: string, options: ElectionOptions, client: ElectionClient) {
    if (name === '' || name.includes('/'))
      throw new Error(`election name '${name}': give a non-empty name without '/'`);
    this.name = name;
    this.prefix = `elections/${name}/`;
    this.#ttl = options.ttl ?? DEFAULT_ELECTION_TTL_SECONDS;
    this.#client = client;
  }

  /** Becomes a candidate with `value`; resolves once this candidate leads. */
  async campaign(value: string): Promise<Leadership> {
    if (this.#closed) throw new VaneClientError('closed', `the election '${this.name}' was closed`);
    if (this.#lease !== undefined)
      throw new VaneClientError('invalidRequest', `already campaigning in '${this.name}'; resign first`);
    const lease = await this.#client.grantLease(this.#ttl);
    const key = `${this.prefix}${lease.id.toString(16)}`;
    this.#lease = lease;
    this.#key = key;
    const aborted = new Promise<never>((_, reject) => {
      this.#abort = reject;
    });
    aborted.catch(() => {});
    const stopOnLoss = lease.on('lost', () =>
      this.#abort?.(
        new VaneClientError('leaseLost', `lost the lease of '${key}' while campaigning`, { lease: lease.id }),
      ),
    );
    try {
      const created = await Promise.race([this.#createKey(key, value, lease), aborted]);
      await Promise.race([this.#waitForPredecessors(key, created), aborted]);
      return { fencingRevision: created, key, lease };
    } catch (error) {
      this.#lease = undefined;
      this.#key = undefined;
      stopOnLoss();
      lease.revoke().catch(() => {});
      throw error;
    } finally {
      this.#abort = undefined;
    }
  }

  /** Gives up leadership or candidacy: the key is deleted, so the next candidate can lead. */
  async resign(): Promise<void> {
    const lease = this.#lease;
    this.#abort?.(new VaneClientError('closed', `resigned from '${this.name}'`));
    this.#lease = undefined;
    this.#key = undefined;
    await lease?.revoke();
  }

  /** The current leader, read linearizably, or null when there is no candidate. */
  async leader(): Promise<Leader | null> {
    const result = await this.#client.range({ key: this.prefix, prefix: true });
    return leaderOf(result.kvs);
  }

  /** Hears the leader now (once known) and whenever it changes. */
  observe(listener: (leader: Leader | null) => void): () => void {
    if (this.#closed) throw new VaneClientError('closed', `the election '${this.name}' was closed`);
    const remove = this.#observers.add(listener);
    if (this.#replica === undefined) {
      const replica = this.#client.replica(this.prefix);
      this.#replica = replica;
      const update = (): void => {
        const leader = leaderOf([...replica.entries().values()]);
        if (sameLeader(leader, this.#observed)) return;
        this.#observed = leader;
        this.#observers.emit(leader);
      };
      replica.subscribe(this.prefix, update);
      void replica.ready.then(update, () => {});
    } else if (this.#observed !== undefined) {
      listener(this.#observed);
    }
    return () => {
      remove();
      if (this.#observers.size === 0) this.#stopObserving();
    };
  }

  /** Stops observing and any campaign in progress (a won leadership is kept until its lease ends). */
  close(): void {
    this.#closed = true;
    this.#abort?.(new VaneClientError('closed', `the election '${this.name}' was closed`));
    this.#observers.clear();
    this.#stopObserving();
  }

  #stopObserving(): void {
    this.#replica?.close();
    this.#replica = undefined;
    this.#observed = undefined;
  }

  /** Puts the candidate's key if it is not there yet; answers its createRevision. */
  async #createKey(key: string, value: string, lease: Lease): Promise<number> {
    const result = await this.#client.txn({
      compare: [{ key, target: 'createRevision', result: 'equal', value: 0 }],
      success: [{ put: { key, value, lease: lease.id } }],
      failure: [{ range: { key } }],
    });
    if (result.succeeded) return result.revision;
    const existing = keyValues(result.responses[0]?.range?.kvs, 'responses[0].range.kvs')[0];
    if (existing === undefined) throw new Error(`Election: '${key}' both exists and does not`);
    return existing.createRevision;
  }

  /** Waits until no key created before ours is left, watching the one just before ours each time. */
  async #waitForPredecessors(key: string, created: number): Promise<void> {
    for (;;) {
      const listed = await this.#client.range({ key: this.prefix, prefix: true });
      if (!listed.kvs.some((kv) => kv.key === key)) {
        throw new VaneClientError('leaseLost', `'${key}' is gone (its lease expired or it was deleted)`);
      }
      let previous: KeyValue | undefined;
      for (const kv of listed.kvs) {
        if (
          kv.createRevision < created &&
          (previous === undefined || kv.createRevision > previous.createRevision)
        )
          previous = kv;
      }
      if (previous === undefined) return;
      await this.#deleted(previous.key, listed.revision + 1);
    }
  }

  /** Resolves when `key` is deleted at or after `fromRevision` (or its history is compacted: look again). */
  #deleted(key: string, fromRevision: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const watch = this.#client.watch(
        { key, startRevision: fromRevision },
        (batch) => {
          if (batch.events.some((event) => event.type === 'delete')) {
            watch.close();
            resolve();
          }
        },
        {
          onCompacted: () => resolve(),
          onError: (error) => reject(error),
        },
      );
      const abort = this.#abort;
      this.#abort = (error) => {
        watch.close();
        abort?.(error);
      };
    });
  }
}

function leaderOf(kvs: readonly KeyValue[]): Leader | null {
  let first: KeyValue | undefined;
  for (const kv of kvs) if (first === undefined || kv.createRevision < first.createRevision) first = kv;
  return first === undefined
    ? null
    : { key: first.key, value: first.value, fencingRevision: first.createRevision };
}

function sameLeader(a: Leader | null, b: Leader | null | undefined): boolean {
  if (a === null || b === null || b === undefined) return a === b;
  return a.key === b.key && a.value === b.value && a.fencingRevision === b.fencingRevision;
}
