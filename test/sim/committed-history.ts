// The committed history of store revisions, rebuilt from the applied log by a small independent
// reference of the store's semantics for the commands the simulation issues: put, compare-and-swap
// (a txn with one compare and puts on success), delete of a key or a range, compaction, each
// deduplicated by request id. Every canonical entry is recorded once, with what the store that first
// applied it answered, and the two must agree: revision by revision, so a retried write that applied
// twice shows up here. The watch checker reads the events of each revision from it.
import type { VaneError } from '../../core/errors.ts';
import type {
  Command,
  CommandResponse,
  Compare,
  KeySelector,
  KeyValue,
  PutRequest,
  TxnRequest,
} from '../../core/store/index.ts';
import { compareKeys, NO_RANGE_END } from '../../core/store/index.ts';
import { InvariantViolation } from './invariants.ts';
import type { AppliedCommand } from './store-state-machine.ts';

export interface HistoryEvent {
  readonly type: 'put' | 'delete';
  /** As a watch delivers it: a delete is a tombstone (version 0, empty value) at the deletion's revision. */
  readonly kv: KeyValue;
  /** The live version the event replaced. */
  readonly prevKv: KeyValue | undefined;
}

const EMPTY = new Uint8Array(0);

export function selects(selector: KeySelector, key: string): boolean {
  const { rangeEnd } = selector;
  if (rangeEnd === undefined || rangeEnd === '') return key === selector.key;
  if (compareKeys(key, selector.key) < 0) return false;
  return rangeEnd === NO_RANGE_END || compareKeys(key, rangeEnd) < 0;
}

function violated(message: string): never {
  throw new InvariantViolation('store agrees with its reference', message);
}

