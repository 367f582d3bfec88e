// KvStore: the replicated state machine. apply() is the only way state changes (besides installing a
// snapshot), and it is deterministic: every member applying the same commands reaches byte-identical
// state. A command that fails changes nothing: every check runs before the first mutation.

import { type VaneError, vaneError } from '../errors.ts';
import { formatBytes } from '../limits.ts';
import { resolveStoreConfig, type StoreConfig } from './config.ts';
import { EMPTY_VALUE, VERSION_OVERHEAD_BYTES } from './key-record.ts';
import { compareKeys, type SortKeyRange, selectorRange } from './keys.ts';
import { LEASE_OVERHEAD_BYTES, LeaseTable } from './lease-table.ts';
import { Mvcc, type RevisionChanges } from './mvcc.ts';
import { DedupWindow } from './request-dedup.ts';
import { decodeSnapshot, encodeSnapshot, type StoreState, stateDigest } from './snapshot.ts';
import { type CompareView, checkTxn, choosePath } from './txn.ts';
import type {
  Command,
  CommandEnvelope,
  CommandResponse,
  CompactRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  LeaseCheckpoint,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseListResponse,
  LeaseRevokeRequest,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchRequest,
} from './types.ts';
import {
  checkCount,
  checkDeleteRangeRequest,
  checkObject,
  checkPutRequest,
  checkRangeRequest,
  checkRequiredCount,
} from './validate.ts';
import { type Watcher, WatchHub } from './watch-hub.ts';

const NO_PREFIX = new Uint8Array(0);

