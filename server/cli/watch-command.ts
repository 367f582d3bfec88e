// watch: prints events as they come over the /v1/watch WebSocket. When the connection is lost it
// reconnects (to the same member, then the others) and resumes from the revision after the last
// one it printed, so nothing is missed or printed twice. Ctrl-C stops it.
import type { RawData } from 'ws';
import {
  decodeWatchServerMessage,
  isDecodeError,
  PROTOCOL_VERSION,
  type WatchClientMessageJson,
} from '../../core/protocol/index.ts';
import type { WatchEvent, WatchResponse } from '../../core/store/index.ts';
import { ATTEMPT_TIMEOUT_MS, connectionFailure, noMemberAnswered } from './api-client.ts';
import { clientSettings } from './client-options.ts';
import { CliError, type CommandInput, type CommandSpec, usageError } from './command.ts';
import { quote, selection } from './kv-commands.ts';
import { displayText, displayValue, Output } from './output.ts';
import { formatDuration, sleep } from './sleep.ts';

/** A watch message bigger than this closes the connection (a txn's events arrive in one message). */
export const MAX_WATCH_MESSAGE_BYTES = 64 * 1024 * 1024;
const INITIAL_RECONNECT_MS = 100;
const MAX_RECONNECT_MS = 2_000;
/** Error codes after which a watch is worth re-creating on another connection. */
const TRANSIENT = new Set(['noLeader', 'unavailable', 'timeout', 'proposalDropped']);

type SessionEnd =
  | { readonly kind: 'interrupted' }
  /** Never connected. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** Connected, then lost: resume elsewhere. */
  | { readonly kind: 'lost'; readonly reason: string }
  /** The watch was refused or canceled by the cluster: resuming would not help. */
  | { readonly kind: 'canceled'; readonly message: string; readonly json?: unknown };

export const watchCommand: CommandSpec = {
  path: ['watch'],
  summary: 'Print changes to a key, a range or a prefix as they happen, until Ctrl-C.',
  details: [
    'Prints `[rev N] PUT key = value` and `[rev N] DELETE key` lines (with --json, each watch',
    'message as one JSON line). A lost connection is resumed, on another member if need be, from',
    'the revision after the last event printed.',
    '',
    'Examples:',
    '  vane watch config/ --prefix',
    '  vane watch greeting --rev 1 --prev-kv   # the whole history of the key, then live',
  ].join('\n'),
  args: [{ name: 'KEY' }],
  options: {
    prefix: { type: 'boolean', description: 'every key that starts with KEY' },
    'range-end': {
      type: 'string',
      valueName: 'END',
      description: 'every key from KEY up to END (exclusive)',
    },
    rev: {
      type: 'string',
      valueName: 'N',
      description: 'start at revision N (past events first; default: from now)',
    },
    'prev-kv': { type: 'boolean', description: 'also print the value each key had before' },
    'no-put': { type: 'boolean', description: 'leave out puts' },
    'no-delete': { type: 'boolean', description: 'leave out deletions' },
  },
  client: true,
  async run(input: CommandInput) {
    const { options, command, io } = input;
    const settings = clientSettings(options, io.env, command);
    const out = new Output(io, settings.json);
    const key = input.args.KEY!;
    const select = selection(key, options, command);
    if (key === '' && select.rangeEnd === undefined && !select.prefix) {
      throw usageError('KEY is empty; to watch every key, use: vane watch "" --prefix', command);
    }
    const filters = [
      ...(options.flag('no-put') ? ['noPut' as const] : []),
      ...(options.flag('no-delete') ? ['noDelete' as const] : []),
    ];
    const create = (startRevision: number): WatchClientMessageJson => ({
      v: PROTOCOL_VERSION,
      type: 'watchCreate',
      ...select,
      ...(startRevision > 0 ? { startRevision } : {}),
      ...(options.flag('prev-kv') ? { prevKv: true } : {}),
      ...(filters.length > 0 ? { filters } : {}),
    });
    const what =
      select.prefix === true
        ? `every key under ${quote(key)}`
        : select.rangeEnd === undefined
          ? quote(key)
          : key === ''
            ? 'every key'
            : `keys from ${quote(key)} up to ${quote(select.rangeEnd)}`;

    const endpoints = settings.endpoints;
    /** The next revision to print; 0 = whatever happens from now. */
    let next = options.integer('rev', 1) ?? 0;
    let current = 0;
    let connections = 0;
    let failures: { endpoint: string; reason: string }[] = [];
    let unreachableSince: number | null = null;
    let backoff = INITIAL_RECONNECT_MS;
    for (;;) {
      const endpoint = endpoints[current % endpoints.length]!;
      let created = false;
      const end = await watchSession(
        endpoint,
        create(next),
        io.interrupt,
        settings.token,
        (message, response) => {
          if (out.json) out.jsonLine(message);
          if (response.created) {
            created = true;
            if (next === 0) next = response.revision + 1;
            const from = next > 0 ? `revision ${next}` : 'now';
            out.note(
              connections === 0
                ? `watching ${what} from ${from} (Ctrl-C stops)`
                : `resumed on ${endpoint} from ${from}`,
            );
            connections++;
            backoff = INITIAL_RECONNECT_MS;
            unreachableSince = null;
            failures = [];
            return;
          }
          for (const event of response.events) {
            if (!out.json) out.line(eventLine(event));
            next = Math.max(next, event.kv.modRevision + 1);
          }
          // A progress notification: nothing matched up to its revision.
          if (response.events.length === 0 && !response.canceled)
            next = Math.max(next, response.revision + 1);
        },
      );
      if (end.kind === 'interrupted') return 0;
      if (end.kind === 'canceled') throw new CliError(end.message, 1, end.json);
      if (end.kind === 'lost' && created) {
        out.note(`lost the connection to ${endpoint} (${end.reason}); resuming from revision ${next}...`);
        if (!(await sleep(INITIAL_RECONNECT_MS, io.interrupt))) return 0;
        continue;
      }
      failures.push({ endpoint, reason: end.reason });
      unreachableSince ??= Date.now();
      current++;
      const waited = Date.now() - unreachableSince;
      if (waited >= settings.timeoutMs) {
        throw new CliError(
          `${noMemberAnswered(failures.slice(-endpoints.length))} (for ${formatDuration(waited)})`,
        );
      }
      if (current % endpoints.length === 0) {
        if (connections > 0 && failures.length === endpoints.length) {
          out.note(
            `no member answers; still trying for up to ${formatDuration(settings.timeoutMs - waited)}...`,
          );
        }
        if (!(await sleep(backoff, io.interrupt))) return 0;
        backoff = Math.min(backoff * 2, MAX_RECONNECT_MS);
      }
    }
  },
};

