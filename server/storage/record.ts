// The WAL's record framing and payloads. A record is
//   [length u32][crc u32][type u8][payload]   (little-endian)
// where length counts type + payload and crc is the CRC-32C of type + payload. Integers that
// can exceed 32 bits (terms, indexes) are u64 holding a safe integer.
import type { Entry, EntryType, HardState } from '../../core/raft/types.ts';
import { crc32c } from './crc32c.ts';
import { checkLimit, type StorageLimits } from './limits.ts';
import { getU64, setU64 } from './u64.ts';

export const RECORD_FRAME_BYTES = 8;
export const SEGMENT_MAGIC = 0x574e4156; // "VANW"
export const SEGMENT_VERSION = 1;

const TYPE_SEGMENT_HEADER = 1;
const TYPE_ENTRY = 2;
const TYPE_HARD_STATE = 3;
const TYPE_SNAPSHOT_MARKER = 4;

const SEGMENT_HEADER_PAYLOAD = 4 + 1 + 8 + 8;
const ENTRY_HEAD = 8 + 8 + 1;
const HARD_STATE_HEAD = 8 + 8 + 1 + 2;
const SNAPSHOT_MARKER_PAYLOAD = 1 + 8 + 8;

/**
 * Where the log restarts after a snapshot. 'taken': the member snapshotted its own applied state;
 * entries after `index` stay. 'installed': a snapshot from the leader replaced the whole log.
 */
export interface SnapshotMarker {
  readonly origin: 'taken' | 'installed';
  readonly index: number;
  readonly term: number;
}

export type WalRecord =
  | { readonly type: 'segmentHeader'; readonly seq: number; readonly firstIndex: number }
  | { readonly type: 'entry'; readonly entry: Entry }
  | { readonly type: 'hardState'; readonly hardState: HardState }
  | { readonly type: 'snapshotMarker'; readonly marker: SnapshotMarker };

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function payloadBytes(record: WalRecord, vote: Uint8Array | null): number {
  switch (record.type) {
    case 'segmentHeader':
      return SEGMENT_HEADER_PAYLOAD;
    case 'entry':
      return ENTRY_HEAD + record.entry.data.length;
    case 'hardState':
      return HARD_STATE_HEAD + (vote?.length ?? 0);
    case 'snapshotMarker':
      return SNAPSHOT_MARKER_PAYLOAD;
  }
}

/** Encodes records into one buffer, checking each against maxRecordBytes and the whole against maxSaveBytes. */
export function encodeRecords(records: readonly WalRecord[], limits: StorageLimits): Uint8Array {
  const votes: (Uint8Array | null)[] = [];
  let total = 0;
  for (const record of records) {
    let vote: Uint8Array | null = null;
    if (record.type === 'hardState' && record.hardState.vote !== null) {
      vote = utf8.encode(record.hardState.vote);
      checkLimit('the vote in a hard state', vote.length, limits.maxNodeIdBytes, 'maxNodeIdBytes');
    }
    votes.push(vote);
    const size = RECORD_FRAME_BYTES + 1 + payloadBytes(record, vote);
    checkLimit(`a WAL ${record.type} record`, size, limits.maxRecordBytes, 'maxRecordBytes');
    total += size;
  }
  checkLimit('one WAL save', total, limits.maxSaveBytes, 'maxSaveBytes');

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  records.forEach((record, i) => {
    const vote = votes[i] ?? null;
    const start = offset + RECORD_FRAME_BYTES;
    const length = 1 + payloadBytes(record, vote);
    let p = start + 1;
    switch (record.type) {
      case 'segmentHeader':
        bytes[start] = TYPE_SEGMENT_HEADER;
        view.setUint32(p, SEGMENT_MAGIC, true);
        bytes[p + 4] = SEGMENT_VERSION;
        setU64(view, p + 5, record.seq);
        setU64(view, p + 13, record.firstIndex);
        break;
      case 'entry':
        bytes[start] = TYPE_ENTRY;
        setU64(view, p, record.entry.term);
        setU64(view, p + 8, record.entry.index);
        bytes[p + 16] = record.entry.type === 'confChange' ? 1 : 0;
        bytes.set(record.entry.data, p + ENTRY_HEAD);
        break;
      case 'hardState':
        bytes[start] = TYPE_HARD_STATE;
        setU64(view, p, record.hardState.term);
        setU64(view, p + 8, record.hardState.commit);
        bytes[p + 16] = vote === null ? 0 : 1;
        view.setUint16(p + 17, vote?.length ?? 0, true);
        p += HARD_STATE_HEAD;
        if (vote !== null) bytes.set(vote, p);
        break;
      case 'snapshotMarker':
        bytes[start] = TYPE_SNAPSHOT_MARKER;
        bytes[p] = record.marker.origin === 'installed' ? 1 : 0;
        setU64(view, p + 1, record.marker.index);
        setU64(view, p + 9, record.marker.term);
        break;
    }
    view.setUint32(offset, length, true);
    view.setUint32(offset + 4, crc32c(bytes, start, start + length), true);
    offset = start + length;
  });
  return bytes;
}

