// The options of every command that talks to a cluster: which members to ask, how long to keep
// trying, and whether to print text or the API's JSON.
import { type OptionSpec, type OptionValues, usageError } from './command.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:7379';
export const DEFAULT_TIMEOUT_MS = 10_000;
/** More endpoints than any cluster has members is a typo (or a pasted list gone wrong). */
export const MAX_ENDPOINTS = 32;
/** A day: longer than any sensible wait, short enough to catch a unit mistake (`--timeout 10000m`). */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export const CLIENT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  endpoints: {
    type: 'string',
    valueName: 'URLS',
    description: `comma-separated client URLs of members (default ${DEFAULT_ENDPOINT}; env VANE_ENDPOINTS)`,
  },
  timeout: {
    type: 'string',
    valueName: 'DURATION',
    description: 'how long to keep trying, e.g. 500ms, 10s, 2m (default 10s; env VANE_TIMEOUT)',
  },
  json: { type: 'boolean', description: "print the API's JSON instead of text" },
  token: {
    type: 'string',
    valueName: 'TOKEN',
    description: 'the token to send, when the cluster has auth enabled (env VANE_TOKEN)',
  },
};

export interface ClientSettings {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly json: boolean;
  /** Sent as `Authorization: Bearer <token>`; undefined = none. */
  readonly token: string | undefined;
}

export function clientSettings(
  options: OptionValues,
  env: Readonly<Record<string, string | undefined>>,
  command: string,
): ClientSettings {
  const endpointsText = options.string('endpoints') ?? env.VANE_ENDPOINTS ?? DEFAULT_ENDPOINT;
  const timeoutText = options.string('timeout') ?? env.VANE_TIMEOUT;
  return {
    endpoints: parseEndpoints(endpointsText, command),
    timeoutMs:
      timeoutText === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeoutText, '--timeout', command),
    json: options.flag('json'),
    token: parseToken(options.string('token') ?? env.VANE_TOKEN, command),
  };
}

/** A token is one word; surrounding whitespace (a pasted newline) is dropped. */
function parseToken(text: string | undefined, command: string): string | undefined {
  const token = text?.trim();
  if (token === undefined || token === '') return undefined;
  if (/\s/.test(token)) throw usageError('--token: a token has no spaces in it', command);
  return token;
}

/** 'http://a:7379, http://b:7379/' → ['http://a:7379', 'http://b:7379']. */
export function parseEndpoints(text: string, command: string): string[] {
  const endpoints: string[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    if (part === '') continue;
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw usageError(`--endpoints: '${part}' is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`, command);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw usageError(`--endpoints: '${part}' is not an http:// or https:// URL`, command);
    }
    const endpoint = part.replace(/\/+$/, '');
    if (!endpoints.includes(endpoint)) endpoints.push(endpoint);
  }
  if (endpoints.length === 0) throw usageError('--endpoints: no URL given', command);
  if (endpoints.length > MAX_ENDPOINTS) {
    throw usageError(`--endpoints: ${endpoints.length} URLs; at most ${MAX_ENDPOINTS} are accepted`, command);
  }
  return endpoints;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** '500ms', '10s', '2m', '1h', or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, what: string, command: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 's']! : Number.NaN;
  if (!(ms > 0) || ms > MAX_TIMEOUT_MS) {
    throw usageError(
      `${what}: expected a duration such as 500ms, 10s or 2m (at most 24h), got '${text}'`,
      command,
    );
  }
  return Math.round(ms);
}
