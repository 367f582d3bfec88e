import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KeyValue, WatchEvent, WatchResponse } from '../store/types.ts';
import { safeNat, text, watchResponse } from './arbitraries.test.ts';
import type { ResponseMeta } from './kv-codec.ts';
import type { ValueEncoding } from './text.ts';
import { encodeWatchResponse } from './watch-codec.ts';
import { WatchResponseEncoder } from './watch-response-text.ts';

const meta = fc.record({ member: text(1, 8), raftTerm: safeNat }, { noNullPrototype: true });
const encoding = fc.constantFrom<ValueEncoding>('utf8', 'base64');
const watchId = fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER });

/** The text the session sent before responses were encoded once per fan-out. */
function reference(response: WatchResponse, m: ResponseMeta, enc: ValueEncoding, id: number): string {
  return JSON.stringify(encodeWatchResponse({ ...response, watchId: id }, m, enc));
}

const kv = (key: string, value: Uint8Array, modRevision: number): KeyValue => ({
  key,
  value,
  createRevision: 2,
  modRevision,
  version: 1,
  lease: 0,
});

describe('WatchResponseEncoder', () => {
  it('writes the same bytes as JSON.stringify(encodeWatchResponse(...)) for any response', () => {
    const encoder = new WatchResponseEncoder();
    fc.assert(
      fc.property(watchResponse, meta, encoding, watchId, (response, m, enc, id) => {
        assert.equal(encoder.encode(response, m, enc, id), reference(response, m, enc, id));
        assert.equal(encoder.encode(response, m, enc), reference(response, m, enc, response.watchId));
      }),
    );
  });

  it('reuses one fan-out’s events across watchers, encodings and headers without mixing them up', () => {
    // One events list handed to many watchers, as the hub does, encoded in turn for each of them: ids,
    // encodings, revisions and terms interleave, so a cache keyed on too little would show here.
    fc.assert(
      fc.property(
        fc.array(watchResponse, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(3), meta, encoding, watchId, fc.nat(3)), { minLength: 1, maxLength: 24 }),
        (shared, deliveries) => {
          const encoder = new WatchResponseEncoder();
          for (const [which, m, enc, id, revisionStep] of deliveries) {
            const base = shared[which % shared.length]!;
            const response = { ...base, revision: Math.max(0, base.revision - revisionStep) };
            assert.equal(encoder.encode(response, m, enc, id), reference(response, m, enc, id));
          }
        },
      ),
    );
  });

  it('encodes a value that is not UTF-8 as base64 even for a utf8 watcher, and text as asked', () => {
    const encoder = new WatchResponseEncoder();
    const events: WatchEvent[] = [
      { type: 'put', kv: kv('k/text', new TextEncoder().encode('héllo'), 5) },
      { type: 'put', kv: kv('k/bytes', new Uint8Array([0xff, 0x00]), 5) },
    ];
    const response: WatchResponse = { watchId: 0, revision: 5, events };
    const m = { member: 'm1', raftTerm: 3 };
    const utf8 = JSON.parse(encoder.encode(response, m, 'utf8', 4)) as {
      watchId: number;
      events: { kv: { value: string; valueEncoding?: string } }[];
    };
    const base64 = JSON.parse(encoder.encode(response, m, 'base64', 5)) as typeof utf8;
    assert.deepEqual(
      [utf8.watchId, ...utf8.events.map((e) => [e.kv.value, e.kv.valueEncoding])],
      [4, ['héllo', undefined], ['/wA=', 'base64']],
    );
    assert.deepEqual(
      [base64.watchId, ...base64.events.map((e) => [e.kv.value, e.kv.valueEncoding])],
      [5, ['aMOpbGxv', 'base64'], ['/wA=', 'base64']],
    );
  });

  it('refuses numbers JSON would write differently (a bug upstream), rather than sending them', () => {
    const encoder = new WatchResponseEncoder();
    const m = { member: 'm1', raftTerm: 1 };
    assert.throws(
      () => encoder.encode({ watchId: 1, revision: Number.NaN, events: [] }, m, 'utf8'),
      /NaN is not a non-negative safe integer/,
    );
    assert.throws(
      () => encoder.encode({ watchId: 1, revision: 1, events: [] }, m, 'utf8', 1.5),
      /watch id 1.5 is not a safe integer/,
    );
  });
});
