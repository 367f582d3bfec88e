import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Entry, Snapshot } from '../../core/raft/types.ts';
import { nodeFileSystem, nodeProcessTable } from '../adapters/node/fs.ts';
import { type DataDir, openDataDir, type RecoveredState } from './data-dir.ts';
import { DataDirError } from './errors.ts';
import type { FileSystem } from './fs.ts';
import type { StorageLimits } from './limits.ts';
import { MemoryFileSystem } from './memory-fs.ts';
import { countingFileSystem, describeEntries, entriesOf, recordingLogger, tempDir } from './testing.ts';

let dir: { path: string; remove: () => Promise<void> };
const opened: DataDir[] = [];

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  for (const dataDir of opened.splice(0)) await dataDir.close();
  await dir.remove();
});

async function open(
  options: {
    limits?: Partial<StorageLimits>;
    fs?: FileSystem;
    logger?: ReturnType<typeof recordingLogger>;
  } = {},
): Promise<{ dataDir: DataDir; recovered: RecoveredState }> {
  const result = await openDataDir({
    dir: dir.path,
    fs: options.fs ?? nodeFileSystem,
    processes: nodeProcessTable,
    logger: options.logger ?? recordingLogger(),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  opened.push(result.dataDir);
  return result;
}

async function reopen(
  dataDir: DataDir,
  options: Parameters<typeof open>[0] = {},
): Promise<{ dataDir: DataDir; recovered: RecoveredState }> {
  await dataDir.close();
  return open(options);
}

function snapshotAt(index: number, term: number, text = `state at ${index}`): Snapshot {
  return {
    metadata: {
      index,
      term,
      confState: {
        voters: ['a', 'b', 'c'],
        learners: ['d'],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
    },
    data: new TextEncoder().encode(text),
  };
}

async function waitForRejection(promise: Promise<unknown>): Promise<DataDirError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataDirError, `expected a DataDirError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

async function segmentNames(): Promise<string[]> {
  return (await readdir(`${dir.path}/wal`)).filter((name) => name.endsWith('.wal')).sort();
}

async function lastSegmentPath(): Promise<string> {
  return `${dir.path}/wal/${(await segmentNames()).at(-1)}`;
}

describe('data directory: write and replay', () => {
  it('starts empty, then recovers entries and the latest hard state after a restart', async () => {
    const first = await open();
    assert.deepEqual(first.recovered.entries, []);
    assert.equal(first.recovered.snapshot, null);
    assert.deepEqual(first.recovered.hardState, { term: 0, vote: null, commit: 0 });

    await first.dataDir.save({ hardState: { term: 1, vote: 'a', commit: 0 }, entries: entriesOf(1, 3, 1) });
    await first.dataDir.save({
      hardState: { term: 1, vote: 'a', commit: 2 },
      entries: [{ index: 4, term: 1, type: 'confChange', data: new Uint8Array([1, 2, 3]) }],
    });
    const { recovered } = await reopen(first.dataDir);
    assert.deepEqual(recovered.hardState, { term: 1, vote: 'a', commit: 2 });
    assert.deepEqual(describeEntries(recovered.entries), [
      ...describeEntries(entriesOf(1, 3, 1)),
      '4@1:confChange:010203',
    ]);
  });

  it('replays an overwritten suffix as the newer entries (a follower replacing its conflicting tail)', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 6, 1), hardState: { term: 1, vote: null, commit: 2 } });
    await dataDir.save({ entries: entriesOf(4, 5, 2), hardState: { term: 2, vote: 'b', commit: 3 } });
    await dataDir.save({ entries: entriesOf(6, 7, 2) });
    const { recovered } = await reopen(dataDir);
    assert.deepEqual(describeEntries(recovered.entries), [
      ...describeEntries(entriesOf(1, 3, 1)),
      ...describeEntries(entriesOf(4, 7, 2)),
    ]);
    assert.deepEqual(recovered.hardState, { term: 2, vote: 'b', commit: 3 });
  });

  it('refuses a save that breaks the log rules, and writes nothing of it', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 3, 2) });
    await assert.rejects(dataDir.save({ entries: entriesOf(5, 5, 2) }), /entry 5 leaves a gap after entry 3/);
    await assert.rejects(dataDir.save({ entries: entriesOf(4, 4, 1) }), /term 1, lower than the term 2/);
    await assert.rejects(
      dataDir.save({ hardState: { term: 2, vote: null, commit: 9 } }),
      /commit 9 is beyond the last log index 3/,
    );
    const { recovered } = await reopen(dataDir);
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(1, 3, 2)));
    assert.deepEqual(recovered.hardState, { term: 0, vote: null, commit: 0 });
  });

  it('refuses a record over the size limit, naming the limit, and keeps working', async () => {
    const { dataDir } = await open({ limits: { maxRecordBytes: 1024 } });
    const big: Entry = { index: 1, term: 1, type: 'normal', data: new Uint8Array(1024) };
    const error = await waitForRejection(dataDir.save({ entries: [big] }));
    assert.equal(error.code, 'limitExceeded');
    assert.match(error.message, /StorageLimits\.maxRecordBytes/);
    await dataDir.save({ entries: entriesOf(1, 1, 1) });
    const { recovered } = await reopen(dataDir, { limits: { maxRecordBytes: 1024 } });
    assert.equal(recovered.entries.length, 1);
  });

  it('refuses to read a segment or snapshot file larger than the limits allow, naming the limit', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 40, 1), hardState: { term: 1, vote: null, commit: 40 } });
    await dataDir.saveSnapshot(snapshotAt(40, 1, 'x'.repeat(2000)));
    await dataDir.close();
    const segment = await waitForRejection(
      open({ limits: { maxSegmentBytes: 100, maxSaveBytes: 100, maxRecordBytes: 100 } }),
    );
    assert.equal(segment.code, 'limitExceeded');
    // The snapshot closed the segment holding the entries; it is the one over the limit.
    assert.equal(segment.path, `${dir.path}/wal/${(await segmentNames())[0]}`);
    const snapshot = await waitForRejection(open({ limits: { maxSnapshotBytes: 1000 } }));
    assert.equal(snapshot.code, 'limitExceeded');
    assert.match(snapshot.message, /over StorageLimits\.maxSnapshotBytes \(1000\)/);
  });

  it('starts a new segment after the batch that crosses the bound, and replays across segments', async () => {
    const limits = { maxSegmentBytes: 1024 };
    const { dataDir } = await open({ limits });
    for (let index = 1; index <= 120; index += 4) {
      await dataDir.save({
        entries: entriesOf(index, index + 3, 1),
        hardState: { term: 1, vote: null, commit: index },
      });
    }
    const names = await segmentNames();
    assert.ok(names.length >= 4, `expected several segments, got ${names.join(', ')}`);
    for (const name of names.slice(0, -1)) {
      const size = (await stat(`${dir.path}/wal/${name}`)).size;
      assert.ok(size > 1024 && size < 1024 + 300, `${name} is ${size} bytes`);
    }
    // Each name carries its sequence number and the index its first new entry has.
    assert.match(names[0]!, /^0{16}-0{15}1\.wal$/);
    assert.match(names[1]!, /^0{15}1-0{14}[0-9a-f]{2}\.wal$/);
    const { recovered } = await reopen(dataDir, { limits });
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(1, 120, 1)));
    assert.deepEqual(recovered.hardState, { term: 1, vote: null, commit: 117 });
  });
});

describe('data directory: snapshots', () => {
  it('removes covered segments after a snapshot and replays from the snapshot and the tail', async () => {
    const limits = { maxSegmentBytes: 1024 };
    const { dataDir } = await open({ limits });
    for (let index = 1; index <= 200; index += 5) {
      await dataDir.save({
        entries: entriesOf(index, index + 4, 3),
        hardState: { term: 3, vote: 'a', commit: index },
      });
    }
    const before = await segmentNames();
    await dataDir.saveSnapshot(snapshotAt(150, 3));
    const after = await segmentNames();
    assert.ok(after.length < before.length, `${before.length} segments before, ${after.length} after`);
    const firstIndexLeft = Number.parseInt(after[0]!.slice(17, 33), 16);
    assert.ok(firstIndexLeft <= 151, `the first remaining segment starts at ${firstIndexLeft}`);
    assert.deepEqual(await readdir(`${dir.path}/snap`), ['0000000000000003-0000000000000096.snap']);

    const { recovered } = await reopen(dataDir, { limits });
    assert.deepEqual(recovered.snapshot, snapshotAt(150, 3));
    assert.deepEqual(recovered.confState, snapshotAt(150, 3).metadata.confState);
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(151, 200, 3)));
    assert.deepEqual(recovered.hardState, { term: 3, vote: 'a', commit: 196 });
  });

  it('keeps the newest two snapshot files', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 30, 1), hardState: { term: 1, vote: null, commit: 30 } });
    for (const index of [10, 20, 30]) await dataDir.saveSnapshot(snapshotAt(index, 1));
    assert.deepEqual((await readdir(`${dir.path}/snap`)).sort(), [
      '0000000000000001-0000000000000014.snap',
      '0000000000000001-000000000000001e.snap',
    ]);
    const { recovered } = await reopen(dataDir);
    assert.equal(recovered.snapshot?.metadata.index, 30);
    assert.deepEqual(recovered.entries, []);
  });

  it('closes the segment at a snapshot, so the next snapshot removes the entries it covers', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 20, 1), hardState: { term: 1, vote: null, commit: 20 } });
    await dataDir.saveSnapshot(snapshotAt(10, 1));
    await dataDir.save({ entries: entriesOf(21, 30, 1), hardState: { term: 1, vote: null, commit: 30 } });
    const names = await segmentNames();
    assert.equal(names.length, 2, names.join(', '));
    assert.match(names[1]!, /^0{15}1-0{14}15\.wal$/, 'the new segment starts after entry 20');
    await dataDir.saveSnapshot(snapshotAt(25, 1));
    const left = await segmentNames();
    assert.deepEqual(left.slice(0, 1), names.slice(1), 'the segment holding entries 1 to 20 is gone');
    const { recovered } = await reopen(dataDir);
    assert.equal(recovered.snapshot?.metadata.index, 25);
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(26, 30, 1)));
  });

  it('reads only the snapshot recovery starts from: damage in an older one does not stop it', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 20, 1), hardState: { term: 1, vote: null, commit: 20 } });
    await dataDir.saveSnapshot(snapshotAt(10, 1, 'older'));
    await dataDir.saveSnapshot(snapshotAt(20, 1, 'newer'));
    await dataDir.close();
    const older = `${dir.path}/snap/0000000000000001-000000000000000a.snap`;
    const bytes = await readFile(older);
    bytes[bytes.length - 10]! ^= 0x01;
    await writeFile(older, bytes);
    const { recovered } = await open();
    assert.deepEqual(recovered.snapshot, snapshotAt(20, 1, 'newer'));
  });

  it('replaces the whole log with a snapshot received from the leader', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 10, 1), hardState: { term: 1, vote: null, commit: 4 } });
    await dataDir.save({
      snapshot: snapshotAt(20, 3),
      entries: entriesOf(21, 22, 3),
      hardState: { term: 3, vote: null, commit: 20 },
    });
    const { recovered } = await reopen(dataDir);
    assert.equal(recovered.snapshot?.metadata.index, 20);
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(21, 22, 3)));
    assert.deepEqual(recovered.hardState, { term: 3, vote: null, commit: 20 });
  });

  it('refuses a snapshot whose term disagrees with the log', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 5, 2), hardState: { term: 2, vote: null, commit: 5 } });
    await assert.rejects(
      dataDir.saveSnapshot(snapshotAt(4, 1)),
      /index 4 with term 1, but the entry there has term 2/,
    );
    await assert.rejects(dataDir.saveSnapshot(snapshotAt(6, 2)), /beyond the last entry 5/);
  });

  it('drops a snapshot file that a crash left unrecorded in the WAL', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 5, 1), hardState: { term: 1, vote: null, commit: 5 } });
    await dataDir.close();
    const stray = `${dir.path}/snap/0000000000000001-0000000000000005.snap`;
    await writeFile(stray, 'written before a crash, never recorded');
    await writeFile(`${dir.path}/wal/0000000000000001-0000000000000006.wal.tmp`, 'half a segment');
    const logger = recordingLogger();
    const { recovered } = await open({ logger });
    assert.equal(recovered.snapshot, null);
    assert.equal(recovered.entries.length, 5);
    assert.deepEqual(await readdir(`${dir.path}/snap`), []);
    assert.equal((await segmentNames()).length, 1);
    assert.ok(logger.lines.some((line) => line.level === 'warn' && line.fields.file === stray));
  });
});

describe('data directory: recovery from damage', () => {
  /** A directory with three saves; returns where the last save's record starts in the last segment. */
  async function writeThreeSaves(): Promise<{ lastRecordStart: number; segment: string }> {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 2, 1) });
    await dataDir.save({ entries: entriesOf(3, 4, 1) });
    const segment = await lastSegmentPath();
    const lastRecordStart = (await stat(segment)).size;
    await dataDir.save({ entries: entriesOf(5, 5, 1) });
    await dataDir.close();
    return { lastRecordStart, segment };
  }

  it('cuts off a torn last record at every byte offset within it, keeping all earlier records', async () => {
    const { lastRecordStart, segment } = await writeThreeSaves();
    const full = await readFile(segment);
    for (let cut = lastRecordStart + 1; cut < full.length; cut++) {
      await writeFile(segment, full.subarray(0, cut));
      const logger = recordingLogger();
      const { dataDir, recovered } = await open({ logger });
      assert.deepEqual(
        describeEntries(recovered.entries),
        describeEntries(entriesOf(1, 4, 1)),
        `cut at ${cut}`,
      );
      const warning = logger.lines.find((line) => line.level === 'warn');
      assert.equal(warning?.fields.file, segment, `cut at ${cut}`);
      assert.equal(warning?.fields.offset, lastRecordStart, `cut at ${cut}`);
      assert.equal((await stat(segment)).size, lastRecordStart, `cut at ${cut}`);
      await dataDir.save({ entries: entriesOf(5, 5, 1) });
      await dataDir.close();
    }
    const { recovered } = await open();
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(1, 5, 1)));
  });

  it('treats a final record whose tail reads as zeros (sectors never written) as torn', async () => {
    const { lastRecordStart, segment } = await writeThreeSaves();
    const bytes = await readFile(segment);
    // The record's bytes never reached the disk, and neither did a sector after it.
    const torn = Buffer.concat([
      bytes.subarray(0, lastRecordStart),
      Buffer.alloc(bytes.length - lastRecordStart + 512),
    ]);
    await writeFile(segment, torn);
    const logger = recordingLogger();
    const { recovered } = await open({ logger });
    assert.equal(recovered.entries.length, 4);
    assert.equal(logger.lines.find((line) => line.level === 'warn')?.fields.offset, lastRecordStart);
    assert.equal((await stat(segment)).size, lastRecordStart);
  });

  it('stops on a bit flipped in a complete final record: it was written whole, so it is damage, not a tear', async () => {
    const { lastRecordStart, segment } = await writeThreeSaves();
    const bytes = await readFile(segment);
    bytes[bytes.length - 3]! ^= 0x10;
    await writeFile(segment, bytes);
    const error = await waitForRejection(open());
    assert.equal(error.code, 'corrupt');
    assert.equal(error.offset, lastRecordStart);
    assert.match(error.message, /is corrupt at byte offset \d+: record checksum mismatch/);
    assert.equal((await stat(segment)).size, bytes.length, 'a damaged WAL is never truncated');
  });

  it('stops with the file and offset when a record in the middle is damaged', async () => {
    const { lastRecordStart, segment } = await writeThreeSaves();
    const bytes = await readFile(segment);
    const damaged = lastRecordStart - 5; // inside the second save's last entry
    bytes[damaged]! ^= 0x01;
    await writeFile(segment, bytes);
    const error = await waitForRejection(open());
    assert.equal(error.code, 'corrupt');
    assert.equal(error.path, segment);
    const recordStart = error.offset!;
    assert.ok(recordStart < damaged && damaged < lastRecordStart, `reported offset ${recordStart}`);
    assert.match(
      error.message,
      new RegExp(`${segment}.* is corrupt at byte offset ${recordStart}: record checksum mismatch`),
    );
    // The lock was released: the same error again, not "in use".
    assert.equal((await waitForRejection(open())).code, 'corrupt');
    assert.equal((await stat(segment)).size, bytes.length, 'a damaged WAL is never truncated');
  });

  it('stops when a damaged length field would otherwise look like a torn tail', async () => {
    const { lastRecordStart, segment } = await writeThreeSaves();
    const bytes = await readFile(segment);
    // The length field of the record before the last one, made to reach past the end of the file.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let offset = 0;
    let previous = 0;
    while (offset < lastRecordStart) {
      previous = offset;
      offset += 8 + view.getUint32(offset, true);
    }
    view.setUint32(previous, 4096, true);
    await writeFile(segment, bytes);
    const error = await waitForRejection(open());
    assert.equal(error.code, 'corrupt');
    assert.equal(error.offset, previous);
  });

  it('stops when damage is in a segment before the last, even in its final record', async () => {
    const limits = { maxSegmentBytes: 256 };
    const { dataDir } = await open({ limits });
    for (let index = 1; index <= 30; index++) await dataDir.save({ entries: entriesOf(index, index, 1) });
    await dataDir.close();
    const names = await segmentNames();
    const first = `${dir.path}/wal/${names[0]}`;
    const bytes = await readFile(first);
    bytes[bytes.length - 1]! ^= 0x80;
    await writeFile(first, bytes);
    const error = await waitForRejection(open({ limits }));
    assert.equal(error.path, first);
    assert.match(error.message, /record checksum mismatch/);
  });

  it('stops when a segment is missing from the middle of the WAL', async () => {
    const limits = { maxSegmentBytes: 256 };
    const { dataDir } = await open({ limits });
    for (let index = 1; index <= 30; index++) await dataDir.save({ entries: entriesOf(index, index, 1) });
    await dataDir.close();
    const names = await segmentNames();
    await nodeFileSystem.unlink(`${dir.path}/wal/${names[1]}`);
    const error = await waitForRejection(open({ limits }));
    assert.equal(error.path, `${dir.path}/wal/${names[2]}`);
    assert.match(error.message, /segment 2 follows segment 0: 1 segment\(s\) are missing/);
  });

  it('stops with the snapshot file named when a bit flips in it, even with an older snapshot present', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 20, 1), hardState: { term: 1, vote: null, commit: 20 } });
    await dataDir.saveSnapshot(snapshotAt(10, 1));
    await dataDir.saveSnapshot(snapshotAt(20, 1, 'x'.repeat(500)));
    await dataDir.close();
    const newest = `${dir.path}/snap/0000000000000001-0000000000000014.snap`;
    const bytes = await readFile(newest);
    bytes[200]! ^= 0x04;
    await writeFile(newest, bytes);
    const error = await waitForRejection(open());
    assert.equal(error.code, 'corrupt');
    assert.equal(error.path, newest);
    assert.match(error.message, /snapshot checksum mismatch/);
    assert.match(error.message, new RegExp(`byte offset ${bytes.length - 4}`));
  });

  it('stops when the snapshot the WAL starts from is missing', async () => {
    const { dataDir } = await open();
    await dataDir.save({ entries: entriesOf(1, 5, 1), hardState: { term: 1, vote: null, commit: 5 } });
    await dataDir.saveSnapshot(snapshotAt(5, 1));
    await dataDir.close();
    const file = `${dir.path}/snap/0000000000000001-0000000000000005.snap`;
    await nodeFileSystem.unlink(file);
    const error = await waitForRejection(open());
    assert.equal(error.path, file);
    assert.match(error.message, /its file is missing/);
  });
});

describe('data directory: lock', () => {
  it('refuses a second open while the first holder is alive, naming the directory and pid', async () => {
    await open();
    const error = await waitForRejection(open());
    assert.equal(error.code, 'locked');
    assert.match(error.message, new RegExp(`data directory ${dir.path} is in use by process ${process.pid}`));
  });

  it('takes over a lock left by a process that has exited', async () => {
    const { spawnSync } = await import('node:child_process');
    const exited = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' }).pid;
    assert.ok(exited !== undefined && !nodeProcessTable.isAlive(exited));
    await writeFile(`${dir.path}/LOCK`, `${exited}\n`);
    const logger = recordingLogger();
    const { dataDir } = await open({ logger });
    assert.equal(await readFile(`${dir.path}/LOCK`, 'utf8'), `${process.pid}\n`);
    assert.ok(logger.lines.some((line) => line.level === 'warn' && line.fields.stalePid === exited));
    await dataDir.close();
    assert.deepEqual((await readdir(dir.path)).includes('LOCK'), false, 'close releases the lock');
  });
});

describe('data directory: group commit', () => {
  it('fsyncs once per save, however many entries it holds', async () => {
    const { fs, counts } = countingFileSystem(nodeFileSystem);
    const { dataDir } = await open({ fs });
    const syncsAtStart = counts.fileSyncs;
    let index = 1;
    for (const size of [1, 16, 128, 3]) {
      await dataDir.save({
        entries: entriesOf(index, index + size - 1, 1),
        hardState: { term: 1, vote: null, commit: 0 },
      });
      index += size;
    }
    assert.equal(counts.fileSyncs - syncsAtStart, 4);
    await dataDir.save({ entries: entriesOf(index, index, 1), mustSync: false });
    assert.equal(counts.fileSyncs - syncsAtStart, 4, 'a save with mustSync false is not fsynced');
  });

  it('covers saves issued together with one write and one fsync, in order', async () => {
    const { fs, counts } = countingFileSystem(nodeFileSystem);
    const { dataDir } = await open({ fs });
    const syncsAtStart = counts.fileSyncs;
    const saves: Promise<void>[] = [];
    for (let index = 1; index <= 50; index++) {
      saves.push(
        dataDir.save({
          entries: entriesOf(index, index, 1),
          hardState: { term: 1, vote: null, commit: index - 1 },
        }),
      );
    }
    await Promise.all(saves);
    assert.equal(counts.fileSyncs - syncsAtStart, 1);
    const { recovered } = await reopen(dataDir, { fs });
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(1, 50, 1)));
    assert.deepEqual(recovered.hardState, { term: 1, vote: null, commit: 49 });
  });

  it('refuses every later save once an fsync fails, since the disk state is then unknown', async () => {
    const fs = new MemoryFileSystem();
    const memory = { fs, dir: '/data' };
    const { dataDir } = await openDataDir({
      dir: memory.dir,
      fs,
      processes: nodeProcessTable,
      logger: recordingLogger(),
    });
    await dataDir.save({ entries: entriesOf(1, 1, 1) });
    fs.setFault((operation) => (operation === 'sync' ? new Error('EIO: i/o error') : undefined));
    const failed = await waitForRejection(dataDir.save({ entries: entriesOf(2, 2, 1) }));
    assert.equal(failed.code, 'failed');
    assert.match(failed.message, /EIO: i\/o error/);
    fs.setFault(null);
    assert.equal((await waitForRejection(dataDir.save({ entries: entriesOf(2, 2, 1) }))).code, 'failed');
    await dataDir.close();
    const closed = await waitForRejection(dataDir.save({ entries: entriesOf(2, 2, 1) }));
    assert.equal(closed.code, 'closed');
  });
});
