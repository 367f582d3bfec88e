// A property is only as good as what it is fed: the shared generators must reach every case.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MESSAGE_TYPES, type MessageType } from '../raft/types.ts';
import { command, message, value } from './arbitraries.test.ts';

describe('protocol test generators', () => {
  it('reach every message type, with and without snapshot and context', () => {
    const samples = fc.sample(message, { numRuns: 600, seed: 1 });
    const types = new Set<MessageType>(samples.map((m) => m.type));
    assert.equal(types.size, MESSAGE_TYPES.length);
    assert.ok(samples.some((m) => m.snapshot !== undefined) && samples.some((m) => m.snapshot === undefined));
    assert.ok(samples.some((m) => m.context !== undefined) && samples.some((m) => m.context === undefined));
    assert.ok(
      samples.some((m) => m.term > 2 ** 32),
      'numbers beyond 32 bits',
    );
  });

  it('reach every command, nested txns and both kinds of value', () => {
    const samples = fc.sample(command, { numRuns: 800, seed: 2 });
    assert.equal(new Set(samples.map((c) => c.op)).size, 8);
    const nestedTxn = samples.some(
      (c) => c.op === 'txn' && [...c.request.success, ...c.request.failure].some((op) => 'txn' in op),
    );
    assert.ok(nestedTxn, 'a txn inside a txn');
    const values = fc.sample(value, { numRuns: 200, seed: 3 });
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const isText = (v: Uint8Array): boolean => {
      try {
        utf8.decode(v);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(values.some(isText) && values.some((v) => !isText(v)), 'text and binary values');
  });
});
