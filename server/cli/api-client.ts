// The CLI's HTTP client for the /v1 API, with failover: each endpoint in turn on connection errors;
// retries with backoff while the cluster has no leader (or a member is briefly unavailable), saying
// on stderr what it waits for; membership changes follow a notLeader answer to the leader. Writes
// carry an Idempotency-Key, so a retry on another member after a timeout applies them once.
import { randomUUID } from 'node:crypto';
import { type ErrorCode, type VaneError, vaneError } from '../../core/errors.ts';
import { decodeErrorBody, isDecodeError } from '../../core/protocol/index.ts';
import { CliError, EXIT_INTERRUPTED } from './command.ts';
import { formatDuration, sleep } from './sleep.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface ApiCall {
  readonly method: HttpMethod;
  /** '/v1/kv/greeting' (already percent-encoded). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** A write: sent with an Idempotency-Key so that a retry applies once. */
  readonly write?: boolean;
  /** What the user is waiting for, in the "still waiting" note: "the write of 'greeting'". */
  readonly what: string;
}

export interface ApiAnswer {
  readonly endpoint: string;
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; undefined when there was none or it was not JSON. */
  readonly body: unknown;
  /** Set when the member refused the request (a status other than 2xx). */
  readonly error?: VaneError;
}

export interface ApiClientOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly interrupt: AbortSignal;
  /** Sent as `Authorization: Bearer <token>` with every request. */
  readonly token?: string;
  /** Progress notes for the user (stderr): what the client waits for. */
  readonly note: (line: string) => void;
  /** Pause before the first retry, doubling up to maxBackoffMs. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** After how long a request that has not been answered yet gets a "waiting for" note. */
  readonly slowNoteMs?: number;
  /** The longest one attempt may take (default ATTEMPT_TIMEOUT_MS). */
  readonly attemptTimeoutMs?: number;
}

/** One attempt never waits longer than this, so that a hung member does not use up the whole --timeout
 * before the next endpoint is tried (members answer a stuck request with 'timeout' after 5 s). */
export const ATTEMPT_TIMEOUT_MS = 6_000;
/** An answer bigger than this is refused rather than buffered (a range over a huge prefix: use --limit). */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
/** notLeader redirects followed for one request. */
export const MAX_LEADER_HOPS = 3;
const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 1_000;
const DEFAULT_SLOW_NOTE_MS = 1_000;
/** While retrying, a note at most this often. */
const RETRY_NOTE_EVERY_MS = 3_000;

/** Answers that mean "ask again shortly" (perhaps elsewhere), not "your request is wrong". */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'noLeader',
  'unavailable',
  'proposalDropped',
  'timeout',
]);

export const NO_LEADER_EXPLANATION = 'the cluster has no leader (an election is running or a quorum is down)';

interface Failure {
  readonly endpoint: string;
  readonly reason: string;
}

type Attempt =
  | { readonly kind: 'answered'; readonly response: Response }
  | { readonly kind: 'unreachable'; readonly reason: string };

export class ApiClient {
  private readonly options: ApiClientOptions;
  /** The endpoint that answered last: asked first next time. */
  private preferred: string;

  constructor(options: ApiClientOptions) {
    if (options.endpoints.length === 0) throw new Error('ApiClient: at least one endpoint is required');
    this.options = options;
    this.preferred = options.endpoints[0]!;
  }

  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  /** Sends a request with failover; resolves with the first definite answer (which may be a refusal). */
  async call(call: ApiCall): Promise<ApiAnswer> {
    return this.send<ApiAnswer>(call, async (endpoint, response) => {
      const read = await readJson(response);
      if ('failure' in read) return { retry: read.failure };
      const body = read.json;
      return response.ok
        ? { endpoint, status: response.status, headers: response.headers, body }
        : {
            endpoint,
            status: response.status,
            headers: response.headers,
            body,
            error: errorOf(response, body, endpoint),
          };
    });
  }

  /** Like call(), but answers with the unread response (a snapshot); a refusal is thrown as a CliError. */
  async stream(call: ApiCall): Promise<{ readonly endpoint: string; readonly response: Response }> {
    return this.send(call, async (endpoint, response) => {
      if (response.ok) return { endpoint, response };
      const read = await readJson(response);
      const error = errorOf(response, 'json' in read ? read.json : undefined, endpoint);
      throw new CliError(`${endpoint}: ${error.message} [${error.code}]`);
    });
  }

