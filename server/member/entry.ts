// What a member puts in a normal Raft entry. The first byte says which kind; an empty entry is
// the no-op a new leader appends.
import { decodeCommand, encodeCommand } from '../../core/protocol/index.ts';
import type { CommandEnvelope } from '../../core/store/types.ts';

export type MemberEntry =
  | { readonly kind: 'noop' }
  | { readonly kind: 'command'; readonly envelope: CommandEnvelope }
  /** A member announces the client URL it serves on (replicated so every member can list it). */
  | { readonly kind: 'attributes'; readonly id: string; readonly clientUrl: string };

const COMMAND = 1;
const ATTRIBUTES = 2;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeMemberEntry(entry: MemberEntry): Uint8Array {
  switch (entry.kind) {
    case 'noop':
      return new Uint8Array(0);
    case 'command': {
      const body = encodeCommand(entry.envelope);
      const out = new Uint8Array(body.length + 1);
      out[0] = COMMAND;
      out.set(body, 1);
      return out;
    }
    case 'attributes': {
      const body = utf8.encode(JSON.stringify({ id: entry.id, clientUrl: entry.clientUrl }));
      const out = new Uint8Array(body.length + 1);
      out[0] = ATTRIBUTES;
      out.set(body, 1);
      return out;
    }
  }
}

/**
 * Entries were written by members of this cluster, so a decoding failure means a bug or a
 * corrupted log: the caller stops the member rather than diverge from the others.
 */
export function decodeMemberEntry(
  data: Uint8Array,
): MemberEntry | { readonly kind: 'invalid'; readonly reason: string } {
  if (data.length === 0) return { kind: 'noop' };
  const body = data.subarray(1);
  if (data[0] === COMMAND) {
    const envelope = decodeCommand(body);
    if ('code' in envelope) return { kind: 'invalid', reason: envelope.message };
    return { kind: 'command', envelope };
  }
  if (data[0] === ATTRIBUTES) {
    try {
      const parsed: unknown = JSON.parse(fromUtf8.decode(body));
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { id?: unknown }).id === 'string' &&
        typeof (parsed as { clientUrl?: unknown }).clientUrl === 'string'
      ) {
        const { id, clientUrl } = parsed as { id: string; clientUrl: string };
        return { kind: 'attributes', id, clientUrl };
      }
    } catch (error) {
      return { kind: 'invalid', reason: `member attributes: ${String(error)}` };
    }
    return { kind: 'invalid', reason: 'member attributes: expected {id, clientUrl}' };
  }
  return { kind: 'invalid', reason: `unknown entry kind ${data[0]}` };
}
