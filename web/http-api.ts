// The routes the dashboard needs that the client SDK does not cover (every member's status; every
// lease with its keys; revoking a lease by id), over fetch with the dashboard's token. A member that
// cannot be reached is passed over for the next one (as the SDK does), and the one that answered is
// asked first next time. Answers are checked with core/protocol's decoders; a failure is a
// RequestFailed carrying the server's error code.
import * as z from 'zod';
import {
  type DecodeError,
  decodeErrorBody,
  decodeLeaseListResponse,
  decodeLeaseRevokeResponse,
  decodeLeaseTimeToLiveResponse,
  decodeMemberListResponse,
  errorBodySchema,
  isDecodeError,
  responseHeaderSchema,
  statusResponseSchema,
} from '../core/protocol/index.ts';
import type { ClusterPoll, MemberReading } from './cluster/cluster-history.ts';

/** A request that takes longer than this is abandoned (the member is probably down). */
const REQUEST_TIMEOUT_MS = 4000;

export class RequestFailed extends Error {
  /** The server's error code ('unauthenticated', 'noLeader', ...), or 'unreachable' / 'badAnswer'. */
  readonly code: string;
  /** The HTTP status, when there was an answer. */
  readonly status: number | null;

  constructor(code: string, message: string, status: number | null) {
    super(message);
    this.name = 'RequestFailed';
    this.code = code;
    this.status = status;
  }
}

/** `/v1/cluster/status?all=true`: each member's status, or why the answering member could not get it. */
const clusterStatusSchema = z.object({
  header: responseHeaderSchema,
  members: z.array(
    z.union([statusResponseSchema, z.object({ id: z.string(), error: errorBodySchema.shape.error })]),
  ),
});

/** `/v1/auth/status`, the part the dashboard uses. */
const authStatusSchema = z.object({
  enabled: z.boolean(),
  principal: z.object({ subject: z.string(), roles: z.array(z.string()) }).nullable(),
});

export interface AuthStatus {
  readonly enabled: boolean;
  /** Who the token stands for; null without a token (or while auth is disabled). */
  readonly subject: string | null;
  readonly roles: readonly string[];
}

export interface LeaseInfo {
  readonly id: number;
  /** Remaining seconds (rounded up); -1 once the lease is gone. */
  readonly ttl: number;
  readonly grantedTtl: number;
  readonly keys: readonly string[];
}

export interface HttpApi {
  /** Every member's status, asked of the first member that answers. */
  clusterStatus(): Promise<ClusterPoll>;
  /** Whether the cluster checks tokens, and whom this session's token stands for. */
  authStatus(): Promise<AuthStatus>;
  /** Each member's client URL (where its own dashboard is), by member id. */
  memberUrls(): Promise<ReadonlyMap<string, string>>;
  /** Every lease's id and granted TTL. */
  leaseList(): Promise<readonly { readonly id: number; readonly ttl: number }[]>;
  /** A lease's remaining time and attached keys. */
  leaseTimeToLive(id: number): Promise<LeaseInfo>;
  /** Revokes a lease, deleting its keys; resolves with the revision of the deletion. */
  leaseRevoke(id: number): Promise<number>;
}

/** Server error codes that mean the token is missing, wrong or not allowed. */
export const AUTH_ERROR_CODES: ReadonlySet<string> = new Set(['unauthenticated', 'permissionDenied']);

/**
 * `endpoints`: the members' client URLs, the one that served the page first. `onAuthFailure` hears
 * every refusal of the token, so that the app can offer the login.
 */
export function createHttpApi(
  endpoints: readonly string[],
  token: () => string,
  onAuthFailure: (message: string) => void,
): HttpApi {
  if (endpoints.length === 0) throw new Error('createHttpApi: give at least one endpoint');
  /** The endpoint that answered last: asked first. */
  let current = 0;

  /** The first answer, from `current` or, when it cannot be reached, from the next that can. */
  async function fetchFromAny(path: string, init: RequestInit): Promise<Response> {
    const failures: string[] = [];
    for (let tried = 0; tried < endpoints.length; tried++) {
      const index = (current + tried) % endpoints.length;
      const baseUrl = endpoints[index]!;
      try {
        const response = await fetch(`${baseUrl}${path}`, {
          ...init,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        current = index;
        return response;
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        failures.push(
          timedOut
            ? `${baseUrl} did not answer within ${REQUEST_TIMEOUT_MS} ms`
            : `${baseUrl} cannot be reached`,
        );
      }
    }
    throw new RequestFailed('unreachable', failures.join('; '), null);
  }

  async function requestJson(path: string, body?: unknown): Promise<unknown> {
    const secret = token();
    const headers: Record<string, string> = secret === '' ? {} : { Authorization: `Bearer ${secret}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetchFromAny(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const answer = decodeErrorBody(json);
      if (isDecodeError(answer)) {
        throw new RequestFailed('badAnswer', `${path} answered HTTP ${response.status}`, response.status);
      }
      if (AUTH_ERROR_CODES.has(answer.error.code)) onAuthFailure(answer.error.message);
      throw new RequestFailed(answer.error.code, answer.error.message, response.status);
    }
    return json;
  }

  return {
    async clusterStatus() {
      const parsed = clusterStatusSchema.safeParse(await requestJson('/v1/cluster/status?all=true'));
      if (!parsed.success) {
        throw new RequestFailed(
          'badAnswer',
          `unexpected cluster status: ${parsed.error.issues[0]?.message}`,
          200,
        );
      }
      const members: MemberReading[] = parsed.data.members.map((m) =>
        'error' in m ? { id: m.id, unreachable: m.error.message } : { id: m.id, status: m },
      );
      return { at: Date.now(), members };
    },
    async authStatus() {
      const parsed = authStatusSchema.safeParse(await requestJson('/v1/auth/status'));
      if (!parsed.success) {
        throw new RequestFailed(
          'badAnswer',
          `unexpected auth status: ${parsed.error.issues[0]?.message}`,
          200,
        );
      }
      const { enabled, principal } = parsed.data;
      return { enabled, subject: principal?.subject ?? null, roles: principal?.roles ?? [] };
    },
    async memberUrls() {
      const members = decoded(decodeMemberListResponse(await requestJson('/v1/cluster/members'))).members;
      return new Map(
        members.flatMap((m) => (m.clientUrls[0] === undefined ? [] : [[m.id, m.clientUrls[0]]])),
      );
    },
    async leaseList() {
      return decoded(decodeLeaseListResponse(await requestJson('/v1/lease'))).response.leases;
    },
    async leaseTimeToLive(id) {
      const answer = decoded(
        decodeLeaseTimeToLiveResponse(await requestJson('/v1/lease/timetolive', { id, keys: true })),
      );
      const { ttl, grantedTtl, keys = [] } = answer.response;
      return { id, ttl, grantedTtl, keys };
    },
    async leaseRevoke(id) {
      return decoded(decodeLeaseRevokeResponse(await requestJson('/v1/lease/revoke', { id }))).response
        .revision;
    },
  };
}

function decoded<T>(value: T | DecodeError): T {
  if (isDecodeError(value)) throw new RequestFailed('badAnswer', `unexpected answer: ${value.message}`, 200);
  return value;
}
