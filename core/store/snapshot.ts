// The store's snapshot format and its state digest. The encoding is canonical (keys in order, leases by
// id, dedup entries oldest first), so equal states give equal bytes on every member.
//
// Layout (varints unless noted):
//   "VANESNAP" (8 bytes ASCII), format version (1 byte), appliedIndex
//   state: revision, compactRevision, nextLeaseId,
//          leases: count, then per lease (by id): id, ttlSeconds, remainingMs, renewIndex
//          keys: count, then per key (in key order): key, version count, then per version (oldest first):
//                modRevision, version (0 = tombstone), and for a live version createRevision, lease, value
//          revision log: first revision, then per revision up to `revision`: change count, then per
//                change the ordinal of its key in the key list above
//   dedup window: count, then per entry (oldest first): request id, response (plain data)
//   CRC-32C of everything before it (4 bytes, little-endian)
// The state hash (KvStore.hash, CRC-32C like etcd's HashKV) covers the state part only: it is what
// every member must agree on.

import { type VaneError, vaneError } from '../errors.ts';
import { BinaryReader, BinaryWriter, SnapshotDecodeError } from './binary.ts';
import { crc32c } from './checksum.ts';
import { EMPTY_VALUE, KeyRecord, makeKeyValue, makeTombstone, VERSION_OVERHEAD_BYTES } from './key-record.ts';
import { compareKeys, sortKey, utf8Length } from './keys.ts';
import { LeaseTable } from './lease-table.ts';
import { Mvcc } from './mvcc.ts';
import { DedupWindow } from './request-dedup.ts';
import type { RevisionLog } from './revision-log.ts';
import type { CommandResponse, KeyValue } from './types.ts';
import { ValueArena } from './value-arena.ts';

const MAGIC = 'VANESNAP';
const FORMAT_VERSION = 1;

/** Everything a snapshot holds. */
export interface StoreState {
  readonly mvcc: Mvcc;
  readonly leases: LeaseTable;
  readonly dedup: DedupWindow;
  readonly appliedIndex: number;
}

/**
 * The snapshot of `state` after `prefix` (a caller's framing, so that framing it takes no copy). With
 * `shareValues`, the state's values then become views of the returned bytes: a member keeps one copy
 * of its values for the store and for the snapshot it serves to peers, and the value arena's old
 * slabs (with whatever garbage they held) are freed.
 */
export function encodeSnapshot(state: StoreState, prefix: Uint8Array, shareValues: boolean): Uint8Array {
  // The dedup window goes first into a buffer of its own, so that the snapshot's can be sized closely.
  const dedup = new BinaryWriter(4096);
  dedup.uint(state.dedup.size);
  for (const [requestId, response] of state.dedup.entries()) {
    dedup.string(requestId);
    dedup.data(response);
  }
  const out = new BinaryWriter(prefix.length + stateSizeEstimate(state.mvcc) + dedup.size + 4);
  for (let i = 0; i < prefix.length; i++) out.u8(prefix[i]!);
  for (let i = 0; i < MAGIC.length; i++) out.u8(MAGIC.charCodeAt(i));
  out.u8(FORMAT_VERSION);
  out.uint(state.appliedIndex);
  const valueEnds: number[] | undefined = shareValues ? [] : undefined;
  writeState(out, state.mvcc, state.leases, valueEnds);
  out.raw(dedup.view());
  out.u32(crc32c(out.view().subarray(prefix.length)));
  // The buffer was sized from the quota bytes, a little more than the encoding takes: the bytes are
  // handed out as a view unless that would keep much unused memory alive (copying 30 MB costs more
  // than encoding 100,000 keys' worth of them).
  const bytes = out.size * 4 >= out.capacity * 3 ? out.view() : out.finish();
  if (valueEnds !== undefined) pointValuesAt(state.mvcc, bytes, valueEnds);
  return bytes;
}

/** Bytes of varints a version typically takes, with its ordinal in the revision log (more grows the buffer). */
const VERSION_VARINT_BYTES = 16;

/**
 * A little more than the state part of a snapshot usually takes: keys and values (from the quota
 * size), each version's varints and its ordinal in the revision log. The snapshot buffer is allocated
 * once at this size and kept by a member that shares its values with it: it should fit closely.
 */
