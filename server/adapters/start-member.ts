// Starting a member is the same on every runtime: open the member, build the client API on it,
// serve it. Each runtime's adapter folder supplies only what differs (RuntimeAdapters).
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import type { MemberConfig } from '../config.ts';
import { type ClientSocket, createApp, WatchSession, type WatchSocketListener } from '../http/index.ts';
import { createLogger } from '../log.ts';
import { Member } from '../member/index.ts';
import { Metrics } from '../metrics.ts';
import type { FileSystem, ProcessTable } from '../storage/index.ts';
import type { PeerNetwork } from '../transport/index.ts';

/** Largest message a watch client may send on its WebSocket. */
export const MAX_WATCH_MESSAGE_BYTES = 64 * 1024;

export interface ClientApiServerOptions {
  /** The hono app (or anything with its fetch). */
  readonly app: { readonly fetch: (request: Request) => Response | Promise<Response> };
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Called for every accepted watch WebSocket; the returned listener receives its messages. */
  readonly onWatchSocket: (socket: ClientSocket) => WatchSocketListener;
  /** Largest watch message a client may send; a bigger frame closes the socket with 1009. */
  readonly maxWatchMessageBytes: number;
  /** Browser origins allowed to open a watch socket (same list as CORS); absent = any. */
  readonly allowedOrigins?: readonly string[];
  /** Watch sockets are pinged this often; one that has not answered the previous ping is cut off. */
  readonly heartbeatMs?: number;
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
  const logger = createLogger({ level: config.logLevel, name: config.name });
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
    onStopped: (reason) => onStopped(reason),
  });
  const limits = DEFAULT_LIMITS;
  const cors = config.corsOrigins.length > 0 ? config.corsOrigins : undefined;
  const app = createApp(member, { limits, logger, metrics, ...(cors ? { cors: { origins: cors } } : {}) });
  const server = await adapters.serveClientApi({
    app,
    host: config.listenClient.host,
    port: config.listenClient.port,
    maxWatchMessageBytes: MAX_WATCH_MESSAGE_BYTES,
    ...(cors ? { allowedOrigins: cors } : {}),
    onWatchSocket: (socket) => new WatchSession(member, socket, { limits, logger, metrics }),
  });
  logger.info(
    {
      client: `http://${config.listenClient.host}:${server.port}`,
      peer: member.peerPort,
      runtime: adapters.runtime,
    },
    'serving the client API',
  );
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server.close();
      await member.stop('shutdown');
    })();
    return stopping;
  };
  void stopped.then(() => stop());
  return { member, clientPort: server.port, peerPort: member.peerPort, stopped, stop };
}
