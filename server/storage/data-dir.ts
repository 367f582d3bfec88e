// One member's data directory: the lock, the WAL and the snapshots, opened together. Opening it
// recovers what the member had persisted; saving follows the Ready contract of core/raft: the
// snapshot first, then the entries (replacing any conflicting suffix), then the hard state, with
// one fsync for the whole batch.
import type { ConfState, Entry, HardState, Logger, Snapshot } from '../../core/raft/types.ts';
import { corruption, DataDirError } from './errors.ts';
import type { FileSystem, ProcessTable } from './fs.ts';
import { resolveLimits, type StorageLimits } from './limits.ts';
import { acquireLock, type DataDirLock } from './lock.ts';
import { LogShape } from './log-shape.ts';
import { encodeRecords, type SnapshotMarker, type WalRecord } from './record.ts';
import { EMPTY_HARD_STATE, replaySegments } from './replay.ts';
import { listSegments } from './segment.ts';
import {
  encodeSnapshotFile,
  listSnapshotFiles,
  readSnapshotFile,
  snapshotFileName,
  writeSnapshotFile,
} from './snapshot-file.ts';
import { createSegment, type WalWrite, WalWriter } from './wal-writer.ts';

export interface OpenDataDirOptions {
  readonly dir: string;
  readonly fs: FileSystem;
  readonly processes: ProcessTable;
  readonly logger: Logger;
  readonly limits?: Partial<StorageLimits>;
}

/** What the member had persisted: enough to rebuild Raft's MemoryStorage. */
export interface RecoveredState {
  readonly hardState: HardState;
  /** The snapshot the log starts after; null if the member never had one. */
  readonly snapshot: Snapshot | null;
  /** The entries after the snapshot, in index order. */
  readonly entries: readonly Entry[];
  /** The snapshot's membership (later changes are in the entries). */
  readonly confState: ConfState;
}

/** One Ready's worth of state to persist. */
export interface SaveBatch {
  readonly hardState?: HardState;
  readonly entries?: readonly Entry[];
  /** A snapshot received from the leader: it replaces the whole log. */
  readonly snapshot?: Snapshot;
  /** Ready.mustSync; default true. A batch without it is written but not fsynced (a later fsync covers it); a batch with a snapshot is always fsynced. */
  readonly mustSync?: boolean;
}

export const EMPTY_CONF_STATE: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

