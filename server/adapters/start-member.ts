// Starting a member is the same on every runtime: open the member, build the client API on it,
// serve it. Each runtime's adapter folder supplies only what differs (RuntimeAdapters).
import { isVaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  AuthService,
  loadSigningKey,
  SIGNING_KEY_FILE,
  type UpgradeRequest,
  upgradeToken,
} from '../auth/index.ts';
import type { MemberConfig, TlsFiles } from '../config.ts';
import {
  allowedOrigins,
  type ClientSocket,
  createApp,
  type OriginPolicy,
  refuseWatchSocket,
  WatchSession,
  type WatchSessionLimits,
  type WatchSocketListener,
} from '../http/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { Member, type MemberApi } from '../member/index.ts';
import { Metrics } from '../metrics.ts';
import type { FileSystem, ProcessTable } from '../storage/index.ts';
import type { PeerNetwork } from '../transport/index.ts';

/** Largest message a watch client may send on its WebSocket: a request message carries as much as an HTTP body. */
export const MAX_WATCH_MESSAGE_BYTES = DEFAULT_LIMITS.maxRequestBytes;

export interface ClientApiServerOptions {
  /** The hono app (or anything with its fetch). */
  readonly app: { readonly fetch: (request: Request) => Response | Promise<Response> };
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Called for every accepted watch WebSocket; the returned listener receives its messages. */
  readonly onWatchSocket: (socket: ClientSocket) => WatchSocketListener;
  /**
   * When present, decides for each watch upgrade (before it completes) what opens its socket,
   * instead of onWatchSocket: a session for the principal its token names, or a refusal.
   */
  readonly admitWatch?: (request: UpgradeRequest) => Promise<(socket: ClientSocket) => WatchSocketListener>;
  /** Serve https and wss with this certificate chain and key (PEM text). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Largest watch message a client may send; a bigger frame closes the socket with 1009. */
  readonly maxWatchMessageBytes: number;
  /** Open client connections (HTTP and WebSocket); one more is answered 503. Default 4096. */
  readonly maxConnections?: number;
  /** Which browser origins may open a watch socket (the same as CORS allows); absent = any. */
  readonly allowsOrigin?: OriginPolicy;
  /** Watch sockets are pinged this often; one that has not answered the previous ping is cut off. */
  readonly heartbeatMs?: number;
  /** An idle kept-alive HTTP connection is closed after this long (default 120 s). */
  readonly keepAliveMs?: number;
}

export interface ClientApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface RuntimeAdapters {
  /** For the log line that says the member is serving, e.g. 'node v20.20.2'. */
  readonly runtime: string;
  readonly fs: FileSystem;
  readonly processes: ProcessTable;
  readonly network: PeerNetwork;
  readonly serveClientApi: (options: ClientApiServerOptions) => Promise<ClientApiServer>;
  /** An unpredictable 32-bit seed (election jitter, request ids). */
  readonly randomSeed: () => number;
  /** See MemberDeps.afterIo; a microtask when absent. */
  readonly afterIo?: (task: () => void) => void;
  /** Where the member logs; JSON lines on stdout at config.logLevel when absent. */
  readonly logger?: Logger;
}

export interface RunningMember {
  readonly member: Member;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Resolves when the member stops, by stop() or by itself (removed from the cluster, fatal error). */
  readonly stopped: Promise<string>;
  stop(): Promise<void>;
}

