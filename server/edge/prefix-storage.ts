// How an object's state lives in Durable Object storage, so that after an eviction or a restart it
// serves at once and resumes from its revision. A snapshot of every key plus the recent change sets;
// the state is the snapshot with the newer change sets replayed. Every record is JSON in the
// protocol's own encoding (decoded with its checks on load), split across values of at most
// storageChunkChars characters because storage caps the size of one value.
//
//   meta                          { format, prefix, revision, coveredFrom, confirmedAt, snapshot: { revision, generation, chunks } }
//   snapshot/<generation>/<i>     chunk i of a range response holding every key at snapshot.revision
//   history/<revision>/<i>        chunk i of a watch response holding that revision's events
//
// Writes issued together without an await between them commit atomically (Durable Objects coalesce
// them), and the runtime holds back outgoing messages until they are durable, so a browser never
// sees a revision the object could lose.
import {
  decodeRangeResponse,
  decodeWatchServerMessage,
  encodeRangeResponse,
  encodeWatchResponse,
  isDecodeError,
  type ResponseMeta,
} from '../../core/protocol/index.ts';
import type { ChangeSet } from './change-history.ts';
import type { EdgeLimits } from './limits.ts';
import { PrefixState } from './prefix-state.ts';
import type { EdgeStorage } from './workers-runtime.ts';

const FORMAT = 1;
const META_KEY = 'meta';
const SNAPSHOT_PREFIX = 'snapshot/';
const HISTORY_PREFIX = 'history/';
/** Storage calls take at most 128 keys. */
const KEYS_PER_CALL = 128;
/** Records carry a header like any response; this one names the edge as their source. */
const STORED_META: ResponseMeta = { member: 'edge', raftTerm: 0 };

interface SnapshotPointer {
  readonly revision: number;
  readonly generation: number;
  readonly chunks: number;
}

interface StoredMeta {
  readonly format: number;
  readonly prefix: string;
  readonly revision: number;
  readonly coveredFrom: number;
  /** When the cluster last confirmed this state (ms since the epoch). */
  readonly confirmedAt: number;
  readonly snapshot: SnapshotPointer;
}

/** The loaded state, and when the cluster last confirmed it. */
export interface LoadedPrefix {
  readonly state: PrefixState;
  readonly confirmedAt: number;
}

export class PrefixStorage {
  readonly #storage: EdgeStorage;
  readonly #limits: EdgeLimits;
  readonly #prefix: string;
  #snapshot: SnapshotPointer;
  /** Change sets recorded since the snapshot, and their bytes: a new snapshot bounds replay. */
  #sinceSnapshot = 0;
  #bytesSinceSnapshot = 0;
  /** Chunk counts of the stored change sets, by revision, to delete them when they leave the history. */
  readonly #historyChunks = new Map<number, number>();

  private constructor(storage: EdgeStorage, limits: EdgeLimits, prefix: string, snapshot: SnapshotPointer) {
    this.#storage = storage;
    this.#limits = limits;
    this.#prefix = prefix;
    this.#snapshot = snapshot;
  }

  /** Storage for an object that has stored nothing yet. */
  static fresh(storage: EdgeStorage, prefix: string, limits: EdgeLimits): PrefixStorage {
    return new PrefixStorage(storage, limits, prefix, { revision: 0, generation: 0, chunks: 0 });
  }