  /**
   * Tries the endpoints (the one that answered last first) until one answers definitely. A
   * retryable refusal moves on to the next endpoint; when every endpoint has failed, the round is
   * repeated with backoff if any of them was merely waiting (e.g. for a leader), within --timeout.
   */
  private async send<T>(
    call: ApiCall,
    accept: (endpoint: string, response: Response) => Promise<T | { readonly retry: string }>,
  ): Promise<T> {
    const { timeoutMs, interrupt } = this.options;
    const started = Date.now();
    const deadline = started + timeoutMs;
    const idempotencyKey = call.write ? randomUUID() : undefined;
    let backoff = this.options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    let lastNoteAt = Number.NEGATIVE_INFINITY;
    const redirectedTo = new Set<string>();
    /** The last "ask again shortly" answer: once the cluster has said it is busy, it is waited for. */
    let waiting: { readonly endpoint: string; readonly error: VaneError } | null = null;
    for (let round = 0; ; round++) {
      const failures: Failure[] = [];
      let hops = 0;
      const queue = this.order(round);
      const tried = new Set<string>();
      while (queue.length > 0) {
        const endpoint = queue.shift()!;
        if (tried.has(endpoint)) continue;
        tried.add(endpoint);
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const attempt = await this.attempt(
          endpoint,
          call,
          idempotencyKey,
          Math.min(remaining, this.options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS),
        );
        if (attempt.kind === 'unreachable') {
          failures.push({ endpoint, reason: attempt.reason });
          // The leader a member named is gone: the others have not noticed yet, and will elect another.
          if (redirectedTo.has(endpoint)) {
            waiting = {
              endpoint,
              error: vaneError('noLeader', `the leader the cluster named (${endpoint}) does not answer`),
            };
          }
          continue;
        }
        const { response } = attempt;
        if (response.status === 421 || response.status === 503 || response.status === 504) {
          const read = await readJson(response.clone());
          const error = errorOf(response, 'json' in read ? read.json : undefined, endpoint);
          const leaderUrl = leaderUrlOf(error);
          const hop = error.code === 'notLeader' && leaderUrl !== null && hops < MAX_LEADER_HOPS;
          if (hop || RETRYABLE.has(error.code)) await response.body?.cancel();
          if (hop) {
            hops++;
            this.options.note(`${endpoint} is not the leader; asking the leader at ${leaderUrl}`);
            tried.delete(leaderUrl);
            redirectedTo.add(leaderUrl);
            queue.unshift(leaderUrl);
            continue;
          }
          if (RETRYABLE.has(error.code)) {
            failures.push({ endpoint, reason: error.code === 'noLeader' ? 'no leader' : error.message });
            waiting = { endpoint, error };
            continue;
          }
        }
        const accepted = await accept(endpoint, response);
        if (typeof accepted === 'object' && accepted !== null && 'retry' in accepted) {
          failures.push({ endpoint, reason: accepted.retry });
          continue;
        }
        this.preferred = endpoint;
        return accepted;
      }
      if (interrupt.aborted) throw interrupted();
      const elapsed = Date.now() - started;
      if (waiting === null && failures.length > 0) throw new CliError(noMemberAnswered(failures));
      const reason = waiting === null ? 'the request' : explain(waiting.endpoint, waiting.error);
      if (Date.now() + backoff >= deadline) {
        const answers = failures.length === 0 ? '' : `; last answers: ${formatFailures(failures)}`;
        throw new CliError(
          `gave up after ${formatDuration(Math.max(elapsed, timeoutMs))}: ${reason}${answers} (raise --timeout to wait longer)`,
        );
      }
      if (Date.now() - lastNoteAt >= RETRY_NOTE_EVERY_MS) {
        lastNoteAt = Date.now();
        const left = formatDuration(deadline - Date.now());
        this.options.note(
          elapsed < RETRY_NOTE_EVERY_MS
            ? `${reason}; waiting up to ${left} more (${call.what})...`
            : `still waiting after ${formatDuration(elapsed)}: ${reason}; up to ${left} more...`,
        );
      }
      if (!(await sleep(backoff, interrupt))) throw interrupted();
      backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS);
    }
  }

  /** The endpoints to try in a round: the preferred one first, then a different one first each retry
   * round, so that a member that hangs does not use up every round's time before the others are asked. */
  private order(round: number): string[] {
    const { endpoints } = this.options;
    const start = Math.max(0, endpoints.indexOf(this.preferred));
    return endpoints.map((_, i) => endpoints[(start + round + i) % endpoints.length]!);
  }

  private async attempt(
    endpoint: string,
    call: ApiCall,
    idempotencyKey: string | undefined,
    timeoutMs: number,
  ): Promise<Attempt> {
    const url = new URL(`${endpoint}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (call.body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
    if (this.options.token !== undefined) headers.Authorization = `Bearer ${this.options.token}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const slowNote = setTimeout(
      () => this.options.note(`waiting for ${endpoint} to answer (${call.what})...`),
      this.options.slowNoteMs ?? DEFAULT_SLOW_NOTE_MS,
    );
    try {
      const init: RequestInit = {
        method: call.method,
        headers,
        signal: AbortSignal.any([timeout, this.options.interrupt]),
      };
      if (call.body !== undefined) init.body = JSON.stringify(call.body);
      return { kind: 'answered', response: await fetch(url, init) };
    } catch (error) {
      if (this.options.interrupt.aborted) throw interrupted();
      if (timeout.aborted)
        return { kind: 'unreachable', reason: `no answer within ${formatDuration(timeoutMs)}` };
      return { kind: 'unreachable', reason: connectionFailure(error) };
    } finally {
      clearTimeout(slowNote);
    }
  }
}

