// A member on Deno: the file system, the peer network and the HTTP server on Deno's own APIs,
// wired to the same runtime-neutral Member and client API as on Node.
import { DEFAULT_LIMITS } from '../../../core/limits.ts';
import type { MemberConfig } from '../../config.ts';
import { createApp, WatchSession } from '../../http/index.ts';
import { createLogger } from '../../log.ts';
import { Member } from '../../member/index.ts';
import { Metrics } from '../../metrics.ts';
import { denoFileSystem, denoProcessTable } from './fs.ts';
import { serveClientApi } from './http.ts';
import { createDenoPeerNetwork } from './peer-socket.ts';

export interface RunningMember {
  readonly member: Member;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Resolves when the member stops, by stop() or by itself (removed from the cluster, fatal error). */
  readonly stopped: Promise<string>;
  stop(): Promise<void>;
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export async function startDenoMember(config: MemberConfig): Promise<RunningMember> {
  const logger = createLogger({ level: config.logLevel, name: config.name });
  const metrics = new Metrics();
  let onStopped: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    onStopped = resolve;
  });
  const member = await Member.start({
    config,
    fs: denoFileSystem,
    processes: denoProcessTable,
    network: createDenoPeerNetwork(),
    logger,
    metrics,
    now: () => performance.now(),
    randomSeed: randomSeed(),
    onStopped: (reason) => onStopped(reason),
  });
  const limits = DEFAULT_LIMITS;
  const app = createApp(member, {
    limits,
    logger,
    metrics,
    ...(config.corsOrigins.length > 0 ? { cors: { origins: config.corsOrigins } } : {}),
  });
  const server = await serveClientApi({
    app,
    host: config.listenClient.host,
    port: config.listenClient.port,
    maxWatchMessageBytes: 64 * 1024,
    ...(config.corsOrigins.length > 0 ? { allowedOrigins: config.corsOrigins } : {}),
    onWatchSocket: (socket) => new WatchSession(member, socket, { limits, logger, metrics }),
  });
  logger.info(
    {
      client: `http://${config.listenClient.host}:${server.port}`,
      peer: member.peerPort,
      runtime: `deno ${Deno.version.deno}`,
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
