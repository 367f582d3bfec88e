import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Chunk, decodeTransportFrame, encodeChunkFrame } from './frames.ts';
import { ChunkReassembler } from './reassembly.ts';

function chunksOf(bytes: Uint8Array, chunkBytes: number, transferId = 1): Chunk[] {
  const count = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  return Array.from({ length: count }, (_, index) => ({
    transferId,
    index,
    count,
    totalBytes: bytes.length,
    payload: bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes),
  }));
}

const limits = { maxMessageBytes: 1024 * 1024, chunkTimeoutMs: 1000 };

describe('ChunkReassembler', () => {
  it('puts any message back together from chunks that went through the wire encoding', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        (bytes, chunkBytes) => {
          const reassembler = new ChunkReassembler(limits);
          const chunks = chunksOf(bytes, chunkBytes);
          const results = chunks.map((chunk) => {
            const decoded = decodeTransportFrame(encodeChunkFrame(chunk));
            assert.ok(!('code' in decoded) && decoded.kind === 'chunk');
            return reassembler.accept(decoded, 0);
          });
          assert.ok(results.slice(0, -1).every((result) => result.kind === 'incomplete'));
          const last = results.at(-1)!;
          assert.ok(last.kind === 'complete');
          assert.deepEqual(last.bytes, bytes);
          assert.equal(reassembler.pendingBytes, 0);
        },
      ),
    );
  });

  it('refuses a message larger than its limit before allocating it', () => {
    const reassembler = new ChunkReassembler(limits);
    const result = reassembler.accept(
      { transferId: 1, index: 0, count: 2, totalBytes: 2 * 1024 * 1024, payload: new Uint8Array(1) },
      0,
    );
    assert.equal(result.kind, 'violation');
    assert.match(
      result.kind === 'violation' ? result.reason : '',
      /exceeds the 1 MiB limit \(maxReassembledBytes\)/,
    );
    assert.equal(reassembler.pendingBytes, 0);
  });

  it('refuses chunks out of order, from another transfer, without a start, or beyond the announced size', () => {
    const bytes = new Uint8Array(100);
    const [c0, c1, c2] = chunksOf(bytes, 40) as [Chunk, Chunk, Chunk];
    const cases: [string, Chunk[]][] = [
      ['skipped chunk', [c0, c2]],
      ['other transfer', [c0, { ...c1, transferId: 9 }]],
      ['no start', [c1]],
      ['changed count', [c0, { ...c1, count: 4 }]],
      ['too many bytes', [c0, { ...c1, payload: new Uint8Array(61) }]],
      ['too few bytes', [c0, c1, { ...c2, payload: new Uint8Array(5) }]],
      ['more chunks than bytes', [{ ...c0, count: 101 }]],
    ];
    for (const [what, chunks] of cases) {
      const reassembler = new ChunkReassembler(limits);
      const results = chunks.map((chunk) => reassembler.accept(chunk, 0));
      assert.equal(results.at(-1)?.kind, 'violation', what);
    }
  });

  it('abandons a transfer whose next chunk is overdue, and then refuses its late chunks', () => {
    const [c0, c1] = chunksOf(new Uint8Array(100), 50) as [Chunk, Chunk];
    const reassembler = new ChunkReassembler(limits);
    assert.equal(reassembler.accept(c0, 0).kind, 'incomplete');
    assert.equal(reassembler.expire(999), false);
    assert.equal(reassembler.pendingBytes, 100);
    assert.equal(reassembler.expire(1000), true);
    assert.equal(reassembler.pendingBytes, 0);
    assert.equal(reassembler.accept(c1, 1001).kind, 'violation');
  });
});

describe('transport frames', () => {
  it('never throw on arbitrary bytes behind the "VT" header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        const frame = new Uint8Array([0x56, 0x54, ...tail]);
        const decoded = decodeTransportFrame(frame);
        assert.ok('code' in decoded || ['chunk', 'ping', 'pong'].includes(decoded.kind));
      }),
    );
  });

  it('refuses another version and unknown kinds with a message that says so', () => {
    const version2 = decodeTransportFrame(new Uint8Array([0x56, 0x54, 2, 1]));
    assert.ok('code' in version2 && version2.code === 'unsupportedVersion');
    const unknown = decodeTransportFrame(new Uint8Array([0x56, 0x54, 1, 99]));
    assert.ok('code' in unknown && /unknown kind 99/.test(unknown.message));
  });
});
