// core/protocol: everything that crosses a process boundary. Client JSON (HTTP under /v1 and the
// watch WebSocket) decoded into the store's types and encoded back; binary frames between members;
// store commands inside Raft entries. Every decoder returns a DecodeError instead of throwing.

export * from './client.ts';
export {
  type AddMemberRequest,
  decodeAddMemberRequest,
  decodeMemberId,
  decodeMemberListResponse,
  decodeStatusResponse,
} from './cluster-codec.ts';
export { decodeCommand, encodeCommand, MAX_COMMAND_TXN_DEPTH, MAX_REQUEST_ID_BYTES } from './command.ts';
export { decodeErrorBody, type ErrorAnswer, encodeErrorBody } from './error-body.ts';
export { type DecodeError, type DecodeErrorCode, decodeError, isDecodeError } from './errors.ts';
export {
  decodeHandshakeFrame,
  encodeHandshakeFrame,
  type HandshakeFrame,
  MAX_CLUSTER_ID_BYTES,
  MAX_HANDSHAKE_TOKEN_BYTES,
  MAX_REFUSAL_REASON_BYTES,
} from './handshake.ts';
export { HTTP_STATUS_BY_CODE } from './http-status.ts';
export { type JsonBody, parseJsonBody } from './json.ts';
export type { DecodedRequest } from './json-decoding.ts';
export {
  type DecodedResponse,
  decodeCompactRequest,
  decodeCompactResponse,
  decodeDeleteRangeQuery,
  decodeDeleteRangeResponse,
  decodePutRequest,
  decodePutResponse,
  decodeRangeQuery,
  decodeRangeRequest,
  decodeRangeResponse,
  encodeCompactRequest,
  encodeCompactResponse,
  encodeDeleteRangeQuery,
  encodeDeleteRangeResponse,
  encodeKeyValue,
  encodePutBody,
  encodePutResponse,
  encodeRangeQuery,
  encodeRangeRequest,
  encodeRangeResponse,
  encodeResponseHeader,
  kvPath,
  type ReadOptions,
  type RequestOptions,
  type ResponseMeta,
} from './kv-codec.ts';
export {
  decodeLeaseGrantRequest,
  decodeLeaseGrantResponse,
  decodeLeaseKeepAliveRequest,
  decodeLeaseKeepAliveResponse,
  decodeLeaseListResponse,
  decodeLeaseRevokeRequest,
  decodeLeaseRevokeResponse,
  decodeLeaseTimeToLiveRequest,
  decodeLeaseTimeToLiveResponse,
  encodeLeaseGrantRequest,
  encodeLeaseGrantResponse,
  encodeLeaseKeepAliveRequest,
  encodeLeaseKeepAliveResponse,
  encodeLeaseListResponse,
  encodeLeaseRevokeRequest,
  encodeLeaseRevokeResponse,
  encodeLeaseTimeToLiveRequest,
  encodeLeaseTimeToLiveResponse,
} from './lease-codec.ts';
export { CLIENT_ROUTES, type ClientRoute, type HttpMethod, openApiDocument } from './openapi.ts';
export { decodePeerFrame, encodePeerFrame, MAX_NODE_ID_BYTES } from './peer.ts';
export type { ValueEncoding } from './text.ts';
export { decodeTxnRequest, decodeTxnResponse, encodeTxnRequest, encodeTxnResponse } from './txn-codec.ts';
export { COMMAND_CODEC_VERSION, PEER_FRAME_VERSION, PROTOCOL_VERSION } from './version.ts';
export {
  decodeWatchClientMessage,
  decodeWatchServerMessage,
  encodeProgressAnswer,
  encodeWatchClientMessage,
  encodeWatchError,
  encodeWatchResponse,
  type Freshness,
  PROGRESS_WATCH_ID,
  type WatchClientMessage,
  type WatchServerMessage,
} from './watch-codec.ts';
export { WatchResponseEncoder } from './watch-response-text.ts';
export {
  type ClientRequest,
  decodeDeleteRangeRequest,
  decodeRequestBody,
  decodeRequestMessage,
  encodeClientRequest,
  encodeRequestError,
  encodeRequestResponse,
  type RequestAnswerJson,
  type RequestMessage,
} from './ws-request-codec.ts';
