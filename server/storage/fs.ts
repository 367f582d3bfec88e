// The few file-system operations durable storage needs, promise-based so that the Node and Deno
// adapters (and the in-memory one the simulator uses) share every line of the storage logic.
// Paths are joined with '/', which every supported runtime accepts.

/** A file opened for appending; writes go to the end of the file. */
export interface AppendableFile {
  /** Writes every byte of every chunk, in order, at the end of the file. */
  append(chunks: readonly Uint8Array[]): Promise<void>;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Creates the directory and any missing parents; succeeds if it exists. */
  mkdirp(path: string): Promise<void>;
  /** Names (not paths) of the entries of a directory. */
  list(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Size in bytes, without reading the file (to check a limit before allocating). */
  size(path: string): Promise<number>;
  /**
   * Creates or replaces the file with exactly these bytes (chunks: one after the other, so that a
   * large body needs no copy to be framed) and syncs it before resolving.
   */
  writeFileDurable(path: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void>;
  openAppend(path: string): Promise<AppendableFile>;
  /** Atomically replaces `to` if it exists. Durable only after syncDir of the directory. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Shortens the file to `length` bytes. Durable only after a sync of the file. */
  truncate(path: string, length: number): Promise<void>;
  /** Makes the directory's entries (created, renamed, removed files) durable. */
  syncDir(path: string): Promise<void>;
  /** Creates the file with these bytes only if no file has the name; false if one exists. */
  createExclusive(path: string, bytes: Uint8Array): Promise<boolean>;
}

/** What the data-directory lock needs to know about processes on this machine. */
export interface ProcessTable {
  /** This process's id, written into the lock file. */
  readonly pid: number;
  isAlive(pid: number): boolean;
}