function isError(response: CommandResponse | VaneError): response is VaneError {
  return 'code' in response;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export class CommittedHistory {
  /** Events by revision; revision 0 has none. */
  private readonly revisions: HistoryEvent[][] = [[]];
  private readonly live = new Map<string, KeyValue>();
  /** Revisions a compaction was applied at. */
  private readonly compactions = new Set<number>();
  /** Revision answered to each request id applied, for its retries. */
  private readonly answered = new Map<string, number>();
  private readonly dedupWindow: number;
  compactRevision = 0;
  /** The last log index recorded. */
  lastIndex = 0;
  /** Applications of a request id already applied (retries and duplicated proposals). */
  duplicates = 0;

  constructor(dedupWindow: number) {
    this.dedupWindow = dedupWindow;
  }

  get revision(): number {
    return this.revisions.length - 1;
  }

  /** The events of `revision` (in the order the write made them). */
  eventsAt(revision: number): readonly HistoryEvent[] {
    const events = this.revisions[revision];
    if (events === undefined)
      throw new Error(`revision ${revision} is beyond the history (${this.revision})`);
    return events;
  }

  wasCompactedAt(revision: number): boolean {
    return this.compactions.has(revision);
  }

  /** The canonical entry `index`, as the first member to apply it applied it (null: no command). */
  record(index: number, applied: AppliedCommand | null): void {
    if (index !== this.lastIndex + 1)
      throw new Error(`history recorded entry ${index} after ${this.lastIndex}`);
    this.lastIndex = index;
    if (applied === null) return;
    const { envelope, response } = applied;
    const requestId = envelope.requestId;
    const original = requestId === undefined ? undefined : this.answered.get(requestId);
    if (original !== undefined) {
      this.duplicates++;
      if (isError(response) || response.revision !== original) {
        violated(
          `entry ${index} retries request ${requestId}, first answered at revision ${original}, ` +
            `but the store answered ${describe(response)}`,
        );
      }
    } else {
      const revision = this.apply(index, envelope.command, response);
      if (requestId !== undefined && revision !== null) {
        if (this.answered.size >= this.dedupWindow) {
          throw new Error(
            `the run used more request ids than the store's dedup window (${this.dedupWindow})`,
          );
        }
        this.answered.set(requestId, revision);
      }
    }
    if (applied.revision !== this.revision) {
      violated(
        `after entry ${index} the store is at revision ${applied.revision}, the reference at ${this.revision}`,
      );
    }
  }

  /** Applies a first-seen command; returns the revision of its answer (null for a refused one). */
  private apply(index: number, command: Command, response: CommandResponse | VaneError): number | null {
    const answered = (expected: number): number => {
      if (isError(response) || response.revision !== expected)
        violated(
          `entry ${index} (${command.op}): expected revision ${expected}, the store answered ${describe(response)}`,
        );
      return expected;
    };
    switch (command.op) {
      case 'put':
        this.write((events) => this.put(command.request, events));
        return answered(this.revision);
      case 'txn': {
        const succeeded = this.compareHolds(command.request);
        if (succeeded) this.write((events) => this.runPuts(command.request, events));
        if (!isError(response) && 'succeeded' in response && response.succeeded !== succeeded) {
          violated(
            `entry ${index}: the txn ${succeeded ? 'holds' : 'fails'} its compare, the store says otherwise`,
          );
        }
        return answered(this.revision);
      }
      case 'deleteRange': {
        const deleted = this.write((events) => this.delete(command.request, events));
        if (!isError(response) && 'deleted' in response && response.deleted !== deleted) {
          violated(`entry ${index}: ${deleted} keys to delete, the store deleted ${response.deleted}`);
        }
        return answered(this.revision);
      }
      case 'compact': {
        const target = command.request.revision;
        if (target <= this.compactRevision || target > this.revision) {
          const code = target <= this.compactRevision ? 'compacted' : 'futureRevision';
          if (!isError(response) || response.code !== code)
            violated(
              `entry ${index}: compaction to ${target} should be refused as ${code}, the store answered ${describe(response)}`,
            );
          return null;
        }
        this.compactRevision = target;
        this.compactions.add(target);
        return answered(this.revision);
      }
      default:
        throw new Error(`the reference does not know command ${command.op}`);
    }
  }

  /** Runs `body` as one write: a new revision if it made any event. Returns what body returned. */
  private write<T>(body: (events: HistoryEvent[]) => T): T {
    const events: HistoryEvent[] = [];
    const result = body(events);
    if (events.length > 0) this.revisions.push(events);
    return result;
  }

  private put(request: PutRequest, events: HistoryEvent[]): void {
    const revision = this.revision + 1;
    const prev = this.live.get(request.key);
    const kv: KeyValue = {
      key: request.key,
      value: request.value,
      createRevision: prev?.createRevision ?? revision,
      modRevision: revision,
      version: (prev?.version ?? 0) + 1,
      lease: 0,
    };
    this.live.set(request.key, kv);
    events.push({ type: 'put', kv, prevKv: prev });
  }

  private compareHolds(txn: TxnRequest): boolean {
    return txn.compare.every((compare) => this.holds(compare));
  }

  private holds(compare: Compare): boolean {
    if (compare.rangeEnd !== undefined || compare.result !== 'equal')
      throw new Error('the reference compares single keys for equality only');
    const kv = this.live.get(compare.key);
    if (compare.target === 'value') return kv !== undefined && sameBytes(kv.value, compare.value);
    if (compare.target === 'version') return (kv?.version ?? 0) === compare.value;
    throw new Error(`the reference does not compare ${compare.target}`);
  }

  private runPuts(txn: TxnRequest, events: HistoryEvent[]): void {
    for (const op of txn.success) {
      if (!('put' in op)) throw new Error('the reference runs txns of puts only');
      this.put(op.put, events);
    }
  }

  private delete(selector: KeySelector, events: HistoryEvent[]): number {
    const revision = this.revision + 1;
    const keys = [...this.live.keys()].filter((key) => selects(selector, key)).sort(compareKeys);
    for (const key of keys) {
      const prev = this.live.get(key)!;
      this.live.delete(key);
      const kv: KeyValue = {
        key,
        value: EMPTY,
        createRevision: 0,
        modRevision: revision,
        version: 0,
        lease: 0,
      };
      events.push({ type: 'delete', kv, prevKv: prev });
    }
    return keys.length;
  }
}

function describe(response: CommandResponse | VaneError): string {
  return isError(response) ? `${response.code}: ${response.message}` : `revision ${response.revision}`;
}
