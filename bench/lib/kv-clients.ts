// The ways the load generator talks to each system, one client object per way, each spreading its
// requests over the members by index: Vane's HTTP API and its WebSocket request messages; etcd's
// gRPC API (the etcd3 npm client) and its JSON gateway. A request not answered with success throws.
import { Etcd3 } from 'etcd3';
import WebSocket from 'ws';
import type { ClusterUnderTest, SystemName } from './clusters.ts';
import { HttpClient } from './http-client.ts';

export interface KvClient {
  readonly system: SystemName;
  /** How it reaches the system, e.g. 'HTTP', 'gRPC'. */
  readonly path: string;
  put(member: number, key: string, value: string): Promise<void>;
  get(member: number, key: string, serializable: boolean): Promise<void>;
  /** Puts every key with `value` in one transaction (for loading many keys quickly). */
  putMany(member: number, keys: readonly string[], value: string): Promise<void>;
  close(): void;
}

function expectOk(what: string, answer: { status: number; text: string }): void {
  if (answer.status !== 200) throw new Error(`${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
}

export function vaneHttpClient(cluster: ClusterUnderTest, maxSockets: number): KvClient {
  const members = Array.from(
    { length: cluster.size },
    (_, i) => new HttpClient(cluster.clientUrl(i), maxSockets),
  );
  const at = (i: number): HttpClient => members[i % members.length]!;
  return {
    system: 'vane',
    path: 'HTTP',
    async put(member, key, value) {
      const path = `/v1/kv/${encodeURIComponent(key)}`;
      expectOk(`PUT ${key}`, await at(member).send('PUT', path, JSON.stringify({ value })));
    },
    async get(member, key, serializable) {
      const path = `/v1/kv/${encodeURIComponent(key)}${serializable ? '?serializable=true' : ''}`;
      expectOk(`GET ${key}`, await at(member).send('GET', path));
    },
    async putMany(member, keys, value) {
      const body = JSON.stringify({ success: keys.map((key) => ({ put: { key, value } })) });
      expectOk(`txn of ${keys.length} puts`, await at(member).send('POST', '/v1/txn', body));
    },
    close: () => {
      for (const m of members) m.close();
    },
  };
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

export function etcdGatewayClient(cluster: ClusterUnderTest, maxSockets: number): KvClient {
  const members = Array.from(
    { length: cluster.size },
    (_, i) => new HttpClient(cluster.clientUrl(i), maxSockets),
  );
  const at = (i: number): HttpClient => members[i % members.length]!;
  let lastValue = '';
  let lastValue64 = '';
  // The value is the same across calls; encoding it once keeps the generator's cost per request low.
  const value64 = (value: string): string => {
    if (value !== lastValue) {
      lastValue = value;
      lastValue64 = base64(value);
    }
    return lastValue64;
  };
  return {
    system: 'etcd',
    path: 'JSON gateway',
    async put(member, key, value) {
      const body = JSON.stringify({ key: base64(key), value: value64(value) });
      expectOk(`put ${key}`, await at(member).send('POST', '/v3/kv/put', body));
    },
    async get(member, key, serializable) {
      const body = JSON.stringify(
        serializable ? { key: base64(key), serializable: true } : { key: base64(key) },
      );
      expectOk(`range ${key}`, await at(member).send('POST', '/v3/kv/range', body));
    },
    async putMany(member, keys, value) {
      const v = value64(value);
      const body = JSON.stringify({
        success: keys.map((key) => ({ requestPut: { key: base64(key), value: v } })),
      });
      expectOk(`txn of ${keys.length} puts`, await at(member).send('POST', '/v3/kv/txn', body));
    },
    close: () => {
      for (const m of members) m.close();
    },
  };
}

/** One etcd3 client per member (each holds one gRPC channel), so the spread is the generator's choice. */
export function etcdGrpcClient(cluster: ClusterUnderTest): KvClient {
  const members = Array.from({ length: cluster.size }, (_, i) => new Etcd3({ hosts: cluster.clientUrl(i) }));
  const at = (i: number): Etcd3 => members[i % members.length]!;
  return {
    system: 'etcd',
    path: 'gRPC',
    async put(member, key, value) {
      await at(member).put(key).value(value).exec();
    },
    async get(member, key, serializable) {
      await at(member).get(key).serializable(serializable).exec();
    },
    async putMany(member, keys, value) {
      const client = at(member);
      await client.kv.txn({
        success: keys.map((key) => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } })),
      });
    },
    close: () => {
      for (const m of members) m.close();
    },
  };
}

interface SocketAnswer {
  readonly type: string;
  readonly id?: number;
  readonly requestId?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * One member's watch WebSocket used for request messages, answers matched by id. A socket that
 * closed (its member was killed and restarted by a workload) is opened again by the next request.
 */
class RequestSocket {
  private readonly url: string;
  private socket: Promise<WebSocket> | null = null;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(baseUrl: string) {
    this.url = `${baseUrl.replace('http', 'ws')}/v1/watch`;
  }

  private open(): Promise<WebSocket> {
    const socket = new WebSocket(this.url);
    socket.on('message', (data: Buffer) => {
      const answer = JSON.parse(data.toString('utf8')) as SocketAnswer;
      const id = answer.type === 'response' ? answer.id : answer.requestId;
      const waiter = id === undefined ? undefined : this.pending.get(id);
      if (waiter === undefined || id === undefined) return;
      this.pending.delete(id);
      if (answer.type === 'response') waiter.resolve();
      else waiter.reject(new Error(`${answer.error?.code}: ${answer.error?.message}`));
    });
    const opened = new Promise<WebSocket>((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
    socket.on('close', () => {
      if (this.socket === opened) this.socket = null;
      for (const waiter of this.pending.values()) waiter.reject(new Error('request socket closed'));
      this.pending.clear();
    });
    opened.catch(() => {
      if (this.socket === opened) this.socket = null;
    });
    return opened;
  }

  async request(op: string, body: object, timeoutMs = 10_000): Promise<void> {
    this.socket ??= this.open();
    const socket = await this.socket;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${op} request ${id}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          f(v);
        };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      socket.send(JSON.stringify({ v: 1, type: 'request', id, op, body }));
    });
  }

  close(): void {
    void this.socket?.then(
      (s) => s.terminate(),
      () => {},
    );
    this.socket = null;
  }
}

/**
 * Vane's request messages over the watch WebSocket, one socket per member: the wire path the SDK
 * uses, without the SDK. Refused (an error) by a member that does not take request messages.
 */
export async function vaneSocketClient(cluster: ClusterUnderTest): Promise<KvClient> {
  const members = Array.from({ length: cluster.size }, (_, i) => new RequestSocket(cluster.clientUrl(i)));
  const at = (i: number): RequestSocket => members[i % members.length]!;
  try {
    await at(0).request('range', { key: 'bench/probe', serializable: true }, 2000);
  } catch (error) {
    for (const m of members) m.close();
    throw error;
  }
  return {
    system: 'vane',
    path: 'WebSocket',
    put: (member, key, value) => at(member).request('put', { key, value }),
    get: (member, key, serializable) =>
      at(member).request('range', serializable ? { key, serializable: true } : { key }),
    putMany: (member, keys, value) =>
      at(member).request('txn', { success: keys.map((key) => ({ put: { key, value } })) }),
    close: () => {
      for (const m of members) m.close();
    },
  };
}

/**
 * Vane's SDK (client/), one client per member so that the generator chooses the spread; its
 * requests travel over the client's WebSocket. Loaded at run time, so the bench still runs on a
 * tree without the SDK (it is then reported as not measured).
 */
export async function vaneSdkClient(cluster: ClusterUnderTest): Promise<KvClient> {
  const { createClient } = await import('../../client/index.ts');
  const clients = Array.from({ length: cluster.size }, (_, i) =>
    createClient({ endpoints: [cluster.clientUrl(i)], webSocket: WebSocket }),
  );
  const close = (): void => {
    for (const c of clients) c.close();
  };
  try {
    await Promise.all(
      clients.map(
        (client) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('the SDK did not connect within 5 s')), 5000);
            const check = (): void => {
              if (client.status.state !== 'live') return;
              clearTimeout(timer);
              stop();
              resolve();
            };
            const stop = client.on('status', check);
            check();
          }),
      ),
    );
  } catch (error) {
    close();
    throw error;
  }
  const at = (i: number) => clients[i % clients.length]!;
  return {
    system: 'vane',
    path: 'SDK',
    async put(member, key, value) {
      await at(member).put(key, value);
    },
    async get(member, key, serializable) {
      await at(member).get(key, serializable ? { serializable: true } : {});
    },
    async putMany(member, keys, value) {
      await at(member).txn({ success: keys.map((key) => ({ put: { key, value } })) });
    },
    close,
  };
}