export type RecordFailure = 'truncated' | 'badLength' | 'checksum' | 'badPayload';

export type DecodeResult =
  | { readonly ok: true; readonly record: WalRecord; readonly next: number }
  | {
      readonly ok: false;
      /** 'truncated': the file ends inside the record; the others: the bytes there are not a valid record. */
      readonly reason: RecordFailure;
      readonly message: string;
      /** Where the record claims to end (for 'checksum'), else -1. */
      readonly end: number;
    };

/** Decodes the record at `offset`; never reads or allocates past a length that breaks maxRecordBytes. */
export function decodeRecordAt(bytes: Uint8Array, offset: number, maxRecordBytes: number): DecodeResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (offset + RECORD_FRAME_BYTES > bytes.length) {
    return fail('truncated', `the file ends inside a record header (${bytes.length - offset} of 8 bytes)`);
  }
  const length = view.getUint32(offset, true);
  if (length < 1 || RECORD_FRAME_BYTES + length > maxRecordBytes) {
    return fail('badLength', `record length ${length} is outside 1..${maxRecordBytes - RECORD_FRAME_BYTES}`);
  }
  const start = offset + RECORD_FRAME_BYTES;
  const end = start + length;
  if (end > bytes.length) {
    return fail(
      'truncated',
      `the file ends inside a record of ${length} bytes (${bytes.length - start} present)`,
    );
  }
  const stored = view.getUint32(offset + 4, true);
  const computed = crc32c(bytes, start, end);
  if (stored !== computed) {
    return {
      ok: false,
      reason: 'checksum',
      message: `record checksum mismatch (stored 0x${hex32(stored)}, computed 0x${hex32(computed)})`,
      end,
    };
  }
  const record = decodePayload(bytes, view, start, end);
  if (typeof record === 'string') return fail('badPayload', record);
  return { ok: true, record, next: end };
}

