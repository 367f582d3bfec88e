// What a chaos run must show once it is over, checked against the committed history read back from
// the cluster (committed.ts):
//   durability   every acknowledged write is in the history, at the revision its answer named, with
//                its txn's side write at the same revision; a compare-and-swap answered as failed
//                never applied; no write applied twice (values are unique, retries carry request ids);
//   reads        every read's value is the history's value of that key at the revision it reported;
//   real time    an operation that starts after another one ended has a revision at least as high
//                (higher, for two writes), across all keys;
//   linearizable the clients' history, per register, by the simulation's checker (a write whose
//                outcome the client never learned counts if the history has it, and is dropped if not);
//   watches      every watcher's stream, over all its sessions, by the simulation's watch checker.

import { type KvInput, type KvOutput, kvModel } from '../../sim/kv-model.ts';
import { checkOperations, explainIllegal, type Operation } from '../../sim/linearizability.ts';
import { checkWatch, describeResponse } from '../../sim/watch-checker.ts';
import type { RecordedWatch } from '../../sim/watch-clients.ts';
import type { ObservedHistory } from './committed.ts';
import type { ClientOperation } from './kv-clients.ts';

/** Lines of detail under one failure. */
const MAX_DETAIL_LINES = 40;
/** Failures of one kind reported in full; the rest are counted. */
const MAX_FAILURES_PER_CHECK = 10;

export interface CheckSummary {
  readonly failures: string[];
  /** Operations the linearizability checker was given. */
  readonly operationsChecked: number;
  readonly checkerSteps: number;
  readonly acknowledgedWritesVerified: number;
  readonly readsVerified: number;
  /** Writes with an unknown outcome that the history shows applied, and that it shows did not. */
  readonly unknownApplied: number;
  readonly unknownNotApplied: number;
  readonly watchesChecked: number;
  readonly watchEventsChecked: number;
}

/** Collects failures, a bounded number per check. */
class Failures {
  readonly lines: string[] = [];
  readonly #counts = new Map<string, number>();

