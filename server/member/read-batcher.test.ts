import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VaneError } from '../../core/errors.ts';
import type { RaftError } from '../../core/raft/types.ts';
import { ReadBatcher } from './read-batcher.ts';

const text = new TextDecoder();

function batcher(refuse?: () => RaftError | undefined) {
  const rounds: string[] = [];
  const b = new ReadBatcher({
    issue: (context) => {
      const error = refuse?.();
      if (!error) rounds.push(text.decode(context));
      return error;
    },
    retryMs: 100,
  });
  return { b, rounds };
}

const encode = (s: string) => new TextEncoder().encode(s);

describe('linearizable reads share ReadIndex rounds', () => {
  it('reads arriving while a round is out share the next one: many reads, two rounds', async () => {
    const { b, rounds } = batcher();
    const first = b.request(0, 1000);
    const waiting = Array.from({ length: 50 }, () => b.request(1, 1000));
    assert.equal(rounds.length, 1, 'one round for the first read');
    b.onReadState({ index: 5, context: encode(rounds[0]!) }, 5, 2);
    assert.equal(await first, 5);
    assert.equal(rounds.length, 2, 'the 50 waiting reads share the second round');
    b.onReadState({ index: 8, context: encode(rounds[1]!) }, 6, 3);
    b.onApplied(8);
    assert.deepEqual(new Set(await Promise.all(waiting)), new Set([8]));
  });

  it('answers only once the member has applied up to the read index', async () => {
    const { b, rounds } = batcher();
    let answered = false;
    const read = b.request(0, 1000).then((r) => {
      answered = true;
      return r;
    });
    b.onReadState({ index: 10, context: encode(rounds[0]!) }, 7, 1);
    b.onApplied(9);
    await Promise.resolve();
    assert.equal(answered, false);
    b.onApplied(10);
    assert.equal(await read, 10);
  });

  it('issues a lost round again, ignores answers to old rounds, and times reads out', async () => {
    const { b, rounds } = batcher();
    const read = b.request(0, 250);
    b.tick(150);
    assert.equal(rounds.length, 2, 'round re-issued after retryMs');
    b.onReadState({ index: 3, context: encode(rounds[0]!) }, 3, 160);
    b.tick(300);
    const result = (await read) as VaneError;
    assert.equal(result.code, 'timeout');
  });

  it('keeps reads queued while there is no leader, issuing once one is there', async () => {
    let leader = false;
    const { b, rounds } = batcher(() => (leader ? undefined : { code: 'noLeader', message: 'no leader' }));
    const read = b.request(0, 1000);
    b.tick(10);
    assert.equal(rounds.length, 0);
    leader = true;
    b.tick(20);
    assert.equal(rounds.length, 1);
    b.onReadState({ index: 2, context: encode(rounds[0]!) }, 2, 30);
    assert.equal(await read, 2);
  });
});
