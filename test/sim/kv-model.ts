// The sequential specification of the simulated clients' key-value operations, one register per
// key: put, linearizable get, compare-and-swap (a txn: if value == expected then put), and delete
// (which reports the value it removed). A delete of many keys in one revision is checked as one
// delete per key, with the same call and return.
import type { Model, Operation } from './linearizability.ts';

export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'get'; readonly key: string }
  /** expected null = the key must be absent. */
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string };

export type KvOutput =
  | { readonly kind: 'put' }
  | { readonly kind: 'get'; readonly value: string | null }
  | { readonly kind: 'cas'; readonly succeeded: boolean }
  /** previous null = the key was absent and nothing was deleted. */
  | { readonly kind: 'delete'; readonly previous: string | null };

export type KvOperation = Operation<KvInput, KvOutput>;

/** The state of one key's register: its value, or null while absent. */
type Register = string | null;

export const kvModel: Model<Register, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'put':
        return { ok: output === undefined || output.kind === 'put', state: input.value };
      case 'get':
        return { ok: output === undefined || (output.kind === 'get' && output.value === state), state };
      case 'cas': {
        const matches = state === input.expected;
        const after = matches ? input.value : state;
        if (output === undefined) return { ok: true, state: after };
        return { ok: output.kind === 'cas' && output.succeeded === matches, state: after };
      }
      case 'delete':
        return {
          ok: output === undefined || (output.kind === 'delete' && output.previous === state),
          state: null,
        };
    }
  },
  partitionKey: (input) => input.key,
  // A prefix keeps null apart from every string value.
  stateKey: (state) => (state === null ? '-' : `=${state}`),
  describeOperation(input, output) {
    const result = output === undefined ? '?' : describeOutput(output);
    switch (input.kind) {
      case 'put':
        return `put(${input.key}, ${input.value}) -> ${result}`;
      case 'get':
        return `get(${input.key}) -> ${result}`;
      case 'cas':
        return `cas(${input.key}, ${input.expected ?? 'absent'} => ${input.value}) -> ${result}`;
      case 'delete':
        return `delete(${input.key}) -> ${result}`;
    }
  },
};

export function describeOutput(output: KvOutput): string {
  switch (output.kind) {
    case 'put':
      return 'ok';
    case 'get':
      return output.value ?? 'absent';
    case 'cas':
      return output.succeeded ? 'swapped' : 'unchanged';
    case 'delete':
      return output.previous === null ? 'nothing' : `removed ${output.previous}`;
  }
}
