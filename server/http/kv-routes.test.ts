import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  decodeDeleteRangeResponse,
  decodeErrorBody,
  decodePutResponse,
  decodeRangeResponse,
  decodeTxnResponse,
  isDecodeError,
} from '../../core/protocol/index.ts';
import { createTestApp } from './testing.ts';

type App = ReturnType<typeof createTestApp>['app'];

const text = new TextDecoder();

function put(app: App, key: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(
    app.request(`/v1/kv/${encodeURIComponent(key)}`, {
      method: 'PUT',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    }),
  );
}

function post(
  app: App,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    }),
  );
}

async function range(response: Response) {
  assert.equal(response.status, 200, await response.clone().text());
  const decoded = decodeRangeResponse(await response.json());
  if (isDecodeError(decoded)) assert.fail(decoded.message);
  return decoded;
}

async function refusal(response: Response, status: number) {
  const body = (await response.json()) as unknown;
  assert.equal(response.status, status, JSON.stringify(body));
  const decoded = decodeErrorBody(body);
  if (isDecodeError(decoded)) assert.fail(decoded.message);
  return { error: decoded.error, body: body as { header?: { revision: number } } };
}

async function seed(app: App, keys: readonly string[]): Promise<void> {
  for (const key of keys) assert.equal((await put(app, key, { value: `v:${key}` })).status, 200);
}

describe('GET /v1/kv/{key}', () => {
  test('reads back a put, with the revision and member in the body and the headers', async () => {
    const { app } = createTestApp();
    const written = await put(app, 'greeting', { value: 'hello' });
    assert.equal(written.status, 200);
    assert.equal(written.headers.get('X-Vane-Revision'), '1');
    assert.equal(written.headers.get('X-Vane-Member'), 'm1');

    const read = await app.request('/v1/kv/greeting');
    assert.equal(read.headers.get('X-Vane-Revision'), '1');
    const { header, response } = await range(read);
    assert.deepEqual(header, { revision: 1, member: 'm1', raftTerm: 1 });
    assert.equal(response.kvs.length, 1);
    assert.equal(text.decode(response.kvs[0]!.value), 'hello');
    assert.equal(response.kvs[0]!.modRevision, 1);
  });

  test('a missing key is 404 keyNotFound carrying the revision it was looked up at', async () => {
    const { app } = createTestApp();
    await seed(app, ['a', 'b']);
    const { error, body } = await refusal(await app.request('/v1/kv/missing'), 404);
    assert.equal(error.code, 'keyNotFound');
    assert.match(error.message, /missing/);
    assert.equal(body.header?.revision, 2);
  });

  test('keys containing slashes and non-ASCII characters work encoded or not', async () => {
    const { app } = createTestApp();
    assert.equal((await put(app, 'config/é/ü', { value: 'x' })).status, 200);
    const encoded = await range(await app.request('/v1/kv/config%2F%C3%A9%2F%C3%BC'));
    const plain = await range(await app.request('/v1/kv/config/%C3%A9/%C3%BC'));
    assert.equal(encoded.response.kvs[0]!.key, 'config/é/ü');
    assert.equal(plain.response.kvs[0]!.key, 'config/é/ü');
  });

  test('prefix, rangeEnd, limit, keysOnly and countOnly select and shape the answer', async () => {
    const { app } = createTestApp();
    await seed(app, ['app/b', 'app/a', 'app/c', 'apq', 'other']);

    const prefixed = await range(await app.request('/v1/kv/app%2F?prefix=true'));
    assert.deepEqual(
      prefixed.response.kvs.map((kv) => kv.key),
      ['app/a', 'app/b', 'app/c'],
    );

    const ranged = await range(await app.request('/v1/kv/app%2Fb?rangeEnd=apz'));
    assert.deepEqual(
      ranged.response.kvs.map((kv) => kv.key),
      ['app/b', 'app/c', 'apq'],
    );

    const everything = await range(await app.request('/v1/kv/?prefix=true'));
    assert.ok(
      everything.response.kvs.length >= prefixed.response.kvs.length,
      'the empty prefix lists every key',
    );
    const limited = await range(await app.request('/v1/kv/app%2F?prefix=true&limit=2'));
    assert.equal(limited.response.kvs.length, 2);
    assert.equal(limited.response.more, true);
    assert.equal(limited.response.count, 3);

    const keysOnly = await range(await app.request('/v1/kv/app%2F?prefix=true&keysOnly=true'));
    assert.deepEqual(
      keysOnly.response.kvs.map((kv) => kv.value.length),
      [0, 0, 0],
    );

    const counted = await range(await app.request('/v1/kv/app%2F?prefix=true&countOnly=true'));
    assert.equal(counted.response.count, 3);
    assert.equal(counted.response.kvs.length, 0);
  });

  test('serializable=true is passed to the member as a serializable read', async () => {
    const { app, member } = createTestApp();
    await seed(app, ['k']);
    await range(await app.request('/v1/kv/k?serializable=true'));
    assert.equal(member.lastReadOptions?.serializable, true);
    await range(await app.request('/v1/kv/k'));
    assert.equal(member.lastReadOptions?.serializable, false);
  });

  test('reads at a past revision; compacted is 410 with the compact revision, future is 400', async () => {
    const { app } = createTestApp();
    for (const value of ['one', 'two', 'three', 'four']) await put(app, 'k', { value });
    const past = await range(await app.request('/v1/kv/k?revision=2'));
    assert.equal(text.decode(past.response.kvs[0]!.value), 'two');

    assert.equal((await post(app, '/v1/compact', { revision: 3 })).status, 200);
    const compacted = await refusal(await app.request('/v1/kv/k?revision=2'), 410);
    assert.equal(compacted.error.code, 'compacted');
    assert.equal(compacted.error.details?.compactRevision, 3);

    const future = await refusal(await app.request('/v1/kv/k?revision=99'), 400);
    assert.equal(future.error.code, 'futureRevision');
  });

  test('a malformed query is 400 naming the parameter', async () => {
    const { app } = createTestApp();
    const limit = await refusal(await app.request('/v1/kv/k?limit=-1'), 400);
    assert.equal(limit.error.code, 'invalidRequest');
    assert.match(limit.error.message, /limit/);
    const unknown = await refusal(await app.request('/v1/kv/k?colour=red'), 400);
    assert.match(unknown.error.message, /colour/);
    const badEscape = await refusal(await app.request('/v1/kv/%E0%A4%A'), 400);
    assert.equal(badEscape.error.code, 'decodeError');
  });
});

