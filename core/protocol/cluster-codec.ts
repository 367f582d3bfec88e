// JSON codecs for the cluster routes: member changes (POST /v1/cluster/members,
// DELETE /v1/cluster/members/{id}, POST /v1/cluster/members/{id}/promote) and the answers of
// GET /v1/cluster/members and GET /v1/cluster/status, which the server builds from its own state.

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { NodeId } from '../raft/types.ts';
import {
  addMemberRequestSchema,
  type MemberListResponseJson,
  memberListResponseSchema,
  type StatusResponseJson,
  statusResponseSchema,
} from './client.ts';
import { type DecodeError, decodeError, runDecoder } from './errors.ts';
import { decodeClientJson, decodeServerJson } from './json-decoding.ts';
import { loneSurrogateIndex, utf8ByteLength } from './keys.ts';
import { MAX_NODE_ID_BYTES } from './peer.ts';

export interface AddMemberRequest {
  readonly id: NodeId;
  readonly peerUrl: string;
  readonly learner: boolean;
}

export function decodeAddMemberRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): AddMemberRequest | DecodeError {
  return decodeClientJson('addMember', json, addMemberRequestSchema, limits, (parsed) => {
    const id = decodeMemberId(parsed.id, 'addMember.id');
    if (typeof id !== 'string') return id;
    return { id, peerUrl: parsed.peerUrl, learner: parsed.learner === true };
  });
}

/** A member id from a route's path (DELETE /v1/cluster/members/{id}): what the peer codec can carry. */
export function decodeMemberId(id: string, where = 'member id'): NodeId | DecodeError {
  return runDecoder(where, () => {
    if (typeof id !== 'string')
      return decodeError('invalidRequest', where, `expected string, received ${typeof id}`);
    if (id === '') return decodeError('invalidRequest', where, 'empty');
    const surrogate = loneSurrogateIndex(id);
    if (surrogate >= 0) {
      return decodeError('invalidRequest', where, `not valid Unicode (lone surrogate at index ${surrogate})`);
    }
    const bytes = utf8ByteLength(id);
    if (bytes > MAX_NODE_ID_BYTES) {
      return decodeError('invalidRequest', where, `${bytes} bytes; at most ${MAX_NODE_ID_BYTES} are allowed`);
    }
    return id;
  });
}

export function decodeMemberListResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): MemberListResponseJson | DecodeError {
  return decodeServerJson('memberListResponse', json, memberListResponseSchema, limits, (parsed) => parsed);
}

export function decodeStatusResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): StatusResponseJson | DecodeError {
  return decodeServerJson('statusResponse', json, statusResponseSchema, limits, (parsed) => parsed);
}
