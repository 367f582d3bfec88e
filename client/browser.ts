// The SDK's entry point for browsers: the runtime-neutral SDK, with replicas cached in IndexedDB by
// default and one connection shared by all the tabs of the origin (Web Locks pick the tab that holds
// it). Flags (client/flags.ts) and the OpenFeature providers (client/openfeature/) are entry points
// of their own, so that an app that does not use them downloads neither them nor zod.
import { memoryStorage } from './cache.ts';
import { Client, type ClientOptions } from './client.ts';
import { CONNECTION_DEFAULTS, Connection } from './connection.ts';
import { idbStorage } from './idb-storage.ts';
import type { SchemaMap } from './schema.ts';
import { SharedTabsTransport, sharedConnectionName, sharedTabsSupported } from './shared-tabs.ts';
import type { TransportHooks } from './transport.ts';
import { socketAddress } from './websocket.ts';

export { IDB_RECORD_FORMAT, type IdbStorageOptions, idbStorage } from './idb-storage.ts';
export * from './index.ts';
export {
  type ChannelLike,
  type LockManagerLike,
  SHARED_TABS_PROTOCOL,
  type SharedTabsOptions,
  type SharedTabsRole,
  SharedTabsTransport,
  sharedConnectionName,
  sharedTabsSupported,
} from './shared-tabs.ts';

export interface BrowserClientOptions<S extends SchemaMap = SchemaMap> extends ClientOptions<S> {
  /**
   * 'auto' (the default): the tabs of this origin whose clients have the same endpoints (and
   * sharedConnectionName) share one connection, where Web Locks and BroadcastChannel exist.
   * 'off': this client opens its own.
   */
  readonly sharedConnection?: 'auto' | 'off';
  /** Clients that must not share a connection (e.g. other credentials) give different names. */
  readonly sharedConnectionName?: string;
}

/**
 * Chromium holds back each new WebSocket of a page once earlier ones failed (its network service's
 * WebSocketPerProcessThrottler: a random 1-5 s scaled by 2^n / 65536, n growing with pending and
 * failed connects up to 16, so up to 5 s), and an attempt given up counts as one more failure. A
 * shorter connect timeout abandons every attempt before it starts: measured, 1 s never reconnected
 * while 5 s did. 6 s leaves the handshake a second past the longest hold.
 */
export const BROWSER_MIN_CONNECT_TIMEOUT_MS = 6_000;

export function createClient<S extends SchemaMap = Record<never, never>>(
  options: BrowserClientOptions<S>,
): Client<S> {
  const name = options.sharedConnectionName ?? sharedConnectionName(options.endpoints);
  const withDefaults: ClientOptions<S> = {
    ...options,
    storage:
      options.storage ??
      (typeof indexedDB === 'undefined' ? memoryStorage() : idbStorage({ namespace: name })),
    connectTimeoutMs: Math.max(
      options.connectTimeoutMs ?? CONNECTION_DEFAULTS.connectTimeoutMs,
      BROWSER_MIN_CONNECT_TIMEOUT_MS,
    ),
  };
  if (options.transport !== undefined || options.sharedConnection === 'off' || !sharedTabsSupported()) {
    return new Client<S>(withDefaults);
  }
  // Checked here, not only in the holder tab that opens the connection.
  if (options.endpoints.length === 0) throw new Error('createClient: give at least one endpoint');
  for (const endpoint of options.endpoints) socketAddress(endpoint, undefined);
  // Closing this client closes this tab's part of the shared connection; the other tabs keep theirs.
  const shared = ({ onError }: TransportHooks): SharedTabsTransport =>
    new SharedTabsTransport({
      name,
      // What the connection reports reaches this client's 'error' listeners while this tab holds it.
      connect: () =>
        new Connection({
          ...definedOnly({
            token: options.token,
            webSocket: options.webSocket,
            requestTimeoutMs: options.requestTimeoutMs,
            connectTimeoutMs: withDefaults.connectTimeoutMs,
            backoff: options.backoff,
            staleAfterMs: options.staleAfterMs,
            failoverAfterMs: options.failoverAfterMs,
            clock: options.clock,
            random: options.random,
          }),
          endpoints: options.endpoints,
          onError,
        }),
      ...definedOnly({
        requestTimeoutMs: options.requestTimeoutMs,
        clock: options.clock,
        random: options.random,
      }),
    });
  return new Client<S>({ ...withDefaults, transport: shared });
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