describe('PUT /v1/kv/{key}', () => {
  test('binary values round-trip through base64, and are sent as base64 even when text was asked for', async () => {
    const { app } = createTestApp();
    const bytes = new Uint8Array([0, 255, 1, 128, 10]);
    const base64 = btoa(String.fromCharCode(...bytes));
    assert.equal((await put(app, 'blob', { value: base64, encoding: 'base64' })).status, 200);

    const asked = (await (await app.request('/v1/kv/blob?encoding=base64')).json()) as {
      kvs: { value: string }[];
    };
    assert.equal(asked.kvs[0]!.value, base64);

    const unasked = await range(await app.request('/v1/kv/blob'));
    assert.deepEqual(unasked.response.kvs[0]!.value, bytes);
  });

  test('prevKv returns the value replaced', async () => {
    const { app } = createTestApp();
    await put(app, 'k', { value: 'old' });
    const response = await put(app, 'k', { value: 'new', prevKv: true });
    const decoded = decodePutResponse(await response.json());
    if (isDecodeError(decoded)) assert.fail(decoded.message);
    assert.equal(text.decode(decoded.response.prevKv!.value), 'old');
    assert.equal(decoded.header.revision, 2);
  });

  test('the Idempotency-Key header makes a retried put apply once', async () => {
    const { app, member } = createTestApp();
    const first = await put(app, 'k', { value: 'v' }, { 'Idempotency-Key': 'req-1' });
    const retry = await put(app, 'k', { value: 'v' }, { 'Idempotency-Key': 'req-1' });
    assert.equal(member.lastWriteOptions?.requestId, 'req-1');
    assert.equal(first.headers.get('X-Vane-Revision'), '1');
    assert.equal(retry.headers.get('X-Vane-Revision'), '1');
    assert.equal(member.store.revision, 1);

    const conflict = await refusal(
      await put(app, 'k', { value: 'v', requestId: 'req-2' }, { 'Idempotency-Key': 'req-3' }),
      400,
    );
    assert.match(conflict.error.message, /Idempotency-Key/);
  });

  test('bad bodies are refused with a message naming the problem, and nothing is written', async () => {
    const { app, member } = createTestApp();
    const unknownField = await refusal(await put(app, 'k', { value: 'v', ttl: 5 }), 400);
    assert.match(unknownField.error.message, /ttl/);
    const missingValue = await refusal(await put(app, 'k', {}), 400);
    assert.match(missingValue.error.message, /value/);
    const notJson = await refusal(
      await app.request('/v1/kv/k', { method: 'PUT', body: '{"value":', headers: {} }),
      400,
    );
    assert.equal(notJson.error.code, 'decodeError');
    const empty = await refusal(await app.request('/v1/kv/k', { method: 'PUT' }), 400);
    assert.match(empty.error.message, /empty/);
    assert.equal(member.store.revision, 0);
  });

  test('a key or value over its limit is 413 naming the limit', async () => {
    const { app } = createTestApp({ limits: { ...DEFAULT_LIMITS, maxKeyBytes: 16, maxValueBytes: 32 } });
    const key = await refusal(await put(app, 'k'.repeat(17), { value: 'v' }), 413);
    assert.equal(key.error.code, 'keyTooLarge');
    assert.match(key.error.message, /maxKeyBytes/);
    const value = await refusal(await put(app, 'k', { value: 'v'.repeat(33) }), 413);
    assert.equal(value.error.code, 'valueTooLarge');
    assert.match(value.error.message, /maxValueBytes/);
  });
});

