// A member's client API served on a loopback port from this process: the real HTTP app, watch
// sessions and Node adapter over a FakeMember (one in-process store), for SDK tests that need the
// real wire without spawning a cluster.
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { serveClientApi } from '../../server/adapters/node/http.ts';
import { MAX_WATCH_MESSAGE_BYTES } from '../../server/adapters/start-member.ts';
import { createTestApp, FakeMember } from '../../server/http/testing.ts';
import { WatchSession } from '../../server/http/watch-session.ts';
import { createLogger } from '../../server/log.ts';

export interface TestServer {
  readonly member: FakeMember;
  readonly url: string;
  close(): Promise<void>;
}

export async function startTestServer(member: FakeMember = new FakeMember()): Promise<TestServer> {
  const { app, metrics } = createTestApp({ member });
  const logger = createLogger({ level: 'silent', name: 'test-server' });
  const server = await serveClientApi({
    app,
    host: '127.0.0.1',
    port: 0,
    maxWatchMessageBytes: MAX_WATCH_MESSAGE_BYTES,
    onWatchSocket: (socket) => new WatchSession(member, socket, { limits: DEFAULT_LIMITS, logger, metrics }),
  });
  return { member, url: `http://127.0.0.1:${server.port}`, close: () => server.close() };
}
