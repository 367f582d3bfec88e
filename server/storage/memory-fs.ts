// An in-memory FileSystem that loses what a power cut loses: data appended since the file's last
// sync, and directory entries (new, renamed, removed files) since the directory's last sync. A
// crash may keep a prefix of a file's unsynced bytes, which is how a torn last record arises.
// Used by the simulator and by the storage tests that crash a member at every step.
import type { AppendableFile, FileSystem } from './fs.ts';

interface Inode {
  data: Uint8Array;
  length: number;
  /** Bytes that survive a crash, if `durableCopy` is unset (the live data then extends them). */
  durableLength: number;
  /** The durable content, once a truncation has made the live data stop extending it. */
  durableCopy: Uint8Array | undefined;
}

export type FileOperation = 'append' | 'sync' | 'write' | 'rename' | 'unlink' | 'truncate' | 'syncDir';

export interface CrashOptions {
  /** How many of a file's unsynced bytes reach the disk anyway (default none). */
  readonly bytesKept?: (path: string, unsyncedBytes: number) => number;
  /** Whether an unsynced change to a directory entry (created, renamed, removed) reaches the disk (default no). */
  readonly entryKept?: (path: string) => boolean;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function newInode(bytes: Uint8Array, durable: boolean): Inode {
  return {
    data: bytes.slice(),
    length: bytes.length,
    durableLength: durable ? bytes.length : 0,
    durableCopy: undefined,
  };
}

export class MemoryFileSystem implements FileSystem {
  private readonly dirs = new Set<string>(['/']);
  private live = new Map<string, Inode>();
  private durable = new Map<string, Inode>();
  /** Handles opened before a crash stop working, as the process that held them is gone. */
  private generation = 0;
  private fault: ((operation: FileOperation, path: string) => Error | undefined) | null = null;

  /** Makes operations fail (a full or failing disk) while `fault` returns an error for them. */
  setFault(fault: ((operation: FileOperation, path: string) => Error | undefined) | null): void {
    this.fault = fault;
  }

  /**
   * A power cut. Each file falls back to what was synced, plus the prefix of its unsynced bytes
   * that `bytesKept` allows; each directory entry changed since its directory's last sync keeps
   * its old state unless `entryKept` says the change reached the disk.
   */
  crash(options: CrashOptions = {}): void {
    const bytesKept = options.bytesKept ?? (() => 0);
    const entryKept = options.entryKept ?? (() => false);
    this.generation++;
    const survivors = new Map(this.durable);
    for (const path of new Set([...this.durable.keys(), ...this.live.keys()])) {
      const now = this.live.get(path);
      if (now === this.durable.get(path) || !entryKept(path)) continue;
      if (now === undefined) survivors.delete(path);
      else survivors.set(path, now);
    }
    this.live = survivors;
    this.durable = new Map(survivors);
    for (const [path, inode] of this.live) {
      if (inode.durableCopy !== undefined) {
        inode.data = inode.durableCopy;
        inode.length = inode.durableCopy.length;
        inode.durableCopy = undefined;
      } else {
        const unsynced = inode.length - inode.durableLength;
        const keep = Math.min(unsynced, Math.max(0, Math.floor(bytesKept(path, unsynced))));
        inode.length = inode.durableLength + keep;
      }
      inode.durableLength = inode.length;
    }
  }

  async mkdirp(path: string): Promise<void> {
    for (let dir = path; dir !== '/' && !this.dirs.has(dir); dir = parentOf(dir)) this.dirs.add(dir);
  }

  async list(dir: string): Promise<string[]> {
    this.requireDir(dir);
    const names: string[] = [];
    for (const path of this.live.keys()) if (parentOf(path) === dir) names.push(nameOf(path));
    for (const sub of this.dirs) if (sub !== dir && parentOf(sub) === dir) names.push(nameOf(sub));
    return names.sort();
  }

  async readFile(path: string): Promise<Uint8Array> {
    const inode = this.inode(path);
    return inode.data.slice(0, inode.length);
  }

  async size(path: string): Promise<number> {
    return this.inode(path).length;
  }

  async writeFileDurable(path: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
    this.check('write', path);
    this.requireDir(parentOf(path));
    this.live.set(path, newInode(bytes instanceof Uint8Array ? bytes : concat(bytes), true));
  }

  async openAppend(path: string): Promise<AppendableFile> {
    const inode = this.inode(path);
    const generation = this.generation;
    let closed = false;
    const usable = (operation: FileOperation): void => {
      if (closed) throw new Error(`${path}: file handle is closed`);
      if (generation !== this.generation) throw new Error(`${path}: file handle is from before a crash`);
      this.check(operation, path);
    };
    return {
      append: async (chunks) => {
        usable('append');
        for (const chunk of chunks) {
          if (inode.length + chunk.length > inode.data.length) {
            const grown = new Uint8Array(Math.max(inode.length + chunk.length, inode.data.length * 2, 4096));
            grown.set(inode.data.subarray(0, inode.length));
            inode.data = grown;
          }
          inode.data.set(chunk, inode.length);
          inode.length += chunk.length;
        }
      },
      sync: async () => {
        usable('sync');
        inode.durableLength = inode.length;
        inode.durableCopy = undefined;
      },
      close: async () => {
        closed = true;
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    const inode = this.inode(from);
    this.requireDir(parentOf(to));
    this.live.delete(from);
    this.live.set(to, inode);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    this.inode(path);
    this.live.delete(path);
  }

  async truncate(path: string, length: number): Promise<void> {
    this.check('truncate', path);
    const inode = this.inode(path);
    if (length > inode.length) throw new Error(`${path}: truncate to ${length} would extend the file`);
    if (inode.durableCopy === undefined && length < inode.durableLength) {
      inode.durableCopy = inode.data.slice(0, inode.durableLength);
    }
    inode.length = length;
  }

  async syncDir(dir: string): Promise<void> {
    this.check('syncDir', dir);
    this.requireDir(dir);
    for (const path of [...this.durable.keys()]) if (parentOf(path) === dir) this.durable.delete(path);
    for (const [path, inode] of this.live) if (parentOf(path) === dir) this.durable.set(path, inode);
  }

  async createExclusive(path: string, bytes: Uint8Array): Promise<boolean> {
    this.check('write', path);
    this.requireDir(parentOf(path));
    if (this.live.has(path)) return false;
    this.live.set(path, newInode(bytes, true));
    return true;
  }

  private inode(path: string): Inode {
    const inode = this.live.get(path);
    if (inode === undefined) throw new Error(`ENOENT: no such file ${path}`);
    return inode;
  }

  private requireDir(dir: string): void {
    if (!this.dirs.has(dir)) throw new Error(`ENOENT: no such directory ${dir}`);
  }

  private check(operation: FileOperation, path: string): void {
    const error = this.fault?.(operation, path);
    if (error !== undefined) throw error;
  }
}
