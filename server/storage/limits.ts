import { formatBytes } from '../../core/limits.ts';
import { DataDirError } from './errors.ts';

export interface StorageLimits {
  /** A new WAL segment starts once the current one exceeds this, after the batch that crossed it. */
  readonly maxSegmentBytes: number;
  /** Bytes in one WAL record (one entry with its header); checked on write, and on read before use. */
  readonly maxRecordBytes: number;
  /** Bytes of records in one save() call. */
  readonly maxSaveBytes: number;
  /** Bytes in one snapshot file; checked before the file is read. */
  readonly maxSnapshotBytes: number;
  /** Snapshot files kept after a new one is saved (the newest is the one recovery uses). */
  readonly retainedSnapshots: number;
  /** Bytes of a member id (the vote in the hard state, the members in a ConfState). */
  readonly maxNodeIdBytes: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxSegmentBytes: 64 * 1024 * 1024,
  maxRecordBytes: 64 * 1024 * 1024,
  maxSaveBytes: 256 * 1024 * 1024,
  maxSnapshotBytes: 1024 * 1024 * 1024,
  retainedSnapshots: 2,
  maxNodeIdBytes: 1024,
};

export function checkLimit(what: string, actual: number, limit: number, name: keyof StorageLimits): void {
  if (actual > limit) {
    throw new DataDirError(
      'limitExceeded',
      `${what} is ${formatBytes(actual)}, over the ${formatBytes(limit)} limit (StorageLimits.${name})`,
    );
  }
}

/** The defaults with the given overrides, each checked to be a positive integer. */
export function resolveLimits(overrides: Partial<StorageLimits> = {}): StorageLimits {
  const limits: StorageLimits = { ...DEFAULT_STORAGE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`StorageLimits.${name} must be a positive integer, got ${value}`);
    }
  }
  if (limits.maxRecordBytes > limits.maxSaveBytes) {
    throw new Error('StorageLimits.maxRecordBytes must not exceed StorageLimits.maxSaveBytes');
  }
  return limits;
}
