// Checks what a replica's subscriber heard against the writes that were acknowledged: change sets in
// strictly increasing revisions (never back, never twice), each one exactly the write acknowledged
// at its revision, every acknowledged write heard, and the state they add up to equal to the
// cluster's.
import assert from 'node:assert/strict';
import type { ChangeSet } from '../../client/index.ts';

export interface WrittenChange {
  readonly key: string;
  readonly type: 'put' | 'delete';
  readonly value?: string;
}

/** A write the cluster acknowledged at `revision`, with what it changed there. */
export interface AckedWrite {
  readonly revision: number;
  readonly changes: readonly WrittenChange[];
}

/** `initial` with `writes` applied in revision order. */
export function replay(
  initial: ReadonlyMap<string, string>,
  writes: readonly AckedWrite[],
): Map<string, string> {
  const state = new Map(initial);
  for (const write of [...writes].sort((a, b) => a.revision - b.revision)) {
    for (const { key, type, value } of write.changes) {
      if (type === 'put') state.set(key, value as string);
      else state.delete(key);
    }
  }
  return state;
}

export class ChangeChecker {
  /** The state it started from. */
  readonly initial: ReadonlyMap<string, string>;
  readonly #state: Map<string, string>;
  readonly #heard: ChangeSet[] = [];
  #revision: number;

  /** Starts from the replica's state when it became ready. */
  constructor(initial: ReadonlyMap<string, string>, revision: number) {
    this.initial = new Map(initial);
    this.#state = new Map(initial);
    this.#revision = revision;
  }

  get revision(): number {
    return this.#revision;
  }

  get heard(): readonly ChangeSet[] {
    return this.#heard;
  }

  /** A change set as the subscriber got it; order is checked at once. */
  record(change: ChangeSet): void {
    assert.ok(
      change.revision > this.#revision,
      `change set at revision ${change.revision} after ${this.#revision}: went back or repeated`,
    );
    this.#revision = change.revision;
    this.#heard.push(change);
    for (const { key, type, value } of change.changes) {
      if (type === 'put') this.#state.set(key, value as string);
      else this.#state.delete(key);
    }
  }

  /** Each change set is the acknowledged write at its revision; each acknowledged write was heard. */
  verifyAgainst(acked: readonly AckedWrite[], from: number): void {
    const byRevision = new Map(acked.map((write) => [write.revision, write]));
    for (const change of this.#heard) {
      const write = byRevision.get(change.revision);
      assert.ok(write !== undefined, `heard revision ${change.revision}, which no acknowledged write has`);
      assert.deepStrictEqual(
        change.changes.map(({ key, type, value }) => (type === 'put' ? { key, type, value } : { key, type })),
        write.changes,
        `the change set at revision ${change.revision}`,
      );
    }
    const heard = new Set(this.#heard.map((change) => change.revision));
    for (const write of acked) {
      if (write.revision > from)
        assert.ok(heard.has(write.revision), `never heard the write at revision ${write.revision}`);
    }
  }

  /** The state the change sets add up to. */
  state(): Map<string, string> {
    return new Map(this.#state);
  }
}
