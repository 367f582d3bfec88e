// The binary codec for store commands, the data of normal Raft entries. The encoding is canonical:
// optional fields travel only when set (a zero lease, a false flag and an absent field are the same
// command), and the decoder refuses any other encoding, so equal commands always have equal bytes.
// The decoder applies only structural bounds, never configurable limits: a committed entry must
// decode the same way on every member forever, whatever the limits are configured to today.

import type {
  Command,
  CommandEnvelope,
  Compare,
  CompareResult,
  DeleteRangeRequest,
  LeaseCheckpoint,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../store/types.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import { type DecodeError, DecodeFailure, decodeError, refuse, runDecoder } from './errors.ts';
import { COMMAND_CODEC_VERSION } from './version.ts';

/** Txns nested deeper than this cannot be encoded; Limits.maxTxnDepth must not exceed it. */
export const MAX_COMMAND_TXN_DEPTH = 64;
/** Bytes in a request id. */
export const MAX_REQUEST_ID_BYTES = 256;

type Op = Command['op'];
const OP_TAGS: Readonly<Record<Op, number>> = {
  put: 1,
  deleteRange: 2,
  txn: 3,
  compact: 4,
  leaseGrant: 5,
  leaseRevoke: 6,
  leaseKeepAlive: 7,
  leaseCheckpoint: 8,
};
const OPS_BY_TAG: readonly (Op | undefined)[] = invert(OP_TAGS);
// The op byte: the op's tag in the low bits, then how a request id follows (if one does). Request
// ids are usually UUIDs (crypto.randomUUID()); those travel as their 16 bytes instead of 36 characters.
const OP_TAG_BITS = 0x0f;
const REQUEST_ID_TEXT = 0x80;
const REQUEST_ID_UUID = 0x40;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_BYTES = 16;

type RequestOpKind = 'range' | 'put' | 'deleteRange' | 'txn';
const REQUEST_OP_TAGS: Readonly<Record<RequestOpKind, number>> = { range: 1, put: 2, deleteRange: 3, txn: 4 };
const REQUEST_OPS_BY_TAG: readonly (RequestOpKind | undefined)[] = invert(REQUEST_OP_TAGS);

type CompareTarget = Compare['target'];
const TARGET_TAGS: Readonly<Record<CompareTarget, number>> = {
  value: 0,
  version: 1,
  createRevision: 2,
  modRevision: 3,
  lease: 4,
};
const TARGETS_BY_TAG: readonly (CompareTarget | undefined)[] = invert(TARGET_TAGS);
const RESULT_TAGS: Readonly<Record<CompareResult, number>> = { equal: 0, notEqual: 1, less: 2, greater: 3 };
const RESULTS_BY_TAG: readonly (CompareResult | undefined)[] = invert(RESULT_TAGS);

// Flag bits of each request's leading byte.
const RANGE_END = 1;
const PUT_PREV_KV = 2;
const PUT_IGNORE_VALUE = 4;
const PUT_IGNORE_LEASE = 8;
const PUT_LEASE = 16;
const PUT_FLAGS = PUT_PREV_KV | PUT_IGNORE_VALUE | PUT_IGNORE_LEASE | PUT_LEASE;
const DELETE_PREV_KV = 2;
const DELETE_FLAGS = RANGE_END | DELETE_PREV_KV;
const RANGE_REVISION = 2;
const RANGE_LIMIT = 4;
const RANGE_COUNT_ONLY = 8;
const RANGE_KEYS_ONLY = 16;
const RANGE_FLAGS = RANGE_END | RANGE_REVISION | RANGE_LIMIT | RANGE_COUNT_ONLY | RANGE_KEYS_ONLY;
const GRANT_ID = 1;
/** A conditional revoke's renewIndex travels even when 0: absent means unconditional. */
const REVOKE_RENEW_INDEX = 1;

/** Encodes a command deterministically. Throws only on a command no decoder would accept (a caller's bug). */
export function encodeCommand(envelope: CommandEnvelope): Uint8Array {
  const writer = new ByteWriter(estimateCommandBytes(envelope.command));
  writer.u8(COMMAND_CODEC_VERSION);
  const { command, requestId } = envelope;
  if (requestId === undefined) writer.u8(OP_TAGS[command.op]);
  else if (UUID_PATTERN.test(requestId)) {
    writer.u8(OP_TAGS[command.op] | REQUEST_ID_UUID);
    const hex = requestId.replaceAll('-', '');
    for (let i = 0; i < UUID_BYTES; i++) writer.u8(Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  } else {
    writer.u8(OP_TAGS[command.op] | REQUEST_ID_TEXT);
    writer.string(requestId);
  }
  switch (command.op) {
    case 'put':
      writePut(writer, command.request);
      break;
    case 'deleteRange':
      writeDeleteRange(writer, command.request);
      break;
    case 'txn':
      writeTxn(writer, command.request, 1);
      break;
    case 'compact':
      writer.varint(command.request.revision);
      break;
    case 'leaseGrant': {
      const { ttl, id } = command.request;
      writer.u8(id ? GRANT_ID : 0);
      writer.varint(ttl);
      if (id) writer.varint(id);
      break;
    }
    case 'leaseRevoke': {
      const { id, renewIndex } = command.request;
      writer.u8(renewIndex === undefined ? 0 : REVOKE_RENEW_INDEX);
      writer.varint(id);
      if (renewIndex !== undefined) writer.varint(renewIndex);
      break;
    }
    case 'leaseKeepAlive':
      writer.varint(command.request.id);
      break;
    case 'leaseCheckpoint':
      writer.varint(command.checkpoints.length);
      for (const checkpoint of command.checkpoints) {
        writer.varint(checkpoint.id);
        writer.varint(checkpoint.remainingMs);
        writer.varint(checkpoint.renewIndex);
      }
      break;
  }
  return writer.finish();
}

/** Decodes Raft entry data into a command; refuses anything another encoder could not have produced. Never throws. */
export function decodeCommand(bytes: Uint8Array): CommandEnvelope | DecodeError {
  return runDecoder('command', () => {
    try {
      const reader: ByteReader = new ByteReader(bytes);
      const version = reader.u8('version');
      if (version !== COMMAND_CODEC_VERSION) {
        refuse(
          decodeError(
            'unsupportedVersion',
            '',
            `command codec version ${version} is not supported; this member reads version ${COMMAND_CODEC_VERSION}`,
            { version, supported: COMMAND_CODEC_VERSION },
          ),
        );
      }
      const opByte = reader.u8('op');
      const op = OPS_BY_TAG[opByte & OP_TAG_BITS];
      if (op === undefined || (opByte & ~(OP_TAG_BITS | REQUEST_ID_TEXT | REQUEST_ID_UUID)) !== 0) {
        reader.fail(1, `unknown command op byte 0x${opByte.toString(16)}`);
      }
      const requestId = readRequestId(reader, opByte);
      const command = readCommand(reader, op);
      reader.end(`${op} command`);
      return requestId === undefined ? { command } : { requestId, command };
    } catch (caught) {
      if (caught instanceof DecodeFailure) {
        const { code, message, details } = caught.error;
        return decodeError(code, 'command', message, details);
      }
      throw caught;
    }
  });
}

function readRequestId(reader: ByteReader, opByte: number): string | undefined {
  const asText = (opByte & REQUEST_ID_TEXT) !== 0;
  const asUuid = (opByte & REQUEST_ID_UUID) !== 0;
  if (asText && asUuid) reader.fail(1, 'op byte says the request id is both text and a UUID');
  if (asUuid) {
    let hex = '';
    for (let i = 0; i < UUID_BYTES; i++) {
      hex += reader.u8('requestId').toString(16).padStart(2, '0');
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
    }
    return hex;
  }
  if (!asText) return undefined;
  const offset = reader.offset;
  const requestId = reader.string('requestId', MAX_REQUEST_ID_BYTES);
  if (UUID_PATTERN.test(requestId))
    reader.fail(offset, 'requestId is a UUID sent as text (UUIDs are encoded as 16 bytes)');
  return requestId;
}

function readCommand(reader: ByteReader, op: Op): Command {
  switch (op) {
    case 'put':
      return { op, request: readPut(reader) };
    case 'deleteRange':
      return { op, request: readDeleteRange(reader) };
    case 'txn':
      return { op, request: readTxn(reader, 1) };
    case 'compact':
      return { op, request: { revision: reader.varint('revision') } };
    case 'leaseGrant': {
      const flags = readFlags(reader, GRANT_ID);
      const ttl = reader.varint('ttl');
      if ((flags & GRANT_ID) === 0) return { op, request: { ttl } };
      return { op, request: { ttl, id: nonZero(reader, 'id') } };
    }
    case 'leaseRevoke': {
      const flags = readFlags(reader, REVOKE_RENEW_INDEX);
      const id = reader.varint('id');
      if ((flags & REVOKE_RENEW_INDEX) === 0) return { op, request: { id } };
      return { op, request: { id, renewIndex: reader.varint('renewIndex') } };
    }
    case 'leaseKeepAlive':
      return { op, request: { id: reader.varint('id') } };
    case 'leaseCheckpoint': {
      const count = reader.count('checkpoint count', 3);
      const checkpoints: LeaseCheckpoint[] = new Array(count);
      for (let i = 0; i < count; i++) {
        checkpoints[i] = {
          id: reader.varint('id'),
          remainingMs: reader.varint('remainingMs'),
          renewIndex: reader.varint('renewIndex'),
        };
      }
      return { op, checkpoints };
    }
  }
}

function writeKeySelector(
  writer: ByteWriter,
  flags: number,
  key: string,
  rangeEnd: string | undefined,
): void {
  writer.u8(rangeEnd === undefined ? flags : flags | RANGE_END);
  writer.string(key);
  if (rangeEnd !== undefined) writer.string(rangeEnd);
}

function writePut(writer: ByteWriter, request: PutRequest): void {
  let flags = 0;
  if (request.prevKv) flags |= PUT_PREV_KV;
  if (request.ignoreValue) flags |= PUT_IGNORE_VALUE;
  if (request.ignoreLease) flags |= PUT_IGNORE_LEASE;
  if (request.lease) flags |= PUT_LEASE;
  writer.u8(flags);
  writer.string(request.key);
  writer.bytes(request.value);
  if (request.lease) writer.varint(request.lease);
}

function readPut(reader: ByteReader): PutRequest {
  const flags = readFlags(reader, PUT_FLAGS);
  const request: { -readonly [K in keyof PutRequest]: PutRequest[K] } = {
    key: reader.string('key'),
    value: reader.bytes('value'),
  };
  if (flags & PUT_LEASE) request.lease = nonZero(reader, 'lease');
  if (flags & PUT_PREV_KV) request.prevKv = true;
  if (flags & PUT_IGNORE_VALUE) request.ignoreValue = true;
  if (flags & PUT_IGNORE_LEASE) request.ignoreLease = true;
  return request;
}

function writeDeleteRange(writer: ByteWriter, request: DeleteRangeRequest): void {
  writeKeySelector(writer, request.prevKv ? DELETE_PREV_KV : 0, request.key, request.rangeEnd);
}

function readDeleteRange(reader: ByteReader): DeleteRangeRequest {
  const flags = readFlags(reader, DELETE_FLAGS);
  const request: { -readonly [K in keyof DeleteRangeRequest]: DeleteRangeRequest[K] } = {
    key: reader.string('key'),
  };
  if (flags & RANGE_END) request.rangeEnd = reader.string('rangeEnd');
  if (flags & DELETE_PREV_KV) request.prevKv = true;
  return request;
}

function writeRange(writer: ByteWriter, request: RangeRequest): void {
  let flags = 0;
  if (request.revision) flags |= RANGE_REVISION;
  if (request.limit) flags |= RANGE_LIMIT;
  if (request.countOnly) flags |= RANGE_COUNT_ONLY;
  if (request.keysOnly) flags |= RANGE_KEYS_ONLY;
  writeKeySelector(writer, flags, request.key, request.rangeEnd);
  if (request.revision) writer.varint(request.revision);
  if (request.limit) writer.varint(request.limit);
}

function readRange(reader: ByteReader): RangeRequest {
  const flags = readFlags(reader, RANGE_FLAGS);
  const request: { -readonly [K in keyof RangeRequest]: RangeRequest[K] } = { key: reader.string('key') };
  if (flags & RANGE_END) request.rangeEnd = reader.string('rangeEnd');
  if (flags & RANGE_REVISION) request.revision = nonZero(reader, 'revision');
  if (flags & RANGE_LIMIT) request.limit = nonZero(reader, 'limit');
  if (flags & RANGE_COUNT_ONLY) request.countOnly = true;
  if (flags & RANGE_KEYS_ONLY) request.keysOnly = true;
  return request;
}

function writeTxn(writer: ByteWriter, request: TxnRequest, depth: number): void {
  if (depth > MAX_COMMAND_TXN_DEPTH) {
    throw new Error(`encodeCommand: txns nest deeper than ${MAX_COMMAND_TXN_DEPTH} levels`);
  }
  writer.varint(request.compare.length);
  for (const compare of request.compare) writeCompare(writer, compare);
  writer.varint(request.success.length);
  for (const op of request.success) writeRequestOp(writer, op, depth);
  writer.varint(request.failure.length);
  for (const op of request.failure) writeRequestOp(writer, op, depth);
}

function readTxn(reader: ByteReader, depth: number): TxnRequest {
  if (depth > MAX_COMMAND_TXN_DEPTH) {
    reader.fail(reader.offset, `txns nest deeper than ${MAX_COMMAND_TXN_DEPTH} levels`);
  }
  const compareCount = reader.count('compare count', 3);
  const compare: Compare[] = new Array(compareCount);
  for (let i = 0; i < compareCount; i++) compare[i] = readCompare(reader);
  const success = readRequestOps(reader, 'success', depth);
  const failure = readRequestOps(reader, 'failure', depth);
  return { compare, success, failure };
}

function writeCompare(writer: ByteWriter, compare: Compare): void {
  const head = TARGET_TAGS[compare.target] | (RESULT_TAGS[compare.result] << 3);
  writer.u8(compare.rangeEnd === undefined ? head : head | (RANGE_END << 5));
  writer.string(compare.key);
  if (compare.rangeEnd !== undefined) writer.string(compare.rangeEnd);
  if (compare.target === 'value') writer.bytes(compare.value);
  else writer.varint(compare.value);
}

function readCompare(reader: ByteReader): Compare {
  const headOffset = reader.offset;
  const head = reader.u8('compare');
  const target = TARGETS_BY_TAG[head & 7];
  const result = RESULTS_BY_TAG[(head >> 3) & 3];
  if (target === undefined || result === undefined || head >> 6 !== 0) {
    reader.fail(headOffset, `compare byte 0x${head.toString(16)} names no known target and result`);
  }
  const key = reader.string('key');
  const rangeEnd = head & (RANGE_END << 5) ? reader.string('rangeEnd') : undefined;
  const selector = rangeEnd === undefined ? { key } : { key, rangeEnd };
  if (target === 'value') return { ...selector, target, result, value: reader.bytes('value') };
  return { ...selector, target, result, value: reader.varint('value') };
}

function writeRequestOp(writer: ByteWriter, op: RequestOp, depth: number): void {
  if ('range' in op) {
    writer.u8(REQUEST_OP_TAGS.range);
    writeRange(writer, op.range);
  } else if ('put' in op) {
    writer.u8(REQUEST_OP_TAGS.put);
    writePut(writer, op.put);
  } else if ('deleteRange' in op) {
    writer.u8(REQUEST_OP_TAGS.deleteRange);
    writeDeleteRange(writer, op.deleteRange);
  } else {
    writer.u8(REQUEST_OP_TAGS.txn);
    writeTxn(writer, op.txn, depth + 1);
  }
}

function readRequestOps(reader: ByteReader, field: string, depth: number): RequestOp[] {
  const count = reader.count(`${field} count`, 3);
  const ops: RequestOp[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const tagOffset = reader.offset;
    const tag = reader.u8('op');
    const kind = REQUEST_OPS_BY_TAG[tag];
    switch (kind) {
      case 'range':
        ops[i] = { range: readRange(reader) };
        break;
      case 'put':
        ops[i] = { put: readPut(reader) };
        break;
      case 'deleteRange':
        ops[i] = { deleteRange: readDeleteRange(reader) };
        break;
      case 'txn':
        ops[i] = { txn: readTxn(reader, depth + 1) };
        break;
      case undefined:
        reader.fail(tagOffset, `${field}[${i}]: unknown op tag ${tag}`);
    }
  }
  return ops;
}

function readFlags(reader: ByteReader, known: number): number {
  const offset = reader.offset;
  const flags = reader.u8('flags');
  if ((flags & ~known) !== 0) reader.fail(offset, `unknown flag bits 0x${(flags & ~known).toString(16)}`);
  return flags;
}

/** An optional number whose flag is set must not be 0: 0 is encoded by leaving the flag clear. */
function nonZero(reader: ByteReader, field: string): number {
  const offset = reader.offset;
  const value = reader.varint(field);
  if (value === 0) reader.fail(offset, `${field} is 0 but flagged as present (0 is encoded as absent)`);
  return value;
}

function estimateCommandBytes(command: Command): number {
  switch (command.op) {
    case 'put':
      return 32 + 3 * command.request.key.length + command.request.value.length;
    case 'leaseCheckpoint':
      return 16 + 24 * command.checkpoints.length;
    default:
      return 256;
  }
}

function invert<T extends string>(tags: Readonly<Record<T, number>>): readonly (T | undefined)[] {
  const byTag: (T | undefined)[] = [];
  for (const [name, tag] of Object.entries(tags) as [T, number][]) byTag[tag] = name;
  return byTag;
}
