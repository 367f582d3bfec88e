// A linearizability checker for recorded client histories: Wing & Gong's backtracking search with
// Lowe's just-in-time linearization and a memo of (linearized set, state) pairs already explored,
// run separately on each partition of the history (P-compositionality, e.g. one partition per key),
// the algorithm Porcupine uses. Written for Vane's simulator; generic over the sequential model.

/** A sequential specification. `step` must be pure; `stateKey` must be equal exactly for equal states. */
export interface Model<State, Input, Output> {
  init(): State;
  /**
   * Applies `input` to `state`. `output` is undefined when the caller never learned the outcome
   * (timed out, or its server crashed): the step must then accept every outcome the input can have.
   */
  step(state: State, input: Input, output: Output | undefined): { ok: boolean; state: State };
  /** Operations with different partition keys never affect each other (e.g. different keys of a store). */
  partitionKey(input: Input): string;
  stateKey(state: State): string;
  describeOperation(input: Input, output: Output | undefined): string;
}

/**
 * One client operation as the client saw it. Times are logical and totally ordered (the simulator
 * uses one event counter for both). An operation whose outcome is unknown has `output` undefined;
 * it may have taken effect at any moment after its call, or never, so its return is taken as infinite.
 */
export interface Operation<Input, Output> {
  readonly clientId: number;
  readonly input: Input;
  readonly call: number;
  readonly return: number;
  readonly output: Output | undefined;
}

export interface CheckLimits {
  /** Search steps per partition before giving up with an 'unknown' result. */
  readonly maxStepsPerPartition: number;
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = { maxStepsPerPartition: 2_000_000 };

export type CheckResult<Input, Output> =
  | { readonly kind: 'ok'; readonly operations: number; readonly steps: number }
  | {
      readonly kind: 'illegal';
      readonly operations: number;
      readonly steps: number;
      readonly partition: string;
      /** The partition's operations, in history order. */
      readonly partitionOperations: readonly Operation<Input, Output>[];
      /** The longest sequence of partition operations (indexes) the search could linearize. */
      readonly longestLinearization: readonly number[];
    }
  | {
      readonly kind: 'unknown';
      readonly operations: number;
      readonly steps: number;
      readonly partition: string;
      readonly reason: string;
    };

/** One call or return event in the doubly linked list the search lifts operations out of. */
interface EventNode {
  readonly operation: number;
  readonly isCall: boolean;
  /** For a call, its return event. */
  match: EventNode | null;
  prev: EventNode | null;
  next: EventNode | null;
}

export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  limits: CheckLimits = DEFAULT_CHECK_LIMITS,
): CheckResult<Input, Output> {
  const partitions = new Map<string, Operation<Input, Output>[]>();
  for (const op of history) {
    if (op.output !== undefined && !(op.return > op.call)) {
      throw new Error(
        `operation of client ${op.clientId} returns (${op.return}) before its call (${op.call})`,
      );
    }
    const key = model.partitionKey(op.input);
    const list = partitions.get(key);
    if (list === undefined) partitions.set(key, [op]);
    else list.push(op);
  }
  let steps = 0;
  for (const key of [...partitions.keys()].sort()) {
    const operations = partitions.get(key)!;
    const result = checkPartition(model, operations, limits.maxStepsPerPartition);
    steps += result.steps;
    if (result.kind === 'illegal') {
      return {
        kind: 'illegal',
        operations: history.length,
        steps,
        partition: key,
        partitionOperations: operations,
        longestLinearization: result.longest,
      };
    }
    if (result.kind === 'unknown') {
      return {
        kind: 'unknown',
        operations: history.length,
        steps,
        partition: key,
        reason: `search exceeded ${limits.maxStepsPerPartition} steps on ${operations.length} operations`,
      };
    }
  }
  return { kind: 'ok', operations: history.length, steps };
}

/**
 * The lines that explain an illegal partition: the end of the longest linearization the search
 * found, then the operations none of which fits next (by call time), at most `maxLines` in all.
 */
