// Transactions, as etcd's: compares pick the success or failure list; nested txns are allowed. The
// shape checks here run before anything is evaluated, so that a bad txn changes nothing: operation
// count (compares and ops, nested ones included) and depth within limits, and no key written twice on
// any path the txn could take (a put may not meet another put or a delete of the same key).

import { type VaneError, vaneError } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { inRange, type SortKeyRange, selectorRange, sortKey } from './keys.ts';
import type { Compare, KeyValue, RequestOp, TxnRequest } from './types.ts';
import { checkCompare, checkDeleteRangeRequest, checkPutRequest, checkRangeRequest } from './validate.ts';

export function checkTxn(txn: TxnRequest, limits: Limits): VaneError | undefined {
  const shape = checkLists(txn, 1, limits);
  if (shape !== undefined) return shape;
  if (countOps(txn) > limits.maxTxnOps) return tooMany(limits);
  return checkOps(txn, limits) ?? checkWrites(txn);
}

/** The lists exist at every level and nesting stays bounded (so that counting terminates cheaply). */
function checkLists(t: TxnRequest, depth: number, limits: Limits): VaneError | undefined {
  if (typeof t !== 'object' || t === null) return vaneError('invalidRequest', 'a txn must be an object');
  if (!Array.isArray(t.compare) || !Array.isArray(t.success) || !Array.isArray(t.failure)) {
    return vaneError('invalidRequest', 'a txn needs compare, success and failure lists');
  }
  if (depth > limits.maxTxnDepth) {
    return vaneError('invalidRequest', `txns are nested more than ${limits.maxTxnDepth} deep`, {
      limit: limits.maxTxnDepth,
    });
  }
  for (const op of [...t.success, ...t.failure]) {
    if (typeof op !== 'object' || op === null)
      return vaneError('invalidRequest', 'a txn op must be an object');
    if (!('txn' in op)) continue;
    const invalid = checkLists(op.txn, depth + 1, limits);
    if (invalid !== undefined) return invalid;
  }
  return undefined;
}

function countOps(t: TxnRequest): number {
  let n = t.compare.length + t.success.length + t.failure.length;
  for (const op of t.success) if ('txn' in op) n += countOps(op.txn);
  for (const op of t.failure) if ('txn' in op) n += countOps(op.txn);
  return n;
}

function checkOps(t: TxnRequest, limits: Limits): VaneError | undefined {
  for (const compare of t.compare) {
    const invalid = checkCompare(compare, limits);
    if (invalid !== undefined) return invalid;
  }
  for (const op of [...t.success, ...t.failure]) {
    const invalid = 'txn' in op ? checkOps(op.txn, limits) : checkOp(op, limits);
    if (invalid !== undefined) return invalid;
  }
  return undefined;
}

function tooMany(limits: Limits): VaneError {
  return vaneError(
    'tooManyOperations',
    `a txn may hold at most ${limits.maxTxnOps} operations (compares and ops, nested txns included)`,
    { limit: limits.maxTxnOps },
  );
}

function checkOp(op: RequestOp, limits: Limits): VaneError | undefined {
  if ('range' in op) return checkRangeRequest(op.range, limits);
  if ('put' in op) return checkPutRequest(op.put, limits);
  if ('deleteRange' in op) return checkDeleteRangeRequest(op.deleteRange, limits);
  return vaneError('invalidRequest', 'a txn op must be one of range, put, deleteRange, txn');
}

/** A put or delete with the branches (txn node, took success?) that lead to it. */
interface TxnWrite {
  readonly put: string | undefined;
  readonly deleted: SortKeyRange | undefined;
  readonly sortKey: string | undefined;
  readonly branches: readonly number[];
}

/**
 * No two writes that can run together may touch the same key: two puts of one key, or a put inside a
 * delete's range. Two writes can run together unless they sit in opposite branches of one txn.
 */
function checkWrites(txn: TxnRequest): VaneError | undefined {
  const writes: TxnWrite[] = [];
  collectWrites(txn, [], writes, { nodes: 0 });
  for (let i = 0; i < writes.length; i++) {
    const a = writes[i]!;
    for (let j = i + 1; j < writes.length; j++) {
      const b = writes[j]!;
      const clash =
        (a.put !== undefined && a.put === b.put) ||
        (a.sortKey !== undefined && b.deleted !== undefined && inRange(b.deleted, a.sortKey)) ||
        (b.sortKey !== undefined && a.deleted !== undefined && inRange(a.deleted, b.sortKey));
      if (clash && !exclusive(a.branches, b.branches)) return duplicate((a.put ?? b.put)!);
    }
  }
  return undefined;
}

function collectWrites(
  t: TxnRequest,
  branches: readonly number[],
  writes: TxnWrite[],
  counter: { nodes: number },
): void {
  const node = counter.nodes++;
  for (let branch = 0; branch < 2; branch++) {
    const here = [...branches, 2 * node + branch];
    for (const op of branch === 0 ? t.success : t.failure) {
      if ('put' in op) {
        writes.push({ put: op.put.key, deleted: undefined, sortKey: sortKey(op.put.key), branches: here });
      } else if ('deleteRange' in op) {
        const deleted = selectorRange(op.deleteRange.key, op.deleteRange.rangeEnd);
        writes.push({ put: undefined, deleted, sortKey: undefined, branches: here });
      } else if ('txn' in op) {
        collectWrites(op.txn, here, writes, counter);
      }
    }
  }
}

/** Whether two writes sit in opposite branches (success/failure) of the same txn. */
function exclusive(a: readonly number[], b: readonly number[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    return a[i]! >> 1 === b[i]! >> 1;
  }
  return false;
}

function duplicate(key: string): VaneError {
  return vaneError(
    'duplicateKey',
    `a txn may write key '${key}' only once (a put may not meet another put or a delete of it); split the txn`,
    { key },
  );
}

/** Reads a compare needs: the live versions of its keys before the txn. */
export interface CompareView {
  get(key: string): KeyValue | undefined;
  range(range: SortKeyRange): readonly KeyValue[];
}

/** etcd's rule: every key in the compare's range must satisfy it; no key means value fails, numbers compare with 0. */
export function compareHolds(compare: Compare, view: CompareView): boolean {
  const range = selectorRange(compare.key, compare.rangeEnd);
  if (range.single) return compareOne(compare, view.get(compare.key));
  const kvs = view.range(range);
  if (kvs.length === 0) return compareOne(compare, undefined);
  for (const kv of kvs) if (!compareOne(compare, kv)) return false;
  return true;
}

function compareOne(compare: Compare, kv: KeyValue | undefined): boolean {
  let order: number;
  if (compare.target === 'value') {
    if (kv === undefined) return false;
    order = compareBytes(kv.value, compare.value);
  } else {
    const actual = kv === undefined ? 0 : kv[compare.target];
    order = actual < compare.value ? -1 : actual > compare.value ? 1 : 0;
  }
  switch (compare.result) {
    case 'equal':
      return order === 0;
    case 'notEqual':
      return order !== 0;
    case 'less':
      return order < 0;
    case 'greater':
      return order > 0;
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Which branch each txn on the taken path takes, in the order they run (etcd decides all before running any). */
export function choosePath(txn: TxnRequest, view: CompareView, path: boolean[] = []): boolean[] {
  let succeeded = true;
  for (const compare of txn.compare) {
    if (!compareHolds(compare, view)) {
      succeeded = false;
      break;
    }
  }
  path.push(succeeded);
  for (const op of succeeded ? txn.success : txn.failure) if ('txn' in op) choosePath(op.txn, view, path);
  return path;
}
