// Reading a body within a byte limit: a declared length over the limit is refused without reading
// anything, a declared length within it is read whole, and a body of unknown length is counted as
// it arrives and abandoned at the limit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isVaneError } from '../../core/errors.ts';
import { type HttpMessage, readBoundedBody } from './body.ts';

const encoder = new TextEncoder();

/** A message whose body must not be touched: reading it in any way fails the test. */
function untouchableBody(headers: Record<string, string>): HttpMessage {
  return {
    headers: new Headers(headers),
    get body(): ReadableStream<Uint8Array> {
      throw new Error('the body was read');
    },
    arrayBuffer: () => Promise.reject(new Error('the body was read')),
  };
}

/** A body of unknown length that yields `chunkBytes` at a time for as long as it is read. */
function endlessBody(chunkBytes: number): {
  message: HttpMessage;
  pulled: () => number;
  cancelled: () => boolean;
} {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes));
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    message: {
      headers: new Headers(),
      body,
      arrayBuffer: () => Promise.reject(new Error('a body of unknown length is read as a stream')),
    },
    pulled: () => pulled,
    cancelled: () => cancelled,
  };
}

describe('readBoundedBody', () => {
  test('a declared Content-Length over the limit is refused without reading the body, naming the limit', async () => {
    const result = await readBoundedBody(untouchableBody({ 'content-length': '2048' }), 1024);
    assert.ok(isVaneError(result));
    assert.equal(result.code, 'requestTooLarge');
    assert.equal(result.message, 'body exceeds the 1 KiB limit (maxRequestBytes); it has 2 KiB');
    assert.deepEqual(result.details, { limit: 'maxRequestBytes', maximum: 1024, actual: 2048 });
  });

  test('a declared Content-Length within the limit is read whole, not as a stream', async () => {
    const text = '{"value":"v"}';
    const message: HttpMessage = {
      headers: new Headers({ 'content-length': String(text.length) }),
      get body(): ReadableStream<Uint8Array> {
        throw new Error('the body was read as a stream');
      },
      arrayBuffer: async () => encoder.encode(text).buffer as ArrayBuffer,
    };
    const result = await readBoundedBody(message, 1024);
    assert.ok(result instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(result), text);
  });

  test('a body longer than its declared length and than the limit is refused', async () => {
    const request = new Request('http://member/v1/kv/k', {
      method: 'PUT',
      headers: { 'content-length': '10' },
      body: 'x'.repeat(2000),
    });
    const result = await readBoundedBody(request, 1024);
    assert.ok(isVaneError(result));
    assert.equal(result.message, 'body exceeds the 1 KiB limit (maxRequestBytes); it has 1.95 KiB');
  });

  test('a Content-Length that is not a byte count is refused', async () => {
    for (const declared of ['-1', '1.5', 'ten']) {
      const result = await readBoundedBody(untouchableBody({ 'content-length': declared }), 1024);
      assert.ok(isVaneError(result), declared);
      assert.equal(result.code, 'invalidRequest');
      assert.equal(result.message, `Content-Length '${declared}' is not a byte count`);
    }
  });

  test('a body of unknown length is abandoned at the limit, holding no more than one chunk past it', async () => {
    const { message, pulled, cancelled } = endlessBody(300);
    const result = await readBoundedBody(message, 1000, 'maxPeerStatusBytes');
    assert.ok(isVaneError(result));
    assert.equal(result.code, 'requestTooLarge');
    assert.equal(
      result.message,
      'body exceeds the 1000 bytes limit (maxPeerStatusBytes); it has more than that',
    );
    assert.ok(cancelled(), 'the stream is cancelled');
    assert.ok(pulled() <= 1000 + 2 * 300, `read ${pulled()} bytes`);
  });

  test('a body of unknown length within the limit is read whole, and no body is empty', async () => {
    const chunked = new Request('http://member/v1/txn', {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('{"success":'));
          controller.enqueue(encoder.encode('[]}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const read = await readBoundedBody(chunked, 1024);
    assert.ok(read instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(read), '{"success":[]}');
    const empty = await readBoundedBody(new Request('http://member/v1/kv/k', { method: 'DELETE' }), 1024);
    assert.deepEqual(empty, new Uint8Array(0));
  });

  test("a fetch Response's body is read the same way (a member's answer to another member)", async () => {
    const text = JSON.stringify({ member: 'm2' });
    const declared = new Response(text, { headers: { 'content-length': String(text.length) } });
    const read = await readBoundedBody(declared, 64, 'maxPeerStatusBytes');
    assert.ok(read instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(read), text);
    const tooLong = new Response('x'.repeat(100), { headers: { 'content-length': '100' } });
    const refused = await readBoundedBody(tooLong, 64, 'maxPeerStatusBytes');
    assert.ok(isVaneError(refused));
    assert.match(refused.message, /\(maxPeerStatusBytes\)/);
  });
});
