import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../../core/random.ts';
import type { KvInput, KvOperation, KvOutput } from './kv-model.ts';
import { kvModel } from './kv-model.ts';
import { checkOperations } from './linearizability.ts';

let nextClient = 0;
function op(input: KvInput, call: number, ret: number, output: KvOutput | undefined): KvOperation {
  return { clientId: nextClient++, input, call, return: output === undefined ? Infinity : ret, output };
}
const put = (key: string, value: string, call: number, ret: number): KvOperation =>
  op({ kind: 'put', key, value }, call, ret, { kind: 'put' });
const get = (key: string, value: string | null, call: number, ret: number): KvOperation =>
  op({ kind: 'get', key }, call, ret, { kind: 'get', value });
const cas = (
  key: string,
  expected: string | null,
  value: string,
  succeeded: boolean,
  call: number,
  ret: number,
) => op({ kind: 'cas', key, expected, value }, call, ret, { kind: 'cas', succeeded });
const del = (key: string, previous: string | null, call: number, ret: number): KvOperation =>
  op({ kind: 'delete', key }, call, ret, { kind: 'delete', previous });
const unknownPut = (key: string, value: string, call: number): KvOperation =>
  op({ kind: 'put', key, value }, call, Infinity, undefined);

function verdict(history: readonly KvOperation[]): string {
  return checkOperations(kvModel, history).kind;
}

describe('linearizability checker: histories that are linearizable', () => {
  it('accepts a sequential history', () => {
    assert.equal(
      verdict([
        put('x', '1', 0, 1),
        get('x', '1', 2, 3),
        cas('x', '1', '2', true, 4, 5),
        get('x', '2', 6, 7),
      ]),
      'ok',
    );
  });

  it('accepts concurrent writes observed in either order', () => {
    const writes = [put('x', 'a', 0, 10), put('x', 'b', 1, 9)];
    assert.equal(verdict([...writes, get('x', 'a', 11, 12)]), 'ok');
    assert.equal(verdict([...writes, get('x', 'b', 11, 12)]), 'ok');
    // A read concurrent with both writes may still see the initial absence.
    assert.equal(verdict([...writes, get('x', null, 2, 3)]), 'ok');
  });

  it('accepts a timed-out write whether or not it took effect', () => {
    assert.equal(verdict([unknownPut('x', '1', 0), get('x', '1', 5, 6)]), 'ok');
    assert.equal(verdict([unknownPut('x', '1', 0), get('x', null, 5, 6)]), 'ok');
    // ...and it may take effect late: absent first, then present.
    assert.equal(verdict([unknownPut('x', '1', 0), get('x', null, 5, 6), get('x', '1', 7, 8)]), 'ok');
  });

  it('accepts a timed-out compare-and-swap with either outcome', () => {
    const unknownCas = op({ kind: 'cas', key: 'x', expected: 'a', value: 'b' }, 2, Infinity, undefined);
    assert.equal(verdict([put('x', 'a', 0, 1), unknownCas, get('x', 'b', 5, 6)]), 'ok');
    assert.equal(verdict([put('x', 'a', 0, 1), unknownCas, get('x', 'a', 5, 6)]), 'ok');
  });

  it('accepts a delete that reports the value it removed, and reads of absence after it', () => {
    assert.equal(
      verdict([put('x', '1', 0, 1), del('x', '1', 2, 3), get('x', null, 4, 5), del('x', null, 6, 7)]),
      'ok',
    );
  });

  it('accepts every history recorded from an atomic register with random overlaps', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const history = atomicRegisterHistory(seed);
      const result = checkOperations(kvModel, history);
      assert.equal(result.kind, 'ok', `seed ${seed}: ${JSON.stringify(result)}`);
    }
  });
});