describe('request body limit', () => {
  const limits = { ...DEFAULT_LIMITS, maxRequestBytes: 1024 };

  test('a declared Content-Length over maxRequestBytes is refused without reading the body', async () => {
    const { app } = createTestApp({ limits });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
      },
    });
    const response = await app.request('/v1/kv/k', {
      method: 'PUT',
      body,
      headers: { 'Content-Length': '5000' },
      duplex: 'half',
    } as RequestInit);
    const { error } = await refusal(response, 413);
    assert.equal(error.code, 'requestTooLarge');
    assert.match(error.message, /maxRequestBytes/);
    assert.equal(error.details?.actual, 5000);
    // A ReadableStream may pull once to fill its queue; the app itself read nothing.
    assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
  });

  test('a body without Content-Length is counted while read and abandoned at the limit', async () => {
    const { app, member } = createTestApp({ limits });
    let sent = 0;
    let canceled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 256;
        controller.enqueue(new Uint8Array(256).fill(0x20));
      },
      cancel() {
        canceled = true;
      },
    });
    const response = await app.request('/v1/txn', { method: 'POST', body, duplex: 'half' } as RequestInit);
    const { error } = await refusal(response, 413);
    assert.equal(error.code, 'requestTooLarge');
    assert.ok(canceled, 'the body stream was canceled');
    assert.ok(sent <= 1024 + 2 * 256, `read ${sent} bytes`);
    assert.equal(member.store.revision, 0);
  });
});

