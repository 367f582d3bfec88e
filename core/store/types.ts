// The data model every client sees (etcd v3's): keys with revisions, range reads, writes, txns,
// leases and watch events. These are the store's own types; core/protocol holds zod schemas that
// decode the same shapes from the wire.

export interface KeyValue {
  /** UTF-8 key. */
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision of the write that created the key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
  /** Number of writes since creation; a deletion resets it to 0. */
  readonly version: number;
  /** Attached lease id; 0 = none. */
  readonly lease: number;
}

/**
 * Key selection, as in etcd: `rangeEnd` absent = the single `key`; otherwise [key, rangeEnd);
 * rangeEnd '\0' = every key >= key. A prefix p is [p, prefixEnd(p)).
 */
export interface KeySelector {
  readonly key: string;
  readonly rangeEnd?: string;
}

export interface RangeRequest extends KeySelector {
  /** Read at this past revision (0 or absent = current). */
  readonly revision?: number;
  /** At most this many keys (0 or absent = no limit). */
  readonly limit?: number;
  readonly countOnly?: boolean;
  readonly keysOnly?: boolean;
}

export interface RangeResponse {
  /** The store revision the read reflects (the current one, even for a past-revision read). */
  readonly revision: number;
  /** Keys in ascending UTF-8 byte order (= code point order, not JS string order; see keys.ts compareKeys). */
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` returned. */
  readonly more: boolean;
  /** Number of keys that matched, regardless of limit. */
  readonly count: number;
}

export interface PutRequest {
  readonly key: string;
  readonly value: Uint8Array;
  /** Attach to this lease (0 or absent = none). */
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest extends KeySelector {
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

export type CompareResult = 'equal' | 'notEqual' | 'less' | 'greater';

export type Compare = KeySelector &
  (
    | { readonly target: 'value'; readonly result: CompareResult; readonly value: Uint8Array }
    | {
        readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease';
        readonly result: CompareResult;
        readonly value: number;
      }
  );

export type RequestOp =
  | { readonly range: RangeRequest }
  | { readonly put: PutRequest }
  | { readonly deleteRange: DeleteRangeRequest }
  | { readonly txn: TxnRequest };

export type ResponseOp =
  | { readonly range: RangeResponse }
  | { readonly put: PutResponse }
  | { readonly deleteRange: DeleteRangeResponse }
  | { readonly txn: TxnResponse };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactRequest {
  readonly revision: number;
}

export interface CompactResponse {
  readonly revision: number;
}

export interface LeaseGrantRequest {
  /** Seconds. */
  readonly ttl: number;
  /** Requested id (0 or absent = the store picks one). */
  readonly id?: number;
}

export interface LeaseGrantResponse {
  readonly revision: number;
  readonly id: number;
  readonly ttl: number;
}

export interface LeaseRevokeRequest {
  readonly id: number;
  /**
   * Revoke only if the lease's renewIndex still equals this. The leader's expiry sets it, so that a
   * keepalive applied after the leader decided to expire the lease wins. Absent = unconditional.
   */
  readonly renewIndex?: number;
}

export interface LeaseRevokeResponse {
  readonly revision: number;
}

export interface LeaseKeepAliveRequest {
  readonly id: number;
}

export interface LeaseKeepAliveResponse {
  readonly revision: number;
  readonly id: number;
  /** The renewed TTL in seconds. */
  readonly ttl: number;
}

export interface LeaseTimeToLiveRequest {
  readonly id: number;
  readonly keys?: boolean;
}

export interface LeaseTimeToLiveResponse {
  readonly revision: number;
  readonly id: number;
  /** Remaining seconds (rounded up); -1 if the lease does not exist. */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys?: readonly string[];
}

export interface LeaseListResponse {
  readonly revision: number;
  readonly leases: readonly { readonly id: number; readonly ttl: number }[];
}

/** Lease expiry checkpoint: the remaining TTL the leader observed, replicated so a new leader does not reset it. */
export interface LeaseCheckpoint {
  readonly id: number;
  readonly remainingMs: number;
  /**
   * The lease's renewIndex (log index of its grant or latest keepalive) when the leader measured
   * remainingMs. A checkpoint whose renewIndex no longer matches is stale (a keepalive was applied since)
   * and is ignored, so it cannot shorten a renewed lease.
   */
  readonly renewIndex: number;
}

/**
 * What the replicated log carries for the store. The leader (or the member that received the
 * request) builds it; every member applies it identically.
 */
export type Command =
  | { readonly op: 'put'; readonly request: PutRequest }
  | { readonly op: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly op: 'txn'; readonly request: TxnRequest }
  | { readonly op: 'compact'; readonly request: CompactRequest }
  | { readonly op: 'leaseGrant'; readonly request: LeaseGrantRequest }
  | { readonly op: 'leaseRevoke'; readonly request: LeaseRevokeRequest }
  | { readonly op: 'leaseKeepAlive'; readonly request: LeaseKeepAliveRequest }
  | { readonly op: 'leaseCheckpoint'; readonly checkpoints: readonly LeaseCheckpoint[] };

/** A command as proposed: with the client's request id, for deduplication of retries. */
export interface CommandEnvelope {
  /** Client-chosen, unique per logical request; retries reuse it. Absent = no deduplication. */
  readonly requestId?: string;
  readonly command: Command;
}

export type CommandResponse =
  | PutResponse
  | DeleteRangeResponse
  | TxnResponse
  | CompactResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse
  | LeaseKeepAliveResponse
  | { readonly revision: number };

export type EventType = 'put' | 'delete';

export interface WatchEvent {
  readonly type: EventType;
  /** For a delete: the key, with modRevision = the deletion's revision and an empty value. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

export interface WatchRequest extends KeySelector {
  /** First revision to deliver (0 or absent = the next write). */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly filters?: readonly ('noPut' | 'noDelete')[];
  /** Send an empty response with the current revision when nothing happened for a while. */
  readonly progressNotify?: boolean;
}

/**
 * One delivery to a watcher. All events of one revision (a txn) are in the same response.
 * An empty `events` with no flags is a progress notification: nothing matched up to `revision`.
 */
export interface WatchResponse {
  readonly watchId: number;
  /** The store revision this response reflects: every matching event up to it has been delivered. */
  readonly revision: number;
  readonly events: readonly WatchEvent[];
  readonly created?: boolean;
  readonly canceled?: boolean;
  /** Set when canceled because startRevision (or the watcher's position) was compacted. */
  readonly compactRevision?: number;
  readonly cancelReason?: string;
}