describe('linearizability checker: histories that are not linearizable', () => {
  it('rejects a stale read (a read after a completed write returns the old value)', () => {
    assert.equal(verdict([put('x', '1', 0, 1), put('x', '2', 2, 3), get('x', '1', 4, 5)]), 'illegal');
  });

  it('rejects a lost write (an acknowledged write never becomes visible)', () => {
    assert.equal(verdict([put('x', '1', 0, 1), get('x', null, 2, 3)]), 'illegal');
  });

  it('rejects a read of a value never written', () => {
    assert.equal(verdict([put('x', '1', 0, 1), get('x', 'ghost', 2, 3)]), 'illegal');
  });

  it('rejects an impossible compare-and-swap', () => {
    // Two swaps from the same expected value cannot both succeed.
    assert.equal(
      verdict([put('x', 'a', 0, 1), cas('x', 'a', 'b', true, 2, 3), cas('x', 'a', 'c', true, 4, 5)]),
      'illegal',
    );
    // A swap cannot fail when the expected value is certainly there.
    assert.equal(verdict([put('x', 'a', 0, 1), cas('x', 'a', 'b', false, 2, 3)]), 'illegal');
  });

  it('rejects a delete that reports the wrong previous value, and a read of a deleted value', () => {
    assert.equal(verdict([put('x', '1', 0, 1), del('x', null, 2, 3)]), 'illegal');
    assert.equal(verdict([put('x', '1', 0, 1), del('x', '2', 2, 3)]), 'illegal');
    assert.equal(verdict([put('x', '1', 0, 1), del('x', '1', 2, 3), get('x', '1', 4, 5)]), 'illegal');
  });

  it('rejects a value going back in time once a concurrent write was observed', () => {
    assert.equal(verdict([unknownPut('x', '1', 0), get('x', '1', 5, 6), get('x', null, 7, 8)]), 'illegal');
  });

  it('names the partition (key) that failed and how far the search got', () => {
    const result = checkOperations(kvModel, [
      put('a', '1', 0, 1),
      get('a', '1', 2, 3),
      put('b', '1', 0, 1),
      get('b', '2', 2, 3),
    ]);
    assert.equal(result.kind, 'illegal');
    if (result.kind !== 'illegal') return;
    assert.equal(result.partition, 'b');
    assert.equal(result.partitionOperations.length, 2);
    assert.deepEqual(result.longestLinearization, [0]);
  });

  it('rejects every atomic-register history once a read is changed to a value never written', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const history = atomicRegisterHistory(seed).map((o) =>
        o.input.kind === 'get' && o.output !== undefined
          ? { ...o, output: { kind: 'get' as const, value: 'never' } }
          : o,
      );
      if (!history.some((o) => o.output?.kind === 'get')) continue;
      assert.equal(checkOperations(kvModel, history).kind, 'illegal', `seed ${seed}`);
    }
  });
});

describe('linearizability checker: search bounds', () => {
  it('memoization keeps many concurrent writes tractable', () => {
    // 12 fully concurrent writes and a read of a value none wrote: without the memo the search
    // would try 12! orders; with it, at most 2^12 subsets times 13 states.
    const history = Array.from({ length: 12 }, (_, i) => put('x', `v${i}`, i, 100 + i));
    history.push(get('x', 'nobody', 200, 201));
    const result = checkOperations(kvModel, history);
    assert.equal(result.kind, 'illegal');
    assert.ok(result.steps < 2 ** 12 * 13 * 4, `took ${result.steps} steps`);
  });

  it('gives up with unknown when the step limit is hit', () => {
    const history = Array.from({ length: 12 }, (_, i) => put('x', `v${i}`, i, 100 + i));
    history.push(get('x', 'nobody', 200, 201));
    const result = checkOperations(kvModel, history, { maxStepsPerPartition: 100 });
    assert.equal(result.kind, 'unknown');
  });

  it('refuses an operation that returns before it was called', () => {
    assert.throws(
      () => checkOperations(kvModel, [put('x', '1', 5, 4)]),
      /returns \(4\) before its call \(5\)/,
    );
  });
});

/**
 * Clients run against a real atomic register: each operation takes effect at one instant between
 * its call and its return, so the recorded history is linearizable by construction. Some
 * operations lose their reply (unknown outcome) after taking effect or without taking effect.
 */
function atomicRegisterHistory(seed: number): KvOperation[] {
  const random = createRandom(seed);
  const clients = 1 + random.int(4);
  const keys = ['x', 'y'];
  const register = new Map<string, string | null>();
  const pending: { clientId: number; input: KvInput; call: number; effectAt: number; output?: KvOutput }[] =
    [];
  const history: KvOperation[] = [];
  const busyUntil = new Array<number>(clients).fill(0);
  let written = 0;
  for (let time = 0; time < 200; time++) {
    for (let c = 0; c < clients; c++) {
      if (busyUntil[c]! > time || !random.chance(0.3)) continue;
      const key = random.pick(keys);
      const roll = random.int(4);
      const input: KvInput =
        roll === 0
          ? { kind: 'put', key, value: `w${written++}` }
          : roll === 1
            ? { kind: 'get', key }
            : roll === 2
              ? { kind: 'cas', key, expected: register.get(key) ?? null, value: `w${written++}` }
              : { kind: 'delete', key };
      const duration = 1 + random.int(10);
      busyUntil[c] = time + duration + 1;
      pending.push({ clientId: c, input, call: time * 2, effectAt: time + random.int(duration) });
    }
    for (const p of pending) {
      if (p.effectAt !== time || p.output !== undefined) continue;
      const current = register.get(p.input.key) ?? null;
      if (p.input.kind === 'put') {
        register.set(p.input.key, p.input.value);
        p.output = { kind: 'put' };
      } else if (p.input.kind === 'get') {
        p.output = { kind: 'get', value: current };
      } else if (p.input.kind === 'delete') {
        register.delete(p.input.key);
        p.output = { kind: 'delete', previous: current };
      } else {
        const succeeded = current === p.input.expected;
        if (succeeded) register.set(p.input.key, p.input.value);
        p.output = { kind: 'cas', succeeded };
      }
    }
  }
  for (const p of pending) {
    const lost = random.chance(0.1);
    const neverHappened = p.output === undefined;
    history.push({
      clientId: p.clientId,
      input: p.input,
      call: p.call,
      return: lost || neverHappened ? Infinity : (p.effectAt + 1) * 2 - 1,
      output: lost || neverHappened ? undefined : p.output,
    });
  }
  return history;
}
