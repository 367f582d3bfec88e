// Helpers for the storage tests: temporary data directories, a logger that records, and a
// FileSystem decorator that counts fsyncs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, Logger } from '../../core/raft/types.ts';
import type { FileSystem } from './fs.ts';

export interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export function recordingLogger(): Logger & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const log =
    (level: LoggedLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn') };
}

/** A fresh directory under the OS temp dir, removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'vane-storage-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface SyncCounts {
  /** fsyncs of WAL appends. */
  fileSyncs: number;
  /** Files written and synced whole (segment starts, snapshots). */
  durableWrites: number;
  dirSyncs: number;
}

export function countingFileSystem(inner: FileSystem): { fs: FileSystem; counts: SyncCounts } {
  const counts: SyncCounts = { fileSyncs: 0, durableWrites: 0, dirSyncs: 0 };
  const fs: FileSystem = {
    mkdirp: (path) => inner.mkdirp(path),
    list: (dir) => inner.list(dir),
    readFile: (path) => inner.readFile(path),
    size: (path) => inner.size(path),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    truncate: (path, length) => inner.truncate(path, length),
    createExclusive: (path, bytes) => inner.createExclusive(path, bytes),
    writeFileDurable: (path, bytes) => {
      counts.durableWrites++;
      return inner.writeFileDurable(path, bytes);
    },
    syncDir: (path) => {
      counts.dirSyncs++;
      return inner.syncDir(path);
    },
    openAppend: async (path) => {
      const file = await inner.openAppend(path);
      return {
        append: (chunks) => file.append(chunks),
        sync: () => {
          counts.fileSyncs++;
          return file.sync();
        },
        close: () => file.close(),
      };
    },
  };
  return { fs, counts };
}

const utf8 = new TextEncoder();

/** Entries [from, to] in one term, each carrying its index as text. */
export function entriesOf(from: number, to: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = from; index <= to; index++) {
    entries.push({ index, term, type: 'normal', data: utf8.encode(`entry ${index} of term ${term}`) });
  }
  return entries;
}

/** Entries as comparable plain values. */
export function describeEntries(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}@${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`);
}