/** Longest client request id, in UTF-16 code units. */
export const MAX_REQUEST_ID_LENGTH = 256;
/** Lease checkpoints one command may carry. */
export const MAX_LEASE_CHECKPOINTS = 10_000;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class KvStore {
  readonly config: StoreConfig;
  /** Watches on this store (not replicated: each member serves its own). */
  readonly watches: WatchHub;
  private mvcc: Mvcc;
  private leaseTable: LeaseTable;
  private dedup: DedupWindow;
  private applied = 0;
  /** What txn compares read: the state before the txn. */
  private readonly compareView: CompareView = {
    get: (key) => this.mvcc.get(key, undefined),
    range: (range) => this.mvcc.range(range, undefined, 0, false).kvs,
  };

  constructor(config: Partial<StoreConfig> = {}) {
    this.config = resolveStoreConfig(config);
    this.mvcc = new Mvcc();
    this.leaseTable = new LeaseTable();
    this.dedup = new DedupWindow(this.config.dedupWindow);
    this.watches = new WatchHub(this.mvcc, this.config);
  }

  /**
   * A store from snapshot() bytes; a damaged or foreign snapshot gives a VaneError naming the problem.
   * Restored values are views of `bytes`, which the caller must not modify afterwards. A caller that
   * has just verified a checksum covering `bytes` (a snapshot file's) may say so: the snapshot's own
   * is then not computed again (a pass over tens of MB when a large store restarts).
   */
  static restore(
    bytes: Uint8Array,
    config: Partial<StoreConfig> = {},
    options: { readonly checksumVerified?: boolean } = {},
  ): KvStore | VaneError {
    const store = new KvStore(config);
    const state = decodeSnapshot(bytes, store.config.dedupWindow, options.checksumVerified === true);
    if ('code' in state) return state;
    store.adopt(state);
    return store;
  }

  /** The current revision: the number of writes that changed something. */
  get revision(): number {
    return this.mvcc.revision;
  }

  /** Reads and watches below this revision are refused as compacted. */
  get compactRevision(): number {
    return this.mvcc.compactRevision;
  }

  /** The log index of the last command applied (or marked applied). */
  get appliedIndex(): number {
    return this.applied;
  }

  /** Quota size of the state: keys and values of every retained version, plus fixed overheads. */
  get sizeBytes(): number {
    return this.mvcc.sizeBytes + this.leaseTable.size * LEASE_OVERHEAD_BYTES;
  }

  /** Keys with retained history (live or deleted but not yet compacted). */
  get keyCount(): number {
    return this.mvcc.index.size;
  }

  /** The replicated lease table, read by the leader's Lessor. */
  get leases(): LeaseTable {
    return this.leaseTable;
  }

  /**
   * Applies one committed command at log `index` (which must follow the applied index). A request id
   * seen within the dedup window returns the original response and applies nothing. The store copies
   * value bytes into its own arena; KeyValues it returns are shared with its state and must not be
   * modified (their value may be a view of a buffer holding other values).
   */
  apply(index: number, envelope: CommandEnvelope): CommandResponse | VaneError {
    this.advanceTo(index);
    const invalid = checkObject(envelope, 'a command envelope');
    if (invalid !== undefined) return invalid;
    const requestId = envelope.requestId;
    if (requestId !== undefined) {
      if (
        typeof requestId !== 'string' ||
        requestId.length === 0 ||
        requestId.length > MAX_REQUEST_ID_LENGTH
      ) {
        return vaneError(
          'invalidRequest',
          `requestId must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`,
          { limit: MAX_REQUEST_ID_LENGTH },
        );
      }
      const original = this.dedup.get(requestId);
      if (original !== undefined) return original;
    }
    const response = this.execute(index, envelope.command);
    if (requestId !== undefined && !('code' in response)) this.dedup.remember(requestId, response);
    return response;
  }

  /** Records that log entry `index` held no store command (a no-op or a membership change). */
  markApplied(index: number): void {
    this.advanceTo(index);
  }

  /**
   * Replaces the whole state with a snapshot's (a follower catching up). Watchers stay: they catch up
   * from the snapshot's history, or are cancelled as compacted if it does not reach back far enough.
   * As with restore(), values are views of `bytes`, which must not be modified afterwards.
   */
  installSnapshot(bytes: Uint8Array): VaneError | undefined {
    const state = decodeSnapshot(bytes, this.config.dedupWindow, false);
    if ('code' in state) return state;
    if (state.appliedIndex < this.applied) {
      return vaneError(
        'invalidRequest',
        `snapshot at index ${state.appliedIndex} is older than the applied index ${this.applied}`,
      );
    }
    this.adopt(state);
    return undefined;
  }

  range(req: RangeRequest): RangeResponse | VaneError {
    const invalid = checkRangeRequest(req, this.config.limits) ?? this.checkReadRevision(req.revision ?? 0);
    if (invalid !== undefined) return invalid;
    return this.read(req, this.mvcc.revision, this.mvcc.revision);
  }

  /**
   * A lease's TTL. The replicated table knows the remaining time only as of the last checkpoint; the
   * leader passes its Lessor's live figure as `remainingMs`.
   */
  leaseTimeToLive(req: LeaseTimeToLiveRequest, remainingMs?: number): LeaseTimeToLiveResponse {
    const lease = this.leaseTable.get(req.id);
    const revision = this.mvcc.revision;
    if (lease === undefined) {
      return req.keys === true
        ? { revision, id: req.id, ttl: -1, grantedTtl: 0, keys: [] }
        : { revision, id: req.id, ttl: -1, grantedTtl: 0 };
    }
    const ttl = Math.max(0, Math.ceil((remainingMs ?? lease.remainingMs) / 1000));
    if (req.keys !== true) return { revision, id: lease.id, ttl, grantedTtl: lease.ttlSeconds };
    return {
      revision,
      id: lease.id,
      ttl,
      grantedTtl: lease.ttlSeconds,
      keys: [...lease.keys].sort(compareKeys),
    };
  }

  /** Every lease, by id, with its granted TTL. */
  leaseList(): LeaseListResponse {
    return {
      revision: this.mvcc.revision,
      leases: this.leaseTable.sorted().map((lease) => ({ id: lease.id, ttl: lease.ttlSeconds })),
    };
  }

  watch(request: WatchRequest, onReady?: () => void): Watcher | VaneError {
    return this.watches.watch(request, onReady);
  }

  /**
   * The whole state, checksummed; restore() or installSnapshot() reads it back. With a `prefix`, the
   * bytes returned are the prefix followed by the snapshot: a caller that frames the snapshot with a
   * header of its own gets it framed without copying it. With `shareValues`, the store's values become
   * views of the returned bytes, which the caller keeps (a member, to serve them to peers) and must not
   * modify: the two then share one copy of the values.
   */
  snapshot(options: { readonly prefix?: Uint8Array; readonly shareValues?: boolean } = {}): Uint8Array {
    return encodeSnapshot(this.state(), options.prefix ?? NO_PREFIX, options.shareValues === true);
  }

  /**
   * Digest of keys, values, history, revisions and leases (not the dedup window or applied index):
   * equal on every member that applied the same commands.
   */
  hash(): string {
    return stateDigest(this.mvcc, this.leaseTable);
  }

  private state(): StoreState {
    return { mvcc: this.mvcc, leases: this.leaseTable, dedup: this.dedup, appliedIndex: this.applied };
  }

  /** Takes over a decoded state; the Lessor and the watchers follow it. */
  private adopt(state: StoreState): void {
    const previousRevision = this.mvcc.revision;
    this.leaseTable.handOver(state.leases);
    this.mvcc = state.mvcc;
    this.leaseTable = state.leases;
    this.dedup = state.dedup;
    this.applied = state.appliedIndex;
    this.watches.resync(this.mvcc, previousRevision);
  }

  private advanceTo(index: number): void {
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new Error(
        `log index ${index} applied after index ${this.applied}: entries must be applied once, in order`,
      );
    }
    this.applied = index;
  }

  private execute(index: number, command: Command): CommandResponse | VaneError {
    const shape =
      checkObject(command, 'a command') ??
      (command.op === 'leaseCheckpoint'
        ? undefined
        : checkObject(command.request, `a ${command.op} request`));
    if (shape !== undefined) return shape;
    switch (command.op) {
      case 'put':
        return this.put(command.request);
      case 'deleteRange':
        return this.deleteRange(command.request);
      case 'txn':
        return this.txn(command.request);
      case 'compact':
        return this.compact(command.request);
      case 'leaseGrant':
        return this.leaseGrant(index, command.request);
      case 'leaseRevoke':
        return this.leaseRevoke(command.request);
      case 'leaseKeepAlive':
        return this.leaseKeepAlive(index, command.request);
      case 'leaseCheckpoint':
        return this.leaseCheckpoint(command.checkpoints);
      default:
        return vaneError('invalidRequest', `unknown command '${String((command as { op?: unknown }).op)}'`);
    }
  }

  private put(req: PutRequest): PutResponse | VaneError {
    const invalid =
      checkPutRequest(req, this.config.limits) ??
      this.checkPutAgainstState(req) ??
      this.checkQuota(putCost(req));
    if (invalid !== undefined) return invalid;
    this.mvcc.beginWrite();
    const prev = this.writePut(req);
    this.publish(this.mvcc.endWrite());
    const revision = this.mvcc.revision;
    return req.prevKv === true && prev !== undefined ? { revision, prevKv: prev } : { revision };
  }

  private deleteRange(req: DeleteRangeRequest): DeleteRangeResponse | VaneError {
    const invalid = checkDeleteRangeRequest(req, this.config.limits);
    if (invalid !== undefined) return invalid;
    this.mvcc.beginWrite();
    const deleted = this.writeDelete(selectorRange(req.key, req.rangeEnd));
    this.publish(this.mvcc.endWrite());
    const revision = this.mvcc.revision;
    return req.prevKv === true
      ? { revision, deleted: deleted.length, prevKvs: deleted }
      : { revision, deleted: deleted.length };
  }

  private txn(req: TxnRequest): TxnResponse | VaneError {
    const invalid = checkTxn(req, this.config.limits);
    if (invalid !== undefined) return invalid;
    const path = choosePath(req, this.compareView);
    const check = { refused: undefined as VaneError | undefined, cost: 0, next: 0 };
    this.checkPath(req, path, check);
    const refused = check.refused ?? this.checkQuota(check.cost);
    if (refused !== undefined) return refused;

    this.mvcc.beginWrite();
    const before = this.mvcc.revision;
    const run: TxnRun = { next: 0, revisioned: [], plainPut: undefined };
    const response = this.runTxn(req, path, run);
    this.publish(this.mvcc.endWrite());
    for (const r of run.revisioned) r.revision = this.mvcc.revision;
    if (run.next !== path.length) throw new Error(`txn ran ${run.next} of ${path.length} decided branches`);
    if (this.mvcc.revision > before + 1) throw new Error('a txn took more than one revision');
    return response;
  }

  /** Checks every op on the decided path against the state, and adds up what its puts may store. */
  private checkPath(
    req: TxnRequest,
    path: readonly boolean[],
    check: { refused: VaneError | undefined; cost: number; next: number },
  ): void {
    for (const op of path[check.next++] ? req.success : req.failure) {
      if ('put' in op) {
        check.refused ??= this.checkPutAgainstState(op.put);
        check.cost += putCost(op.put);
      } else if ('range' in op) {
        check.refused ??= this.checkReadRevision(op.range.revision ?? 0);
      } else if ('txn' in op) {
        this.checkPath(op.txn, path, check);
      }
    }
  }

  /**
   * Runs the decided path; response revisions are set once the write is closed. Every put without
   * prevKv answers with the same response object (they are equal): a txn of many puts, whose
   * response the dedup window keeps, then holds one small object instead of two per put.
   */
  private runTxn(req: TxnRequest, path: readonly boolean[], run: TxnRun): TxnResponse {
    const succeeded = path[run.next++]!;
    const responses: ResponseOp[] = [];
    for (const op of succeeded ? req.success : req.failure) {
      if ('range' in op) {
        const range = this.read(op.range, -1, this.mvcc.revision) as Mutable<RangeResponse>;
        run.revisioned.push(range);
        responses.push({ range });
      } else if ('put' in op) {
        const prev = this.writePut(op.put);
        if (op.put.prevKv === true && prev !== undefined) {
          const put: Mutable<PutResponse> = { revision: 0, prevKv: prev };
          run.revisioned.push(put);
          responses.push({ put });
        } else {
          responses.push(plainPutResponse(run));
        }
      } else if ('deleteRange' in op) {
        const deleted = this.writeDelete(selectorRange(op.deleteRange.key, op.deleteRange.rangeEnd));
        const deleteRange: Mutable<DeleteRangeResponse> =
          op.deleteRange.prevKv === true
            ? { revision: 0, deleted: deleted.length, prevKvs: deleted }
            : { revision: 0, deleted: deleted.length };
        run.revisioned.push(deleteRange);
        responses.push({ deleteRange });
      } else {
        responses.push({ txn: this.runTxn(op.txn, path, run) });
      }
    }
    const txn: Mutable<TxnResponse> = { revision: 0, succeeded, responses };
    run.revisioned.push(txn);
    return txn;
  }

  private compact(req: CompactRequest): CommandResponse | VaneError {
    const invalid = checkRequiredCount(req.revision, 'revision');
    if (invalid !== undefined) return invalid;
    const { revision, compactRevision } = this.mvcc;
    if (req.revision > revision) return futureRevision(req.revision, revision);
    if (req.revision <= compactRevision) {
      return vaneError(
        'compacted',
        `revision ${req.revision} is already compacted (history starts at ${compactRevision})`,
        { compactRevision },
      );
    }
    this.mvcc.compact(req.revision);
    return { revision };
  }

  private leaseGrant(index: number, req: LeaseGrantRequest): LeaseGrantResponse | VaneError {
    const invalid = checkRequiredCount(req.ttl, 'ttl') ?? checkCount(req.id, 'id');
    if (invalid !== undefined) return invalid;
    const { maxLeaseTtlSeconds } = this.config.limits;
    if (req.ttl > maxLeaseTtlSeconds) {
      return vaneError('leaseTtlTooLarge', `lease TTL ${req.ttl}s is over the ${maxLeaseTtlSeconds}s limit`, {
        limit: maxLeaseTtlSeconds,
        actual: req.ttl,
      });
    }
    const requested = req.id ?? 0;
    if (requested !== 0 && this.leaseTable.get(requested) !== undefined) {
      return vaneError(
        'leaseExists',
        `lease ${requested} already exists; pick another id or let the store pick`,
        {
          id: requested,
        },
      );
    }
    const quota = this.checkQuota(LEASE_OVERHEAD_BYTES);
    if (quota !== undefined) return quota;
    const ttl = Math.max(req.ttl, this.config.minLeaseTtlSeconds);
    const id = requested !== 0 ? requested : this.leaseTable.pickId();
    this.leaseTable.grant(id, ttl, index);
    return { revision: this.mvcc.revision, id, ttl };
  }

  private leaseRevoke(req: LeaseRevokeRequest): CommandResponse | VaneError {
    const invalid = checkRequiredCount(req.id, 'id') ?? checkCount(req.renewIndex, 'renewIndex');
    if (invalid !== undefined) return invalid;
    const lease = this.leaseTable.get(req.id);
    if (lease === undefined) return leaseNotFound(req.id);
    // An expiry decided before a keepalive that has since been applied: the keepalive wins.
    if (req.renewIndex !== undefined && req.renewIndex !== lease.renewIndex)
      return { revision: this.mvcc.revision };
    const keys = [...lease.keys].sort(compareKeys);
    this.mvcc.beginWrite();
    for (const key of keys) this.mvcc.deleteKey(key);
    this.publish(this.mvcc.endWrite());
    this.leaseTable.remove(lease.id);
    return { revision: this.mvcc.revision };
  }

  private leaseKeepAlive(index: number, req: LeaseKeepAliveRequest): LeaseKeepAliveResponse | VaneError {
    const invalid = checkRequiredCount(req.id, 'id');
    if (invalid !== undefined) return invalid;
    const lease = this.leaseTable.get(req.id);
    if (lease === undefined) return leaseNotFound(req.id);
    this.leaseTable.renew(lease, index);
    return { revision: this.mvcc.revision, id: lease.id, ttl: lease.ttlSeconds };
  }

  private leaseCheckpoint(checkpoints: readonly LeaseCheckpoint[]): CommandResponse | VaneError {
    if (!Array.isArray(checkpoints)) return vaneError('invalidRequest', 'checkpoints must be a list');
    if (checkpoints.length > MAX_LEASE_CHECKPOINTS) {
      return vaneError(
        'tooManyOperations',
        `a command may carry at most ${MAX_LEASE_CHECKPOINTS} lease checkpoints`,
        {
          limit: MAX_LEASE_CHECKPOINTS,
        },
      );
    }
    for (const cp of checkpoints) {
      const invalid =
        checkObject(cp, 'a lease checkpoint') ??
        checkRequiredCount(cp.id, 'checkpoint id') ??
        checkRequiredCount(cp.remainingMs, 'checkpoint remainingMs') ??
        checkRequiredCount(cp.renewIndex, 'checkpoint renewIndex');
      if (invalid !== undefined) return invalid;
    }
    for (const cp of checkpoints) {
      const lease = this.leaseTable.get(cp.id);
      // A lease revoked or renewed since the leader measured it: the checkpoint no longer applies.
      if (lease === undefined || lease.renewIndex !== cp.renewIndex) continue;
      lease.remainingMs = Math.min(cp.remainingMs, lease.ttlSeconds * 1000);
    }
    return { revision: this.mvcc.revision };
  }

  /** A read at `revision` (-1 = now, seeing an open txn's writes); `header` is the revision reported. */
  private read(req: RangeRequest, revision: number, header: number): RangeResponse {
    const at =
      req.revision !== undefined && req.revision > 0 ? req.revision : revision < 0 ? undefined : revision;
    const countOnly = req.countOnly === true;
    if (req.rangeEnd === undefined || req.rangeEnd === '') {
      const kv = this.mvcc.get(req.key, at);
      const count = kv === undefined ? 0 : 1;
      const kvs = kv === undefined || countOnly ? [] : [req.keysOnly === true ? withoutValue(kv) : kv];
      return { revision: header, kvs, more: false, count };
    }
    const result = this.mvcc.range(selectorRange(req.key, req.rangeEnd), at, req.limit ?? 0, countOnly);
    const kvs = req.keysOnly === true ? result.kvs.map(withoutValue) : result.kvs;
    return { revision: header, kvs, more: result.more, count: result.count };
  }

  private checkReadRevision(revision: number): VaneError | undefined {
    const { revision: current, compactRevision } = this.mvcc;
    if (revision > current) return futureRevision(revision, current);
    if (revision > 0 && revision < compactRevision) {
      return vaneError(
        'compacted',
        `revision ${revision} has been compacted (history starts at ${compactRevision}); read at a later revision`,
        { compactRevision },
      );
    }
    return undefined;
  }

  /** Checks a put's references to existing state: its lease, and the key for ignoreValue/ignoreLease. */
  private checkPutAgainstState(req: PutRequest): VaneError | undefined {
    const lease = req.lease ?? 0;
    if (lease !== 0 && this.leaseTable.get(lease) === undefined) return leaseNotFound(lease);
    if (
      (req.ignoreValue === true || req.ignoreLease === true) &&
      this.mvcc.get(req.key, undefined) === undefined
    ) {
      return vaneError(
        'keyNotFound',
        `key '${req.key}' does not exist, so a put cannot keep its ${req.ignoreValue === true ? 'value' : 'lease'}`,
      );
    }
    return undefined;
  }

  private checkQuota(cost: number): VaneError | undefined {
    const size = this.sizeBytes;
    const quota = this.config.quotaBytes;
    if (size + cost <= quota) return undefined;
    return vaneError(
      'quotaExceeded',
      `the store holds ${formatBytes(size)} of its ${formatBytes(quota)} quota and this write needs ` +
        `${formatBytes(cost)} more; delete keys or compact history to free space (reads and deletes still work)`,
      { quotaBytes: quota, sizeBytes: size, requestBytes: cost },
    );
  }

  private writePut(req: PutRequest): KeyValue | undefined {
    const key = req.key;
    const existing =
      req.ignoreValue === true || req.ignoreLease === true ? this.mvcc.get(key, undefined) : undefined;
    const value = req.ignoreValue === true ? existing!.value : this.mvcc.values.store(req.value);
    const lease = req.ignoreLease === true ? existing!.lease : (req.lease ?? 0);
    const prev = this.mvcc.put(key, value, lease);
    const prevLease = prev === undefined ? 0 : prev.lease;
    if (prevLease !== lease) {
      if (prevLease !== 0) this.leaseTable.detach(prevLease, key);
      if (lease !== 0) this.leaseTable.attach(lease, key);
    }
    return prev;
  }

  private writeDelete(range: SortKeyRange): KeyValue[] {
    const deleted = this.mvcc.deleteRange(range);
    for (const kv of deleted) if (kv.lease !== 0) this.leaseTable.detach(kv.lease, kv.key);
    return deleted;
  }

  private publish(written: RevisionChanges | undefined): void {
    if (written !== undefined) this.watches.notify(written);
  }
}

