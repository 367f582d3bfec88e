// The edge tier in workerd for tests: the repo's wrangler.toml run through wrangler's own dev
// pipeline (unstable_startWorker: the same bundling as `wrangler deploy`, then workerd through
// miniflare), pointed at a local cluster, with Durable Object storage persisted under test-output/
// so that a restart keeps it. Browsers are simulated with the `ws` package speaking the watch
// protocol, as a browser's SDK would.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unstable_startWorker } from 'wrangler';
import { WebSocket } from 'ws';
import type { EdgeLimits } from '../../server/edge/index.ts';
import { waitFor } from '../cluster/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER_CONFIG = join(ROOT, 'wrangler.toml');

// Wrangler would otherwise try to download Cloudflare's `request.cf` data (there is no network).
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

export interface EdgeOptions {
  readonly name: string;
  readonly clusterEndpoints: readonly string[];
  readonly prefixes?: readonly string[];
  readonly limits?: Partial<EdgeLimits>;
  /** The token the edge presents to the cluster (VANE_EDGE_TOKEN), when the cluster has auth enabled. */
  readonly edgeToken?: string;
}

type StartedWorker = Awaited<ReturnType<typeof unstable_startWorker>>;

export class EdgeWorker {
  readonly persistDir: string;
  readonly #options: EdgeOptions;
  #worker: StartedWorker | null = null;
  #url = '';

  private constructor(options: EdgeOptions, persistDir: string) {
    this.#options = options;
    this.persistDir = persistDir;
  }

  static async start(options: EdgeOptions): Promise<EdgeWorker> {
    const persistDir = join(ROOT, 'test-output', 'edge', `${options.name}-${process.pid}`);
    rmSync(persistDir, { recursive: true, force: true });
    mkdirSync(persistDir, { recursive: true });
    const edge = new EdgeWorker(options, persistDir);
    await edge.#launch();
    return edge;
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return this.#url;
  }

  get wsUrl(): string {
    return this.#url.replace(/^http/, 'ws');
  }

  /** Stops workerd and starts it again on the same storage: every object starts from what it stored. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
  }

  async stop(): Promise<void> {
    await this.#worker?.dispose();
    this.#worker = null;
  }

  async #launch(): Promise<void> {
    const { clusterEndpoints, prefixes = [], limits = {}, edgeToken } = this.#options;
    const worker = await unstable_startWorker({
      config: WRANGLER_CONFIG,
      sendMetrics: false,
      bindings: {
        VANE_CLUSTER_ENDPOINTS: { type: 'plain_text', value: clusterEndpoints.join(',') },
        VANE_EDGE_PREFIXES: { type: 'plain_text', value: prefixes.join(',') },
        VANE_EDGE_LIMITS: { type: 'json', value: limits },
        ...(edgeToken === undefined ? {} : { VANE_EDGE_TOKEN: { type: 'secret_text', value: edgeToken } }),
      },
      dev: {
        persist: this.persistDir,
        inspector: false,
        watch: false,
        logLevel: 'warn',
        server: { hostname: '127.0.0.1', port: 0 },
      },
    });
    await worker.ready;
    this.#worker = worker;
    this.#url = (await worker.url).origin;
  }

  get(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.#url}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  }
}

/** A Worker of a test fixture's own wrangler config, running in workerd. */
export interface FixtureWorker {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the Worker of `config` (a wrangler config file) in workerd through the same dev pipeline as
 * EdgeWorker, with `vars` as plain-text bindings and no storage kept.
 */
export async function startFixtureWorker(
  config: string,
  vars: Readonly<Record<string, string>>,
): Promise<FixtureWorker> {
  const worker = await unstable_startWorker({
    config,
    sendMetrics: false,
    bindings: Object.fromEntries(
      Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text' as const, value }]),
    ),
    dev: {
      persist: false,
      inspector: false,
      watch: false,
      logLevel: 'warn',
      server: { hostname: '127.0.0.1', port: 0 },
    },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  return { url, stop: () => worker.dispose() };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary protocol JSON
export type Message = any;

/** A browser's watch connection to the edge: sends protocol messages, keeps every one it receives. */
export class BrowserSocket {
  readonly received: Message[] = [];
  readonly #socket: WebSocket;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => this.received.push(JSON.parse(String(data))));
    socket.on('close', () => {
      this.#closed = true;
    });
  }

  static async connect(edge: EdgeWorker, prefix: string, query = ''): Promise<BrowserSocket> {
    const socket = new WebSocket(`${edge.wsUrl}/v1/watch?prefix=${encodeURIComponent(prefix)}${query}`);
    await new Promise<void>((resolveOpen, reject) => {
      socket.once('open', () => resolveOpen());
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`the edge refused the upgrade with ${response.statusCode}`)),
      );
    });
    return new BrowserSocket(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(message: object): void {
    this.#socket.send(JSON.stringify({ v: 1, ...message }));
  }

  watch(watchId: number, key: string, options: object = {}): void {
    this.send({ type: 'watchCreate', watchId, key, prefix: true, ...options });
  }

  /** The events delivered to `watchId`, in order, as `key=value` (deletes as `key deleted`). */
  events(watchId: number): string[] {
    return this.received
      .filter((m) => m.type === 'watchResponse' && m.watchId === watchId)
      .flatMap((m) =>
        m.events.map((e: Message) =>
          e.type === 'put' ? `${e.kv.key}=${e.kv.value}` : `${e.kv.key} deleted`,
        ),
      );
  }

  /** Waits for a message matching `match`, and returns it. */
  next(what: string, match: (message: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    return waitFor(what, timeoutMs, () => this.received.find(match));
  }

  close(): void {
    this.#socket.close();
  }
}
