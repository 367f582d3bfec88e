// A prefix's state at the edge: exact after the cluster's events, with the previous versions a
// browser asks for, reads shaped like the server's, and a history that answers resumes or says
// where they must restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue, WatchEvent } from '../../core/store/index.ts';
import { PrefixState } from './prefix-state.ts';

const text = new TextEncoder();
const read = new TextDecoder();

function kv(
  key: string,
  value: string,
  modRevision: number,
  createRevision = modRevision,
  version = 1,
): KeyValue {
  return { key, value: text.encode(value), createRevision, modRevision, version, lease: 0 };
}

function put(
  key: string,
  value: string,
  revision: number,
  createRevision = revision,
  version = 1,
): WatchEvent {
  return { type: 'put', kv: kv(key, value, revision, createRevision, version) };
}

function del(key: string, revision: number): WatchEvent {
  return { type: 'delete', kv: kv(key, '', revision, 0, 0) };
}

function state(history = { maxChangeSets: 100, maxBytes: 1 << 20 }): PrefixState {
  return new PrefixState('app/', 10, [kv('app/a', 'A', 5), kv('app/c', 'C', 7)], history);
}

const values = (s: PrefixState, key: string, rangeEnd?: string) => {
  const result = s.range(rangeEnd === undefined ? { key } : { key, rangeEnd });
  assert.ok(!('code' in result));
  return result.kvs.map((x) => `${x.key}=${read.decode(x.value)}`);
};

describe('PrefixState', () => {
  it('applies puts and deletes and records each with the previous version', () => {
    const s = state();
    const { changeSet } = s.apply(11, [put('app/a', 'A2', 11, 5, 2), put('app/b', 'B', 11)]);
    assert.equal(s.revision, 11);
    assert.equal(read.decode(changeSet.events[0]!.prevKv!.value), 'A');
    assert.equal(changeSet.events[1]!.prevKv, undefined);
    s.apply(12, [del('app/c', 12)]);
    assert.deepEqual(values(s, 'app/', 'app0'), ['app/a=A2', 'app/b=B']);
    const deletion = s.history.since(12);
    assert.ok(Array.isArray(deletion));
    assert.equal(read.decode((deletion as { events: WatchEvent[] }[])[0]!.events[0]!.prevKv!.value), 'C');
  });

  it('answers ranges in UTF-8 byte order with limit, count, more, keysOnly and countOnly', () => {
    const s = state();
    s.apply(11, [
      put('app/\u{1F600}', 'emoji', 11),
      put('app/\uFFFD', 'replacement', 11),
      put('app/b', 'B', 11),
    ]);
    assert.deepEqual(values(s, 'app/', 'app0'), [
      'app/a=A',
      'app/b=B',
      'app/c=C',
      'app/\uFFFD=replacement',
      'app/\u{1F600}=emoji',
    ]);
    const limited = s.range({ key: 'app/', rangeEnd: 'app0', limit: 2 });
    assert.ok(!('code' in limited));
    assert.deepEqual([limited.kvs.length, limited.count, limited.more, limited.revision], [2, 5, true, 11]);
    const keysOnly = s.range({ key: 'app/a', keysOnly: true });
    assert.ok(!('code' in keysOnly));
    assert.equal(keysOnly.kvs[0]!.value.length, 0);
    const countOnly = s.range({ key: 'app/', rangeEnd: 'app0', countOnly: true });
    assert.ok(!('code' in countOnly));
    assert.deepEqual([countOnly.kvs.length, countOnly.count], [0, 5]);
    assert.deepEqual(values(s, 'app/missing'), []);
  });

  it('serves the current revision only: a past one is the cluster’s, a future one says to wait', () => {
    const s = state();
    assert.deepEqual(values(s, 'app/a'), ['app/a=A']);
    const past = s.range({ key: 'app/a', revision: 3 });
    assert.equal('code' in past && past.code, 'invalidRequest');
    const future = s.range({ key: 'app/a', revision: 99 });
    assert.equal('code' in future && future.code, 'futureRevision');
    assert.ok(!('code' in s.range({ key: 'app/a', revision: 10 })));
  });

  it('refuses to go back in revision and stops on events outside its prefix', () => {
    const s = state();
    assert.throws(() => s.apply(10, [put('app/a', 'x', 10)]), /not after 10/);
    assert.throws(() => s.apply(11, [put('other/a', 'x', 11)]), /outside prefix/);
  });

  it('keeps a bounded history: resumes inside it get every change, older ones a compaction', () => {
    const s = state({ maxChangeSets: 3, maxBytes: 1 << 20 });
    for (let r = 11; r <= 16; r++) s.apply(r, [put('app/a', `v${r}`, r, 5, r)]);
    assert.equal(s.history.size, 3);
    const since = s.history.since(14);
    assert.ok(Array.isArray(since));
    assert.deepEqual(
      (since as { revision: number }[]).map((c) => c.revision),
      [14, 15, 16],
    );
    assert.deepEqual(s.history.since(13), { compactRevision: 14 });
    assert.deepEqual(s.history.since(17), []);
  });

  it('drops the oldest change sets past the byte limit but always keeps the newest', () => {
    const s = state({ maxChangeSets: 100, maxBytes: 400 });
    s.apply(11, [put('app/a', 'x'.repeat(100), 11)]);
    s.apply(12, [put('app/b', 'y'.repeat(1000), 12)]);
    assert.equal(s.history.size, 1);
    assert.deepEqual(s.history.since(11), { compactRevision: 12 });
  });

  it('restarts its history at a re-list, so older resumes re-list too', () => {
    const s = state();
    s.apply(11, [put('app/a', 'A2', 11, 5, 2)]);
    s.rebase(40, [kv('app/z', 'Z', 39)]);
    assert.deepEqual(values(s, 'app/', 'app0'), ['app/z=Z']);
    assert.deepEqual(s.history.since(12), { compactRevision: 41 });
    assert.equal(s.revision, 40);
  });
});
