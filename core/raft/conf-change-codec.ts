// The bytes of a confChange entry. The empty change (leave a joint configuration) encodes as no
// bytes at all, so the leader's automatic leave entry has no payload and never hits a size limit.
// Layout otherwise: version (1), transition, change count, per change: kind, id length, id (UTF-8),
// then a context flag and, if set, its length and bytes. Lengths are LEB128 varints.
import { raftError } from './raft-error.ts';
import type { ConfChange, ConfChangeKind, ConfChangeSingle, RaftError } from './types.ts';

const VERSION = 1;
const TRANSITIONS: readonly ConfChange['transition'][] = ['auto', 'jointImplicit', 'jointExplicit'];
const KINDS: readonly ConfChangeKind[] = ['addVoter', 'addLearner', 'removeNode'];

/** Members changed by one ConfChange. */
export const MAX_CONF_CHANGES = 64;
/** Bytes of one node id (UTF-8). */
export const MAX_NODE_ID_BYTES = 128;
/** Bytes of a ConfChange's context. */
export const MAX_CONF_CHANGE_CONTEXT_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string): RaftError {
  return raftError('invalidConfChange', message);
}

/** Checks a ConfChange against the limits and shapes the codec accepts. */
export function validateConfChange(change: ConfChange): RaftError | undefined {
  if (!TRANSITIONS.includes(change.transition))
    return invalid(`unknown transition '${String(change.transition)}'`);
  if (change.changes.length > MAX_CONF_CHANGES) {
    return invalid(
      `${change.changes.length} changes exceed the limit of ${MAX_CONF_CHANGES} per conf change`,
    );
  }
  for (const single of change.changes) {
    if (!KINDS.includes(single.kind)) return invalid(`unknown change kind '${String(single.kind)}'`);
    if (typeof single.nodeId !== 'string' || single.nodeId === '')
      return invalid('a change names an empty node id');
    const bytes = encoder.encode(single.nodeId).byteLength;
    if (bytes > MAX_NODE_ID_BYTES) {
      return invalid(`node id of ${bytes} bytes exceeds the limit of ${MAX_NODE_ID_BYTES}`);
    }
  }
  if (change.context !== undefined && change.context.byteLength > MAX_CONF_CHANGE_CONTEXT_BYTES) {
    return invalid(
      `context of ${change.context.byteLength} bytes exceeds the limit of ${MAX_CONF_CHANGE_CONTEXT_BYTES}`,
    );
  }
  return undefined;
}

function pushVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

export function encodeConfChange(change: ConfChange): Uint8Array {
  if (change.transition === 'auto' && change.changes.length === 0 && change.context === undefined) {
    return new Uint8Array(0);
  }
  const out: number[] = [VERSION, TRANSITIONS.indexOf(change.transition)];
  pushVarint(out, change.changes.length);
  for (const single of change.changes) {
    out.push(KINDS.indexOf(single.kind));
    const id = encoder.encode(single.nodeId);
    pushVarint(out, id.byteLength);
    for (const byte of id) out.push(byte);
  }
  if (change.context === undefined) {
    out.push(0);
  } else {
    out.push(1);
    pushVarint(out, change.context.byteLength);
    for (const byte of change.context) out.push(byte);
  }
  return Uint8Array.from(out);
}

class Reader {
  private readonly bytes: Uint8Array;
  position = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  atEnd(): boolean {
    return this.position === this.bytes.byteLength;
  }

  byte(): number | undefined {
    if (this.position >= this.bytes.byteLength) return undefined;
    return this.bytes[this.position++];
  }

  varint(): number | undefined {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 4; i++) {
      const byte = this.byte();
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    return undefined;
  }

  take(length: number): Uint8Array | undefined {
    if (this.position + length > this.bytes.byteLength) return undefined;
    const slice = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return slice;
  }
}

export function decodeConfChange(bytes: Uint8Array): ConfChange | RaftError {
  if (bytes.byteLength === 0) return { transition: 'auto', changes: [] };
  const reader = new Reader(bytes);
  const version = reader.byte();
  if (version !== VERSION) return invalid(`unsupported conf change encoding version ${String(version)}`);
  const transition = TRANSITIONS[reader.byte() ?? -1];
  if (transition === undefined) return invalid('conf change has an unknown transition');
  const count = reader.varint();
  if (count === undefined || count > MAX_CONF_CHANGES) return invalid('conf change has a bad change count');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[reader.byte() ?? -1];
    if (kind === undefined) return invalid(`conf change ${i} has an unknown kind`);
    const length = reader.varint();
    if (length === undefined || length === 0 || length > MAX_NODE_ID_BYTES) {
      return invalid(`conf change ${i} has a bad node id length`);
    }
    const id = reader.take(length);
    if (id === undefined) return invalid(`conf change ${i} is truncated`);
    let nodeId: string;
    try {
      nodeId = decoder.decode(id);
    } catch {
      return invalid(`conf change ${i} has a node id that is not UTF-8`);
    }
    changes.push({ kind, nodeId });
  }
  const hasContext = reader.byte();
  let context: Uint8Array | undefined;
  if (hasContext === 1) {
    const length = reader.varint();
    if (length === undefined || length > MAX_CONF_CHANGE_CONTEXT_BYTES)
      return invalid('conf change has a bad context length');
    context = reader.take(length);
    if (context === undefined) return invalid('conf change context is truncated');
  } else if (hasContext !== 0) {
    return invalid('conf change is truncated before its context flag');
  }
  if (!reader.atEnd()) return invalid(`conf change has ${bytes.byteLength - reader.position} trailing bytes`);
  return context === undefined ? { transition, changes } : { transition, changes, context };
}
