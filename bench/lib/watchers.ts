// Many watchers on one prefix, spread over connections and members: Vane's watch WebSocket
// (the socket the SDK multiplexes its watches on) and etcd's gRPC watch stream (etcd3 client).
// Each delivered event is reported as (watcher, value, revision) to the fan-out workload.
import { Etcd3 } from 'etcd3';
import WebSocket from 'ws';
import type { ClusterUnderTest } from './clusters.ts';

export type OnEvent = (watcher: number, value: string) => void;

export interface WatcherFleet {
  readonly path: string;
  close(): Promise<void>;
}

/** Watches per connection for both systems; Vane's per-connection limit is 1,000. */
export const WATCHES_PER_CONNECTION = 500;

function connectionsFor(watchers: number): number {
  return Math.ceil(watchers / WATCHES_PER_CONNECTION);
}

interface VaneWatchMessage {
  readonly type: string;
  readonly watchId?: number;
  readonly created?: boolean;
  readonly events?: readonly { readonly type: string; readonly kv: { readonly value: string } }[];
  readonly error?: { readonly message: string };
}

export async function openVaneWatchers(
  cluster: ClusterUnderTest,
  watchers: number,
  prefix: string,
  onEvent: OnEvent,
): Promise<WatcherFleet> {
  const sockets: WebSocket[] = [];
  const created: Promise<void>[] = [];
  for (let c = 0; c < connectionsFor(watchers); c++) {
    const first = c * WATCHES_PER_CONNECTION;
    const count = Math.min(WATCHES_PER_CONNECTION, watchers - first);
    const url = `${cluster.clientUrl(c % cluster.size).replace('http', 'ws')}/v1/watch`;
    const socket = new WebSocket(url);
    sockets.push(socket);
    created.push(
      new Promise<void>((resolve, reject) => {
        let pending = count;
        socket.on('error', reject);
        socket.on('open', () => {
          for (let w = 0; w < count; w++) {
            socket.send(
              JSON.stringify({ v: 1, type: 'watchCreate', watchId: first + w, key: prefix, prefix: true }),
            );
          }
        });
        socket.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString('utf8')) as VaneWatchMessage;
          if (message.type === 'error') {
            reject(new Error(`vane watch ${message.watchId}: ${message.error?.message}`));
            return;
          }
          if (message.created === true && --pending === 0) resolve();
          const watcher = message.watchId!;
          for (const event of message.events ?? []) {
            if (event.type === 'put') onEvent(watcher, event.kv.value);
          }
        });
      }),
    );
  }
  await Promise.all(created);
  return {
    path: 'WebSocket',
    async close() {
      await Promise.all(
        sockets.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.readyState === WebSocket.CLOSED) return resolve();
              s.once('close', () => resolve());
              s.terminate();
            }),
        ),
      );
    },
  };
}

export async function openEtcdWatchers(
  cluster: ClusterUnderTest,
  watchers: number,
  prefix: string,
  onEvent: OnEvent,
): Promise<WatcherFleet> {
  const clients: Etcd3[] = [];
  const created: Promise<unknown>[] = [];
  for (let c = 0; c < connectionsFor(watchers); c++) {
    const first = c * WATCHES_PER_CONNECTION;
    const count = Math.min(WATCHES_PER_CONNECTION, watchers - first);
    const client = new Etcd3({ hosts: cluster.clientUrl(c % cluster.size) });
    clients.push(client);
    for (let w = 0; w < count; w++) {
      const watcher = first + w;
      created.push(
        client
          .watch()
          .prefix(prefix)
          .create()
          .then((handle) => handle.on('put', (kv) => onEvent(watcher, kv.value.toString('utf8')))),
      );
    }
  }
  await Promise.all(created);
  return {
    path: 'gRPC',
    async close() {
      for (const client of clients) client.close();
    },
  };
}
