// Tabs sharing one connection, played in one process: each "tab" is a SharedTabsTransport on Node's
// own BroadcastChannel, with Web Locks played by FakeLocks (an exclusive lock per name, granted in
// request order, released when its callback settles) and the real connection by FakeTransport
// (fakes.test.ts), whose requests and watches the test answers.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { VaneClientError } from './errors.ts';
import { FakeTransport, kv, ManualClock } from './fakes.test.ts';
import { type LockManagerLike, SharedTabsTransport } from './shared-tabs.ts';
import type { RequestAnswer, WatchListener } from './transport.ts';
import type { ClientStatus, WatchBatch } from './types.ts';

class FakeLocks implements LockManagerLike {
  readonly #held = new Set<string>();
  readonly #waiting = new Map<string, (() => void)[]>();

  request(
    name: string,
    options: { readonly signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        this.#held.add(name);
        // Granted in a later task, as browsers do.
        queueMicrotask(() => {
          callback({ name })
            .then(resolve, reject)
            .finally(() => this.#release(name));
        });
      };
      const signal = options.signal;
      if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      if (!this.#held.has(name)) return grant();
      const queue = this.#waiting.get(name) ?? [];
      this.#waiting.set(name, queue);
      const onAbort = (): void => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(new DOMException('aborted', 'AbortError'));
      };
      const waiter = (): void => {
        signal?.removeEventListener('abort', onAbort);
        grant();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  #release(name: string): void {
    this.#held.delete(name);
    this.#waiting.get(name)?.shift()?.();
  }
}

function batch(revision: number, key = 'app/x'): WatchBatch {
  return { revision, events: [{ type: 'put', kv: kv(key, `v${revision}`, revision) }] };
}

function answer(revision: number, body: Record<string, unknown> = {}): RequestAnswer {
  return { header: { revision, member: 'm1', raftTerm: 1 }, body };
}

/** Polls until `check` holds (BroadcastChannel delivers in later tasks), failing after 2 s. */
async function eventually<T>(what: string, check: () => T | undefined | false): Promise<T> {
  const deadline = performance.now() + 2000;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Lets messages in flight arrive, when a test asserts that something did not happen. */
async function quiesce(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

class Recorder implements WatchListener {
  readonly revisions: number[] = [];
  readonly progress: number[] = [];
  compacted: number | undefined;
  error: VaneClientError | undefined;
  onEvents(batch: WatchBatch): void {
    this.revisions.push(batch.revision);
  }
  onProgress(revision: number): void {
    this.progress.push(revision);
  }
  onCompacted(compactRevision: number): void {
    this.compacted = compactRevision;
  }
  onError(error: VaneClientError): void {
    this.error = error;
  }
}

let opened: SharedTabsTransport[] = [];
let testNumber = 0;

/** Tabs of one origin: one lock manager, one channel name (unique per test). */
function origin(options: { clock?: ManualClock; maxWatches?: number; maxPendingRequests?: number } = {}) {
  const locks = new FakeLocks();
  const connections: FakeTransport[] = [];
  const name = `test-${process.pid}-${++testNumber}`;
  let seed = 0;
  const openTab = (): SharedTabsTransport => {
    const tab = new SharedTabsTransport({
      name,
      locks,
      connect: () => {
        const connection = new FakeTransport({ state: 'connecting', revision: 0 });
        connections.push(connection);
        return connection;
      },
      random: () => ((++seed * 0.618034) % 1) * 0.999,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.maxWatches === undefined ? {} : { maxWatches: options.maxWatches }),
      ...(options.maxPendingRequests === undefined ? {} : { maxPendingRequests: options.maxPendingRequests }),
    });
    opened.push(tab);
    return tab;
  };
  return { name, connections, openTab };
}

/** Opens tabs one after another, the first becoming the holder, the others knowing it. */
async function tabs(count: number, options: Parameters<typeof origin>[0] = {}) {
  const world = origin(options);
  const list: SharedTabsTransport[] = [];
  for (let i = 0; i < count; i++) list.push(world.openTab());
  await eventually('a holder', () => list[0]!.role === 'holder');
  await eventually('followers', () => list.slice(1).every((tab) => tab.role === 'follower'));
  return { ...world, tabs: list };
}

afterEach(() => {
  for (const tab of opened) tab.close();
  opened = [];
});

describe('SharedTabsTransport', () => {
  it('opens one connection for all tabs, and answers a follower through it', async () => {
    const { tabs: list, connections } = await tabs(3);
    const [, second, third] = list;
    const read = second!.request('range', { key: 'app/x' }, { timeoutMs: 5000 });
    const request = await eventually('the request on the connection', () => connections[0]!.requests[0]);
    assert.equal(connections.length, 1, 'only the holder connected');
    assert.equal(request.op, 'range');
    assert.deepEqual(request.body, { key: 'app/x' });
    assert.ok(request.options.timeoutMs! <= 5000 && request.options.timeoutMs! > 4000);
    request.resolve(answer(7, { kvs: [kv('app/x', 'hello', 7)], more: false, count: 1 }));
    assert.deepEqual(await read, answer(7, { kvs: [kv('app/x', 'hello', 7)], more: false, count: 1 }));
    assert.equal(second!.status.revision, 7, 'a follower notes the revision of its answers');
    assert.equal(third!.status.revision, 0);
  });

  it("passes the holder's refusals to the follower as the same error", async () => {
    const { tabs: list, connections } = await tabs(2);
    const put = list[1]!.request('put', { key: 'k', value: 'v', requestId: 'r1' });
    const request = await eventually('the put', () => connections[0]!.requests[0]);
    request.reject(
      new VaneClientError('valueTooLarge', 'value is 2 MiB; the limit is 1.5 MiB', { limit: 'x' }),
    );
    await assert.rejects(put, (error: unknown) => {
      assert.ok(error instanceof VaneClientError);
      assert.equal(error.code, 'valueTooLarge');
      assert.equal(error.message, 'value is 2 MiB; the limit is 1.5 MiB');
      assert.deepEqual(error.details, { limit: 'x' });
      return true;
    });
  });

  it("delivers a follower's watch events once each, in order, and its progress", async () => {
    const { tabs: list, connections } = await tabs(2);
    const recorder = new Recorder();
    list[1]!.watch({ key: 'app/', prefix: true, startRevision: 5 }, recorder);
    const watch = await eventually('the watch on the connection', () => connections[0]!.openWatches()[0]);
    assert.deepEqual(watch.spec, { key: 'app/', prefix: true, startRevision: 5 });
    watch.listener.onEvents(batch(5));
    watch.listener.onEvents(batch(6));
    watch.listener.onEvents(batch(6));
    watch.listener.onProgress?.(9);
    await eventually('progress', () => recorder.progress.length === 1);
    assert.deepEqual(recorder.revisions, [5, 6]);
    assert.deepEqual(recorder.progress, [9]);
  });

  it('keeps the status of the holder connection in every tab', async () => {
    const { tabs: list, connections } = await tabs(2);
    const heard: ClientStatus[] = [];
    list[1]!.onStatus((status) => heard.push(status));
    connections[0]!.setStatus({ state: 'live', endpoint: 'http://m1', revision: 12 });
    await eventually('live in the follower', () => list[1]!.status.state === 'live');
    assert.deepEqual(list[1]!.status, { state: 'live', endpoint: 'http://m1', revision: 12 });
    assert.deepEqual(list[0]!.status, { state: 'live', endpoint: 'http://m1', revision: 12 });
    connections[0]!.setStatus({ state: 'stale', endpoint: 'http://m1', lagMs: 12_000, revision: 12 });
    await eventually('stale in the follower', () => list[1]!.status.state === 'stale');
    assert.equal(list[1]!.status.lagMs, 12_000);
    assert.deepEqual(
      heard.map((status) => status.state),
      ['live', 'stale'],
    );
  });

  it('hands the connection to another tab when the holder closes, resuming watches and resending requests', async () => {
    const { tabs: list, connections } = await tabs(3);
    const [first, second, third] = list;
    const secondWatch = new Recorder();
    const thirdWatch = new Recorder();
    second!.watch({ key: 'app/', prefix: true, startRevision: 5 }, secondWatch);
    third!.watch({ key: 'app/', prefix: true, startRevision: 5 }, thirdWatch);
    const old = connections[0]!;
    await eventually('both watches', () => old.openWatches().length === 2);
    for (const watch of old.openWatches()) {
      watch.listener.onEvents(batch(5));
      watch.listener.onEvents(batch(6));
    }
    const write = third!.request('put', { key: 'app/y', value: '1', requestId: 'req-1' });
    await eventually('the put on the old connection', () => old.requests.length === 1);
    await eventually('revision 6 in both', () => secondWatch.revisions.length === 2 && thirdWatch.revisions);

    first!.close();
    assert.ok(old.closed, 'the holder closed its connection');
    await eventually('a new holder', () => connections.length === 2);
    const fresh = connections[1]!;
    const newHolder = second!.role === 'holder' ? second! : third!;
    assert.equal(newHolder, second, 'the tab that asked first gets the lock');
    await eventually('watches resumed', () => fresh.openWatches().length === 2);
    assert.deepEqual(
      fresh.openWatches().map((watch) => watch.spec.startRevision),
      [7, 7],
      'each watch resumes after the last revision it delivered',
    );
    const resent = await eventually('the put resent', () => fresh.requests[0]);
    assert.deepEqual(
      resent.body,
      { key: 'app/y', value: '1', requestId: 'req-1' },
      'same requestId: applied once',
    );
    resent.resolve(answer(8));
    assert.equal((await write).header.revision, 8);
    for (const watch of fresh.openWatches()) {
      watch.listener.onEvents(batch(6));
      watch.listener.onEvents(batch(7));
      watch.listener.onEvents(batch(8));
    }
    await eventually('revision 8 in the follower', () => thirdWatch.revisions.length === 4);
    assert.deepEqual(secondWatch.revisions, [5, 6, 7, 8]);
    assert.deepEqual(thirdWatch.revisions, [5, 6, 7, 8]);
  });

  it('starts a from-now watch after the newest revision the connection saw, so a handover does not skip', async () => {
    const { tabs: list, connections } = await tabs(2);
    connections[0]!.setStatus({ state: 'live', revision: 10 });
    const recorder = new Recorder();
    list[1]!.watch({ key: 'app/x' }, recorder);
    const watch = await eventually('the watch', () => connections[0]!.openWatches()[0]);
    assert.equal(watch.spec.startRevision, 11);
    list[0]!.close();
    await eventually('the follower holds the connection', () => connections.length === 2);
    const resumed = await eventually('the watch resumed', () => connections[1]!.openWatches()[0]);
    assert.equal(resumed.spec.startRevision, 11);
  });

  it("forgets a follower's watches when the follower tab goes", async () => {
    const { tabs: list, connections } = await tabs(3);
    list[1]!.watch({ key: 'a/', prefix: true, startRevision: 1 }, new Recorder());
    list[1]!.watch({ key: 'b/', prefix: true, startRevision: 1 }, new Recorder());
    list[2]!.watch({ key: 'c/', prefix: true, startRevision: 1 }, new Recorder());
    await eventually('three watches', () => connections[0]!.openWatches().length === 3);
    list[1]!.close();
    await eventually('its two watches closed', () => connections[0]!.openWatches().length === 1);
    assert.equal(connections[0]!.openWatches()[0]!.spec.key, 'c/');
  });

  it('closes a watch on the connection when the follower closes it', async () => {
    const { tabs: list, connections } = await tabs(2);
    const subscription = list[1]!.watch({ key: 'a/', prefix: true, startRevision: 1 }, new Recorder());
    await eventually('the watch', () => connections[0]!.openWatches().length === 1);
    subscription.close();
    await eventually('closed', () => connections[0]!.openWatches().length === 0);
  });

  it('ends a watch whose history was compacted or that the server refused, and does not resume it', async () => {
    const { tabs: list, connections } = await tabs(3);
    const compacted = new Recorder();
    const refused = new Recorder();
    list[1]!.watch({ key: 'a/', prefix: true, startRevision: 2 }, compacted);
    list[1]!.watch({ key: 'b/', prefix: true, startRevision: 2 }, refused);
    await eventually('two watches', () => connections[0]!.openWatches().length === 2);
    const [first, second] = connections[0]!.openWatches();
    first!.listener.onCompacted(40);
    second!.listener.onError(new VaneClientError('permissionDenied', 'no read on b/'));
    await eventually('both ended', () => compacted.compacted !== undefined && refused.error !== undefined);
    assert.equal(compacted.compacted, 40);
    assert.equal(refused.error!.code, 'permissionDenied');
    list[0]!.close();
    await eventually('a new holder', () => connections.length === 2);
    await quiesce();
    assert.equal(connections[1]!.openWatches().length, 0);
  });

  it('refuses a watch past maxWatches and a request past maxPendingRequests, naming the limit', async () => {
    const { tabs: list } = await tabs(2, { maxWatches: 1, maxPendingRequests: 1 });
    list[1]!.watch({ key: 'a', startRevision: 1 }, new Recorder());
    assert.throws(
      () => list[1]!.watch({ key: 'b', startRevision: 1 }, new Recorder()),
      (error: unknown) =>
        error instanceof VaneClientError &&
        error.code === 'invalidRequest' &&
        /maxWatches/.test(error.message),
    );
    void list[1]!.request('range', { key: 'a' }).catch(() => {});
    await assert.rejects(list[1]!.request('range', { key: 'b' }), /maxPendingRequests/);
  });

  it('gives up a request at its deadline, even with no holder to send it to', async () => {
    const clock = new ManualClock();
    const world = origin({ clock });
    const holder = world.openTab();
    await eventually('a holder', () => holder.role === 'holder');
    const follower = world.openTab();
    await eventually('a follower', () => follower.role === 'follower');
    const read = follower.request('range', { key: 'a' }, { timeoutMs: 1000 });
    const rejected = assert.rejects(read, (error: unknown) => {
      assert.ok(error instanceof VaneClientError);
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /1000 ms \(requestTimeoutMs\)/);
      return true;
    });
    await eventually('the request reached the holder', () => world.connections[0]!.requests.length === 1);
    await clock.advance(999);
    let settled = false;
    void read
      .catch(() => {})
      .finally(() => {
        settled = true;
      });
    await quiesce();
    assert.equal(settled, false, 'not before the deadline');
    await clock.advance(1);
    await rejected;
  });

  it('refuses everything once closed, and reports offline', async () => {
    const { tabs: list } = await tabs(2);
    const pending = list[1]!.request('range', { key: 'a' });
    list[1]!.close();
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof VaneClientError && error.code === 'closed',
    );
    await assert.rejects(list[1]!.request('range', { key: 'a' }), /closed/);
    assert.throws(() => list[1]!.watch({ key: 'a' }, new Recorder()), /closed/);
    assert.equal(list[1]!.status.state, 'offline');
    assert.equal(list[1]!.role, 'closed');
  });

  it('ignores messages on the channel that are not from a tab of this protocol', async () => {
    const { tabs: list, connections, name } = await tabs(2);
    const stranger = new BroadcastChannel(`vane-shared-connection/1/${name}`);
    try {
      for (const junk of [
        null,
        'text',
        { type: 'holder' },
        { type: 'holder', from: 'x' },
        { type: 'request', from: 'x', to: 'y' },
      ]) {
        stranger.postMessage(junk);
      }
      stranger.postMessage({ type: 'status', from: 'intruder', status: { state: 'offline', revision: 99 } });
      await quiesce();
      assert.equal(list[1]!.status.revision, 0, 'a status from a tab that is not the holder is ignored');
      const read = list[1]!.request('range', { key: 'a' });
      const request = await eventually('the request', () => connections[0]!.requests[0]);
      request.resolve(answer(3));
      assert.equal((await read).header.revision, 3);
    } finally {
      stranger.close();
    }
  });
});
