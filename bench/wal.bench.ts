// Measures the storage layer on this machine's disk: fsync latency, WAL append throughput with
// and without batching, group commit of concurrent saves, and replay time on restart.
// Run: npx tsx bench/wal.bench.ts [dir]   (default: a fresh directory under the OS temp dir)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, Logger } from '../core/raft/types.ts';
import { nodeFileSystem, nodeProcessTable } from '../server/adapters/node/fs.ts';
import { type DataDir, openDataDir } from '../server/storage/index.ts';

const ENTRY_BYTES = 256;
const silent: Logger = { debug() {}, info() {}, warn() {} };

function percentile(sortedMs: readonly number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

function entries(from: number, count: number): Entry[] {
  const data = new Uint8Array(ENTRY_BYTES).fill(0x61);
  return Array.from({ length: count }, (_, i) => ({
    index: from + i,
    term: 1,
    type: 'normal' as const,
    data,
  }));
}

async function open(dir: string): Promise<DataDir> {
  return (await openDataDir({ dir, fs: nodeFileSystem, processes: nodeProcessTable, logger: silent }))
    .dataDir;
}

async function fsyncLatency(dir: string): Promise<void> {
  const path = join(dir, 'fsync-probe');
  await nodeFileSystem.writeFileDurable(path, new Uint8Array(0));
  const file = await nodeFileSystem.openAppend(path);
  const block = new Uint8Array(4096).fill(0x62);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    await file.append([block]);
    const start = performance.now();
    await file.sync();
    samples.push(performance.now() - start);
  }
  await file.close();
  samples.sort((a, b) => a - b);
  console.log(
    `fsync (fdatasync) of a 4 KiB append, 200 samples: p50 ${percentile(samples, 50).toFixed(3)} ms, p99 ${percentile(samples, 99).toFixed(3)} ms, max ${samples.at(-1)!.toFixed(3)} ms`,
  );
}

async function appendThroughput(dir: string, batch: number, saves: number): Promise<void> {
  const dataDir = await open(dir);
  const start = performance.now();
  for (let i = 0; i < saves; i++) {
    await dataDir.save({
      entries: entries(1 + i * batch, batch),
      hardState: { term: 1, vote: 'a', commit: i * batch },
    });
  }
  const seconds = (performance.now() - start) / 1000;
  await dataDir.close();
  const count = batch * saves;
  console.log(
    `sequential saves of ${batch} x ${ENTRY_BYTES} B entries: ${saves} saves in ${seconds.toFixed(2)} s = ${(saves / seconds).toFixed(0)} saves/s, ${(count / seconds).toFixed(0)} entries/s, ${((count * ENTRY_BYTES) / seconds / 1e6).toFixed(1)} MB/s of entry data`,
  );
}

async function groupCommit(dir: string, saves: number): Promise<void> {
  const dataDir = await open(dir);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < saves; i++) pending.push(dataDir.save({ entries: entries(1 + i, 1) }));
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  await dataDir.close();
  console.log(
    `${saves} concurrent saves of 1 entry (group commit): ${seconds.toFixed(3)} s = ${(saves / seconds).toFixed(0)} saves/s`,
  );
}

async function replayTime(dir: string, count: number): Promise<void> {
  const dataDir = await open(dir);
  const batch = 1000;
  for (let from = 1; from <= count; from += batch) {
    await dataDir.save({
      entries: entries(from, batch),
      hardState: { term: 1, vote: 'a', commit: from - 1 },
      mustSync: false,
    });
  }
  await dataDir.save({ hardState: { term: 1, vote: 'a', commit: count } });
  await dataDir.close();
  const start = performance.now();
  const { dataDir: reopened, recovered } = await openDataDir({
    dir,
    fs: nodeFileSystem,
    processes: nodeProcessTable,
    logger: silent,
  });
  const ms = performance.now() - start;
  await reopened.close();
  if (recovered.entries.length !== count)
    throw new Error(`replayed ${recovered.entries.length} entries, expected ${count}`);
  console.log(
    `replay of ${count} entries of ${ENTRY_BYTES} B (${((count * (ENTRY_BYTES + 34)) / 1e6).toFixed(1)} MB of WAL): ${ms.toFixed(0)} ms`,
  );
}

const root = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'vane-wal-bench-')));
try {
  console.log(`WAL benchmark in ${root} (node ${process.version})`);
  await fsyncLatency(root);
  await appendThroughput(join(root, 'batch-1'), 1, 1000);
  await appendThroughput(join(root, 'batch-128'), 128, 400);
  await groupCommit(join(root, 'group'), 1000);
  await replayTime(join(root, 'replay'), 100_000);
} finally {
  if (process.argv[2] === undefined) await rm(root, { recursive: true, force: true });
}
