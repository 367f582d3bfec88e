// Durable storage of one Vane member: a write-ahead log in CRC-checked segment files, snapshot
// files with a checksum, recovery, and a lock on the data directory. The layout is in LAYOUT.md.
export {
  type DataDir,
  EMPTY_CONF_STATE,
  type OpenDataDirOptions,
  openDataDir,
  type RecoveredState,
  type SaveBatch,
} from './data-dir.ts';
export { DataDirError, type DataDirErrorCode } from './errors.ts';
export type { AppendableFile, FileSystem, ProcessTable } from './fs.ts';
export { DEFAULT_STORAGE_LIMITS, type StorageLimits } from './limits.ts';
export { type CrashOptions, type FileOperation, MemoryFileSystem } from './memory-fs.ts';