function stateSizeEstimate(mvcc: Mvcc): number {
  const keysAndValues = mvcc.sizeBytes - mvcc.versionCount * VERSION_OVERHEAD_BYTES;
  const revisions = mvcc.revision - mvcc.log.firstRevision + 1;
  return 4096 + keysAndValues + mvcc.versionCount * VERSION_VARINT_BYTES + revisions;
}

/** Makes each non-empty value a view of `bytes`, where the encoder wrote it (it ends at valueEnds[i]). */
function pointValuesAt(mvcc: Mvcc, bytes: Uint8Array, valueEnds: readonly number[]): void {
  let next = 0;
  const point = (kv: KeyValue): void => {
    const n = kv.value.length;
    if (kv.version === 0 || n === 0) return;
    const end = valueEnds[next++]!;
    (kv as { value: Uint8Array }).value = bytes.subarray(end - n, end);
  };
  mvcc.index.forEach((record) => {
    record.forEachVersion(point);
  });
  if (next !== valueEnds.length)
    throw new Error(`pointed ${next} values at a snapshot holding ${valueEnds.length}`);
  mvcc.values = new ValueArena();
  mvcc.values.adopt(bytes);
}

/** Bytes the state digest buffers between CRC updates: small, so that hashing a small store allocates little. */
const DIGEST_CHUNK_BYTES = 4 * 1024;

/** CRC-32C (hex) of the replicated state (keys, history, revisions, leases), streamed in bounded memory. */
export function stateDigest(mvcc: Mvcc, leases: LeaseTable): string {
  let crc = 0;
  const out = new BinaryWriter(DIGEST_CHUNK_BYTES, (chunk) => {
    crc = crc32c(chunk, crc);
  });
  writeState(out, mvcc, leases);
  out.flush();
  return crc.toString(16).padStart(8, '0');
}

/** The replicated state; `valueEnds`, if given, gets the offset just past each non-empty value written. */
function writeState(
  out: BinaryWriter,
  mvcc: Mvcc,
  leases: LeaseTable,
  valueEnds: number[] | undefined = undefined,
): void {
  out.uint(mvcc.revision);
  out.uint(mvcc.compactRevision);
  out.uint(leases.nextId);
  const sorted = leases.sorted();
  out.uint(sorted.length);
  for (const lease of sorted) {
    out.uint(lease.id);
    out.uint(lease.ttlSeconds);
    out.uint(lease.remainingMs);
    out.uint(lease.renewIndex);
  }
  // The revision log names each change by its key's ordinal in the key list. Rather than map keys to
  // ordinals, the key pass notes (revision, ordinal) for every version in the log; grouping those by
  // revision (a counting sort) gives each revision's ordinals in key order.
  const log = mvcc.log;
  const firstLogged = log.firstRevision;
  const loggedRevisions: number[] = [];
  const loggedOrdinals: number[] = [];
  let ordinal = 0;
  const writeVersion = (kv: KeyValue): void => {
    if (kv.modRevision >= firstLogged) {
      loggedRevisions.push(kv.modRevision - firstLogged);
      loggedOrdinals.push(ordinal);
    }
    out.uint(kv.modRevision);
    out.uint(kv.version);
    if (kv.version === 0) return;
    out.uint(kv.createRevision);
    out.uint(kv.lease);
    out.bytes(kv.value);
    if (valueEnds !== undefined && kv.value.length > 0) valueEnds.push(out.size);
  };
  out.uint(mvcc.index.size);
  mvcc.index.forEach((record) => {
    out.string(record.key);
    out.uint(record.versionCount());
    record.forEachVersion(writeVersion);
    ordinal++;
  });
  const revisions = Math.max(0, mvcc.revision - firstLogged + 1);
  const starts = new Int32Array(revisions + 1);
  for (const r of loggedRevisions) starts[r + 1]!++;
  for (let r = 0; r < revisions; r++) starts[r + 1]! += starts[r]!;
  const ordinalsByRevision = new Int32Array(loggedOrdinals.length);
  const next = starts.slice(0, revisions);
  for (let i = 0; i < loggedRevisions.length; i++) {
    ordinalsByRevision[next[loggedRevisions[i]!]!++] = loggedOrdinals[i]!;
  }
  out.uint(firstLogged);
  for (let r = 0; r < revisions; r++) {
    const revision = firstLogged + r;
    const start = starts[r]!;
    const n = log.changeCount(revision);
    if (starts[r + 1]! - start !== n) {
      throw new Error(
        `revision ${revision} has ${n} changes but its keys hold ${starts[r + 1]! - start} versions`,
      );
    }
    out.uint(n);
    const ranks = n === 1 ? undefined : keyRanks(log, revision, n);
    for (let i = 0; i < n; i++) out.uint(ordinalsByRevision[start + (ranks === undefined ? i : ranks[i]!)]!);
  }
}