function fail(reason: 'truncated' | 'badLength' | 'badPayload', message: string): DecodeResult {
  return { ok: false, reason, message, end: -1 };
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** The record in bytes[start, end) (type byte first), or what is wrong with it. */
function decodePayload(bytes: Uint8Array, view: DataView, start: number, end: number): WalRecord | string {
  const type = bytes[start];
  const p = start + 1;
  const size = end - p;
  switch (type) {
    case TYPE_SEGMENT_HEADER: {
      if (size !== SEGMENT_HEADER_PAYLOAD)
        return `segment header of ${size} bytes, expected ${SEGMENT_HEADER_PAYLOAD}`;
      const magic = view.getUint32(p, true);
      if (magic !== SEGMENT_MAGIC)
        return `segment magic 0x${hex32(magic)}, expected 0x${hex32(SEGMENT_MAGIC)}`;
      const version = bytes[p + 4];
      if (version !== SEGMENT_VERSION)
        return `segment format version ${version}, this build reads ${SEGMENT_VERSION}`;
      const seq = getU64(view, p + 5);
      const firstIndex = getU64(view, p + 13);
      if (seq < 0 || firstIndex < 1) return 'segment header holds an out-of-range sequence or first index';
      return { type: 'segmentHeader', seq, firstIndex };
    }
    case TYPE_ENTRY: {
      if (size < ENTRY_HEAD)
        return `entry record of ${size} bytes, shorter than its ${ENTRY_HEAD}-byte header`;
      const term = getU64(view, p);
      const index = getU64(view, p + 8);
      const kind = bytes[p + 16];
      if (term < 0 || index < 1) return 'entry record holds an out-of-range term or index';
      if (kind !== 0 && kind !== 1) return `entry record has unknown entry type ${kind}`;
      const entryType: EntryType = kind === 1 ? 'confChange' : 'normal';
      return {
        type: 'entry',
        entry: { term, index, type: entryType, data: bytes.slice(p + ENTRY_HEAD, end) },
      };
    }
    case TYPE_HARD_STATE: {
      if (size < HARD_STATE_HEAD)
        return `hard state record of ${size} bytes, shorter than ${HARD_STATE_HEAD}`;
      const term = getU64(view, p);
      const commit = getU64(view, p + 8);
      const hasVote = bytes[p + 16];
      const voteLength = view.getUint16(p + 17, true);
      if (term < 0 || commit < 0) return 'hard state record holds an out-of-range term or commit';
      if (hasVote !== 0 && hasVote !== 1) return `hard state record has vote flag ${hasVote}`;
      if (size !== HARD_STATE_HEAD + voteLength || (hasVote === 0 && voteLength !== 0)) {
        return `hard state record of ${size} bytes does not match its vote length ${voteLength}`;
      }
      let vote: string | null = null;
      if (hasVote === 1) {
        try {
          vote = utf8Strict.decode(bytes.subarray(p + HARD_STATE_HEAD, end));
        } catch {
          return 'hard state record holds a vote that is not UTF-8';
        }
      }
      return { type: 'hardState', hardState: { term, vote, commit } };
    }
    case TYPE_SNAPSHOT_MARKER: {
      if (size !== SNAPSHOT_MARKER_PAYLOAD)
        return `snapshot marker of ${size} bytes, expected ${SNAPSHOT_MARKER_PAYLOAD}`;
      const origin = bytes[p];
      const index = getU64(view, p + 1);
      const term = getU64(view, p + 9);
      if (origin !== 0 && origin !== 1) return `snapshot marker has unknown origin ${origin}`;
      if (index < 0 || term < 0) return 'snapshot marker holds an out-of-range index or term';
      return {
        type: 'snapshotMarker',
        marker: { origin: origin === 1 ? 'installed' : 'taken', index, term },
      };
    }
    default:
      return `unknown record type ${type}`;
  }
}

/** Whether a payload of this size could hold a record of this type; cheap, so it runs before the checksum. */
function plausibleSize(type: number, size: number): boolean {
  switch (type) {
    case TYPE_SEGMENT_HEADER:
      return size === SEGMENT_HEADER_PAYLOAD;
    case TYPE_ENTRY:
      return size >= ENTRY_HEAD;
    case TYPE_HARD_STATE:
      return size >= HARD_STATE_HEAD;
    case TYPE_SNAPSHOT_MARKER:
      return size === SNAPSHOT_MARKER_PAYLOAD;
    default:
      return false;
  }
}

/**
 * The offset of the first complete, valid record starting after `from`, or -1. Used to tell a
 * torn tail (nothing valid follows) from a damaged length field in the middle of a segment.
 */
export function findValidRecordAfter(bytes: Uint8Array, from: number, maxRecordBytes: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = from + 1; offset + RECORD_FRAME_BYTES + 1 <= bytes.length; offset++) {
    const length = view.getUint32(offset, true);
    const type = bytes[offset + RECORD_FRAME_BYTES];
    if (length < 1 || offset + RECORD_FRAME_BYTES + length > bytes.length) continue;
    if (type === undefined || !plausibleSize(type, length - 1)) continue;
    if (decodeRecordAt(bytes, offset, maxRecordBytes).ok) return offset;
  }
  return -1;
}
