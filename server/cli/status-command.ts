// status: one row per member (role, term, commit and applied index, revision, the leader it knows,
// health), from /v1/cluster/status?all=true and each member's /health.
import {
  type DecodeError,
  decodeError,
  decodeMemberListResponse,
  decodeStatusResponse,
  isDecodeError,
  type StatusResponseJson,
} from '../../core/protocol/index.ts';
import { connectionFailure, interrupted } from './api-client.ts';
import { clientContext, decoded } from './client-context.ts';
import type { CliIo, CommandInput, CommandSpec } from './command.ts';
import { table } from './output.ts';

/** How long one member's /health may take before it is reported as not answering. */
export const HEALTH_TIMEOUT_MS = 2_000;
/** Members in one status answer; more means the answer is not what this CLI expects. */
const MAX_MEMBERS = 1_000;

type StatusEntry = StatusResponseJson | { readonly id: string; readonly error: string };

interface Health {
  readonly ok: boolean;
  readonly reason?: string;
}

export const statusCommand: CommandSpec = {
  path: ['status'],
  summary: 'Show every member: role, term, commit and applied index, revision, leader, health.',
  details: [
    'Asks one member (the first of --endpoints that answers) for the status of all; a member that',
    "does not answer is listed with the reason. HEALTH is each member's own /health.",
  ].join('\n'),
  args: [],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'GET',
      path: '/v1/cluster/status',
      query: { all: 'true' },
      what: 'the cluster status',
    });
    const entries = decoded(answer, decodeStatusAll);
    const members = decoded(
      await api.call({ method: 'GET', path: '/v1/cluster/members', what: 'the member list' }),
      decodeMemberListResponse,
    );
    const health = new Map<string, Health>(
      await Promise.all(
        members.members.map(async (m) => [m.id, await memberHealth(m.clientUrls[0], input.io)] as const),
      ),
    );
    const healthJson = Object.fromEntries(health);
    out.print({ ...(answer.body as object), health: healthJson }, () => {
      const leaders = new Set(entries.flatMap((e) => ('leader' in e && e.leader !== null ? [e.leader] : [])));
      const terms = entries.flatMap((e) => ('term' in e ? [e.term] : []));
      const summary =
        leaders.size === 0
          ? 'no leader: an election is running or a quorum is down'
          : leaders.size === 1
            ? `leader: ${[...leaders][0]} (term ${Math.max(...terms)})`
            : `members disagree on the leader (${[...leaders].join(', ')}): an election is settling`;
      const rows = entries.map((e) => {
        const h = health.get(e.id);
        const healthText = h === undefined ? '-' : h.ok ? 'ok' : (h.reason ?? 'unhealthy');
        if ('error' in e) return [e.id, 'unreachable', '-', '-', '-', '-', '-', `${healthText} (${e.error})`];
        return [
          e.name,
          e.isLearner ? 'learner' : e.role,
          String(e.term),
          String(e.commit),
          String(e.applied),
          String(e.revision),
          e.leader ?? '-',
          healthText,
        ];
      });
      return [
        summary,
        '',
        ...table(['NAME', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'REVISION', 'LEADER', 'HEALTH'], rows),
      ];
    });
    return 0;
  },
};

/** The body of /v1/cluster/status?all=true: each member's status, or why it could not be had. */
function decodeStatusAll(json: unknown): StatusEntry[] | DecodeError {
  const members = (json as { members?: unknown } | undefined)?.members;
  if (!Array.isArray(members) || members.length > MAX_MEMBERS) {
    return decodeError(
      'decodeError',
      'statusAll.members',
      `expected a list of at most ${MAX_MEMBERS} members`,
    );
  }
  const entries: StatusEntry[] = [];
  for (const entry of members) {
    const id = (entry as { id?: unknown }).id;
    if (typeof entry === 'object' && entry !== null && 'error' in entry && typeof id === 'string') {
      const message = (entry as { error?: { message?: unknown } }).error?.message;
      entries.push({ id, error: typeof message === 'string' ? message : 'no answer' });
      continue;
    }
    const status = decodeStatusResponse(entry);
    if (isDecodeError(status)) return status;
    entries.push(status);
  }
  return entries;
}

async function memberHealth(clientUrl: string | undefined, io: CliIo): Promise<Health> {
  if (clientUrl === undefined) return { ok: false, reason: 'no client URL published yet' };
  try {
    const response = await fetch(`${clientUrl.replace(/\/+$/, '')}/health`, {
      signal: AbortSignal.any([AbortSignal.timeout(HEALTH_TIMEOUT_MS), io.interrupt]),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { ok?: unknown; reason?: unknown }
      | undefined;
    if (response.ok && body?.ok === true) return { ok: true };
    return { ok: false, reason: typeof body?.reason === 'string' ? body.reason : `HTTP ${response.status}` };
  } catch (error) {
    if (io.interrupt.aborted) throw interrupted();
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return {
      ok: false,
      reason: timedOut ? `no answer within ${HEALTH_TIMEOUT_MS / 1000}s` : connectionFailure(error),
    };
  }
}
