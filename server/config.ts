// A member's configuration: from command-line flags, then VANE_* environment variables, then
// defaults. Validated once here; everything downstream trusts it.
import * as z from 'zod';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { DEFAULT_MAX_CLIENT_CONNECTIONS, DEFAULT_WATCH_SESSION_LIMITS } from './http/index.ts';

export interface MemberConfig {
  /** This member's id in the cluster (unique, never reused). */
  readonly name: string;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly clusterSecret: string;
  readonly listenClient: HostPort;
  readonly listenPeer: HostPort;
  /** URLs other members and clients use to reach this member. */
  readonly advertiseClientUrl: string;
  readonly advertisePeerUrl: string;
  /** For a new cluster: every founding member's peer URL. Empty when joining or restarting. */
  readonly initialCluster: ReadonlyMap<string, string>;
  /** A client URL of a running member, to join an existing cluster after `vane member add`. */
  readonly join: string | null;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Applied entries between two store snapshots (which allow the WAL to be trimmed). */
  readonly snapshotEntries: number;
  /** Entries kept in memory behind a snapshot, so a briefly lagging follower catches up without one. */
  readonly snapshotCatchupEntries: number;
  readonly quotaBytes: number;
  /** Keep this many revisions of history (0 = no automatic compaction by count). */
  readonly autoCompactRevisions: number;
  /** Keep this many minutes of history instead (0 = off); wins over autoCompactRevisions. */
  readonly autoCompactMinutes: number;
  readonly corsOrigins: readonly string[];
  /** Bytes in one client request body (etcd --max-request-bytes). */
  readonly maxRequestBytes: number;
  /** Open client connections, HTTP and watch WebSockets together; one more is refused with 503. */
  readonly maxClientConnections: number;
  /** Watches one watch WebSocket may hold open. */
  readonly maxWatchesPerConnection: number;
  /** Unsent bytes a watch client may have before it is disconnected as too slow. */
  readonly maxWatchBufferBytes: number;
  /** How long a watch client may stay too far behind before it is disconnected. */
  readonly slowWatcherTimeoutMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** TLS for the client API (https, wss); null = plain HTTP. */
  readonly clientTls: TlsFiles | null;
  /** TLS for the peer listener (wss); null = plain ws. */
  readonly peerTls: TlsFiles | null;
  /** CA certificates (PEM) trusted when dialing peers over wss; null = the runtime's own. */
  readonly peerTrustedCaFile: string | null;
  /** The key this member signs tokens with (PEM PKCS#8 Ed25519); null = one it creates in its data directory. */
  readonly authSigningKeyFile: string | null;
  /** Requests per second each token may make on this member; null = unlimited. */
  readonly tokenRateLimit: { readonly perSecond: number; readonly burst: number } | null;
}

/** A certificate chain and its private key, PEM files. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_CLIENT_PORT = 7379;
export const DEFAULT_PEER_PORT = 7380;
/** A watch client is paused at 1/16 of its buffer bound, which must leave room for a few messages. */
export const MIN_WATCH_BUFFER_BYTES = 64 * 1024;

/** Requests per second a token may make on one member unless --token-rate-limit says otherwise. */
export const DEFAULT_TOKEN_RATE_LIMIT = 1000;

