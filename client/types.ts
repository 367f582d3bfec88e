// The data the SDK hands to applications. Keys and values are strings (values as the server sends
// them: UTF-8 text, or base64 marked by valueEncoding when a value is not text).

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Present when `value` is base64 because the stored bytes are not UTF-8 text. */
  readonly valueEncoding?: 'base64';
  /** Revision of the write that created the key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
  /** Writes since creation. */
  readonly version: number;
  /** Attached lease id; 0 = none. */
  readonly lease: number;
}

export type ConnectionState = 'connecting' | 'live' | 'stale' | 'offline';

export interface ClientStatus {
  /**
   * connecting: opening a socket, or open but not yet confirmed caught up; live: confirmed caught up
   * within staleAfterMs; stale: open, but not confirmed for longer (lagMs says how long); offline:
   * every endpoint failed in a row, waiting to try again.
   */
  readonly state: ConnectionState;
  /** The endpoint in use or being tried. */
  readonly endpoint?: string;
  /** Stale only: milliseconds since the connection was last confirmed caught up. */
  readonly lagMs?: number;
  /** The highest store revision any answer has carried. */
  readonly revision: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key, with modRevision = the deletion's revision and an empty value. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/** The events of one revision (a txn's events arrive together). */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

export interface Change<V = unknown> {
  readonly key: string;
  readonly type: 'put' | 'delete';
  /** The new value (put only): typed by the key's schema, or the string when it has none. */
  readonly value?: V;
  /** The value before, if the key had one. */
  readonly prevValue?: V;
}

/** What changed in a replica at one revision (a txn is one ChangeSet). */
export interface ChangeSet<V = unknown> {
  readonly revision: number;
  readonly changes: readonly Change<V>[];
}

/** A prefix's keys as of a revision: what a cache holds, and what SSR hands to the browser. */
export interface CacheRecord {
  readonly prefix: string;
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
}

/** Server-rendered state a replica starts from (client.snapshot(prefix) on the server). */
export type BootstrapPayload = CacheRecord;

/** Where replicas keep their last known state between runs. */
export interface CacheStorage {
  get(prefix: string): Promise<CacheRecord | undefined>;
  set(record: CacheRecord): Promise<void>;
  delete(prefix: string): Promise<void>;
}
