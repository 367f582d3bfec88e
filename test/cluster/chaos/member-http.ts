// One HTTP request to one member, with a deadline, as the chaos clients make them: an answer (status,
// JSON body, the revision header), or why there was none. No retries and no failover here: whoever
// calls decides what a missing answer means for its operation.
import { connectionFailure } from '../../../server/cli/api-client.ts';

export type MemberAnswer =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly body: unknown;
      /** X-Vane-Revision: the revision the answer reflects (errors carry it too); null if absent. */
      readonly revision: number | null;
    }
  | { readonly kind: 'unanswered'; readonly reason: string };

export interface MemberRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Sent as Idempotency-Key: a retry of the same write applies once. */
  readonly requestId?: string;
  readonly timeoutMs: number;
}

/** An answer body larger than this is refused (the chaos workload's answers are small). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export async function requestMember(baseUrl: string, request: MemberRequest): Promise<MemberAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.requestId !== undefined) headers['idempotency-key'] = request.requestId;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      signal: timeout,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) {
      return { kind: 'unanswered', reason: `answer of ${text.length} bytes exceeds ${MAX_ANSWER_BYTES}` };
    }
    const revisionHeader = response.headers.get('x-vane-revision');
    return {
      kind: 'answered',
      status: response.status,
      body: parseJson(text),
      revision: revisionHeader === null ? null : Number(revisionHeader),
    };
  } catch (error) {
    return {
      kind: 'unanswered',
      reason: timeout.aborted ? `no answer within ${request.timeoutMs} ms` : connectionFailure(error),
    };
  }
}

/** The error code of a refusal body ({ error: { code } }), or the HTTP status when there is none. */
export function refusalCode(answer: MemberAnswer): string {
  if (answer.kind === 'unanswered') return answer.reason;
  const code = (answer.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : `HTTP ${answer.status}`;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