/** The flags `vane serve` takes; each also reads VANE_<NAME_IN_UPPER_SNAKE>. */
export const SERVE_FLAGS = {
  name: 'member name, unique in the cluster (VANE_NAME)',
  'data-dir': 'data directory (default ./<name>.vane)',
  'cluster-id': 'cluster id; peers from another cluster are refused (default vane)',
  'cluster-secret': 'shared secret that peers prove they know (required; VANE_CLUSTER_SECRET)',
  'listen-client': `client API address host:port (default 127.0.0.1:${DEFAULT_CLIENT_PORT})`,
  'listen-peer': `peer address host:port (default 127.0.0.1:${DEFAULT_PEER_PORT})`,
  'advertise-client': 'client URL others use (default http://<listen-client>)',
  'advertise-peer': 'peer URL others use (default ws://<listen-peer>)',
  'initial-cluster': 'founding members, name=peerURL,... (new cluster only)',
  join: 'client URL of a running member, to join after `vane member add`',
  'tick-ms': 'milliseconds per Raft tick (default 100)',
  'election-ticks': 'ticks without a leader before an election (default 10)',
  'heartbeat-ticks': 'ticks between heartbeats (default 1)',
  'snapshot-entries':
    'at least this many applied entries, and as many log bytes as the last snapshot, between snapshots (default 10000)',
  'snapshot-catchup-entries': 'entries kept after a snapshot for lagging followers (default 5000)',
  'quota-bytes': 'store size limit; writes past it are refused (default 2 GiB)',
  'auto-compact-revisions': 'keep this many revisions of history (default 10000; 0 = off)',
  'auto-compact-minutes': 'keep this many minutes of history instead of a revision count (default 0 = off)',
  'cors-origins': 'comma-separated origins allowed to call the API from a browser',
  'max-request-bytes': 'largest client request body in bytes (default 1572864 = 1.5 MiB)',
  'max-client-connections': 'open client connections, HTTP and WebSocket together (default 4096)',
  'max-watches-per-connection': 'watches one watch WebSocket may hold (default 1000)',
  'max-watch-buffer-bytes': 'unsent bytes a watch client may have before it is disconnected (default 16 MiB)',
  'slow-watcher-timeout-ms': 'how long a watch client may lag before it is disconnected (default 30000)',
  'log-level': 'debug, info, warn or error (default info)',
  'cert-file': 'TLS certificate (PEM) for the client API: serve https and wss',
  'key-file': 'TLS private key (PEM) for --cert-file',
  'peer-cert-file': 'TLS certificate (PEM) for the peer listener: peers connect over wss',
  'peer-key-file': 'TLS private key (PEM) for --peer-cert-file',
  'peer-trusted-ca-file':
    "CA certificates (PEM) trusted when connecting to peers over wss (default the runtime's)",
  'auth-signing-key-file':
    'Ed25519 private key (PEM PKCS#8) this member signs tokens with (default <data-dir>/auth/signing-key.pem, created when first needed)',
  'token-rate-limit': 'requests per second each token may make on this member (default 1000; 0 = unlimited)',
  'token-rate-burst': 'requests a token may make at once after being idle (default 2 x --token-rate-limit)',
} as const;

export type ServeFlag = keyof typeof SERVE_FLAGS;