/**
 * For a revision's changes in the order they were made, each one's rank in key order; undefined when
 * the two orders agree (a deleteRange, a lease revoke and most txns write in key order).
 */
function keyRanks(log: RevisionLog, revision: number, n: number): number[] | undefined {
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    sorted = compareKeys(log.change(revision, i - 1).key, log.change(revision, i).key) < 0;
  }
  if (sorted) return undefined;
  const byKey = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    compareKeys(log.change(revision, a).key, log.change(revision, b).key),
  );
  const ranks = new Array<number>(n);
  for (let rank = 0; rank < n; rank++) ranks[byKey[rank]!] = rank;
  return ranks;
}

/** The state in snapshot bytes; their checksum is checked unless the caller verified one covering them. */
export function decodeSnapshot(
  bytes: Uint8Array,
  dedupCapacity: number,
  checksumVerified: boolean,
): StoreState | VaneError {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length + 1 + 4) {
    return corrupt('it is shorter than the smallest snapshot');
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i))
      return corrupt(`it does not start with ${MAGIC} (not a store snapshot)`);
  }
  const bodyLength = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyLength, true);
  const actual = checksumVerified ? stored : crc32c(bytes.subarray(0, bodyLength));
  if (stored !== actual) {
    return corrupt(
      `its checksum does not match (stored ${hex(stored)}, computed ${hex(actual)}): the file is damaged or truncated`,
    );
  }
  const version = bytes[MAGIC.length];
  if (version !== FORMAT_VERSION) {
    return vaneError(
      'unsupportedVersion',
      `store snapshot format ${version} is not supported (this member reads format ${FORMAT_VERSION})`,
      { version: version ?? -1, supported: FORMAT_VERSION },
    );
  }
  const reader = new BinaryReader(bytes, MAGIC.length + 1, bodyLength);
  try {
    const appliedIndex = reader.uint();
    const { mvcc, leases } = readState(reader, bytes);
    const entries: [string, CommandResponse][] = [];
    const dedupCount = reader.count(2);
    for (let i = 0; i < dedupCount; i++) {
      const requestId = reader.string();
      const response = reader.data();
      if (typeof response !== 'object' || response === null || Array.isArray(response)) {
        reader.fail(`dedup entry '${requestId}' holds no response`);
      }
      entries.push([requestId, response as CommandResponse]);
    }
    if (reader.remaining !== 0) reader.fail(`${reader.remaining} unexpected bytes after the dedup window`);
    const dedup = new DedupWindow(dedupCapacity);
    for (const [requestId, response] of entries.slice(Math.max(0, entries.length - dedupCapacity))) {
      if (dedup.get(requestId) !== undefined) reader.fail(`request id '${requestId}' appears twice`);
      dedup.remember(requestId, response);
    }
    return { mvcc, leases, dedup, appliedIndex };
  } catch (error) {
    if (error instanceof SnapshotDecodeError) return corrupt(error.message);
    throw error;
  }
}

/**
 * One pass over the bytes. Values stay views of them (the arena holds the buffer), and ASCII keys (nearly
 * all) are their own sort key, UTF-8 length and well-formed, so they need no further work.
 */
