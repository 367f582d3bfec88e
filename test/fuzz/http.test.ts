// Hostile HTTP at real members (startMember over a real socket): every route gets bad bodies,
// queries, paths, methods and sizes. Each must be refused with the status its damage calls for and
// a message naming the problem; nothing may crash, hang, or change any member's store.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { FuzzCluster, type FuzzMember } from './fuzz-cluster.ts';
import { FuzzTally, fuzzParameters } from './fuzz-runs.ts';
import { badHttpInput, type HttpInput } from './http-inputs.ts';

/** Small, so that oversized bodies are cheap to send; the member runs with --max-request-bytes. */
const LIMITS = { maxRequestBytes: 64 * 1024, maxKeyBytes: DEFAULT_LIMITS.maxKeyBytes };
const ANSWER_TIMEOUT_MS = 10_000;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + 16 * 1024));
      offset += 16 * 1024;
    },
  });
}

async function send(member: FuzzMember, input: HttpInput): Promise<{ status: number; text: string }> {
  const bytes = typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
  const response = await fetch(`${member.clientUrl}${input.target}`, {
    method: input.method,
    headers: input.headers,
    signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    ...(bytes === null ? {} : input.streamed ? { body: streamOf(bytes), duplex: 'half' } : { body: bytes }),
  } as RequestInit);
  return { status: response.status, text: await response.text() };
}

/** What a member answers to bytes that are not a well-formed HTTP request (up to its close). */
function sendRaw(member: FuzzMember, request: Buffer): Promise<string> {
  const port = Number(new URL(member.clientUrl).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(request);
  });
}

describe('fuzzing the HTTP API of real members', () => {
  const tally = new FuzzTally('http');
  let cluster: FuzzCluster;
  let hashesBefore: Record<string, string>;

  before(async () => {
    cluster = await FuzzCluster.start('http', {
      flags: { 'max-request-bytes': String(LIMITS.maxRequestBytes) },
    });
    await cluster.seed();
    hashesBefore = await cluster.storeHashes();
  });

  after(async () => {
    console.log(tally.summary());
    await cluster?.stop();
  });

  it('answers every bad request with the 4xx its damage calls for, naming the problem', async () => {
    await fc.assert(
      fc.asyncProperty(badHttpInput(LIMITS), fc.constantFrom('m1', 'm2'), async (input, id) => {
        tally.count(input.kind);
        const { status, text } = await send(cluster.member(id), input);
        const where = `${input.kind}: ${input.method} ${input.target.slice(0, 120)} answered ${status} ${text.slice(0, 300)}`;
        assert.equal(status, input.status, where);
        const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof body.error?.code, 'string', where);
        const message = String(body.error?.message);
        assert.ok(
          input.mentions.some((mention) => message.includes(mention)),
          `${where}\nexpected the message to name one of ${JSON.stringify(input.mentions)}`,
        );
      }),
      fuzzParameters(800),
    );
  });

  it('answers malformed HTTP with a 4xx that names the parse error, and keeps serving', async () => {
    const head = 'POST /v1/txn HTTP/1.1\r\nHost: x\r\n';
    const cases: [string, string, RegExp][] = [
      ['garbage request line', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 400 .*HPE_/s],
      ['unknown method', 'FLY /health HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 400 .*HPE_/s],
      ['bad Content-Length', `${head}Content-Length: abc\r\n\r\n{}`, /^HTTP\/1\.1 400 .*HPE_/s],
      [
        'two Content-Lengths',
        `${head}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        /^HTTP\/1\.1 400 .*HPE_/s,
      ],
      ['huge Content-Length', `${head}Content-Length: 99999999999999999999\r\n\r\n{}`, /^HTTP\/1\.1 4\d\d /],
      [
        'Content-Length with chunked',
        `${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        /^HTTP\/1\.1 400 .*HPE_/s,
      ],
      [
        'bad chunk size',
        `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        /^HTTP\/1\.1 400 .*HPE_/s,
      ],
      [
        'NUL in a header',
        `GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`,
        /^HTTP\/1\.1 400 .*HPE_/s,
      ],
      [
        'headers too large',
        `GET /health HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
        /^HTTP\/1\.1 431 /,
      ],
      ['body cut short', `${head}Content-Length: 100\r\n\r\n{"compare":`, /^(HTTP\/1\.1 4\d\d |$)/],
      [
        'declared body never sent',
        `${head}Content-Length: 10000000\r\n\r\n`,
        /^(HTTP\/1\.1 413 .*maxRequestBytes|$)/s,
      ],
    ];
    for (const member of cluster.members) {
      for (const [name, request, expected] of cases) {
        tally.count(`raw HTTP: ${name}`);
        const answer = await sendRaw(member, Buffer.from(request, 'latin1'));
        assert.match(answer, expected, `${name} on ${member.id}: ${answer.slice(0, 300)}`);
        const health = await fetch(`${member.clientUrl}/health`, {
          signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
        });
        assert.equal(health.status, 200, `${member.id} still serves after ${name}`);
      }
    }
  });

  it('leaves every store as it was, and every member running and writable', async () => {
    assert.deepEqual(cluster.crashed(), []);
    assert.deepEqual(await cluster.storeHashes(), hashesBefore, 'bad input changed a store');
    const put = await fetch(`${cluster.member('m2').clientUrl}/v1/kv/after-fuzz`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'still writable' }),
    });
    assert.equal(put.status, 200, await put.text());
  });
});
