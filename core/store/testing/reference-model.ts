// A plain reference model of the store for property tests: the whole key space copied at every
// revision, leases in a map, every rule written the obvious way (txn paths enumerated, duplicate keys
// found by brute force). Slow and simple on purpose: the store must answer exactly as this does.
// No quota (tests give the store a large one) and no size accounting.

import type { ErrorCode } from '../../errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../../limits.ts';
import type {
  Command,
  CommandEnvelope,
  CommandResponse,
  Compare,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from '../types.ts';

export interface ModelError {
  readonly code: ErrorCode;
}

interface ModelLease {
  readonly id: number;
  readonly ttl: number;
  remainingMs: number;
  renewIndex: number;
}

/** Code point order (= UTF-8 byte order), the slow way. */
export function modelCompareKeys(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function inSelection(key: string, from: string, rangeEnd: string | undefined): boolean {
  if (rangeEnd === undefined || rangeEnd === '') return key === from;
  if (modelCompareKeys(key, from) < 0) return false;
  return rangeEnd === '\0' || modelCompareKeys(key, rangeEnd) < 0;
}

function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

export class ReferenceModel {
  /** states[r] = the live keys after revision r. */
  readonly states: Map<string, KeyValue>[] = [new Map()];
  /** events[r] = what revision r changed, in order. */
  readonly events: WatchEvent[][] = [[]];
  compactRevision = 0;
  readonly leases = new Map<number, ModelLease>();
  nextLeaseId = 1;
  readonly dedup: [string, CommandResponse][] = [];
  readonly dedupWindow: number;
  readonly minTtl: number;
  readonly limits: Limits;

  constructor(dedupWindow: number, minTtl = 2, limits: Limits = DEFAULT_LIMITS) {
    this.dedupWindow = dedupWindow;
    this.minTtl = minTtl;
    this.limits = limits;
  }

  get revision(): number {
    return this.states.length - 1;
  }

  private get current(): Map<string, KeyValue> {
    return this.states[this.states.length - 1]!;
  }

  apply(index: number, envelope: CommandEnvelope): CommandResponse | ModelError {
    if (envelope.requestId !== undefined) {
      const found = this.dedup.find(([id]) => id === envelope.requestId);
      if (found !== undefined) return found[1];
    }
    const response = this.execute(index, envelope.command);
    if (envelope.requestId !== undefined && !('code' in response) && this.dedupWindow > 0) {
      this.dedup.push([envelope.requestId, response]);
      if (this.dedup.length > this.dedupWindow) this.dedup.shift();
    }
    return response;
  }

  range(req: RangeRequest): RangeResponse | ModelError {
    const bad = this.checkRead(req);
    if (bad !== undefined) return bad;
    return this.readAt(req, this.current, this.revision);
  }

  private checkRead(req: RangeRequest): ModelError | undefined {
    const keyProblem = this.checkKey(req.key) ?? this.checkRangeEnd(req.rangeEnd);
    if (keyProblem !== undefined) return keyProblem;
    const rev = req.revision ?? 0;
    if (rev > this.revision) return { code: 'futureRevision' };
    if (rev > 0 && rev < this.compactRevision) return { code: 'compacted' };
    return undefined;
  }

  private readAt(req: RangeRequest, working: Map<string, KeyValue>, header: number): RangeResponse {
    const rev = req.revision ?? 0;
    const state = rev > 0 ? this.states[rev]! : working;
    const all = [...state.values()]
      .filter((kv) => inSelection(kv.key, req.key, req.rangeEnd))
      .sort((a, b) => modelCompareKeys(a.key, b.key));
    const limit = req.limit ?? 0;
    let kvs = req.countOnly === true ? [] : limit > 0 ? all.slice(0, limit) : all;
    if (req.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) }));
    return {
      revision: header,
      kvs,
      more: req.countOnly !== true && kvs.length < all.length,
      count: all.length,
    };
  }

  private checkKey(key: string): ModelError | undefined {
    if (key.length === 0) return { code: 'invalidRequest' };
    if (utf8Bytes(key) > this.limits.maxKeyBytes) return { code: 'keyTooLarge' };
    return undefined;
  }

  private checkRangeEnd(rangeEnd: string | undefined): ModelError | undefined {
    if (rangeEnd === undefined || rangeEnd === '' || rangeEnd === '\0') return undefined;
    return utf8Bytes(rangeEnd) > this.limits.maxKeyBytes ? { code: 'keyTooLarge' } : undefined;
  }

  private execute(index: number, command: Command): CommandResponse | ModelError {
    switch (command.op) {
      case 'put':
        return this.txnLike([], [{ put: command.request }], (r) => (r[0] as { put: CommandResponse }).put);
      case 'deleteRange':
        return this.txnLike(
          [],
          [{ deleteRange: command.request }],
          (r) => (r[0] as { deleteRange: DeleteRangeResponse }).deleteRange,
        );
      case 'txn':
        return this.txn(command.request);
      case 'compact': {
        const rev = command.request.revision;
        if (rev > this.revision) return { code: 'futureRevision' };
        if (rev <= this.compactRevision) return { code: 'compacted' };
        this.compactRevision = rev;
        return { revision: this.revision };
      }
      case 'leaseGrant': {
        const { ttl } = command.request;
        const requested = command.request.id ?? 0;
        if (ttl > this.limits.maxLeaseTtlSeconds) return { code: 'leaseTtlTooLarge' };
        if (requested !== 0 && this.leases.has(requested)) return { code: 'leaseExists' };
        let id = requested;
        if (id === 0) {
          while (this.leases.has(this.nextLeaseId)) this.nextLeaseId++;
          id = this.nextLeaseId++;
        }
        const granted = Math.max(ttl, this.minTtl);
        this.leases.set(id, { id, ttl: granted, remainingMs: granted * 1000, renewIndex: index });
        return { revision: this.revision, id, ttl: granted };
      }
      case 'leaseRevoke': {
        const lease = this.leases.get(command.request.id);
        if (lease === undefined) return { code: 'leaseNotFound' };
        const expected = command.request.renewIndex;
        if (expected !== undefined && expected !== lease.renewIndex) return { revision: this.revision };
        const doomed = [...this.current.values()]
          .filter((kv) => kv.lease === lease.id)
          .sort((a, b) => modelCompareKeys(a.key, b.key));
        if (doomed.length > 0) {
          const next = new Map(this.current);
          const rev = this.revision + 1;
          const events: WatchEvent[] = [];
          for (const kv of doomed) {
            next.delete(kv.key);
            events.push({ type: 'delete', kv: tombstone(kv.key, rev), prevKv: kv });
          }
          this.states.push(next);
          this.events.push(events);
        }
        this.leases.delete(lease.id);
        return { revision: this.revision };
      }
      case 'leaseKeepAlive': {
        const lease = this.leases.get(command.request.id);
        if (lease === undefined) return { code: 'leaseNotFound' };
        lease.remainingMs = lease.ttl * 1000;
        lease.renewIndex = index;
        return { revision: this.revision, id: lease.id, ttl: lease.ttl };
      }
      case 'leaseCheckpoint': {
        for (const cp of command.checkpoints) {
          const lease = this.leases.get(cp.id);
          if (lease !== undefined && lease.renewIndex === cp.renewIndex) {
            lease.remainingMs = Math.min(cp.remainingMs, lease.ttl * 1000);
          }
        }
        return { revision: this.revision };
      }
    }
  }

  private txnLike(
    compare: Compare[],
    ops: RequestOp[],
    pick: (responses: readonly ResponseOp[]) => CommandResponse,
  ): CommandResponse | ModelError {
    const result = this.txn({ compare, success: ops, failure: [] });
    return 'code' in result ? result : pick(result.responses);
  }

  private txn(req: TxnRequest): TxnResponse | ModelError {
    if (depthOf(req) > this.limits.maxTxnDepth) return { code: 'invalidRequest' };
    if (countOps(req) > this.limits.maxTxnOps) return { code: 'tooManyOperations' };
    const invalid = this.checkShapes(req);
    if (invalid !== undefined) return invalid;
    if (hasDuplicate(req)) return { code: 'duplicateKey' };
    // Decide the whole path on the state before the txn (etcd's rule), then check it, then run it.
    const before = this.current;
    const decided: boolean[] = [];
    const decide = (t: TxnRequest): void => {
      const ok = t.compare.every((c) => this.compareHolds(c, before));
      decided.push(ok);
      for (const op of ok ? t.success : t.failure) if ('txn' in op) decide(op.txn);
    };
    decide(req);
    let cursor = 0;
    const problems: ModelError[] = [];
    const check = (t: TxnRequest): void => {
      for (const op of decided[cursor++] ? t.success : t.failure) {
        if ('put' in op) {
          const lease = op.put.lease ?? 0;
          if (lease !== 0 && !this.leases.has(lease)) problems.push({ code: 'leaseNotFound' });
          else if ((op.put.ignoreValue || op.put.ignoreLease) && !before.has(op.put.key)) {
            problems.push({ code: 'keyNotFound' });
          }
        } else if ('range' in op) {
          const rev = op.range.revision ?? 0;
          if (rev > this.revision) problems.push({ code: 'futureRevision' });
          else if (rev > 0 && rev < this.compactRevision) problems.push({ code: 'compacted' });
        } else if ('txn' in op) {
          check(op.txn);
        }
      }
    };
    check(req);
    if (problems.length > 0) return problems[0]!;

    const working = new Map(before);
    const rev = this.revision + 1;
    const events: WatchEvent[] = [];
    const revisioned: { revision: number }[] = [];
    cursor = 0;
    const run = (t: TxnRequest): TxnResponse => {
      const succeeded = decided[cursor++]!;
      const responses: ResponseOp[] = [];
      for (const op of succeeded ? t.success : t.failure) {
        if ('range' in op) {
          const range = this.readAt(op.range, working, 0) as { revision: number } & RangeResponse;
          revisioned.push(range);
          responses.push({ range });
        } else if ('put' in op) {
          const prev = working.get(op.put.key);
          const kv = putVersion(op.put, prev, rev);
          working.set(kv.key, kv);
          events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
          const put =
            op.put.prevKv === true && prev !== undefined ? { revision: 0, prevKv: prev } : { revision: 0 };
          revisioned.push(put);
          responses.push({ put });
        } else if ('deleteRange' in op) {
          const { key, rangeEnd } = op.deleteRange;
          const deleted = [...working.values()]
            .filter((kv) => inSelection(kv.key, key, rangeEnd))
            .sort((a, b) => modelCompareKeys(a.key, b.key));
          for (const kv of deleted) {
            working.delete(kv.key);
            events.push({ type: 'delete', kv: tombstone(kv.key, rev), prevKv: kv });
          }
          const deleteRange =
            op.deleteRange.prevKv === true
              ? { revision: 0, deleted: deleted.length, prevKvs: deleted }
              : { revision: 0, deleted: deleted.length };
          revisioned.push(deleteRange);
          responses.push({ deleteRange });
        } else {
          responses.push({ txn: run(op.txn) });
        }
      }
      const txn = { revision: 0, succeeded, responses };
      revisioned.push(txn);
      return txn;
    };
    const response = run(req);
    if (events.length > 0) {
      this.states.push(working);
      this.events.push(events);
    }
    for (const r of revisioned) r.revision = this.revision;
    return response;
  }

  private checkShapes(t: TxnRequest): ModelError | undefined {
    for (const c of t.compare) {
      const bad = this.checkKey(c.key) ?? this.checkRangeEnd(c.rangeEnd);
      if (bad !== undefined) return bad;
    }
    for (const op of [...t.success, ...t.failure]) {
      let bad: ModelError | undefined;
      if ('put' in op) {
        bad = this.checkKey(op.put.key);
        if (bad === undefined && op.put.value.length > this.limits.maxValueBytes)
          bad = { code: 'valueTooLarge' };
        if (bad === undefined && op.put.ignoreValue === true && op.put.value.length > 0)
          bad = { code: 'invalidRequest' };
        if (bad === undefined && op.put.ignoreLease === true && (op.put.lease ?? 0) !== 0) {
          bad = { code: 'invalidRequest' };
        }
      } else if ('deleteRange' in op)
        bad = this.checkKey(op.deleteRange.key) ?? this.checkRangeEnd(op.deleteRange.rangeEnd);
      else if ('range' in op) bad = this.checkKey(op.range.key) ?? this.checkRangeEnd(op.range.rangeEnd);
      else bad = this.checkShapes(op.txn);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }

  private compareHolds(c: Compare, state: Map<string, KeyValue>): boolean {
    const kvs = [...state.values()].filter((kv) => inSelection(kv.key, c.key, c.rangeEnd));
    const one = (kv: KeyValue | undefined): boolean => {
      let order: number;
      if (c.target === 'value') {
        if (kv === undefined) return false;
        order = compareByteArrays(kv.value, c.value);
      } else {
        const actual = kv === undefined ? 0 : kv[c.target];
        order = Math.sign(actual - c.value);
      }
      return c.result === 'equal'
        ? order === 0
        : c.result === 'notEqual'
          ? order !== 0
          : c.result === 'less'
            ? order < 0
            : order > 0;
    };
    return kvs.length === 0 ? one(undefined) : kvs.every(one);
  }
}

