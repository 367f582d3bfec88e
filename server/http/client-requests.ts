// Running a decoded client request against the member: the one code path behind both the HTTP
// routes and the request messages of the watch WebSocket, so the two answer alike.
import { isVaneError, type VaneError } from '../../core/errors.ts';
import {
  type ClientRequest,
  type CompactResponseJson,
  type DeleteRangeResponseJson,
  encodeCompactResponse,
  encodeDeleteRangeResponse,
  encodeLeaseGrantResponse,
  encodeLeaseKeepAliveResponse,
  encodeLeaseListResponse,
  encodeLeaseRevokeResponse,
  encodeLeaseTimeToLiveResponse,
  encodePutResponse,
  encodeRangeResponse,
  encodeTxnResponse,
  type LeaseGrantResponseJson,
  type LeaseKeepAliveResponseJson,
  type LeaseListResponseJson,
  type LeaseRevokeResponseJson,
  type LeaseTimeToLiveResponseJson,
  type PutResponseJson,
  type RangeResponseJson,
  type TxnResponseJson,
} from '../../core/protocol/index.ts';
import type {
  Command,
  CommandResponse,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  PutResponse,
  TxnResponse,
} from '../../core/store/index.ts';
import type { MemberApi, ReadOptions } from '../member/index.ts';
import { responseMeta } from './reply.ts';

/** The JSON answer to each op (what the HTTP route sends with status 200). */
export interface AnswerByOp {
  range: RangeResponseJson;
  put: PutResponseJson;
  deleteRange: DeleteRangeResponseJson;
  txn: TxnResponseJson;
  compact: CompactResponseJson;
  leaseGrant: LeaseGrantResponseJson;
  leaseRevoke: LeaseRevokeResponseJson;
  leaseKeepAlive: LeaseKeepAliveResponseJson;
  leaseTimeToLive: LeaseTimeToLiveResponseJson;
  leaseList: LeaseListResponseJson;
}

export async function runClientRequest<R extends ClientRequest>(
  member: MemberApi,
  request: R,
): Promise<AnswerByOp[R['op']] | VaneError> {
  return (await run(member, request)) as AnswerByOp[R['op']] | VaneError;
}

async function run(
  member: MemberApi,
  request: ClientRequest,
): Promise<AnswerByOp[keyof AnswerByOp] | VaneError> {
  switch (request.op) {
    case 'range': {
      const result = await member.range(request.request, readOptions(request));
      if (isVaneError(result)) return result;
      return encodeRangeResponse(result, responseMeta(member), request.encoding);
    }
    case 'leaseTimeToLive': {
      const result = await member.leaseTimeToLive(request.request);
      if (isVaneError(result)) return result;
      return encodeLeaseTimeToLiveResponse(result, responseMeta(member));
    }
    case 'leaseList': {
      const result = await member.leaseList();
      if (isVaneError(result)) return result;
      return encodeLeaseListResponse(result, responseMeta(member));
    }
    // write() answers a command with the store's response to that command, hence the casts.
    case 'put': {
      const result = await write(member, { op: 'put', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodePutResponse(result as PutResponse, responseMeta(member), request.encoding);
    }
    case 'deleteRange': {
      const result = await write(member, { op: 'deleteRange', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodeDeleteRangeResponse(result as DeleteRangeResponse, responseMeta(member), request.encoding);
    }
    case 'txn': {
      const result = await write(member, { op: 'txn', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodeTxnResponse(result as TxnResponse, responseMeta(member), request.encoding);
    }
    case 'compact': {
      const result = await write(member, { op: 'compact', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodeCompactResponse(result, responseMeta(member));
    }
    case 'leaseGrant': {
      const result = await write(member, { op: 'leaseGrant', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodeLeaseGrantResponse(result as LeaseGrantResponse, responseMeta(member));
    }
    case 'leaseRevoke': {
      const result = await write(member, { op: 'leaseRevoke', request: request.request }, request.requestId);
      if (isVaneError(result)) return result;
      return encodeLeaseRevokeResponse(result, responseMeta(member));
    }
    case 'leaseKeepAlive': {
      // A keepalive is idempotent by nature: it takes no request id.
      const result = await write(member, { op: 'leaseKeepAlive', request: request.request }, undefined);
      if (isVaneError(result)) return result;
      return encodeLeaseKeepAliveResponse(result as LeaseKeepAliveResponse, responseMeta(member));
    }
  }
}

function write(
  member: MemberApi,
  command: Command,
  requestId: string | undefined,
): Promise<CommandResponse | VaneError> {
  return member.write(command, requestId === undefined ? {} : { requestId });
}

function readOptions(decoded: {
  readonly serializable?: boolean;
  readonly minRevision?: number;
}): ReadOptions {
  const serializable = decoded.serializable === true;
  return decoded.minRevision === undefined
    ? { serializable }
    : { serializable, minRevision: decoded.minRevision };
}