export function interrupted(): CliError {
  return new CliError('interrupted', EXIT_INTERRUPTED);
}

/** "no member answered: http://a (connection refused), http://b (no answer within 6s)". */
export function noMemberAnswered(failures: readonly Failure[]): string {
  const hint = failures.every((f) => f.reason === 'connection refused')
    ? '\nIs the cluster running? (`npm start` runs one locally; --endpoints or VANE_ENDPOINTS pick others.)'
    : '';
  return `no member answered: ${formatFailures(failures)}${hint}`;
}

function formatFailures(failures: readonly Failure[]): string {
  return failures.map((f) => `${f.endpoint} (${f.reason})`).join(', ');
}

function explain(endpoint: string, error: VaneError): string {
  return error.code === 'noLeader' ? NO_LEADER_EXPLANATION : `${endpoint} answered: ${error.message}`;
}

function leaderUrlOf(error: VaneError): string | null {
  const url = error.details?.leaderUrl;
  return typeof url === 'string' && /^https?:\/\/[^/]+/.test(url) ? url.replace(/\/+$/, '') : null;
}

/** Why fetch failed, in words: undici puts the socket error (with its code) in `cause`. */
export function connectionFailure(error: unknown): string {
  const codes: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    messages.push(current.message);
    const nested = current instanceof AggregateError ? current.errors[0] : undefined;
    current = current.cause ?? nested;
  }
  for (const code of codes) {
    const words = CONNECTION_ERRORS[code];
    if (words !== undefined) return words;
  }
  return codes[0] ?? messages.at(-1) ?? String(error);
}

const CONNECTION_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the other side',
  EPIPE: 'connection closed by the other side',
};

/** The body as JSON (undefined if empty or not JSON), or why it could not be read. */
async function readJson(
  response: Response,
): Promise<{ readonly json: unknown } | { readonly failure: string }> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    return { failure: `its answer of ${declared} bytes exceeds the ${MAX_ANSWER_BYTES >> 20} MiB limit` };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      // Leaving the loop cancels the rest of the body.
      if (size > MAX_ANSWER_BYTES)
        return { failure: `its answer exceeds the ${MAX_ANSWER_BYTES >> 20} MiB limit` };
      chunks.push(chunk);
    }
  } catch (error) {
    return { failure: `the answer was cut off (${connectionFailure(error)})` };
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return { json: undefined };
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { json: undefined };
  }
}

/** The member's error from a refusal; an answer that is not a Vane error body is described by its status. */
function errorOf(response: Response, body: unknown, endpoint: string): VaneError {
  const decoded = decodeErrorBody(body);
  if (!isDecodeError(decoded)) return decoded.error;
  // The HTTP layer's own codes (routeNotFound, internal) are outside the protocol's list.
  const loose = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof loose?.code === 'string' && typeof loose.message === 'string') {
    return { code: loose.code as ErrorCode, message: loose.message };
  }
  return {
    code: 'unavailable',
    message: `${endpoint} answered HTTP ${response.status} ${response.statusText} without a Vane error (is it a Vane member?)`,
  };
}
