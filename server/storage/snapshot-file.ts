// Snapshot files: `<term:016x>-<index:016x>.snap`, holding the snapshot's metadata and data and a
// CRC-32C over all of it. Written to a temporary name, synced, renamed, and the directory synced,
// so that a snapshot file is either absent or complete.
//   [magic u32 "VANS"][version u8][index u64][term u64][confState][dataLength u64][data][crc u32]
//   confState = [autoLeave u8] then 4 lists (voters, learners, votersOutgoing, learnersNext),
//               each [count u32] then per id [length u16][utf-8]
import type { ConfState, NodeId, Snapshot } from '../../core/raft/types.ts';
import { crc32c } from './crc32c.ts';
import { corruption, DataDirError } from './errors.ts';
import type { FileSystem } from './fs.ts';
import { checkLimit, type StorageLimits } from './limits.ts';
import { getU64, setU64 } from './u64.ts';

const SNAPSHOT_MAGIC = 0x534e4156; // "VANS"
const SNAPSHOT_VERSION = 1;
const CRC_BYTES = 4;
const MIN_FILE_BYTES = 4 + 1 + 8 + 8 + 1 + 4 * 4 + 8 + CRC_BYTES;
const SNAPSHOT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export interface SnapshotFileName {
  readonly name: string;
  readonly term: number;
  readonly index: number;
}