export async function startMember(config: MemberConfig, adapters: RuntimeAdapters): Promise<RunningMember> {
  const logger = adapters.logger ?? createLogger({ level: config.logLevel, name: config.name });
  const metrics = new Metrics();
  let onStopped: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    onStopped = resolve;
  });
  const member = await Member.start({
    config,
    fs: adapters.fs,
    processes: adapters.processes,
    network: adapters.network,
    logger,
    metrics,
    now: () => performance.now(),
    randomSeed: adapters.randomSeed(),
    ...(adapters.afterIo ? { afterIo: adapters.afterIo } : {}),
    onStopped: (reason) => onStopped(reason),
  });
  const limits = { ...DEFAULT_LIMITS, maxRequestBytes: config.maxRequestBytes };
  const sessionLimits = watchSessionLimits(config);
  const cors = config.corsOrigins.length > 0 ? config.corsOrigins : undefined;
  let auth: AuthService;
  let tls: { cert: string; key: string } | undefined;
  try {
    // A key file given by flag is read now, so that a bad one stops the start rather than `auth enable`.
    const givenKey =
      config.authSigningKeyFile === null
        ? null
        : await loadSigningKey(adapters.fs, config.authSigningKeyFile, { create: false });
    auth = await AuthService.start({
      member,
      clusterId: config.clusterId,
      loadSigningKey: givenKey
        ? async () => givenKey
        : () => loadSigningKey(adapters.fs, `${config.dataDir}/${SIGNING_KEY_FILE}`, { create: true }),
      logger,
      ...(config.tokenRateLimit ? { rateLimit: config.tokenRateLimit } : {}),
    });
    tls = config.clientTls ? await readTlsFiles(adapters.fs, config.clientTls) : undefined;
  } catch (error) {
    await member.stop('startup failed');
    throw error;
  }
  const app = createApp(member, {
    limits,
    logger,
    metrics,
    auth,
    ...(cors ? { cors: { origins: cors } } : {}),
  });
  // Every watch socket gets the member as its token allows (checked through auth.authorize).
  const openSession =
    (api: MemberApi) =>
    (socket: ClientSocket): WatchSocketListener =>
      new WatchSession(api, socket, { limits, sessionLimits, logger, metrics });
  const server = await adapters.serveClientApi({
    app,
    host: config.listenClient.host,
    port: config.listenClient.port,
    maxWatchMessageBytes: MAX_WATCH_MESSAGE_BYTES,
    maxConnections: config.maxClientConnections,
    // Without --cors-origins any page may watch; with it, those origins and the members' own.
    ...(cors ? { allowsOrigin: allowedOrigins(() => member.members(), cors) } : {}),
    ...(tls ? { tls } : {}),
    onWatchSocket: openSession(auth.authorize(null)),
    admitWatch: watchAdmission(auth, openSession),
  });
  logger.info(
    {
      client: `${tls ? 'https' : 'http'}://${config.listenClient.host}:${server.port}`,
      peer: member.peerPort,
      runtime: adapters.runtime,
    },
    'serving the client API',
  );
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server.close();
      auth.stop();
      await member.stop('shutdown');
    })();
    return stopping;
  };
  void stopped.then(() => stop());
  return { member, clientPort: server.port, peerPort: member.peerPort, stopped, stop };
}

/**
 * Admits each watch upgrade as the principal its token names, so that the session reaches the
 * member only through auth.authorize(principal); a bad token gets a socket that only says why.
 */
export function watchAdmission(
  auth: AuthService,
  openSession: (api: MemberApi) => (socket: ClientSocket) => WatchSocketListener,
): (request: UpgradeRequest) => Promise<(socket: ClientSocket) => WatchSocketListener> {
  return async (request) => {
    const token = upgradeToken(request);
    const principal = isVaneError(token) ? token : await auth.authenticate(token);
    if (isVaneError(principal)) return (socket) => refuseWatchSocket(socket, principal);
    return openSession(auth.authorize(principal));
  };
}

/** A PEM certificate chain or key is a few KiB; a file much bigger is not one. */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

async function readTlsFiles(fs: FileSystem, files: TlsFiles): Promise<{ cert: string; key: string }> {
  const read = async (path: string, what: string): Promise<string> => {
    const size = await fs.size(path).catch((error: unknown) => {
      throw new Error(`${what} ${path} cannot be read: ${String(error)}`);
    });
    if (size > MAX_TLS_FILE_BYTES)
      throw new Error(`${what} ${path} has ${size} bytes; a PEM file is a few KiB`);
    return new TextDecoder().decode(await fs.readFile(path));
  };
  return { cert: await read(files.certFile, '--cert-file'), key: await read(files.keyFile, '--key-file') };
}

/** The watch limits a member's configuration sets; a client is paused at 1/16 of its buffer bound. */
export function watchSessionLimits(config: MemberConfig): Partial<WatchSessionLimits> {
  return {
    maxWatches: config.maxWatchesPerConnection,
    closeBufferedBytes: config.maxWatchBufferBytes,
    pauseBufferedBytes: Math.floor(config.maxWatchBufferBytes / 16),
    slowClientTimeoutMs: config.slowWatcherTimeoutMs,
  };
}
