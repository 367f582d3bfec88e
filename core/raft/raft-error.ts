import type { RaftError, RaftErrorCode } from './types.ts';

export function raftError(code: RaftErrorCode, message: string): RaftError {
  return { code, message };
}

/** Throws for a broken internal invariant: the core's state can no longer be trusted. */
export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new Error(`raft invariant: ${message()}`);
}
