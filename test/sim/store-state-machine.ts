// The replicated state machine every simulated member runs: Vane's own store (core/store's KvStore),
// fed the bytes a real member puts in Raft entries (core/protocol's command codec). Entries without a
// command (a new leader's no-op, membership changes) only advance the store's applied index.
import type { VaneError } from '../../core/errors.ts';
import { decodeCommand } from '../../core/protocol/index.ts';
import type { Entry } from '../../core/raft/types.ts';
import type { CommandEnvelope, CommandResponse, StoreConfig } from '../../core/store/index.ts';
import { KvStore } from '../../core/store/index.ts';

/** A command some entry carried, with what the store answered when applying it. */
export interface AppliedCommand {
  readonly envelope: CommandEnvelope;
  readonly response: CommandResponse | VaneError;
  /** The store's revision right after applying it. */
  readonly revision: number;
}

const decoder = new TextDecoder();

export class StoreStateMachine {
  readonly store: KvStore;
  /** The last hash and the revisions it was computed at. */
  private hashed: { revision: number; compactRevision: number; hash: string } | null = null;

  private constructor(store: KvStore) {
    this.store = store;
  }

  /** The state before the first entry. */
  static empty(config: Partial<StoreConfig>): StoreStateMachine {
    return new StoreStateMachine(new KvStore(config));
  }

  /** A restarted member's state machine, from the snapshot on its disk. */
  static fromSnapshot(data: Uint8Array, config: Partial<StoreConfig>): StoreStateMachine {
    const store = KvStore.restore(data, config);
    if ('code' in store) throw new Error(`the store refused its own snapshot: ${store.message}`);
    return new StoreStateMachine(store);
  }

  /** Applies one committed entry; returns the command it carried, if any. */
  apply(entry: Entry): AppliedCommand | null {
    if (entry.type !== 'normal' || entry.data.length === 0) {
      this.store.markApplied(entry.index);
      return null;
    }
    const envelope = decodeCommand(entry.data);
    if ('code' in envelope) {
      throw new Error(`entry ${entry.index} does not decode as a command: ${envelope.message}`);
    }
    const response = this.store.apply(entry.index, envelope);
    return { envelope, response, revision: this.store.revision };
  }

  /** The key's current value (a linearizable read once the member applied up to the read index). */
  read(key: string): string | null {
    const result = this.store.range({ key });
    if ('code' in result) throw new Error(`reading ${key} failed: ${result.message}`);
    const kv = result.kvs[0];
    return kv === undefined ? null : decoder.decode(kv.value);
  }

  snapshot(): Uint8Array {
    return this.store.snapshot();
  }

  /**
   * A snapshot from the leader replaces the state in place, so open watches follow it. Empty data is
   * the state before the first entry: what a leader sends a new member before it has snapshotted.
   */
  installSnapshot(data: Uint8Array): void {
    if (data.length === 0) {
      if (this.store.appliedIndex > 0)
        throw new Error(`an empty snapshot for a store that applied up to ${this.store.appliedIndex}`);
      return;
    }
    const error = this.store.installSnapshot(data);
    if (error !== undefined) throw new Error(`installing a snapshot failed: ${error.message}`);
    this.hashed = null;
  }

  /**
   * store.hash(), equal on every member that applied the same entries. It digests the whole state, so
   * it is reused while the revision and the compact revision stay: every change the simulation's
   * commands make to hashed state moves one of them (it issues no lease commands), and a divergence
   * that moved neither would still differ at the member's next hash.
   */
  hash(): string {
    const { revision, compactRevision } = this.store;
    const cached = this.hashed;
    if (cached !== null && cached.revision === revision && cached.compactRevision === compactRevision)
      return cached.hash;
    const hash = this.store.hash();
    this.hashed = { revision, compactRevision, hash };
    return hash;
  }
}
