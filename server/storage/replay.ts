// Recovery's reading of the WAL: every record of every segment, in order, checked against the
// log's rules. A torn last record (a crash during the final append: the file ends inside it, or its
// tail reads as zeros) is cut off and logged; any other damage, a bit flipped in a complete last
// record included, throws a 'corrupt' error naming the file and byte offset.
import type { Entry, HardState, Logger } from '../../core/raft/types.ts';
import { corruption, DataDirError } from './errors.ts';
import type { FileSystem } from './fs.ts';
import type { StorageLimits } from './limits.ts';
import { LogShape } from './log-shape.ts';
import { decodeRecordAt, findValidRecordAfter, type RecordFailure } from './record.ts';
import type { SegmentFile } from './segment.ts';

export interface ReplayedLog {
  readonly shape: LogShape;
  /** The entries after the snapshot the log starts from, in index order. */
  readonly entries: Entry[];
  readonly hardState: HardState;
  /** Size of the last segment after any torn tail was cut off. */
  readonly lastSegmentBytes: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

/** A disk writes a sector whole or not at all; one that never reached the disk reads as zeros. */
const SECTOR_BYTES = 512;

/**
 * Whether a bad last record can only be a write that a crash cut short, so that cutting it off
 * loses nothing that was synced: the file ends inside it, or from the record (or from a sector
 * boundary within it) to the end of the file every byte is zero, as unwritten sectors read. A
 * complete record that fails its checksum was written whole: that is damage, and stops the member.
 */
function isTornTail(bytes: Uint8Array, recordStart: number, reason: RecordFailure): boolean {
  if (reason === 'truncated') return true;
  if (reason === 'badPayload') return false;
  let zerosFrom = bytes.length;
  while (zerosFrom > recordStart && bytes[zerosFrom - 1] === 0) zerosFrom--;
  if (zerosFrom === recordStart) return true;
  return Math.ceil(zerosFrom / SECTOR_BYTES) * SECTOR_BYTES < bytes.length;
}

export async function replaySegments(
  fs: FileSystem,
  segments: readonly SegmentFile[],
  limits: StorageLimits,
  logger: Logger,
): Promise<ReplayedLog> {
  const first = segments[0];
  if (first === undefined) throw new Error('storage invariant: replay needs at least one segment');
  // Segment 0 starts the member's history; a later first segment means older ones were removed
  // after a snapshot, and entries before its first index are known only from that snapshot.
  const shape =
    first.seq === 0 ? LogShape.after({ index: 0, term: 0 }) : LogShape.unanchored(first.firstIndex);
  let entries: Entry[] = [];
  let hardState = EMPTY_HARD_STATE;
  let hardStateAt = { path: first.path, offset: 0 };
  let lastSegmentBytes = 0;

  for (const [position, segment] of segments.entries()) {
    const isLast = position === segments.length - 1;
    // A segment ends with the batch that crossed maxSegmentBytes, plus the record that started it.
    const size = await fs.size(segment.path);
    const largest = limits.maxSegmentBytes + limits.maxSaveBytes + limits.maxRecordBytes;
    if (size > largest) {
      throw new DataDirError(
        'limitExceeded',
        `${segment.path} is ${size} bytes, more than a segment can hold under the current StorageLimits (${largest}); if the limits were lowered since it was written, raise them`,
        { path: segment.path },
      );
    }
    const bytes = await fs.readFile(segment.path);
    const header = decodeRecordAt(bytes, 0, limits.maxRecordBytes);
    if (!header.ok) throw corruption(segment.path, 0, `bad segment header: ${header.message}`);
    if (
      header.record.type !== 'segmentHeader' ||
      header.record.seq !== segment.seq ||
      header.record.firstIndex !== segment.firstIndex
    ) {
      throw corruption(segment.path, 0, 'the segment header does not match the file name');
    }
    if (segment.firstIndex !== shape.lastIndex + 1) {
      throw corruption(
        segment.path,
        0,
        `the segment starts at index ${segment.firstIndex} but the log before it ends at index ${shape.lastIndex}`,
      );
    }

    let offset = header.next;
    while (offset < bytes.length) {
      const decoded = decodeRecordAt(bytes, offset, limits.maxRecordBytes);
      if (!decoded.ok) {
        const torn =
          isLast &&
          isTornTail(bytes, offset, decoded.reason) &&
          findValidRecordAfter(bytes, offset, limits.maxRecordBytes) < 0;
        if (!torn) throw corruption(segment.path, offset, decoded.message);
        logger.warn('WAL: cut off a torn last record left by a crash during the final write', {
          file: segment.path,
          offset,
          bytesDropped: bytes.length - offset,
          problem: decoded.message,
        });
        await fs.truncate(segment.path, offset);
        const file = await fs.openAppend(segment.path);
        await file.sync();
        await file.close();
        break;
      }
      const record = decoded.record;
      let problem: string | undefined;
      switch (record.type) {
        case 'segmentHeader':
          problem = 'a segment header in the middle of a segment';
          break;
        case 'hardState':
          hardState = record.hardState;
          hardStateAt = { path: segment.path, offset };
          break;
        case 'entry': {
          problem = shape.append(record.entry.index, record.entry.term);
          if (problem === undefined) {
            entries.length = record.entry.index - shape.firstIndex;
            entries.push(record.entry);
          }
          break;
        }
        case 'snapshotMarker': {
          const baseBefore = shape.base;
          const firstBefore = shape.firstIndex;
          problem = shape.mark(record.marker);
          if (problem === undefined && shape.base !== baseBefore) {
            entries =
              record.marker.origin === 'installed' ? [] : entries.slice(shape.firstIndex - firstBefore);
          }
          break;
        }
      }
      if (problem !== undefined) throw corruption(segment.path, offset, problem);
      offset = decoded.next;
    }
    if (isLast) lastSegmentBytes = offset;
  }

  if (!shape.anchored) {
    throw corruption(
      first.path,
      0,
      `the WAL holds entries from index ${shape.firstIndex} on, but no snapshot marker covers the entries before them (segments are missing)`,
    );
  }
  if (hardState.commit > shape.lastIndex) {
    throw corruption(
      hardStateAt.path,
      hardStateAt.offset,
      `the hard state's commit index ${hardState.commit} is beyond the last log index ${shape.lastIndex}`,
    );
  }
  return { shape, entries, hardState, lastSegmentBytes };
}
