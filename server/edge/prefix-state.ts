// One prefix's keys as the cluster had them at `revision`, and the recent change sets that led
// there. Applying the cluster's events in order keeps it exact; each recorded event carries the
// key's previous version (from this state), so browsers that ask for prevKv get it from the edge.
import { type VaneError, vaneError } from '../../core/errors.ts';
import {
  compareKeys,
  type KeyValue,
  NO_RANGE_END,
  type RangeRequest,
  type RangeResponse,
  type WatchEvent,
} from '../../core/store/index.ts';
import { ChangeHistory, type ChangeSet } from './change-history.ts';
import { rangeWithin } from './prefix-routing.ts';

const NO_VALUE = new Uint8Array(0);

export class PrefixState {
  readonly prefix: string;
  #revision: number;
  readonly #kvs = new Map<string, KeyValue>();
  /** Keys in UTF-8 byte order; rebuilt lazily after the key set changes. */
  #sortedKeys: string[] | null = null;
  readonly history: ChangeHistory;

  constructor(
    prefix: string,
    revision: number,
    kvs: readonly KeyValue[],
    history: { readonly maxChangeSets: number; readonly maxBytes: number; readonly coveredFrom?: number },
  ) {
    this.prefix = prefix;
    this.#revision = revision;
    for (const kv of kvs) this.#kvs.set(kv.key, kv);
    this.history = new ChangeHistory(history.coveredFrom ?? revision, history);
  }

  /** Every change of this prefix up to here is applied. */
  get revision(): number {
    return this.#revision;
  }

  get keyCount(): number {
    return this.#kvs.size;
  }

  /** Every key, in key order. */
  entries(): KeyValue[] {
    return this.#keys().map((key) => this.#kvs.get(key)!);
  }

  /**
   * Applies the events of the next revision (the cluster's, in its order) and records them with
   * their previous versions; returns the change set and the revisions the history dropped to make
   * room. Events outside the prefix are a bug upstream and stop loudly.
   */
  apply(revision: number, events: readonly WatchEvent[]): { changeSet: ChangeSet; dropped: number[] } {
    if (revision <= this.#revision) {
      throw new Error(`PrefixState: revision ${revision} is not after ${this.#revision}`);
    }
    const recorded: WatchEvent[] = [];
    for (const event of events) {
      const { key } = event.kv;
      if (!key.startsWith(this.prefix)) {
        throw new Error(`PrefixState: event for '${key}' outside prefix '${this.prefix}'`);
      }
      if (event.kv.modRevision !== revision) {
        throw new Error(
          `PrefixState: event for '${key}' at revision ${event.kv.modRevision} in change set ${revision}`,
        );
      }
      const prevKv = this.#kvs.get(key);
      if (event.type === 'put') {
        if (prevKv === undefined) this.#sortedKeys = null;
        this.#kvs.set(key, event.kv);
        recorded.push(
          prevKv === undefined ? { type: 'put', kv: event.kv } : { type: 'put', kv: event.kv, prevKv },
        );
      } else {
        if (prevKv === undefined) continue;
        this.#kvs.delete(key);
        this.#sortedKeys = null;
        const kv = { key, value: NO_VALUE, createRevision: 0, modRevision: revision, version: 0, lease: 0 };
        recorded.push({ type: 'delete', kv, prevKv });
      }
    }
    this.#revision = revision;
    const changeSet = { revision, events: recorded };
    const dropped = recorded.length > 0 ? this.history.append(changeSet) : [];
    return { changeSet, dropped };
  }

  /** Nothing changed in this prefix up to `revision` (a progress report from the cluster). */
  advance(revision: number): void {
    if (revision > this.#revision) this.#revision = revision;
  }

  /**
   * Replaces the whole state with a fresh list at `revision` (after the cluster compacted past this
   * state's revision); history restarts there, so older resumes are answered with a compaction.
   */
  rebase(revision: number, kvs: readonly KeyValue[]): void {
    this.#kvs.clear();
    for (const kv of kvs) this.#kvs.set(kv.key, kv);
    this.#sortedKeys = null;
    this.#revision = revision;
    this.history.reset(revision);
  }

  /** A read of the current state (past revisions are the cluster's to serve). */
  range(request: RangeRequest): RangeResponse | VaneError {
    if (!rangeWithin(this.prefix, request.key, request.rangeEnd)) {
      throw new Error(`PrefixState: range at '${request.key}' outside prefix '${this.prefix}'`);
    }
    if (request.revision !== undefined && request.revision !== 0 && request.revision !== this.#revision) {
      return request.revision > this.#revision
        ? vaneError(
            'futureRevision',
            `revision ${request.revision} is ahead of this edge's state (revision ${this.#revision}); use minRevision to wait for it`,
            { revision: this.#revision },
          )
        : vaneError(
            'invalidRequest',
            `the edge serves the current state (revision ${this.#revision}) only; read revision ${request.revision} from the cluster`,
            { revision: this.#revision },
          );
    }
    const matched = this.#select(request.key, request.rangeEnd);
    const limit = request.limit !== undefined && request.limit > 0 ? request.limit : Number.POSITIVE_INFINITY;
    const count = matched.length;
    if (request.countOnly === true) return { revision: this.#revision, kvs: [], more: false, count };
    const kvs = matched
      .slice(0, Math.min(count, limit))
      .map((kv) => (request.keysOnly === true ? { ...kv, value: NO_VALUE } : kv));
    return { revision: this.#revision, kvs, more: kvs.length < count, count };
  }

  #select(key: string, rangeEnd: string | undefined): KeyValue[] {
    if (rangeEnd === undefined) {
      const kv = this.#kvs.get(key);
      return kv === undefined ? [] : [kv];
    }
    const keys = this.#keys();
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(keys[mid]!, key) < 0) low = mid + 1;
      else high = mid;
    }
    const out: KeyValue[] = [];
    for (let i = low; i < keys.length; i++) {
      const at = keys[i]!;
      if (rangeEnd !== NO_RANGE_END && compareKeys(at, rangeEnd) >= 0) break;
      out.push(this.#kvs.get(at)!);
    }
    return out;
  }

  #keys(): string[] {
    this.#sortedKeys ??= [...this.#kvs.keys()].sort(compareKeys);
    return this.#sortedKeys;
  }
}