  add(check: string, message: string, details: readonly string[] = []): void {
    const count = (this.#counts.get(check) ?? 0) + 1;
    this.#counts.set(check, count);
    if (count <= MAX_FAILURES_PER_CHECK) {
      this.lines.push([`${check}: ${message}`, ...details.map((d) => `    ${d}`)].join('\n'));
    }
  }

  finish(): string[] {
    for (const [check, count] of this.#counts) {
      if (count > MAX_FAILURES_PER_CHECK) this.lines.push(`${check}: ${count - MAX_FAILURES_PER_CHECK} more`);
    }
    return this.lines;
  }
}

function describeOp(op: ClientOperation): string {
  const ret = op.output === undefined ? 'unknown' : op.return;
  return `client ${op.clientId} [${op.call}, ${ret}] ${kvModel.describeOperation(op.input, op.output)}${
    op.revision === null ? '' : ` @${op.revision}`
  }`;
}

/** An operation with the revision it reflects; `returned` when its client got the answer. */
interface Stamped {
  readonly op: ClientOperation;
  readonly revision: number;
  readonly returned: boolean;
}

/** The value an operation writes to its register, if it writes. */
function writtenValue(input: KvInput): string | null {
  return input.kind === 'put' || input.kind === 'cas' ? input.value : null;
}

export function checkRun(
  history: ObservedHistory,
  operations: readonly ClientOperation[],
  watches: readonly RecordedWatch[],
): CheckSummary {
  const failures = new Failures();
  for (const duplicate of history.duplicates)
    failures.add('durability', `a write applied twice: ${duplicate}`);
  const missing = history.missingRevisions();
  if (missing.length > 0) {
    failures.add(
      'durability',
      `revisions with no event: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`,
    );
  }

  const checked: Operation<KvInput, KvOutput>[] = [];
  /** Operations whose revision is known, for the real-time check. */
  const stamped: Stamped[] = [];
  /** Writes whose outcome was unknown, found in the history. */
  const resolved: { op: ClientOperation; revision: number }[] = [];
  let acknowledgedWritesVerified = 0;
  let readsVerified = 0;
  let unknownApplied = 0;
  let unknownNotApplied = 0;
  for (const op of operations) {
    const { input } = op;
    const value = writtenValue(input);
    if (value === null) {
      if (op.output?.kind !== 'get' || op.revision === null)
        throw new Error(`a read without its answer: ${describeOp(op)}`);
      const committed = history.valueAt(input.key, op.revision);
      if (committed !== op.output.value) {
        failures.add(
          'reads',
          `${describeOp(op)}, but the history has ${committed ?? 'absent'} at revision ${op.revision}`,
        );
      }
      readsVerified++;
      stamped.push({ op, revision: op.revision, returned: true });
      checked.push(op);
      continue;
    }
    const found = history.findPut(input.key, value);
    if (op.output === undefined) {
      if (found === undefined) {
        unknownNotApplied++;
        continue;
      }
      // It took effect, when the client cannot tell; its return time is bounded below, once all are known.
      unknownApplied++;
      stamped.push({ op, revision: found.revision, returned: false });
      resolved.push({ op, revision: found.revision });
      continue;
    }
    const applied = op.output.kind === 'put' || (op.output.kind === 'cas' && op.output.succeeded);
    if (!applied) {
      if (found !== undefined) {
        failures.add(
          'durability',
          `${describeOp(op)}, yet the history has its write at revision ${found.revision}`,
        );
      }
    } else if (found === undefined) {
      failures.add('durability', `acknowledged ${describeOp(op)} is missing from the committed history`);
    } else if (found.revision !== op.revision) {
      failures.add(
        'durability',
        `acknowledged ${describeOp(op)} is at revision ${found.revision} in the history`,
      );
    } else if (op.side !== null && op.side.value !== null) {
      const side = history.findPut(op.side.key, op.side.value);
      if (side?.revision !== op.revision) {
        failures.add(
          'durability',
          `${describeOp(op)} also put ${op.side.key}=${op.side.value}, which the history has ${
            side === undefined ? 'nowhere' : `at revision ${side.revision}`
          }`,
        );
      }
    }
    if (applied) acknowledgedWritesVerified++;
    if (op.revision !== null) stamped.push({ op, revision: op.revision, returned: true });
    checked.push(op);
  }

  checkRealTime(stamped, failures);
  checked.push(...boundResolved(resolved, stamped));

  const result = checkOperations(kvModel, checked);
  if (result.kind === 'illegal') {
    failures.add(
      'linearizability',
      `the history of ${result.partition} is not linearizable (${result.partitionOperations.length} operations)`,
      explainIllegal(kvModel, result, MAX_DETAIL_LINES),
    );
  } else if (result.kind === 'unknown') {
    failures.add('linearizability', `the check gave up on ${result.partition}: ${result.reason}`);
  }

  let watchEventsChecked = 0;
  for (const watch of watches) {
    if (watch.sessions.length === 0) continue;
    const check = checkWatch(history, watch);
    watchEventsChecked += check.events;
    if (check.violation !== null) {
      const responses = watch.sessions.flatMap((session) =>
        session.responses.map((r) => `${session.member}: ${describeResponse(r)}`),
      );
      failures.add(`watch ${check.violation.property}`, check.violation.message, [
        `responses (last ${MAX_DETAIL_LINES}):`,
        ...responses.slice(-MAX_DETAIL_LINES),
      ]);
    }
  }

  return {
    failures: failures.finish(),
    operationsChecked: checked.length,
    checkerSteps: result.steps,
    acknowledgedWritesVerified,
    readsVerified,
    unknownApplied,
    unknownNotApplied,
    watchesChecked: watches.filter((w) => w.sessions.length > 0).length,
    watchEventsChecked,
  };
}

/**
 * Revisions follow real time: whatever starts after an operation returned reflects at least its
 * revision, and a write after a write has a higher one. Writes whose outcome was unknown take part
 * by their call only (they may have applied any time after it).
 */
function checkRealTime(stamped: readonly Stamped[], failures: Failures): void {
  const events: { time: number; isCall: boolean; index: number }[] = [];
  stamped.forEach((s, index) => {
    events.push({ time: s.op.call, isCall: true, index });
    if (s.returned) events.push({ time: s.op.return, isCall: false, index });
  });
  events.sort((a, b) => a.time - b.time);
  let floor: { revision: number; index: number } | null = null;
  for (const event of events) {
    const s = stamped[event.index]!;
    if (!event.isCall) {
      if (floor === null || s.revision > floor.revision) floor = { revision: s.revision, index: event.index };
      continue;
    }
    if (floor === null) continue;
    // A compare-and-swap that failed made no revision: it reflects one, as a read does.
    const output = s.op.output;
    const isWrite =
      output === undefined || output.kind === 'put' || (output.kind === 'cas' && output.succeeded);
    if (s.revision < floor.revision || (isWrite && s.revision === floor.revision)) {
      const earlier = stamped[floor.index]!.op;
      failures.add(
        'real time',
        `${describeOp(s.op)} (revision ${s.revision}) began after ${describeOp(earlier)} returned (revision ${floor.revision})`,
      );
    }
  }
}

/**
 * Writes whose outcome the client never learned but the history shows applied, as the checker takes
 * them: succeeded, returning no later than the first answer that reflected their revision or a later
 * one (it had taken effect by then). Without that bound each would stay open to the end of the run,
 * and a few hundred such writes on one key make the search explode.
 */
function boundResolved(
  resolved: readonly { op: ClientOperation; revision: number }[],
  stamped: readonly Stamped[],
): Operation<KvInput, KvOutput>[] {
  const answered = stamped.filter((s) => s.returned).sort((a, b) => a.revision - b.revision);
  /** earliestFrom[i]: the earliest return among answered[i..]. */
  const earliestFrom = new Array<number>(answered.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = answered.length - 1; i >= 0; i--) {
    earliestFrom[i] = Math.min(earliestFrom[i + 1]!, answered[i]!.op.return);
  }
  return resolved.map(({ op, revision }) => {
    let low = 0;
    let high = answered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (answered[mid]!.revision < revision) low = mid + 1;
      else high = mid;
    }
    const bound = earliestFrom[low]!;
    // A bound before the call breaks real time, which checkRealTime reports; the search then leaves it open.
    const ret = bound > op.call ? bound : Number.POSITIVE_INFINITY;
    const output: KvOutput = op.input.kind === 'put' ? { kind: 'put' } : { kind: 'cas', succeeded: true };
    return { ...op, output, return: ret };
  });
}