function readState(r: BinaryReader, bytes: Uint8Array): { mvcc: Mvcc; leases: LeaseTable } {
  const revision = r.uint();
  const compactRevision = r.uint();
  if (compactRevision > revision) r.fail(`compact revision ${compactRevision} is above revision ${revision}`);
  const leases = new LeaseTable();
  leases.nextId = r.uint();
  const leaseCount = r.count(4);
  let lastLeaseId = 0;
  for (let i = 0; i < leaseCount; i++) {
    const id = r.uint();
    if (id <= lastLeaseId) r.fail(`lease ${id} is out of order`);
    lastLeaseId = id;
    const ttlSeconds = r.uint();
    const remainingMs = r.uint();
    const renewIndex = r.uint();
    leases.load(id, ttlSeconds, remainingMs, renewIndex);
  }

  const mvcc = new Mvcc(revision, compactRevision);
  mvcc.values.adopt(bytes);
  const keyCount = r.count(4);
  const records: KeyRecord[] = new Array(keyCount);
  let previousSortKey: string | undefined;
  let versionsInLog = 0;
  let sizeBytes = 0;
  let valueBytes = 0;
  let versionsRead = 0;
  const logFirst = Math.max(compactRevision, 1);
  for (let k = 0; k < keyCount; k++) {
    const key = r.string();
    if (key.length === 0) r.fail(`key #${k} is empty`);
    const keyBytes = utf8Length(key);
    const order = sortKey(key);
    if (previousSortKey !== undefined && !(previousSortKey < order)) r.fail(`key '${key}' is out of order`);
    previousSortKey = order;
    const versionCount = r.count(2);
    if (versionCount === 0) r.fail(`key '${key}' has no versions`);
    let record: KeyRecord | undefined;
    let lastRevision = 0;
    for (let v = 0; v < versionCount; v++) {
      const kv = readVersion(r, key, revision);
      if (kv.modRevision <= lastRevision) r.fail(`versions of '${key}' are out of order`);
      if (kv.modRevision < logFirst && (v > 0 || kv.version === 0)) {
        r.fail(`key '${key}' keeps a version that compaction drops`);
      }
      if (kv.modRevision === logFirst && v === 1 && lastRevision < logFirst && compactRevision > 0) {
        r.fail(`key '${key}' keeps a version replaced at the compact revision`);
      }
      if (kv.modRevision >= logFirst) versionsInLog++;
      lastRevision = kv.modRevision;
      if (record === undefined) record = new KeyRecord(key, order, keyBytes, kv);
      else record.append(kv);
      sizeBytes += keyBytes + kv.value.length + VERSION_OVERHEAD_BYTES;
      versionsRead++;
      valueBytes += kv.value.length;
    }
    records[k] = record!;
    mvcc.index.appendInOrder(record!);
    const live = record!.latest;
    if (live.version !== 0 && live.lease !== 0) {
      if (leases.get(live.lease) === undefined)
        r.fail(`key '${key}' is attached to missing lease ${live.lease}`);
      leases.attach(live.lease, key);
    }
  }
  mvcc.sizeBytes = sizeBytes;
  mvcc.valueBytes = valueBytes;
  mvcc.versionCount = versionsRead;

  const first = r.uint();
  if (first !== logFirst) r.fail(`revision log starts at ${first}, expected ${logFirst}`);
  let changesInLog = 0;
  for (let revision = first; revision <= mvcc.revision; revision++) {
    const n = r.count();
    if (n === 0) r.fail(`revision ${revision} has no changes`);
    if (n === 1) {
      mvcc.log.appendOne(revision, changeAt(r, records, revision));
    } else {
      const changes: KeyValue[] = [];
      for (let i = 0; i < n; i++) changes.push(changeAt(r, records, revision));
      if (new Set(changes).size !== n) r.fail(`revision ${revision} names a key twice`);
      mvcc.log.append(revision, changes);
    }
    changesInLog += n;
  }
  if (changesInLog !== versionsInLog) {
    r.fail(`the revision log names ${changesInLog} changes but the keys hold ${versionsInLog} versions`);
  }
  return { mvcc, leases };
}

/** The version a revision-log entry names: the one its key (by ordinal) got at `revision`. */
function changeAt(r: BinaryReader, records: readonly KeyRecord[], revision: number): KeyValue {
  const record = records[r.uint()];
  const kv =
    record === undefined
      ? undefined
      : record.latest.modRevision === revision
        ? record.latest
        : record.versionWrittenAt(revision);
  if (kv === undefined) r.fail(`revision ${revision} names a key with no version at that revision`);
  return kv;
}

function readVersion(r: BinaryReader, key: string, revision: number): KeyValue {
  const modRevision = r.uint();
  if (modRevision === 0 || modRevision > revision)
    r.fail(`'${key}' has a version at revision ${modRevision}`);
  const version = r.uint();
  if (version === 0) return makeTombstone(key, modRevision);
  const createRevision = r.uint();
  if (createRevision === 0 || createRevision > modRevision) {
    r.fail(`'${key}' has create revision ${createRevision} after its mod revision ${modRevision}`);
  }
  const lease = r.uint();
  const value = r.bytes();
  return makeKeyValue(
    key,
    value.length === 0 ? EMPTY_VALUE : value,
    createRevision,
    modRevision,
    version,
    lease,
  );
}

function corrupt(problem: string): VaneError {
  return vaneError('decodeError', `store snapshot is unusable: ${problem}`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
