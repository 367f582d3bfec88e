// The storage layer on Deno's FileSystem and ProcessTable, under `deno test` (named *_test.ts so
// that the Node test runner, which takes *.test.ts, leaves it alone; test/cluster/mixed-runtime.test.ts
// runs it). Write, reopen, cut a torn tail, and lock, exactly as a Deno member's data directory does.
import assert from 'node:assert/strict';
import type { Entry, Logger } from '../../../core/raft/types.ts';
import { DataDirError, openDataDir } from '../../storage/index.ts';
import { denoFileSystem, denoProcessTable } from './fs.ts';

const utf8 = new TextEncoder();

function entriesOf(from: number, to: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = from; index <= to; index++) {
    entries.push({ index, term, type: 'normal', data: utf8.encode(`entry ${index} of term ${term}`) });
  }
  return entries;
}

function describeEntries(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}@${e.term}:${new TextDecoder().decode(e.data)}`);
}

function recordingLogger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (message) => warnings.push(message) };
}

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: 'vane-deno-fs-' });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function open(dir: string, logger: Logger = recordingLogger(), maxSegmentBytes?: number) {
  return openDataDir({
    dir,
    fs: denoFileSystem,
    processes: denoProcessTable,
    logger,
    ...(maxSegmentBytes === undefined ? {} : { limits: { maxSegmentBytes } }),
  });
}

async function segments(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/wal`))
    if (entry.name.endsWith('.wal')) names.push(entry.name);
  return names.sort();
}

Deno.test('entries, hard state and a snapshot written on Deno come back after a reopen', () =>
  withDir(async (dir) => {
    // Small segments, so that the WAL is cut into several files (rename, directory sync).
    const first = await open(dir, recordingLogger(), 256);
    await first.dataDir.save({ hardState: { term: 1, vote: 'm1', commit: 0 }, entries: entriesOf(1, 10, 1) });
    await first.dataDir.saveSnapshot({
      metadata: {
        index: 4,
        term: 1,
        confState: { voters: ['m1'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      },
      data: utf8.encode('state at 4'),
    });
    await first.dataDir.save({
      hardState: { term: 2, vote: 'm1', commit: 12 },
      entries: entriesOf(11, 12, 2),
    });
    await first.dataDir.close();
    assert.ok((await segments(dir)).length > 1, 'the WAL spans several segments');

    const { dataDir, recovered } = await open(dir, recordingLogger(), 256);
    await dataDir.close();
    assert.deepEqual(recovered.hardState, { term: 2, vote: 'm1', commit: 12 });
    assert.equal(recovered.snapshot?.metadata.index, 4);
    assert.equal(new TextDecoder().decode(recovered.snapshot?.data), 'state at 4');
    assert.deepEqual(describeEntries(recovered.entries), [
      ...describeEntries(entriesOf(5, 10, 1)),
      ...describeEntries(entriesOf(11, 12, 2)),
    ]);
  }));

Deno.test('a torn last record is cut off on reopen, and the entries before it are kept', () =>
  withDir(async (dir) => {
    const first = await open(dir);
    await first.dataDir.save({ hardState: { term: 1, vote: null, commit: 3 }, entries: entriesOf(1, 3, 1) });
    await first.dataDir.close();
    const last = `${dir}/wal/${(await segments(dir)).at(-1)}`;
    const intactBytes = (await Deno.stat(last)).size;
    // A record header that promises 1000 bytes, then far fewer: what a crash mid-write leaves.
    const torn = new Uint8Array(18).fill(0xee);
    new DataView(torn.buffer).setUint32(0, 1000, true);
    await Deno.writeFile(last, torn, { append: true });

    const logger = recordingLogger();
    const { dataDir, recovered } = await open(dir, logger);
    await dataDir.close();
    assert.deepEqual(describeEntries(recovered.entries), describeEntries(entriesOf(1, 3, 1)));
    assert.ok(logger.warnings.some((message) => /cut off a torn last record/.test(message)));
    assert.equal((await Deno.stat(last)).size, intactBytes);
  }));

Deno.test('the lock refuses a second opener, and takes over a lock left by a process that is gone', () =>
  withDir(async (dir) => {
    const { dataDir } = await open(dir);
    const refused = await open(dir).then(
      () => assert.fail('a second open must be refused'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof DataDirError);
    assert.equal(refused.code, 'locked');
    assert.match(refused.message, new RegExp(`in use by process ${Deno.pid}`));
    await dataDir.close();

    const exited = new Deno.Command(Deno.execPath(), {
      args: ['eval', ''],
      stdout: 'null',
      stderr: 'null',
    }).spawn();
    await exited.status;
    assert.equal(denoProcessTable.isAlive(exited.pid), false);
    assert.equal(denoProcessTable.isAlive(Deno.pid), true);
    await Deno.writeTextFile(`${dir}/LOCK`, `${exited.pid}\n`);
    const logger = recordingLogger();
    const reopened = await open(dir, logger);
    await reopened.dataDir.close();
    assert.ok(logger.warnings.some((message) => /no longer running; taking it over/.test(message)));
  }));