/** A txn being run: the next decided branch, and the responses whose revision is set at the end. */
interface TxnRun {
  next: number;
  readonly revisioned: { revision: number }[];
  plainPut: ResponseOp | undefined;
}

function plainPutResponse(run: TxnRun): ResponseOp {
  if (run.plainPut === undefined) {
    const put: Mutable<PutResponse> = { revision: 0 };
    run.revisioned.push(put);
    run.plainPut = { put };
  }
  return run.plainPut;
}

/** Quota bytes a put may add (UTF-16 length stands in for the key's UTF-8 length: an estimate is enough). */
function putCost(req: PutRequest): number {
  return req.key.length + req.value.length + VERSION_OVERHEAD_BYTES;
}

function withoutValue(kv: KeyValue): KeyValue {
  return {
    key: kv.key,
    value: EMPTY_VALUE,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

function futureRevision(revision: number, current: number): VaneError {
  return vaneError(
    'futureRevision',
    `revision ${revision} is in the future (the current revision is ${current})`,
    {
      revision,
      currentRevision: current,
    },
  );
}

function leaseNotFound(id: number): VaneError {
  return vaneError(
    'leaseNotFound',
    `lease ${id} does not exist (it expired, was revoked, or was never granted)`,
    {
      id,
    },
  );
}
