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
import { EMPTY_VALUE, KeyRecord, makeKeyValue, makeTombstone } from './key-record.ts';
import { isWellFormedKey, sortKey, utf8Length } from './keys.ts';
import { LeaseTable } from './lease-table.ts';
import { Mvcc } from './mvcc.ts';
import { DedupWindow } from './request-dedup.ts';
import type { CommandResponse, KeyValue } from './types.ts';

const MAGIC = 'VANESNAP';
const FORMAT_VERSION = 1;

/** Everything a snapshot holds. */
export interface StoreState {
  readonly mvcc: Mvcc;
  readonly leases: LeaseTable;
  readonly dedup: DedupWindow;
  readonly appliedIndex: number;
}

export function encodeSnapshot(state: StoreState): Uint8Array {
  const out = new BinaryWriter(Math.max(64 * 1024, state.mvcc.sizeBytes + 1024));
  for (let i = 0; i < MAGIC.length; i++) out.u8(MAGIC.charCodeAt(i));
  out.u8(FORMAT_VERSION);
  out.uint(state.appliedIndex);
  writeState(out, state.mvcc, state.leases);
  out.uint(state.dedup.size);
  for (const [requestId, response] of state.dedup.entries()) {
    out.string(requestId);
    out.data(response);
  }
  out.u32(crc32c(out.view()));
  return out.finish();
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

function writeState(out: BinaryWriter, mvcc: Mvcc, leases: LeaseTable): void {
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
  const ordinals = new Map<string, number>();
  out.uint(mvcc.index.size);
  mvcc.index.forEach((record) => {
    ordinals.set(record.key, ordinals.size);
    out.string(record.key);
    out.uint(record.versionCount());
    for (const kv of record.versions()) {
      out.uint(kv.modRevision);
      out.uint(kv.version);
      if (kv.version === 0) continue;
      out.uint(kv.createRevision);
      out.uint(kv.lease);
      out.bytes(kv.value);
    }
  });
  const log = mvcc.log;
  out.uint(log.firstRevision);
  for (let revision = log.firstRevision; revision <= mvcc.revision; revision++) {
    const n = log.changeCount(revision);
    out.uint(n);
    for (let i = 0; i < n; i++) out.uint(ordinals.get(log.change(revision, i).key)!);
  }
}

export function decodeSnapshot(bytes: Uint8Array, dedupCapacity: number): StoreState | VaneError {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length + 1 + 4) {
    return corrupt('it is shorter than the smallest snapshot');
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i))
      return corrupt(`it does not start with ${MAGIC} (not a store snapshot)`);
  }
  const bodyLength = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyLength, true);
  const actual = crc32c(bytes.subarray(0, bodyLength));
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
    const { mvcc, leases } = readState(reader);
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

function readState(r: BinaryReader): { mvcc: Mvcc; leases: LeaseTable } {
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
  const keyCount = r.count(4);
  const records: KeyRecord[] = [];
  let previousSortKey: string | undefined;
  let versionsInLog = 0;
  const logFirst = Math.max(compactRevision, 1);
  for (let k = 0; k < keyCount; k++) {
    const key = r.string();
    if (key.length === 0 || !isWellFormedKey(key)) r.fail(`key #${k} is empty or not valid UTF-8`);
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
      if (record === undefined) record = new KeyRecord(key, order, utf8Length(key), kv);
      else record.append(kv);
      mvcc.sizeBytes += record.versionBytes(kv);
    }
    records.push(record!);
    mvcc.index.appendInOrder(record!);
    const live = record!.live();
    if (live !== undefined && live.lease !== 0) {
      if (leases.get(live.lease) === undefined)
        r.fail(`key '${key}' is attached to missing lease ${live.lease}`);
      leases.attach(live.lease, key);
    }
  }

  const first = r.uint();
  if (first !== logFirst) r.fail(`revision log starts at ${first}, expected ${logFirst}`);
  let changesInLog = 0;
  for (let revision = first; revision <= mvcc.revision; revision++) {
    const n = r.count();
    if (n === 0) r.fail(`revision ${revision} has no changes`);
    const changes: KeyValue[] = [];
    for (let i = 0; i < n; i++) {
      const record = records[r.uint()];
      const kv = record?.versionWrittenAt(revision);
      if (kv === undefined) r.fail(`revision ${revision} names a key with no version at that revision`);
      changes.push(kv);
    }
    if (new Set(changes).size !== changes.length) r.fail(`revision ${revision} names a key twice`);
    changesInLog += n;
    mvcc.log.append(revision, changes);
  }
  if (changesInLog !== versionsInLog) {
    r.fail(`the revision log names ${changesInLog} changes but the keys hold ${versionsInLog} versions`);
  }
  return { mvcc, leases };
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
