// Cluster: GET/POST /v1/cluster/members, DELETE /v1/cluster/members/{id},
// POST /v1/cluster/members/{id}/promote, GET /v1/cluster/status (?all=true asks every member),
// GET /v1/snapshot (a backup of this member's store).
import type { Context, Hono } from 'hono';
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.ts';
import {
  decodeAddMemberRequest,
  decodeErrorBody,
  decodeMemberId,
  decodeStatusResponse,
  type ErrorBodyJson,
  encodeErrorBody,
  encodeResponseHeader,
  isDecodeError,
  type MemberJson,
  type MemberListResponseJson,
  PROTOCOL_VERSION,
  parseJsonBody,
  type StatusResponseJson,
} from '../../core/protocol/index.ts';
import type { MemberApi, MemberInfo, MemberStatus } from '../member/index.ts';
import { readBoundedBody } from './body.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { replyJson, responseMeta, setHeaderFields } from './reply.ts';
import { readJson } from './request.ts';

export interface ClusterRouteOptions {
  readonly limits: Limits;
  readonly fetch: typeof fetch;
  readonly peerStatusTimeoutMs: number;
}

/** A member's status answer is small; a bigger one is refused rather than buffered. */
const MAX_PEER_STATUS_BYTES = 64 * 1024;

/** One member's entry in /v1/cluster/status?all=true: its status, or why it could not be had. */
export type MemberStatusEntry =
  | StatusResponseJson
  | { readonly id: string; readonly error: ErrorBodyJson['error'] };

export function registerClusterRoutes(
  app: Hono<AppEnv>,
  member: MemberApi,
  options: ClusterRouteOptions,
): void {
  const fail = (c: Context, error: VaneError): Response => errorResponse(c, error, member.header());

  app.get('/v1/cluster/members', (c) => replyJson(c, memberList(member, member.members())));

  app.post('/v1/cluster/members', async (c) => {
    const body = await readJson(c, options.limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeAddMemberRequest(body.value, options.limits);
    if (isVaneError(decoded)) return fail(c, decoded);
    const result = await c.var.api.addMember(decoded.id, decoded.peerUrl, { learner: decoded.learner });
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, memberList(member, result));
  });

  app.delete('/v1/cluster/members/:id', async (c) => {
    const id = decodeMemberId(c.req.param('id'));
    if (isVaneError(id)) return fail(c, id);
    const result = await c.var.api.removeMember(id);
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, memberList(member, result));
  });

  app.post('/v1/cluster/members/:id/promote', async (c) => {
    const id = decodeMemberId(c.req.param('id'));
    if (isVaneError(id)) return fail(c, id);
    const result = await c.var.api.promoteMember(id);
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, memberList(member, result));
  });

  app.get('/v1/cluster/status', async (c) => {
    const all = c.req.query('all');
    if (all !== undefined && all !== 'true' && all !== 'false') {
      return fail(c, vaneError('invalidRequest', `all: expected 'true' or 'false', got '${all}'`));
    }
    const local = statusJson(member, member.status());
    if (all !== 'true') return replyJson(c, local);
    // The other members check the caller's token as this one did (with auth on, they refuse none).
    const authorization = c.req.header('Authorization');
    const entries = await Promise.all(
      member
        .members()
        .map((info) =>
          info.id === member.id
            ? local
            : fetchStatus(info, options.fetch, options.peerStatusTimeoutMs, authorization),
        ),
    );
    return replyJson(c, { header: local.header, members: entries });
  });

  app.get('/v1/snapshot', async (c) => {
    const snapshot = await c.var.api.snapshot();
    if (isVaneError(snapshot)) return fail(c, snapshot);
    const header = member.header();
    setHeaderFields(c, header);
    const name = `vane-${header.member.replace(/[^\w.-]/g, '_')}-${header.revision}.snapshot`;
    // The member's snapshot bytes live in an ordinary (not shared) ArrayBuffer.
    return c.body(snapshot as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${name}"`,
    });
  });
}

function memberList(member: MemberApi, members: readonly MemberInfo[]): MemberListResponseJson {
  return { header: member.header(), members: members.map(memberJson) };
}

function memberJson(info: MemberInfo): MemberJson {
  return {
    id: info.id,
    name: info.id,
    peerUrls: [info.peerUrl],
    clientUrls: info.clientUrl === '' ? [] : [info.clientUrl],
    isLearner: info.isLearner,
  };
}

function statusJson(member: MemberApi, status: MemberStatus): StatusResponseJson {
  return {
    header: encodeResponseHeader(status.revision, responseMeta(member)),
    id: status.id,
    name: status.id,
    role: status.role === 'learner' ? 'follower' : status.role,
    isLearner: status.role === 'learner',
    leader: status.leader,
    term: status.term,
    commit: status.commitIndex,
    applied: status.appliedIndex,
    revision: status.revision,
    protocolVersion: PROTOCOL_VERSION,
    healthy: status.healthy,
    leaderContactMs: status.leaderContactMs,
    writes: { applied: status.writesApplied, latencyMsTotal: status.writeLatencyMsTotal },
  };
}

/**
 * Another member's status from its own API, asked with the caller's Authorization header; a member
 * that does not answer in time is listed with an error.
 */
async function fetchStatus(
  info: MemberInfo,
  fetcher: typeof fetch,
  timeoutMs: number,
  authorization: string | undefined,
): Promise<MemberStatusEntry> {
  const failed = (error: VaneError): MemberStatusEntry => ({
    id: info.id,
    error: encodeErrorBody(error).error,
  });
  if (info.clientUrl === '') {
    return failed(vaneError('unavailable', `member ${info.id} has not published its client URL yet`));
  }
  const url = `${info.clientUrl.replace(/\/+$/, '')}/v1/cluster/status`;
  let response: Response;
  let bytes: Uint8Array | VaneError;
  // A timer of our own rather than AbortSignal.timeout(), whose timer does not keep Node's event loop alive.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    response = await fetcher(url, {
      signal: abort.signal,
      ...(authorization === undefined ? {} : { headers: { Authorization: authorization } }),
    });
    bytes = await readBoundedBody(response, MAX_PEER_STATUS_BYTES, 'maxPeerStatusBytes');
  } catch (error) {
    return failed(
      abort.signal.aborted
        ? vaneError('timeout', `member ${info.id} at ${url} did not answer within ${timeoutMs} ms`)
        : vaneError('unavailable', `member ${info.id} at ${url} could not be reached (${String(error)})`),
    );
  } finally {
    clearTimeout(timer);
  }
  if (isVaneError(bytes)) return failed(bytes);
  const parsed = parseJsonBody(bytes, DEFAULT_LIMITS);
  if (isDecodeError(parsed)) return failed(parsed);
  if (!response.ok) {
    const answer = decodeErrorBody(parsed.value);
    return failed(
      isDecodeError(answer)
        ? vaneError('unavailable', `member ${info.id} at ${url} answered HTTP ${response.status}`)
        : answer.error,
    );
  }
  const status = decodeStatusResponse(parsed.value);
  if (isDecodeError(status)) {
    return failed(
      vaneError(
        'unavailable',
        `member ${info.id} at ${url} answered an unreadable status: ${status.message}`,
      ),
    );
  }
  return status;
}
