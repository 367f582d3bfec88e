// A member's simulated disk. Writes land in the live storage at once (what Raft reads, like the OS
// page cache) and as records awaiting an fsync. A crash keeps what was synced, plus any prefix of
// the unsynced records, and may tear the first record it cuts (keeping a prefix of its entries).
// Only unsynced writes are ever lost or torn: an fsync is a promise the simulator keeps.

import type { ConfState, Entry, HardState, Snapshot, StorageError } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';

/** The part of core/raft's MemoryStorage the simulator drives. */
export interface WritableStorage {
  append(entries: readonly Entry[]): StorageError | undefined;
  setHardState(hardState: HardState): StorageError | undefined;
  applySnapshot(snapshot: Snapshot): StorageError | undefined;
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot | StorageError;
  compact(index: number): StorageError | undefined;
}

type DiskRecord =
  /** A snapshot received from the leader: it replaces the whole log. */
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot }
  /** The member's own snapshot: the log after it stays. */
  | { readonly kind: 'localSnapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hardState'; readonly hardState: HardState };

/** What survives a crash: the latest snapshot, the log after it, the last hard state. */
interface DurableImage {
  snapshot: Snapshot | null;
  entries: Entry[];
  hardState: HardState | null;
}

export interface CrashReport {
  readonly lostRecords: number;
  readonly tornEntries: number;
}

function check<T>(result: T | StorageError | undefined, what: string): T | undefined {
  if (typeof result === 'object' && result !== null && 'storageError' in result) {
    throw new Error(`simulated disk: ${what} failed: ${result.storageError}: ${result.message}`);
  }
  return result === undefined ? undefined : (result as T);
}

function fold(image: DurableImage, record: DiskRecord): void {
  switch (record.kind) {
    case 'snapshot':
      image.snapshot = record.snapshot;
      image.entries = [];
      return;
    case 'localSnapshot':
      image.snapshot = record.snapshot;
      image.entries = image.entries.filter((e) => e.index > record.snapshot.metadata.index);
      return;
    case 'entries': {
      const first = record.entries[0];
      if (first === undefined) return;
      const kept = image.entries.filter((e) => e.index < first.index);
      const last = kept.at(-1);
      if (last !== undefined && last.index + 1 !== first.index) {
        throw new Error(`simulated disk: entries from ${first.index} do not follow entry ${last.index}`);
      }
      image.entries = kept.concat(record.entries);
      return;
    }
    case 'hardState':
      image.hardState = record.hardState;
      return;
  }
}

export class SimDisk<S extends WritableStorage> {
  private image: DurableImage = { snapshot: null, entries: [], hardState: null };
  private unsynced: DiskRecord[] = [];
  private live: S;
  private readonly createEmpty: () => S;

  /** `createEmpty` makes the storage a member starts from before anything was written (bootstrap or empty). */
  constructor(createEmpty: () => S) {
    this.createEmpty = createEmpty;
    this.live = createEmpty();
  }

  get storage(): S {
    return this.live;
  }

  /** Step 2 of the Ready contract: snapshot, then entries, then hard state; not yet durable. */
  write(snapshot: Snapshot | undefined, entries: readonly Entry[], hardState: HardState | undefined): void {
    if (snapshot !== undefined) {
      check(this.live.applySnapshot(snapshot), `applying snapshot at ${snapshot.metadata.index}`);
      this.unsynced.push({ kind: 'snapshot', snapshot });
    }
    if (entries.length > 0) {
      check(this.live.append(entries), `appending entries from ${entries[0]!.index}`);
      this.unsynced.push({ kind: 'entries', entries });
    }
    if (hardState !== undefined) {
      check(this.live.setHardState(hardState), 'storing the hard state');
      this.unsynced.push({ kind: 'hardState', hardState });
    }
  }

  sync(): void {
    for (const record of this.unsynced) fold(this.image, record);
    this.unsynced = [];
  }

  /** The application's own snapshot of its applied state, saved and synced at once, then the log compacted. */
  saveSnapshot(index: number, confState: ConfState, data: Uint8Array, compactTo: number): Snapshot {
    const snapshot = check(
      this.live.createSnapshot(index, confState, data),
      `creating a snapshot at ${index}`,
    );
    if (snapshot === undefined) throw new Error('simulated disk: createSnapshot returned nothing');
    check(this.live.compact(compactTo), `compacting the log to ${compactTo}`);
    this.unsynced.push({ kind: 'localSnapshot', snapshot });
    this.sync();
    return snapshot;
  }

  /**
   * Power loss: keeps the synced image plus a random prefix of the unsynced records; the first
   * record cut may be torn (keeping some of its entries). The live storage restarts from that.
   */
  crash(random: SeededRandom, tornWriteRate: number): CrashReport {
    const survivors = random.int(this.unsynced.length + 1);
    for (const record of this.unsynced.slice(0, survivors)) fold(this.image, record);
    let tornEntries = 0;
    const cut = this.unsynced[survivors];
    if (cut?.kind === 'entries' && cut.entries.length > 1 && random.chance(tornWriteRate)) {
      const kept = 1 + random.int(cut.entries.length - 1);
      fold(this.image, { kind: 'entries', entries: cut.entries.slice(0, kept) });
      tornEntries = cut.entries.length - kept;
    }
    const lostRecords = this.unsynced.length - survivors;
    this.unsynced = [];
    this.live = this.rebuild();
    return { lostRecords, tornEntries };
  }

  private rebuild(): S {
    const storage = this.createEmpty();
    const { snapshot, entries, hardState } = this.image;
    if (snapshot !== null) check(storage.applySnapshot(snapshot), 'restoring the snapshot');
    if (entries.length > 0) check(storage.append(entries), 'restoring the log');
    if (hardState !== null) check(storage.setHardState(hardState), 'restoring the hard state');
    return storage;
  }
}