export function explainIllegal<State, Input, Output>(
  model: Model<State, Input, Output>,
  result: Extract<CheckResult<Input, Output>, { kind: 'illegal' }>,
  maxLines: number,
): string[] {
  const ops = result.partitionOperations;
  const describe = (i: number): string => {
    const op = ops[i]!;
    const ret = op.return === Infinity ? '∞' : op.return;
    return `client ${op.clientId} [${op.call}, ${ret}] ${model.describeOperation(op.input, op.output)}`;
  };
  const linearized = new Set(result.longestLinearization);
  const rest = ops
    .map((_, i) => i)
    .filter((i) => !linearized.has(i))
    .sort((a, b) => ops[a]!.call - ops[b]!.call);
  return [
    `longest linearization: ${linearized.size} operations, ending with`,
    ...result.longestLinearization.slice(-maxLines / 2).map((i) => `  ${describe(i)}`),
    `then none of these fits (by call time):`,
    ...rest.slice(0, maxLines / 2).map((i) => `  ${describe(i)}`),
  ];
}

type PartitionOutcome =
  | { kind: 'ok'; steps: number }
  | { kind: 'illegal'; steps: number; longest: number[] }
  | { kind: 'unknown'; steps: number };

function buildEventList<Input, Output>(operations: readonly Operation<Input, Output>[]): EventNode {
  const events: { time: number; isCall: boolean; operation: number }[] = [];
  operations.forEach((op, i) => {
    events.push({ time: op.call, isCall: true, operation: i });
    events.push({ time: op.output === undefined ? Infinity : op.return, isCall: false, operation: i });
  });
  // At equal times calls come first: treating touching operations as concurrent never rejects a valid history.
  events.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.operation - b.operation : a.isCall ? -1 : 1),
  );
  const head: EventNode = { operation: -1, isCall: false, match: null, prev: null, next: null };
  const calls = new Map<number, EventNode>();
  let last = head;
  for (const event of events) {
    const node: EventNode = {
      operation: event.operation,
      isCall: event.isCall,
      match: null,
      prev: last,
      next: null,
    };
    last.next = node;
    last = node;
    if (event.isCall) calls.set(event.operation, node);
    else calls.get(event.operation)!.match = node;
  }
  return head;
}

function lift(call: EventNode): void {
  call.prev!.next = call.next;
  call.next!.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

function unlift(call: EventNode): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev!.next = call;
  call.next!.prev = call;
}

function checkPartition<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  maxSteps: number,
): PartitionOutcome {
  const head = buildEventList(operations);
  const linearized = new Uint32Array(Math.ceil(operations.length / 32) + 1);
  const explored = new Set<string>();
  const stack: { call: EventNode; state: State }[] = [];
  let longest: number[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > maxSteps) return { kind: 'unknown', steps };
    if (entry === null) throw new Error('linearizability search ran off the end of the event list');
    if (entry.isCall) {
      const op = operations[entry.operation]!;
      const next = model.step(state, op.input, op.output);
      if (next.ok) {
        const word = entry.operation >>> 5;
        const bit = 1 << (entry.operation & 31);
        linearized[word]! |= bit;
        const memoKey = `${linearized.join(',')}|${model.stateKey(next.state)}`;
        if (!explored.has(memoKey)) {
          explored.add(memoKey);
          stack.push({ call: entry, state });
          state = next.state;
          lift(entry);
          if (stack.length > longest.length) longest = stack.map((s) => s.call.operation);
          entry = head.next;
          continue;
        }
        linearized[word]! &= ~bit;
      }
      entry = entry.next;
    } else {
      // A return event reached with its call still pending: undo the latest choice and try the next one.
      const top = stack.pop();
      if (top === undefined) return { kind: 'illegal', steps, longest };
      entry = top.call;
      state = top.state;
      linearized[entry.operation >>> 5]! &= ~(1 << (entry.operation & 31));
      unlift(entry);
      entry = entry.next;
    }
  }
  return { kind: 'ok', steps };
}