describe('DELETE /v1/kv/{key}', () => {
  test('deletes one key, a prefix, or a range, returning what was deleted when asked', async () => {
    const { app } = createTestApp();
    await seed(app, ['a/1', 'a/2', 'a/3', 'b/1', 'c']);
    const one = decodeDeleteRangeResponse(await (await app.request('/v1/kv/c', { method: 'DELETE' })).json());
    if (isDecodeError(one)) assert.fail(one.message);
    assert.equal(one.response.deleted, 1);

    const prefix = await app.request('/v1/kv/a%2F?prefix=true&prevKv=true', { method: 'DELETE' });
    const decoded = decodeDeleteRangeResponse(await prefix.json());
    if (isDecodeError(decoded)) assert.fail(decoded.message);
    assert.equal(decoded.response.deleted, 3);
    assert.deepEqual(
      decoded.response.prevKvs?.map((kv) => text.decode(kv.value)),
      ['v:a/1', 'v:a/2', 'v:a/3'],
    );
    await refusal(await app.request('/v1/kv/a%2F1'), 404);
    await range(await app.request('/v1/kv/b%2F1'));
  });

  test('Idempotency-Key makes a retried delete apply once', async () => {
    const { app, member } = createTestApp();
    await seed(app, ['k']);
    await app.request('/v1/kv/k', { method: 'DELETE', headers: { 'Idempotency-Key': 'd-1' } });
    await put(app, 'k', { value: 'again' });
    const retry = await app.request('/v1/kv/k', { method: 'DELETE', headers: { 'Idempotency-Key': 'd-1' } });
    assert.equal(retry.status, 200);
    await range(await app.request('/v1/kv/k'));
    assert.equal(member.store.revision, 3);
  });
});

describe('POST /v1/kv/range, /v1/txn, /v1/compact', () => {
  test('range by body reads any key, and a missing key is an empty answer rather than 404', async () => {
    const { app } = createTestApp();
    await seed(app, ['x/1', 'x/2']);
    const found = await range(
      await post(app, '/v1/kv/range', { key: 'x/', prefix: true, serializable: true }),
    );
    assert.equal(found.response.count, 2);
    const missing = await range(await post(app, '/v1/kv/range', { key: 'nothing' }));
    assert.equal(missing.response.count, 0);
  });

  test('a txn compares and runs the success or failure branch atomically', async () => {
    const { app } = createTestApp();
    await seed(app, ['lock']);
    const swap = {
      compare: [{ key: 'lock', target: 'version', result: 'equal', value: 1 }],
      success: [{ put: { key: 'lock', value: 'mine' } }, { range: { key: 'lock' } }],
      failure: [{ range: { key: 'lock' } }],
    };
    const first = decodeTxnResponse(await (await post(app, '/v1/txn', swap)).json());
    if (isDecodeError(first)) assert.fail(first.message);
    assert.equal(first.response.succeeded, true);
    assert.equal(first.header.revision, 2);

    const second = decodeTxnResponse(await (await post(app, '/v1/txn', swap)).json());
    if (isDecodeError(second)) assert.fail(second.message);
    assert.equal(second.response.succeeded, false);
    const op = second.response.responses[0]!;
    assert.ok('range' in op);
    assert.equal(text.decode(op.range.kvs[0]!.value), 'mine');
  });

  test('a txn with more operations than maxTxnOps is refused naming the limit', async () => {
    const { app } = createTestApp({ limits: { ...DEFAULT_LIMITS, maxTxnOps: 4 } });
    const success = Array.from({ length: 5 }, (_, i) => ({ put: { key: `k${i}`, value: 'v' } }));
    const { error } = await refusal(await post(app, '/v1/txn', { success }), 400);
    assert.equal(error.code, 'tooManyOperations');
    assert.match(error.message, /maxTxnOps/);
  });

  test('a txn putting the same key twice is refused as duplicateKey', async () => {
    const { app } = createTestApp();
    const success = [{ put: { key: 'k', value: '1' } }, { put: { key: 'k', value: '2' } }];
    const { error } = await refusal(await post(app, '/v1/txn', { success }), 400);
    assert.equal(error.code, 'duplicateKey');
  });

  test('compaction forgets old revisions', async () => {
    const { app, member } = createTestApp();
    await seed(app, ['a', 'b', 'c']);
    const response = await post(app, '/v1/compact', { revision: 2 });
    assert.equal(response.status, 200);
    assert.equal(member.store.compactRevision, 2);
    await refusal(await post(app, '/v1/kv/range', { key: 'a', revision: 1 }), 410);
  });
});