export function snapshotFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}.snap`;
}

export function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function parseSnapshotFileName(name: string): SnapshotFileName | null {
  const match = SNAPSHOT_NAME.exec(name);
  if (match === null) return null;
  const term = Number.parseInt(match[1]!, 16);
  const index = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(index)) return null;
  return { name, term, index };
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function confStateLists(confState: ConfState): readonly (readonly NodeId[])[] {
  return [confState.voters, confState.learners, confState.votersOutgoing, confState.learnersNext];
}

/**
 * The file's bytes in three chunks, header, data and checksum, written one after the other: the data
 * (tens of MB for a large store) is not copied.
 */
export function encodeSnapshotFile(snapshot: Snapshot, limits: StorageLimits): Uint8Array[] {
  const lists = confStateLists(snapshot.metadata.confState).map((ids) =>
    ids.map((id) => {
      const bytes = utf8.encode(id);
      checkLimit('a member id in the snapshot', bytes.length, limits.maxNodeIdBytes, 'maxNodeIdBytes');
      return bytes;
    }),
  );
  const idBytes = lists.flat().reduce((sum, id) => sum + 2 + id.length, 0);
  const total = MIN_FILE_BYTES + idBytes + snapshot.data.length;
  checkLimit('the snapshot file', total, limits.maxSnapshotBytes, 'maxSnapshotBytes');
  const header = new Uint8Array(MIN_FILE_BYTES - CRC_BYTES + idBytes);
  const view = new DataView(header.buffer);
  view.setUint32(0, SNAPSHOT_MAGIC, true);
  header[4] = SNAPSHOT_VERSION;
  setU64(view, 5, snapshot.metadata.index);
  setU64(view, 13, snapshot.metadata.term);
  header[21] = snapshot.metadata.confState.autoLeave ? 1 : 0;
  let p = 22;
  for (const ids of lists) {
    view.setUint32(p, ids.length, true);
    p += 4;
    for (const id of ids) {
      view.setUint16(p, id.length, true);
      header.set(id, p + 2);
      p += 2 + id.length;
    }
  }
  setU64(view, p, snapshot.data.length);
  const crc = new Uint8Array(CRC_BYTES);
  new DataView(crc.buffer).setUint32(0, crc32c(snapshot.data, 0, snapshot.data.length, crc32c(header)), true);
  return [header, snapshot.data, crc];
}

/** Decodes a snapshot file; any damage throws a 'corrupt' DataDirError naming `path` and the offset. */
export function decodeSnapshotFile(bytes: Uint8Array, path: string): Snapshot {
  if (bytes.length < MIN_FILE_BYTES) {
    throw corruption(
      path,
      bytes.length,
      `snapshot file of ${bytes.length} bytes, shorter than the ${MIN_FILE_BYTES}-byte minimum`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== SNAPSHOT_MAGIC)
    throw corruption(path, 0, `not a Vane snapshot file (magic 0x${magic.toString(16)})`);
  if (bytes[4] !== SNAPSHOT_VERSION) {
    throw corruption(path, 4, `snapshot format version ${bytes[4]}, this build reads ${SNAPSHOT_VERSION}`);
  }
  const crcOffset = bytes.length - CRC_BYTES;
  const stored = view.getUint32(crcOffset, true);
  const computed = crc32c(bytes, 0, crcOffset);
  if (stored !== computed) {
    throw corruption(
      path,
      crcOffset,
      `snapshot checksum mismatch over bytes 0..${crcOffset} (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`,
    );
  }
  // The checksum matched, so what follows only fails for a file this build did not write.
  let p = 5;
  const u64 = (): number => {
    if (p + 8 > crcOffset) throw corruption(path, p, 'snapshot file ends inside its header');
    const value = getU64(view, p);
    if (value < 0) throw corruption(path, p, 'snapshot header holds an out-of-range number');
    p += 8;
    return value;
  };
  const index = u64();
  const term = u64();
  const autoLeave = bytes[p++] === 1;
  const lists: NodeId[][] = [];
  for (let list = 0; list < 4; list++) {
    if (p + 4 > crcOffset) throw corruption(path, p, 'snapshot file ends inside its membership');
    const count = view.getUint32(p, true);
    p += 4;
    if (count * 2 > crcOffset - p)
      throw corruption(path, p - 4, `membership list of ${count} ids cannot fit`);
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++) {
      if (p + 2 > crcOffset) throw corruption(path, p, 'snapshot file ends inside a member id');
      const length = view.getUint16(p, true);
      if (p + 2 + length > crcOffset) throw corruption(path, p, 'member id runs past the end of the file');
      try {
        ids.push(utf8Strict.decode(bytes.subarray(p + 2, p + 2 + length)));
      } catch {
        throw corruption(path, p, 'member id is not UTF-8');
      }
      p += 2 + length;
    }
    lists.push(ids);
  }
  const dataOffset = p;
  const dataLength = u64();
  if (p + dataLength !== crcOffset) {
    throw corruption(path, dataOffset, `snapshot data length ${dataLength} does not match the file size`);
  }
  const [voters = [], learners = [], votersOutgoing = [], learnersNext = []] = lists;
  return {
    metadata: { index, term, confState: { voters, learners, votersOutgoing, learnersNext, autoLeave } },
    // A view, not a copy: the file's framing around the data is a few dozen bytes.
    data: bytes.subarray(p, crcOffset),
  };
}

/** Writes the snapshot so that it is durable and complete under its final name before this resolves. */
export async function writeSnapshotFile(
  fs: FileSystem,
  snapDir: string,
  encoded: readonly Uint8Array[],
  term: number,
  index: number,
): Promise<void> {
  const name = snapshotFileName(term, index);
  await fs.writeFileDurable(`${snapDir}/${name}.tmp`, encoded);
  await fs.rename(`${snapDir}/${name}.tmp`, `${snapDir}/${name}`);
  await fs.syncDir(snapDir);
}

/** Reads and verifies a snapshot file, refusing one larger than the limit before reading it. */
export async function readSnapshotFile(
  fs: FileSystem,
  snapDir: string,
  file: SnapshotFileName,
  limits: StorageLimits,
): Promise<Snapshot> {
  const path = `${snapDir}/${file.name}`;
  const size = await fs.size(path);
  if (size > limits.maxSnapshotBytes) {
    throw new DataDirError(
      'limitExceeded',
      `${path} is ${size} bytes, over StorageLimits.maxSnapshotBytes (${limits.maxSnapshotBytes}); raise the limit if the snapshot is genuine`,
      { path },
    );
  }
  const snapshot = decodeSnapshotFile(await fs.readFile(path), path);
  if (snapshot.metadata.index !== file.index || snapshot.metadata.term !== file.term) {
    throw corruption(
      path,
      5,
      `the file holds the snapshot at index ${snapshot.metadata.index} term ${snapshot.metadata.term}, not the one its name gives`,
    );
  }
  return snapshot;
}

/** Snapshot files in the directory, oldest first. */
export async function listSnapshotFiles(fs: FileSystem, snapDir: string): Promise<SnapshotFileName[]> {
  const files: SnapshotFileName[] = [];
  for (const name of await fs.list(snapDir)) {
    const parsed = parseSnapshotFileName(name);
    if (parsed !== null) files.push(parsed);
  }
  return files.sort((a, b) => a.index - b.index || a.term - b.term);
}
