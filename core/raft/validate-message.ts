// Checks a message from a peer before the core acts on it: a malformed message is refused with an
// error that says what is wrong, and changes nothing.
import { raftError } from './raft-error.ts';
import {
  type Entry,
  MESSAGE_TYPES,
  type Message,
  type NodeId,
  type RaftError,
  type Snapshot,
} from './types.ts';

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function invalid(message: Message, problem: string): RaftError {
  return raftError('invalidMessage', `${String(message.type)} from ${String(message.from)}: ${problem}`);
}

function checkEntry(entry: Entry): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'an entry is not an object';
  if (!isIndex(entry.term) || !isIndex(entry.index))
    return 'an entry has a negative or non-integer term or index';
  if (entry.type !== 'normal' && entry.type !== 'confChange')
    return `an entry has unknown type '${String(entry.type)}'`;
  if (!(entry.data instanceof Uint8Array)) return 'an entry has no data bytes';
  return undefined;
}

function isIdList(ids: unknown): boolean {
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string' && id !== '');
}

function checkSnapshot(snapshot: Snapshot | undefined): string | undefined {
  if (snapshot === undefined || typeof snapshot !== 'object' || snapshot === null)
    return 'a snapshot message carries no snapshot';
  const { metadata } = snapshot;
  if (typeof metadata !== 'object' || metadata === null) return 'the snapshot has no metadata';
  if (!isIndex(metadata.index) || !isIndex(metadata.term)) return 'the snapshot has a bad index or term';
  const cs = metadata.confState;
  if (typeof cs !== 'object' || cs === null) return 'the snapshot has no ConfState';
  if (
    !isIdList(cs.voters) ||
    !isIdList(cs.learners) ||
    !isIdList(cs.votersOutgoing) ||
    !isIdList(cs.learnersNext)
  ) {
    return 'the snapshot ConfState has a bad member list';
  }
  if (!(snapshot.data instanceof Uint8Array)) return 'the snapshot has no data bytes';
  return undefined;
}

/** The problem with a message addressed to `self`, or undefined if it is well formed. */
export function validateMessage(message: Message, self: NodeId): RaftError | undefined {
  if (typeof message !== 'object' || message === null) {
    return raftError('invalidMessage', 'a message must be an object');
  }
  if (!MESSAGE_TYPES.includes(message.type)) return invalid(message, 'unknown message type');
  if (typeof message.from !== 'string' || message.from === '') return invalid(message, 'no sender');
  if (message.to !== self)
    return invalid(message, `addressed to ${String(message.to)}, delivered to ${self}`);
  if (message.from === self) {
    return raftError(
      'stepLocalMessage',
      `${message.type} from ${self} to itself: local input is a RawNode method, not a message`,
    );
  }
  for (const field of ['term', 'logTerm', 'index', 'commit', 'rejectHint'] as const) {
    if (!isIndex(message[field])) return invalid(message, `${field} must be a non-negative integer`);
  }
  if (typeof message.reject !== 'boolean') return invalid(message, 'reject must be a boolean');
  if (!Array.isArray(message.entries)) return invalid(message, 'entries must be an array');
  if (message.context !== undefined && !(message.context instanceof Uint8Array)) {
    return invalid(message, 'context must be bytes');
  }
  for (const entry of message.entries) {
    const problem = checkEntry(entry);
    if (problem !== undefined) return invalid(message, problem);
  }
  // Forwarded proposals and reads are term-less; every other message carries its sender's term.
  if (message.type !== 'propose' && message.type !== 'readIndex' && message.term === 0) {
    return invalid(message, 'term must be positive');
  }
  switch (message.type) {
    case 'append': {
      let previousTerm = message.logTerm;
      for (let i = 0; i < message.entries.length; i++) {
        const entry = message.entries[i]!;
        if (entry.index !== message.index + 1 + i)
          return invalid(message, `entry ${i} has index ${entry.index}, expected ${message.index + 1 + i}`);
        if (entry.term < previousTerm || entry.term > message.term) {
          return invalid(
            message,
            `entry ${entry.index} has term ${entry.term} outside [${previousTerm}, ${message.term}]`,
          );
        }
        previousTerm = entry.term;
      }
      return undefined;
    }
    case 'snapshot': {
      const problem = checkSnapshot(message.snapshot);
      return problem === undefined ? undefined : invalid(message, problem);
    }
    case 'propose':
      return message.entries.length === 0 ? invalid(message, 'a proposal carries no entries') : undefined;
    case 'readIndex':
    case 'readIndexResponse':
      return message.entries.length === 1
        ? undefined
        : invalid(message, 'must carry exactly one entry (the read context)');
    case 'transferLeader':
      return message.context === undefined || message.context.byteLength === 0
        ? invalid(message, 'names no transferee')
        : undefined;
    default:
      return undefined;
  }
}