const hostPort = z.string().transform((value, ctx): HostPort => {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected host:port, got '${value}'` });
    return z.NEVER;
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
});

const positiveInt = (fallback: number) =>
  z.coerce.number().int('must be a whole number').positive('must be positive').default(fallback);

const schema = z.object({
  name: z
    .string({ error: 'is required (--name or VANE_NAME)' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, dots, dashes or underscores'),
  'data-dir': z.string().optional(),
  'cluster-id': z.string().min(1).max(128).default('vane'),
  'cluster-secret': z
    .string({ error: 'is required (--cluster-secret or VANE_CLUSTER_SECRET)' })
    .min(16, 'must be at least 16 characters'),
  'listen-client': hostPort.prefault(`127.0.0.1:${DEFAULT_CLIENT_PORT}`),
  'listen-peer': hostPort.prefault(`127.0.0.1:${DEFAULT_PEER_PORT}`),
  'advertise-client': z.url().optional(),
  'advertise-peer': z.url().optional(),
  'initial-cluster': z.string().optional(),
  join: z.url().optional(),
  'tick-ms': positiveInt(100),
  'election-ticks': positiveInt(10),
  'heartbeat-ticks': positiveInt(1),
  'snapshot-entries': positiveInt(10_000),
  'snapshot-catchup-entries': positiveInt(5_000),
  'quota-bytes': positiveInt(2 * 1024 ** 3),
  'auto-compact-revisions': z.coerce.number().int().nonnegative().default(10_000),
  'auto-compact-minutes': z.coerce.number().nonnegative().default(0),
  'cors-origins': z.string().default(''),
  'max-request-bytes': positiveInt(DEFAULT_LIMITS.maxRequestBytes),
  'max-client-connections': positiveInt(DEFAULT_MAX_CLIENT_CONNECTIONS),
  'max-watches-per-connection': positiveInt(DEFAULT_WATCH_SESSION_LIMITS.maxWatches),
  'max-watch-buffer-bytes': positiveInt(DEFAULT_WATCH_SESSION_LIMITS.closeBufferedBytes).refine(
    (bytes) => bytes >= MIN_WATCH_BUFFER_BYTES,
    `must be at least ${MIN_WATCH_BUFFER_BYTES} (64 KiB)`,
  ),
  'slow-watcher-timeout-ms': positiveInt(DEFAULT_WATCH_SESSION_LIMITS.slowClientTimeoutMs),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  'cert-file': z.string().min(1).optional(),
  'key-file': z.string().min(1).optional(),
  'peer-cert-file': z.string().min(1).optional(),
  'peer-key-file': z.string().min(1).optional(),
  'peer-trusted-ca-file': z.string().min(1).optional(),
  'auth-signing-key-file': z.string().min(1).optional(),
  'token-rate-limit': z.coerce.number().nonnegative().default(DEFAULT_TOKEN_RATE_LIMIT),
  'token-rate-burst': z.coerce.number().int().positive().optional(),
});

export type RawServeOptions = Partial<Record<ServeFlag, string>>;

export type ConfigResult = { ok: true; config: MemberConfig } | { ok: false; errors: string[] };

/** Flags win over environment variables (VANE_NAME, VANE_CLUSTER_SECRET, ...), which win over defaults. */
export function resolveConfig(
  flags: RawServeOptions,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const merged: RawServeOptions = {};
  for (const flag of Object.keys(SERVE_FLAGS) as ServeFlag[]) {
    const value = flags[flag] ?? env[`VANE_${flag.toUpperCase().replaceAll('-', '_')}`];
    if (value !== undefined) merged[flag] = value;
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`) };
  }
  const o = parsed.data;
  const initial = parseInitialCluster(o['initial-cluster'] ?? '');
  if (typeof initial === 'string') return { ok: false, errors: [`--initial-cluster: ${initial}`] };
  const errors: string[] = [];
  if (initial.size > 0 && !initial.has(o.name)) {
    errors.push(`--initial-cluster: does not list this member '${o.name}'`);
  }
  if (initial.size > 0 && o.join) errors.push('--initial-cluster and --join exclude each other');
  const clientTls = tlsFiles(o['cert-file'], o['key-file'], '--cert-file', '--key-file', errors);
  const peerTls = tlsFiles(
    o['peer-cert-file'],
    o['peer-key-file'],
    '--peer-cert-file',
    '--peer-key-file',
    errors,
  );
  const rate = o['token-rate-limit'];
  if (o['token-rate-burst'] !== undefined && rate === 0) {
    errors.push('--token-rate-burst needs a --token-rate-limit above 0');
  }
  if (o['heartbeat-ticks'] >= o['election-ticks']) {
    errors.push('--heartbeat-ticks must be smaller than --election-ticks');
  }
  if (errors.length > 0) return { ok: false, errors };
  const listenPeer = o['listen-peer'];
  const listenClient = o['listen-client'];
  return {
    ok: true,
    config: {
      name: o.name,
      dataDir: o['data-dir'] ?? `./${o.name}.vane`,
      clusterId: o['cluster-id'],
      clusterSecret: o['cluster-secret'],
      listenClient,
      listenPeer,
      advertiseClientUrl:
        o['advertise-client'] ?? `${clientTls ? 'https' : 'http'}://${formatHostPort(listenClient)}`,
      advertisePeerUrl:
        o['advertise-peer'] ??
        initial.get(o.name) ??
        `${peerTls ? 'wss' : 'ws'}://${formatHostPort(listenPeer)}`,
      initialCluster: initial,
      join: o.join ?? null,
      tickMs: o['tick-ms'],
      electionTicks: o['election-ticks'],
      heartbeatTicks: o['heartbeat-ticks'],
      snapshotEntries: o['snapshot-entries'],
      snapshotCatchupEntries: o['snapshot-catchup-entries'],
      quotaBytes: o['quota-bytes'],
      autoCompactRevisions: o['auto-compact-revisions'],
      autoCompactMinutes: o['auto-compact-minutes'],
      corsOrigins: o['cors-origins']
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
      maxRequestBytes: o['max-request-bytes'],
      maxClientConnections: o['max-client-connections'],
      maxWatchesPerConnection: o['max-watches-per-connection'],
      maxWatchBufferBytes: o['max-watch-buffer-bytes'],
      slowWatcherTimeoutMs: o['slow-watcher-timeout-ms'],
      logLevel: o['log-level'],
      clientTls,
      peerTls,
      peerTrustedCaFile: o['peer-trusted-ca-file'] ?? null,
      authSigningKeyFile: o['auth-signing-key-file'] ?? null,
      tokenRateLimit:
        rate === 0
          ? null
          : { perSecond: rate, burst: o['token-rate-burst'] ?? Math.max(1, Math.ceil(2 * rate)) },
    },
  };
}

/** Both files or neither: a certificate is no use without its key. */
function tlsFiles(
  certFile: string | undefined,
  keyFile: string | undefined,
  certFlag: string,
  keyFlag: string,
  errors: string[],
): TlsFiles | null {
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined) {
    errors.push(`${certFlag} and ${keyFlag} go together: give both or neither`);
    return null;
  }
  return { certFile, keyFile };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `m1=ws://127.0.0.1:7380,m2=ws://...` → Map, or an error message. */
export function parseInitialCluster(value: string): Map<string, string> | string {
  const members = new Map<string, string>();
  for (const part of value.split(',').map((s) => s.trim())) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return `expected name=peerURL, got '${part}'`;
    const name = part.slice(0, eq);
    const url = part.slice(eq + 1);
    if (!/^(ws|wss|http|https):\/\/[^/]+/.test(url))
      return `member '${name}': '${url}' is not a ws:// or http:// URL`;
    if (members.has(name)) return `member '${name}' is listed twice`;
    members.set(name, url);
  }
  return members;
}
