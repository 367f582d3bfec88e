// The storage FileSystem and ProcessTable on Deno: Deno.FsFile handles, fdatasync (syncData) for
// appends, fsync of the directory for renames and removals. This folder is type-checked by
// `deno check` (npm run typecheck, with deno.json's options), not by tsc, which has no Deno types.
import type { AppendableFile, FileSystem, ProcessTable } from '../../storage/fs.ts';

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

class DenoAppendableFile implements AppendableFile {
  readonly #file: Deno.FsFile;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  append(chunks: readonly Uint8Array[]): Promise<void> {
    return writeAll(this.#file, concat(chunks));
  }

  sync(): Promise<void> {
    return this.#file.syncData();
  }

  close(): Promise<void> {
    this.#file.close();
    return Promise.resolve();
  }
}

/** Writes `bytes` to an opened file, fsyncs it and closes it, closing it on failure too. */
async function writeSyncClose(file: Deno.FsFile, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  try {
    for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) await writeAll(file, chunk);
    await file.sync();
  } finally {
    file.close();
  }
}

export const denoFileSystem: FileSystem = {
  async mkdirp(path) {
    await Deno.mkdir(path, { recursive: true });
  },
  async list(dir) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return names;
  },
  readFile(path) {
    return Deno.readFile(path);
  },
  async size(path) {
    return (await Deno.stat(path)).size;
  },
  async writeFileDurable(path, bytes) {
    await writeSyncClose(await Deno.open(path, { write: true, create: true, truncate: true }), bytes);
  },
  async openAppend(path) {
    return new DenoAppendableFile(await Deno.open(path, { append: true, create: true }));
  },
  rename(from, to) {
    return Deno.rename(from, to);
  },
  unlink(path) {
    return Deno.remove(path);
  },
  truncate(path, length) {
    return Deno.truncate(path, length);
  },
  async syncDir(path) {
    // Windows cannot open a directory for syncing; its file system orders metadata itself.
    if (Deno.build.os === 'windows') return;
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  },
  async createExclusive(path, bytes) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return false;
      throw error;
    }
    await writeSyncClose(file, bytes);
    return true;
  },
};

export const denoProcessTable: ProcessTable = {
  pid: Deno.pid,
  isAlive(pid) {
    try {
      // Signal 0 only asks whether the process exists.
      Deno.kill(pid, 0);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      // EPERM: the process exists but belongs to another user.
      if (error instanceof Deno.errors.PermissionDenied) return true;
      if (error instanceof Deno.errors.NotCapable) {
        throw new Error(
          `cannot tell whether process ${pid}, named in the data directory's LOCK file, is still running: ` +
            'run Deno with --allow-run, or remove the LOCK file if no member uses the data directory',
        );
      }
      throw error;
    }
  },
};