function eventLine(event: WatchEvent): string {
  const { kv, prevKv } = event;
  const was = prevKv === undefined ? '' : ` (was: ${displayValue(prevKv.value)})`;
  return event.type === 'put'
    ? `[rev ${kv.modRevision}] PUT ${displayText(kv.key)} = ${displayValue(kv.value)}${was}`
    : `[rev ${kv.modRevision}] DELETE ${displayText(kv.key)}${was}`;
}

/** One WebSocket: connect, create the watch, hand each response over, until it ends one way or another. */
async function watchSession(
  endpoint: string,
  create: WatchClientMessageJson,
  interrupt: AbortSignal,
  token: string | undefined,
  onResponse: (message: unknown, response: WatchResponse) => void,
): Promise<SessionEnd> {
  if (interrupt.aborted) return { kind: 'interrupted' };
  // Loaded here rather than at the top: only `vane watch` needs it, and it costs every command ~0.1 s.
  const { WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const url = `${endpoint.replace(/^http/, 'ws')}/v1/watch`;
    const ws = new WebSocket(url, {
      handshakeTimeout: ATTEMPT_TIMEOUT_MS,
      maxPayload: MAX_WATCH_MESSAGE_BYTES,
      ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
    });
    let opened = false;
    let ended = false;
    const finish = (end: SessionEnd): void => {
      if (ended) return;
      ended = true;
      interrupt.removeEventListener('abort', onAbort);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, end.kind);
      else ws.terminate();
      resolve(end);
    };
    const onAbort = (): void => finish({ kind: 'interrupted' });
    interrupt.addEventListener('abort', onAbort, { once: true });

    ws.on('open', () => {
      opened = true;
      ws.send(JSON.stringify(create));
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ended) return;
      let json: unknown;
      try {
        json = isBinary ? undefined : JSON.parse(rawText(data));
      } catch {
        json = undefined;
      }
      const message = decodeWatchServerMessage(json);
      if (isDecodeError(message)) {
        finish({
          kind: 'canceled',
          message: `${endpoint} sent a watch message this CLI cannot read: ${message.message}`,
        });
        return;
      }
      if (message.type === 'error') {
        const { code, message: text } = message.error;
        if (TRANSIENT.has(code)) finish({ kind: 'lost', reason: text });
        else finish({ kind: 'canceled', message: `the watch was refused: ${text} [${code}]`, json });
        return;
      }
      // This CLI sends no request messages, so no request answer ever comes.
      if (message.type === 'response') return;
      const response = message.response;
      onResponse(json, response);
      if (response.canceled) {
        const message =
          response.compactRevision !== undefined
            ? `the watch was canceled: the history it needs was compacted (the oldest revision left is ${response.compactRevision}); ` +
              `watch again with --rev ${response.compactRevision}, or without --rev to follow from now`
            : `the watch was canceled: ${response.cancelReason ?? 'no reason given'}`;
        finish({ kind: 'canceled', message });
      }
    });
    ws.on('unexpected-response', (request, response) => {
      request.destroy();
      finish({
        kind: 'unreachable',
        reason: `HTTP ${response.statusCode} instead of a WebSocket (is it a Vane member?)`,
      });
    });
    ws.on('error', (error) => {
      finish(
        opened
          ? { kind: 'lost', reason: connectionFailure(error) }
          : { kind: 'unreachable', reason: connectionFailure(error) },
      );
    });
    ws.on('close', (code, reason) => {
      const why = `closed with code ${code}${reason.length > 0 ? `: ${reason.toString()}` : ''}`;
      finish(opened ? { kind: 'lost', reason: why } : { kind: 'unreachable', reason: why });
    });
  });
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