  /**
   * Loads what the object stored, or null when it stored nothing. A record that does not decode
   * stops loudly: serving it would be wrong.
   */
  static async load(storage: EdgeStorage, limits: EdgeLimits): Promise<[PrefixStorage, LoadedPrefix] | null> {
    const meta = await storage.get<StoredMeta>(META_KEY);
    if (meta === undefined) return null;
    if (meta.format !== FORMAT) {
      throw new Error(
        `edge storage: format ${meta.format} is not ${FORMAT}; this object's storage was written by another version`,
      );
    }
    const prefix = meta.prefix;
    const self = new PrefixStorage(storage, limits, prefix, meta.snapshot);
    const snapshotText = await self.#readChunks(
      snapshotKeyPrefix(meta.snapshot.generation),
      meta.snapshot.chunks,
    );
    const snapshot = decodeRangeResponse(JSON.parse(snapshotText));
    if (isDecodeError(snapshot))
      throw new Error(`edge storage: snapshot does not decode: ${snapshot.message}`);
    const state = new PrefixState(prefix, meta.snapshot.revision, snapshot.response.kvs, {
      maxChangeSets: limits.historyChangeSets,
      maxBytes: limits.historyBytes,
      coveredFrom: meta.coveredFrom,
    });
    for (const changeSet of await self.#readHistory()) {
      if (changeSet.revision <= state.history.coveredFrom) continue;
      if (changeSet.revision <= meta.snapshot.revision) {
        state.history.append(changeSet);
      } else {
        state.apply(changeSet.revision, changeSet.events);
        self.#countSinceSnapshot(changeSet);
      }
    }
    state.advance(meta.revision);
    // The history limits may have shrunk since these were written.
    const kept = new Set(state.history.all().map((changeSet) => changeSet.revision));
    const stale = [...self.#historyChunks.keys()].filter((revision) => !kept.has(revision));
    if (stale.length > 0) await Promise.all(self.#deleteHistory(stale));
    return [self, { state, confirmedAt: meta.confirmedAt }];
  }

  /**
   * Stores a change set just applied to `state` and forgets those the history dropped; writes a new
   * snapshot first when the history would otherwise lose a change the snapshot lacks.
   */
  async recordChange(
    state: PrefixState,
    changeSet: ChangeSet,
    dropped: readonly number[],
    confirmedAt: number,
  ): Promise<void> {
    const writes: Promise<unknown>[] = [];
    const needsSnapshot =
      dropped.some((revision) => revision > this.#snapshot.revision) ||
      this.#sinceSnapshot + 1 >= this.#limits.historyChangeSets / 2 ||
      this.#bytesSinceSnapshot > this.#limits.historyBytes / 2;
    if (changeSet.events.length > 0) {
      writes.push(...this.#putHistory(changeSet));
      this.#countSinceSnapshot(changeSet);
    }
    writes.push(...this.#deleteHistory(dropped));
    if (needsSnapshot) writes.push(...this.#putSnapshot(state));
    writes.push(this.#putMeta(state, confirmedAt));
    await Promise.all(writes);
  }

  /** Stores a revision reached without changes to this prefix, and when the cluster said so. */
  async recordProgress(state: PrefixState, confirmedAt: number): Promise<void> {
    await this.#putMeta(state, confirmedAt);
  }

  /** Stores a state that replaced the old one whole (a re-list): a snapshot, and no history. */
  async recordRebase(state: PrefixState, confirmedAt: number): Promise<void> {
    const writes = [...this.#deleteHistory([...this.#historyChunks.keys()]), ...this.#putSnapshot(state)];
    writes.push(this.#putMeta(state, confirmedAt));
    await Promise.all(writes);
  }

  #countSinceSnapshot(changeSet: ChangeSet): void {
    this.#sinceSnapshot++;
    for (const event of changeSet.events)
      this.#bytesSinceSnapshot += event.kv.key.length + event.kv.value.length;
  }

  #putMeta(state: PrefixState, confirmedAt: number): Promise<void> {
    const meta: StoredMeta = {
      format: FORMAT,
      prefix: this.#prefix,
      revision: state.revision,
      coveredFrom: state.history.coveredFrom,
      confirmedAt,
      snapshot: this.#snapshot,
    };
    return this.#storage.put({ [META_KEY]: meta });
  }

  #putSnapshot(state: PrefixState): Promise<unknown>[] {
    const kvs = state.entries();
    const json = encodeRangeResponse(
      { revision: state.revision, kvs, more: false, count: kvs.length },
      STORED_META,
      'utf8',
    );
    const old = this.#snapshot;
    const generation = old.generation + 1;
    const chunks = this.#chunk(JSON.stringify(json));
    const writes = this.#putChunks(snapshotKeyPrefix(generation), chunks);
    writes.push(...this.#deleteKeys(chunkKeys(snapshotKeyPrefix(old.generation), old.chunks)));
    this.#snapshot = { revision: state.revision, generation, chunks: chunks.length };
    this.#sinceSnapshot = 0;
    this.#bytesSinceSnapshot = 0;
    return writes;
  }

  #putHistory(changeSet: ChangeSet): Promise<unknown>[] {
    const json = encodeWatchResponse(
      { watchId: 0, revision: changeSet.revision, events: changeSet.events },
      STORED_META,
      'utf8',
    );
    const chunks = this.#chunk(JSON.stringify(json));
    this.#historyChunks.set(changeSet.revision, chunks.length);
    return this.#putChunks(historyKeyPrefix(changeSet.revision), chunks);
  }

  #deleteHistory(revisions: readonly number[]): Promise<unknown>[] {
    const keys: string[] = [];
    for (const revision of revisions) {
      const chunks = this.#historyChunks.get(revision);
      if (chunks === undefined) continue;
      this.#historyChunks.delete(revision);
      keys.push(...chunkKeys(historyKeyPrefix(revision), chunks));
    }
    return this.#deleteKeys(keys);
  }

  #putChunks(keyPrefix: string, chunks: readonly string[]): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    for (let start = 0; start < chunks.length; start += KEYS_PER_CALL) {
      const entries: Record<string, string> = {};
      for (let i = start; i < Math.min(chunks.length, start + KEYS_PER_CALL); i++)
        entries[chunkKey(keyPrefix, i)] = chunks[i]!;
      writes.push(this.#storage.put(entries));
    }
    return writes;
  }

  #deleteKeys(keys: readonly string[]): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    for (let start = 0; start < keys.length; start += KEYS_PER_CALL) {
      writes.push(this.#storage.delete(keys.slice(start, start + KEYS_PER_CALL)));
    }
    return writes;
  }

  #chunk(text: string): string[] {
    const size = this.#limits.storageChunkChars;
    const chunks: string[] = [];
    for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
    return chunks.length === 0 ? [''] : chunks;
  }

  async #readChunks(keyPrefix: string, count: number): Promise<string> {
    const stored = await this.#storage.list<string>({ prefix: keyPrefix });
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const part = stored.get(chunkKey(keyPrefix, i));
      if (part === undefined) throw new Error(`edge storage: chunk ${chunkKey(keyPrefix, i)} is missing`);
      parts.push(part);
    }
    return parts.join('');
  }

  async #readHistory(): Promise<ChangeSet[]> {
    const stored = await this.#storage.list<string>({ prefix: HISTORY_PREFIX });
    const texts = new Map<number, string[]>();
    for (const [key, part] of stored) {
      const revision = Number(key.slice(HISTORY_PREFIX.length, key.indexOf('/', HISTORY_PREFIX.length)));
      const parts = texts.get(revision) ?? [];
      parts.push(part);
      texts.set(revision, parts);
    }
    const changeSets: ChangeSet[] = [];
    for (const [revision, parts] of texts) {
      const decoded = decodeWatchServerMessage(JSON.parse(parts.join('')));
      if (isDecodeError(decoded) || decoded.type !== 'watchResponse') {
        throw new Error(
          `edge storage: change set ${revision} does not decode${isDecodeError(decoded) ? `: ${decoded.message}` : ''}`,
        );
      }
      this.#historyChunks.set(revision, parts.length);
      changeSets.push({ revision, events: decoded.response.events });
    }
    return changeSets.sort((a, b) => a.revision - b.revision);
  }
}

function snapshotKeyPrefix(generation: number): string {
  return `${SNAPSHOT_PREFIX}${String(generation).padStart(10, '0')}/`;
}

function historyKeyPrefix(revision: number): string {
  return `${HISTORY_PREFIX}${String(revision).padStart(16, '0')}/`;
}

function chunkKey(keyPrefix: string, i: number): string {
  return `${keyPrefix}${String(i).padStart(6, '0')}`;
}

function chunkKeys(keyPrefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => chunkKey(keyPrefix, i));
}
