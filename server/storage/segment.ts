// WAL segment files: `<seq:016x>-<firstIndex:016x>.wal`. `seq` counts segments from 0 with no
// gaps; `firstIndex` is the index the next entry had when the segment was started (the previous
// segment's entries all lie below it). Both are repeated in the segment's header record.
import { corruption } from './errors.ts';
import type { FileSystem } from './fs.ts';
import { hex16 } from './snapshot-file.ts';

export interface SegmentFile {
  readonly seq: number;
  readonly firstIndex: number;
  readonly path: string;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

/** The WAL's segments in order; a missing sequence number between two segments is damage. */
export async function listSegments(fs: FileSystem, walDir: string): Promise<SegmentFile[]> {
  const segments: SegmentFile[] = [];
  for (const name of await fs.list(walDir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match === null) continue;
    const seq = Number.parseInt(match[1]!, 16);
    const firstIndex = Number.parseInt(match[2]!, 16);
    if (Number.isSafeInteger(seq) && Number.isSafeInteger(firstIndex)) {
      segments.push({ seq, firstIndex, path: `${walDir}/${name}` });
    }
  }
  segments.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!;
    const segment = segments[i]!;
    if (segment.seq === previous.seq) {
      throw corruption(segment.path, 0, `segment ${segment.seq} has two files (${previous.path} too)`);
    }
    if (segment.seq !== previous.seq + 1) {
      throw corruption(
        segment.path,
        0,
        `segment ${segment.seq} follows segment ${previous.seq}: ${segment.seq - previous.seq - 1} segment(s) are missing`,
      );
    }
  }
  return segments;
}
