// Appends records to the WAL's last segment with group commit: saves that arrive while a write
// and fsync are in flight wait, then go out together in one write and one fsync. A segment that
// has grown past its bound is closed after the batch that crossed it and a new one started.
import type { HardState } from '../../core/raft/types.ts';
import { DataDirError } from './errors.ts';
import type { AppendableFile, FileSystem } from './fs.ts';
import type { StorageLimits } from './limits.ts';
import { encodeRecords } from './record.ts';
import { type SegmentFile, segmentFileName } from './segment.ts';

export interface WalWrite {
  /** Encoded records. */
  readonly bytes: Uint8Array;
  readonly mustSync: boolean;
  /** Runs before this write's records, which then open a new group (a snapshot file goes first). */
  readonly before?: () => Promise<void>;
  /** Runs once the group holding this write is durable (removing what a snapshot made obsolete). */
  readonly after?: () => Promise<void>;
  /**
   * Start a new segment after this write, whatever the size of the current one. A snapshot does:
   * the entries it covers then sit in segments that the next snapshot removes whole, so recovery
   * never reads through a long log that a snapshot already holds.
   */
  readonly cutAfter?: boolean;
  /** The hard state and the next entry index once this write is on disk: a segment started after it repeats them. */
  readonly hardState: HardState;
  readonly nextIndex: number;
}

interface Pending extends WalWrite {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface OpenSegment {
  readonly segment: SegmentFile;
  readonly file: AppendableFile;
  readonly bytes: number;
}

/** Starts a segment: header and current hard state, written under a temporary name and renamed, so it is never half there. */
export async function createSegment(
  fs: FileSystem,
  walDir: string,
  seq: number,
  firstIndex: number,
  hardState: HardState,
  limits: StorageLimits,
): Promise<OpenSegment> {
  const path = `${walDir}/${segmentFileName(seq, firstIndex)}`;
  const bytes = encodeRecords(
    [
      { type: 'segmentHeader', seq, firstIndex },
      { type: 'hardState', hardState },
    ],
    limits,
  );
  await fs.writeFileDurable(`${path}.tmp`, bytes);
  await fs.rename(`${path}.tmp`, path);
  await fs.syncDir(walDir);
  return { segment: { seq, firstIndex, path }, file: await fs.openAppend(path), bytes: bytes.length };
}

export class WalWriter {
  private readonly fs: FileSystem;
  private readonly walDir: string;
  private readonly limits: StorageLimits;
  private readonly segments: SegmentFile[];
  private current: AppendableFile;
  private currentBytes: number;
  private unsynced = false;
  private queue: Pending[] = [];
  private draining: Promise<void> | null = null;
  private failure: DataDirError | null = null;

  constructor(
    fs: FileSystem,
    walDir: string,
    limits: StorageLimits,
    segments: SegmentFile[],
    open: OpenSegment,
  ) {
    if (segments.at(-1)?.path !== open.segment.path) {
      throw new Error('storage invariant: the open segment must be the last one');
    }
    this.fs = fs;
    this.walDir = walDir;
    this.limits = limits;
    this.segments = segments;
    this.current = open.file;
    this.currentBytes = open.bytes;
  }

  /** Set once a write or fsync failed: what is on disk is then unknown, and the WAL accepts nothing more. */
  get failed(): DataDirError | null {
    return this.failure;
  }

  write(write: WalWrite): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...write, resolve, reject });
      // Start on a later microtask so that saves issued together share one write and fsync.
      this.draining ??= Promise.resolve().then(() => this.drain());
    });
  }

  /** Resolves once everything written so far is on disk (or has failed). */
  async flushed(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.current.close();
  }

  /** Removes segments whose entries all lie at or below `index`, oldest first; the last segment stays. */
  async removeSegmentsCoveredBy(index: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.firstIndex <= index + 1) {
      await this.fs.unlink(this.segments[0]!.path);
      // One directory sync per removal keeps the remaining segments' numbering free of gaps after a crash.
      await this.fs.syncDir(this.walDir);
      this.segments.shift();
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && this.failure === null) {
      const group = this.takeGroup();
      try {
        await group[0]!.before?.();
        await this.current.append(group.map((pending) => pending.bytes));
        this.currentBytes += group.reduce((sum, pending) => sum + pending.bytes.length, 0);
        if (group.some((pending) => pending.mustSync)) {
          await this.current.sync();
          this.unsynced = false;
        } else {
          this.unsynced = true;
        }
        for (const pending of group) await pending.after?.();
      } catch (error) {
        this.fail(error, group);
        break;
      }
      for (const pending of group) pending.resolve();
      const last = group.at(-1)!;
      if (this.currentBytes > this.limits.maxSegmentBytes || group.some((pending) => pending.cutAfter)) {
        try {
          await this.cut(last.hardState, last.nextIndex);
        } catch (error) {
          this.fail(error, []);
        }
      }
    }
    this.draining = null;
  }

  /** The next writes that can share one write and fsync: a write with a `before` step only starts a group. */
  private takeGroup(): Pending[] {
    let count = 1;
    while (count < this.queue.length && this.queue[count]!.before === undefined) count++;
    return this.queue.splice(0, count);
  }

  private async cut(hardState: HardState, nextIndex: number): Promise<void> {
    // The old segment must be durable before a new one exists: replay only forgives a torn tail in the last segment.
    if (this.unsynced) await this.current.sync();
    this.unsynced = false;
    await this.current.close();
    const seq = this.segments.at(-1)!.seq + 1;
    const open = await createSegment(this.fs, this.walDir, seq, nextIndex, hardState, this.limits);
    this.segments.push(open.segment);
    this.current = open.file;
    this.currentBytes = open.bytes;
  }

  private fail(error: unknown, group: readonly Pending[]): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failure = new DataDirError(
      'failed',
      `writing the WAL failed (${reason}); its state on disk is unknown, so this member accepts no more writes and must restart to recover from disk`,
    );
    for (const pending of [...group, ...this.queue.splice(0)]) pending.reject(this.failure);
  }
}