function putVersion(req: PutRequest, prev: KeyValue | undefined, rev: number): KeyValue {
  const value = req.ignoreValue === true ? prev!.value : req.value;
  const lease = req.ignoreLease === true ? prev!.lease : (req.lease ?? 0);
  return prev === undefined
    ? { key: req.key, value, createRevision: rev, modRevision: rev, version: 1, lease }
    : {
        key: req.key,
        value,
        createRevision: prev.createRevision,
        modRevision: rev,
        version: prev.version + 1,
        lease,
      };
}

function tombstone(key: string, rev: number): KeyValue {
  return { key, value: new Uint8Array(0), createRevision: 0, modRevision: rev, version: 0, lease: 0 };
}

function compareByteArrays(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return Math.sign(a.length - b.length);
}

function depthOf(t: TxnRequest): number {
  let deepest = 0;
  for (const op of [...t.success, ...t.failure])
    if ('txn' in op) deepest = Math.max(deepest, depthOf(op.txn));
  return 1 + deepest;
}

function countOps(t: TxnRequest): number {
  let n = t.compare.length + t.success.length + t.failure.length;
  for (const op of [...t.success, ...t.failure]) if ('txn' in op) n += countOps(op.txn);
  return n;
}

/** Every way a list of ops can run: one write list per combination of nested branches. */
function paths(ops: readonly RequestOp[]): { puts: string[]; deletes: [string, string | undefined][] }[] {
  let result: { puts: string[]; deletes: [string, string | undefined][] }[] = [{ puts: [], deletes: [] }];
  for (const op of ops) {
    if ('put' in op) result = result.map((p) => ({ puts: [...p.puts, op.put.key], deletes: p.deletes }));
    else if ('deleteRange' in op) {
      const d: [string, string | undefined] = [op.deleteRange.key, op.deleteRange.rangeEnd];
      result = result.map((p) => ({ puts: p.puts, deletes: [...p.deletes, d] }));
    } else if ('txn' in op) {
      const nested = [...paths(op.txn.success), ...paths(op.txn.failure)];
      result = result.flatMap((p) =>
        nested.map((n) => ({ puts: [...p.puts, ...n.puts], deletes: [...p.deletes, ...n.deletes] })),
      );
    }
  }
  return result;
}

function hasDuplicate(t: TxnRequest): boolean {
  return [...paths(t.success), ...paths(t.failure)].some(
    (p) =>
      new Set(p.puts).size !== p.puts.length ||
      p.puts.some((key) => p.deletes.some(([from, end]) => inSelection(key, from, end))),
  );
}