export async function openDataDir(
  options: OpenDataDirOptions,
): Promise<{ dataDir: DataDir; recovered: RecoveredState }> {
  const { dir, fs, logger } = options;
  const limits = resolveLimits(options.limits);
  await fs.mkdirp(dir);
  const lock = await acquireLock(fs, options.processes, dir, logger);
  try {
    return await recover(dir, fs, logger, limits, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function recover(
  dir: string,
  fs: FileSystem,
  logger: Logger,
  limits: StorageLimits,
  lock: DataDirLock,
): Promise<{ dataDir: DataDir; recovered: RecoveredState }> {
  const walDir = `${dir}/wal`;
  const snapDir = `${dir}/snap`;
  await fs.mkdirp(walDir);
  await fs.mkdirp(snapDir);
  await fs.syncDir(dir);
  for (const sub of [walDir, snapDir]) {
    for (const name of await fs.list(sub)) {
      if (!name.endsWith('.tmp')) continue;
      logger.info('removing a file a crash left half-written', { file: `${sub}/${name}` });
      await fs.unlink(`${sub}/${name}`);
    }
  }

  const segments = await listSegments(fs, walDir);
  const snapshotFiles = await listSnapshotFiles(fs, snapDir);
  if (segments.length === 0) {
    if (snapshotFiles.length > 0) {
      throw corruption(
        walDir,
        0,
        `the WAL has no segments, but ${snapDir} holds ${snapshotFiles.length} snapshot file(s)`,
      );
    }
    const open = await createSegment(fs, walDir, 0, 1, EMPTY_HARD_STATE, limits);
    const shape = LogShape.after({ index: 0, term: 0 });
    const writer = new WalWriter(fs, walDir, limits, [open.segment], open);
    return {
      dataDir: new DataDir(dir, fs, limits, lock, writer, shape, EMPTY_HARD_STATE),
      recovered: { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [], confState: EMPTY_CONF_STATE },
    };
  }

  const log = await replaySegments(fs, segments, limits, logger);
  const base = log.shape.base!;
  let snapshot: Snapshot | null = null;
  for (const file of snapshotFiles) {
    if (file.index > base.index) {
      // Written, but the crash came before its marker reached the WAL: it was never part of the state.
      logger.warn('removing a snapshot file the WAL never recorded', { file: `${snapDir}/${file.name}` });
      await fs.unlink(`${snapDir}/${file.name}`);
      continue;
    }
    // Only the snapshot the log starts from is read (and verified): an older one kept beside it is
    // never used by recovery, and reading it would double the time to restart.
    if (file.index === base.index && file.term === base.term) {
      snapshot = await readSnapshotFile(fs, snapDir, file, limits);
    }
  }
  if (base.index > 0 && snapshot === null) {
    throw corruption(
      `${snapDir}/${snapshotFileName(base.term, base.index)}`,
      0,
      `the WAL's log starts after the snapshot at index ${base.index} term ${base.term}, but its file is missing`,
    );
  }
  // The marker and the hard state of one batch can be split by a crash; a snapshot is committed by definition.
  const hardState =
    log.hardState.commit < base.index ? { ...log.hardState, commit: base.index } : log.hardState;

  const last = segments.at(-1)!;
  const writer = new WalWriter(fs, walDir, limits, segments, {
    segment: last,
    file: await fs.openAppend(last.path),
    bytes: log.lastSegmentBytes,
  });
  return {
    dataDir: new DataDir(dir, fs, limits, lock, writer, log.shape, hardState),
    recovered: {
      hardState,
      snapshot,
      entries: log.entries,
      confState: snapshot?.metadata.confState ?? EMPTY_CONF_STATE,
    },
  };
}

export class DataDir {
  readonly dir: string;
  private readonly fs: FileSystem;
  private readonly limits: StorageLimits;
  private readonly lock: DataDirLock;
  private readonly writer: WalWriter;
  /** The log as it will be once every accepted save is on disk. */
  private shape: LogShape;
  private hardState: HardState;
  private closed = false;

  constructor(
    dir: string,
    fs: FileSystem,
    limits: StorageLimits,
    lock: DataDirLock,
    writer: WalWriter,
    shape: LogShape,
    hardState: HardState,
  ) {
    this.dir = dir;
    this.fs = fs;
    this.limits = limits;
    this.lock = lock;
    this.writer = writer;
    this.shape = shape;
    this.hardState = hardState;
  }

  /**
   * Persists one Ready's snapshot, entries and hard state, with one fsync (unless mustSync is
   * false). Saves may be issued without waiting for the previous one: they reach the disk in call
   * order, and those that queue up behind an fsync share the next one.
   */
  async save(batch: SaveBatch): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) throw refused;
    const entries = batch.entries ?? [];
    if (batch.snapshot === undefined && entries.length === 0 && batch.hardState === undefined) return;
    const records: WalRecord[] = [];
    const shape = this.shape.clone();
    const snapshot = batch.snapshot;
    const steps = snapshot === undefined ? {} : this.snapshotSteps(snapshot);
    if (snapshot !== undefined) {
      const { index, term } = snapshot.metadata;
      const marker: SnapshotMarker = { origin: 'installed', index, term };
      checkInvariant(shape.mark(marker));
      records.push({ type: 'snapshotMarker', marker });
    }
    for (const entry of entries) {
      checkInvariant(shape.append(entry.index, entry.term));
      records.push({ type: 'entry', entry });
    }
    const hardState = batch.hardState ?? this.hardState;
    if (batch.hardState !== undefined) {
      checkInvariant(
        hardState.commit > shape.lastIndex
          ? `hard state commit ${hardState.commit} is beyond the last log index ${shape.lastIndex}`
          : undefined,
      );
      records.push({ type: 'hardState', hardState });
    }
    const bytes = encodeRecords(records, this.limits);
    this.shape = shape;
    this.hardState = hardState;
    // No await before this point: saves reach the writer's queue in call order.
    return this.writer.write({
      bytes,
      // A snapshot's marker must be durable before the segments it covers are removed.
      mustSync: snapshot !== undefined || (batch.mustSync ?? true),
      hardState,
      nextIndex: shape.lastIndex + 1,
      ...steps,
    });
  }

  /**
   * Persists a snapshot of the member's own applied state, then removes the WAL segments and
   * snapshot files it makes obsolete. Entries after the snapshot stay in the log.
   */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) throw refused;
    const { index, term } = snapshot.metadata;
    const shape = this.shape.clone();
    const marker: SnapshotMarker = { origin: 'taken', index, term };
    checkInvariant(shape.mark(marker));
    const steps = this.snapshotSteps(snapshot);
    const bytes = encodeRecords([{ type: 'snapshotMarker', marker }], this.limits);
    this.shape = shape;
    return this.writer.write({
      bytes,
      mustSync: true,
      hardState: this.hardState,
      nextIndex: shape.lastIndex + 1,
      ...steps,
    });
  }

  /** Waits for pending saves, then closes the WAL and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
    await this.lock.release();
  }

  private get snapDir(): string {
    return `${this.dir}/snap`;
  }

  /**
   * Write the snapshot file before the marker; once the marker is durable, remove what it made
   * obsolete, and start a new segment (see WalWrite.cutAfter).
   */
  private snapshotSteps(snapshot: Snapshot): Pick<WalWrite, 'before' | 'after' | 'cutAfter'> {
    const { index, term } = snapshot.metadata;
    const file = encodeSnapshotFile(snapshot, this.limits);
    return {
      before: () => writeSnapshotFile(this.fs, this.snapDir, file, term, index),
      after: () => this.removeObsolete(index),
      cutAfter: true,
    };
  }

  private refusal(): DataDirError | null {
    if (this.closed) return new DataDirError('closed', `data directory ${this.dir} is closed`);
    return this.writer.failed;
  }

  private async removeObsolete(snapshotIndex: number): Promise<void> {
    await this.writer.removeSegmentsCoveredBy(snapshotIndex);
    const files = (await listSnapshotFiles(this.fs, this.snapDir)).filter(
      (file) => file.index <= snapshotIndex,
    );
    for (const file of files.slice(0, Math.max(0, files.length - this.limits.retainedSnapshots))) {
      await this.fs.unlink(`${this.snapDir}/${file.name}`);
    }
  }
}

/** A save that breaks Raft's log rules is a bug in the caller; persisting it would corrupt the member. */
function checkInvariant(problem: string | undefined): void {
  if (problem !== undefined)
    throw new Error(`storage invariant: refusing to persist a log that breaks Raft's rules: ${problem}`);
}
