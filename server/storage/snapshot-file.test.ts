import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot } from '../../core/raft/types.ts';
import { DataDirError } from './errors.ts';
import { resolveLimits } from './limits.ts';
import {
  decodeSnapshotFile,
  encodeSnapshotFile,
  parseSnapshotFileName,
  snapshotFileName,
} from './snapshot-file.ts';

const limits = resolveLimits();

/** The file's bytes as written: the encoded chunks one after the other. */
function fileBytes(snapshot: Snapshot): Uint8Array {
  const chunks = encodeSnapshotFile(snapshot, limits);
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

const snapshot: Snapshot = {
  metadata: {
    index: 2 ** 40 + 3,
    term: 9,
    confState: {
      voters: ['a', 'b'],
      learners: ['c'],
      votersOutgoing: ['a', 'd'],
      learnersNext: ['d'],
      autoLeave: true,
    },
  },
  data: new TextEncoder().encode('the store at index 2^40 + 3'),
};

describe('snapshot files', () => {
  it('decode to the snapshot that was encoded', () => {
    assert.deepEqual(decodeSnapshotFile(fileBytes(snapshot), '/s.snap'), snapshot);
  });

  it('are named by term and index, in hex that sorts', () => {
    const name = snapshotFileName(9, 2 ** 40 + 3);
    assert.equal(name, '0000000000000009-0000010000000003.snap');
    assert.deepEqual(parseSnapshotFileName(name), { name, term: 9, index: 2 ** 40 + 3 });
    assert.equal(parseSnapshotFileName('0000000000000009-0000010000000003.snap.tmp'), null);
  });

  it('reject any single flipped bit with the file and an offset named', () => {
    const bytes = fileBytes(snapshot);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(
        () => decodeSnapshotFile(flipped, '/data/snap/x.snap'),
        (error: unknown) =>
          error instanceof DataDirError &&
          error.code === 'corrupt' &&
          error.path === '/data/snap/x.snap' &&
          error.message.startsWith(`/data/snap/x.snap is corrupt at byte offset ${error.offset}:`),
        `bit ${bit}`,
      );
    }
  });

  it('reject a truncated file', () => {
    const bytes = fileBytes(snapshot);
    assert.throws(
      () => decodeSnapshotFile(bytes.subarray(0, bytes.length - 1), '/s.snap'),
      /corrupt at byte offset/,
    );
    assert.throws(
      () => decodeSnapshotFile(bytes.subarray(0, 10), '/s.snap'),
      /shorter than the .*-byte minimum/,
    );
  });

  it('refuse a snapshot over maxSnapshotBytes, naming the limit', () => {
    assert.throws(
      () => encodeSnapshotFile(snapshot, resolveLimits({ maxSnapshotBytes: 64 })),
      /StorageLimits\.maxSnapshotBytes/,
    );
  });
});
