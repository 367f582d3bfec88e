// Test doubles for the CLI: captured streams, a real member API served over loopback HTTP and
// WebSocket (over the HTTP layer's FakeMember), and canned HTTP servers for failure modes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { serveClientApi } from '../adapters/node/http.ts';
import type { ClientApiServer } from '../adapters/start-member.ts';
import { createTestApp, type FakeMember } from '../http/testing.ts';
import { WatchSession } from '../http/watch-session.ts';
import { createLogger } from '../log.ts';
import { runCli } from './cli.ts';
import type { CliDeps, CliIo } from './command.ts';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
}

export interface RunOptions {
  readonly stdin?: string | Uint8Array;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly interrupt?: AbortSignal;
  readonly deps?: CliDeps;
  /** Called with every stdout chunk as it is written (to react to output of a long-running command). */
  readonly onOut?: (text: string) => void;
  /** Likewise for stderr. */
  readonly onErr?: (text: string) => void;
}

const noMember: CliDeps = {
  startNodeMember: () => Promise.reject(new Error('no member in this test')),
};

/** Runs `vane ...argv` in this process with captured streams. */
export async function vane(argv: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const out: Uint8Array[] = [];
  let stderr = '';
  const stdin = typeof options.stdin === 'string' ? new TextEncoder().encode(options.stdin) : options.stdin;
  const io: CliIo = {
    writeOut(chunk) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      out.push(bytes);
      options.onOut?.(new TextDecoder().decode(bytes));
    },
    writeErr(text) {
      stderr += text;
      options.onErr?.(text);
    },
    async readStdin(maxBytes) {
      const bytes = stdin ?? new Uint8Array(0);
      return bytes.length > maxBytes ? 'tooLarge' : bytes;
    },
    env: options.env ?? {},
    interrupt: options.interrupt ?? new AbortController().signal,
  };
  const code = await runCli(argv, io, options.deps ?? noMember);
  const stdoutBytes = new Uint8Array(Buffer.concat(out));
  return { code, stdout: new TextDecoder().decode(stdoutBytes), stderr, stdoutBytes };
}

export interface ServedMember {
  readonly member: FakeMember;
  readonly url: string;
  close(): Promise<void>;
}

/** The real client API (routes and watch WebSocket) over a FakeMember, on a loopback port. */
export async function serveFakeMember(): Promise<ServedMember> {
  const { app, member, metrics } = createTestApp();
  const server: ClientApiServer = await serveClientApi({
    app,
    host: '127.0.0.1',
    port: 0,
    maxWatchMessageBytes: 64 * 1024,
    onWatchSocket: (socket) =>
      new WatchSession(member, socket, {
        limits: DEFAULT_LIMITS,
        logger: createLogger({ level: 'silent', name: 'watch' }),
        metrics,
      }),
  });
  const url = `http://127.0.0.1:${server.port}`;
  member.memberList = member.memberList.map((info) => ({ ...info, clientUrl: url }));
  return { member, url, close: () => server.close() };
}

export interface CannedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface CannedServer {
  readonly url: string;
  readonly requests: CannedRequest[];
  close(): Promise<void>;
}

/** An HTTP server answering each request with what `answer` returns (JSON). */
export async function serveCanned(
  answer: (request: CannedRequest) => { status: number; body: unknown; delayMs?: number },
): Promise<CannedServer> {
  const requests: CannedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      const { status, body: reply, delayMs } = answer(request);
      const send = (): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(reply));
      };
      if (delayMs === undefined) send();
      else setTimeout(send, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback URL on which nothing listens (a port bound, then released). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const header = { revision: 7, member: 'm1', raftTerm: 2 };
