// A prefix object's feed from the cluster, through the client SDK over one WebSocket (the SDK's
// Connection, with failover between members and watch resumption across reconnects): the prefix is
// listed (client.snapshot), then watched from the revision after the list, or after the stored state's
// revision. The SDK's Replica is not used because, when the cluster compacted the history a watch
// needs, it re-lists and emits the difference as one change; the edge must instead tell its browsers
// that its history broke (prefix-object.ts cancels their watches), so it handles that itself.
import {
  Connection,
  createClient,
  type KeyValue as SdkKeyValue,
  type WatchEvent as SdkWatchEvent,
} from '../../client/index.ts';
import {
  decodeRangeResponse,
  decodeWatchServerMessage,
  isDecodeError,
  PROTOCOL_VERSION,
} from '../../core/protocol/index.ts';
import type { KeyValue, WatchEvent } from '../../core/store/index.ts';
import type { EdgeConfig } from './config.ts';
import { fetchWebSocketClass } from './fetch-websocket.ts';
import type { Upstream, UpstreamListener } from './upstream.ts';

/** Delays between attempts to list again after a list or a watch failed. */
const RETRY_INITIAL_MS = 500;
const RETRY_MAX_MS = 30_000;

export function startSdkUpstream(
  config: EdgeConfig,
  prefix: string,
  fromRevision: number | null,
  listener: UpstreamListener,
): Upstream {
  const connection = new Connection({
    endpoints: config.clusterEndpoints,
    token: config.edgeToken,
    webSocket: fetchWebSocketClass((request) => fetch(request)),
    // The SDK confirms the connection with a progress request every staleAfterMs / 2: that is also
    // how the object learns the cluster's revision when its prefix does not change.
    staleAfterMs: config.limits.staleAfterMs,
    onError: (error) => console.error(`edge upstream for '${prefix}': ${error.message}`),
  });
  const client = createClient({ endpoints: config.clusterEndpoints, transport: connection });
  const unsubscribe = connection.onStatus((status) =>
    listener.connection(status.state === 'live', status.state === 'stale' ? status.lagMs : undefined),
  );
  let closed = false;
  let watch: { close(): void } | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  const retry = (why: string): void => {
    if (closed) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** failures++);
    console.error(`edge upstream for '${prefix}': ${why}; listing again in ${delay} ms`);
    retryTimer = setTimeout(() => void list(), delay);
  };

  const watchFrom = (startRevision: number): void => {
    watch = connection.watch(
      { key: prefix, prefix: true, startRevision },
      {
        onEvents: (batch) => {
          failures = 0;
          listener.changed(batch.revision, batch.events.map(toStoreEvent));
        },
        onProgress: (revision) => listener.progressed(revision),
        onCompacted: () => {
          watch = undefined;
          void list();
        },
        onError: (error) => {
          watch = undefined;
          retry(`the cluster refused the watch (${error.code}: ${error.message})`);
        },
      },
    );
  };

  const list = async (): Promise<void> => {
    if (closed) return;
    try {
      const snapshot = await client.snapshot(prefix);
      if (closed) return;
      failures = 0;
      listener.listed(snapshot.revision, snapshot.kvs.map(toStoreKeyValue));
      watchFrom(snapshot.revision + 1);
    } catch (error) {
      retry(`listing failed (${error instanceof Error ? error.message : String(error)})`);
    }
  };

  if (fromRevision === null) void list();
  else watchFrom(fromRevision + 1);

  return {
    close: () => {
      closed = true;
      clearTimeout(retryTimer);
      watch?.close();
      unsubscribe();
      client.close();
      connection.close();
    },
  };
}

// The SDK hands keys and values over as the wire has them (text, or base64 marked so); the
// protocol's decoders turn them into the store's types, checking them on the way.

function toStoreKeyValue(kv: SdkKeyValue): KeyValue {
  const decoded = decodeRangeResponse({
    header: { revision: kv.modRevision, member: 'edge', raftTerm: 0 },
    kvs: [kv],
    more: false,
    count: 1,
  });
  if (isDecodeError(decoded))
    throw new Error(`edge upstream: a listed key does not decode: ${decoded.message}`);
  return decoded.response.kvs[0]!;
}

function toStoreEvent(event: SdkWatchEvent): WatchEvent {
  const decoded = decodeWatchServerMessage({
    v: PROTOCOL_VERSION,
    type: 'watchResponse',
    header: { revision: event.kv.modRevision, member: 'edge', raftTerm: 0 },
    watchId: 0,
    events: [event],
  });
  if (isDecodeError(decoded) || decoded.type !== 'watchResponse') {
    throw new Error(
      `edge upstream: a watch event does not decode${isDecodeError(decoded) ? `: ${decoded.message}` : ''}`,
    );
  }
  return decoded.response.events[0]!;
}
