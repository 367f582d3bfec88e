// The SDK's WebSocket for workerd, driven by a stand-in for the upgrading fetch: it behaves like a
// browser WebSocket (events, states, close before open) over the socket of a 101 answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchWebSocketClass } from './fetch-websocket.ts';
import type { WorkerdSocket } from './workers-runtime.ts';

class UpstreamEnd implements WorkerdSocket {
  readyState = 1;
  accepted = false;
  readonly sent: string[] = [];
  closed: [number | undefined, string | undefined] | undefined;
  readonly listeners = new Map<string, (event: never) => void>();
  send(message: string): void {
    this.sent.push(message);
  }
  close(code?: number, reason?: string): void {
    this.closed = [code, reason];
  }
  accept(): void {
    this.accepted = true;
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, listener);
  }
  serializeAttachment(): void {}
  deserializeAttachment(): unknown {
    return null;
  }
  emit(type: string, event: object): void {
    (this.listeners.get(type) as ((event: object) => void) | undefined)?.(event);
  }
}

function upgrading(end: UpstreamEnd | null, seen: Request[]) {
  return async (request: Request): Promise<Response> => {
    seen.push(request);
    const response = new Response(null, { status: end === null ? 400 : 200 });
    if (end !== null) Object.defineProperty(response, 'webSocket', { value: end });
    return response;
  };
}

const opened = (socket: { onopen: ((e: unknown) => void) | null }) =>
  new Promise<void>((resolve) => {
    socket.onopen = () => resolve();
  });

describe('fetchWebSocketClass', () => {
  it('opens through an upgrading fetch of the http URL and relays messages both ways', async () => {
    const end = new UpstreamEnd();
    const seen: Request[] = [];
    const FetchWebSocket = fetchWebSocketClass(upgrading(end, seen));
    const socket = new FetchWebSocket('wss://cluster.example.com/v1/watch?token=t');
    assert.equal(socket.readyState, FetchWebSocket.CONNECTING);
    await opened(socket);
    assert.equal(seen[0]!.url, 'https://cluster.example.com/v1/watch?token=t');
    assert.equal(seen[0]!.headers.get('upgrade'), 'websocket');
    assert.equal(end.accepted, true);
    assert.equal(socket.readyState, FetchWebSocket.OPEN);
    socket.send('hello');
    assert.deepEqual(end.sent, ['hello']);
    const received: unknown[] = [];
    socket.onmessage = (event) => received.push(event.data);
    end.emit('message', { data: 'from cluster' });
    assert.deepEqual(received, ['from cluster']);
    const closes: unknown[] = [];
    socket.onclose = (event) => closes.push([event.code, event.reason]);
    end.emit('close', { code: 1001, reason: 'going away' });
    assert.deepEqual(closes, [[1001, 'going away']]);
    assert.equal(socket.readyState, FetchWebSocket.CLOSED);
  });

  it('reports an error and a close when the server does not upgrade', async () => {
    const FetchWebSocket = fetchWebSocketClass(upgrading(null, []));
    const socket = new FetchWebSocket('ws://127.0.0.1:1/v1/watch');
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      socket.onerror = () => events.push('error');
      socket.onclose = (event) => {
        events.push(`close ${event.code}`);
        resolve();
      };
    });
    assert.deepEqual(events, ['error', 'close 1006']);
    assert.throws(() => socket.send('x'), /not open/);
  });

  it('closes a connection that opens after close() was called, without reporting it open', async () => {
    const end = new UpstreamEnd();
    const FetchWebSocket = fetchWebSocketClass(upgrading(end, []));
    const socket = new FetchWebSocket('ws://127.0.0.1:1/v1/watch');
    let openedEvents = 0;
    socket.onopen = () => openedEvents++;
    const closed = new Promise<void>((resolve) => {
      socket.onclose = () => resolve();
    });
    socket.close(1000, 'bye');
    await closed;
    assert.deepEqual(end.closed, [1000, 'bye']);
    assert.equal(openedEvents, 0);
  });
});
