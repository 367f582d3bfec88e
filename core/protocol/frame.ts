// The 4-byte header every peer frame starts with: magic "VP", the frame version, the frame kind.

import type { Limits } from '../limits.ts';
import type { ByteReader, ByteWriter } from './bytes.ts';
import { type DecodeError, decodeError, limitError, refuse } from './errors.ts';
import { PEER_FRAME_VERSION } from './version.ts';

const MAGIC_0 = 0x56; // 'V'
const MAGIC_1 = 0x50; // 'P'

const FRAME_HEADER_BYTES = 4;

export type FrameKind = 'messages' | 'hello' | 'proof' | 'accept' | 'refuse';

const KIND_TAGS: Readonly<Record<FrameKind, number>> = {
  messages: 1,
  hello: 2,
  proof: 3,
  accept: 4,
  refuse: 5,
};
const KINDS_BY_TAG: readonly (FrameKind | undefined)[] = [
  undefined,
  'messages',
  'hello',
  'proof',
  'accept',
  'refuse',
];

/** Refuses a frame over limits.maxPeerFrameBytes before anything in it is read. */
export function checkFrameSize(what: string, bytes: Uint8Array, limits: Limits): DecodeError | undefined {
  if (bytes.length <= limits.maxPeerFrameBytes) return undefined;
  return limitError(
    what,
    'maxPeerFrameBytes',
    limits,
    `frame is ${bytes.length} bytes`,
    bytes.length,
    'bytes',
  );
}

export function writeFrameHeader(writer: ByteWriter, kind: FrameKind): void {
  writer.u8(MAGIC_0);
  writer.u8(MAGIC_1);
  writer.u8(PEER_FRAME_VERSION);
  writer.u8(KIND_TAGS[kind]);
}

export function readFrameHeader(reader: ByteReader): FrameKind {
  if (reader.remaining < FRAME_HEADER_BYTES) {
    reader.fail(0, `frame is ${reader.remaining} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  }
  const magic0 = reader.u8('magic');
  const magic1 = reader.u8('magic');
  if (magic0 !== MAGIC_0 || magic1 !== MAGIC_1) {
    reader.fail(
      0,
      `frame does not start with the Vane peer magic "VP" (got 0x${hex(magic0)} 0x${hex(magic1)})`,
    );
  }
  const version = reader.u8('version');
  if (version !== PEER_FRAME_VERSION) {
    refuse(
      decodeError(
        'unsupportedVersion',
        '',
        `frame version ${version} is not supported; this member speaks version ${PEER_FRAME_VERSION}`,
        { version, supported: PEER_FRAME_VERSION },
      ),
    );
  }
  const tag = reader.u8('kind');
  const kind = KINDS_BY_TAG[tag];
  if (kind === undefined) reader.fail(3, `unknown frame kind ${tag}`);
  return kind;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
