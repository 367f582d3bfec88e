import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyValues, readBody, readServerMessage, UnreadableMessage } from './wire.ts';

const KV = { key: 'a', value: 'one', createRevision: 2, modRevision: 5, version: 3, lease: 0 };

/** A value of the wrong kind for each field of a key-value. */
const BAD_FIELDS: readonly [keyof typeof KV | 'valueEncoding', unknown, RegExp][] = [
  ['key', 7, /kvs\[1\]\.key is not a string/],
  ['value', null, /kvs\[1\]\.value is not a string/],
  ['createRevision', -1, /kvs\[1\]\.createRevision is not a revision/],
  ['modRevision', 1.5, /kvs\[1\]\.modRevision is not a revision/],
  ['version', '3', /kvs\[1\]\.version is not a revision/],
  ['lease', 2 ** 53, /kvs\[1\]\.lease is not a revision/],
  ['valueEncoding', 'hex', /kvs\[1\]\.valueEncoding is not 'base64'/],
];

function readKvs(kvs: unknown): unknown {
  return readBody({ kvs }, (json) => keyValues(json.kvs, 'kvs'));
}

describe('reading key-values from the server', () => {
  it('takes well-formed ones as they are, base64 ones marked, and drops fields it does not know', () => {
    const base64 = { ...KV, key: 'b', value: 'AAE=', valueEncoding: 'base64' };
    assert.deepStrictEqual(readKvs([{ ...KV, extra: true }, base64]), [KV, base64]);
  });

  it('refuses one with any field of the wrong kind, naming the field and its place in the list', () => {
    for (const [field, bad, message] of BAD_FIELDS) {
      const result = readKvs([KV, { ...KV, [field]: bad }]);
      assert.ok(result instanceof UnreadableMessage, field);
      assert.match(result.message, message);
    }
    for (const missing of Object.keys(KV)) {
      const { [missing as keyof typeof KV]: _, ...rest } = KV;
      const result = readKvs([KV, rest]);
      assert.ok(result instanceof UnreadableMessage, missing);
      assert.match(result.message, new RegExp(`kvs\\[1\\]\\.${missing} is not`));
    }
    assert.match(String(readKvs([KV, 'a string'])), /kvs\[1\] is not an object/);
    assert.match(String(readKvs({})), /kvs is not an array/);
  });

  it("refuses a watch event's key-value the same way, naming the event", () => {
    const message = readServerMessage(
      JSON.stringify({
        v: 1,
        type: 'watchResponse',
        watchId: 1,
        header: { revision: 5, member: 'm1', raftTerm: 2 },
        events: [
          { type: 'put', kv: KV },
          { type: 'put', kv: { ...KV, version: -2 } },
        ],
      }),
    );
    assert.ok(message instanceof UnreadableMessage);
    assert.match(message.message, /events\[1\]\.kv\.version is not a revision/);
  });
});

describe("reading a progress answer's freshness", () => {
  const progress = (fields: Record<string, unknown>) =>
    readServerMessage(
      JSON.stringify({
        v: 1,
        type: 'watchResponse',
        watchId: -1,
        header: { revision: 5, member: 'm1', raftTerm: 2 },
        events: [],
        ...fields,
      }),
    );

  it("keeps a member's stale freshness with its reason, and an edge's apart from it", () => {
    const member = progress({ freshness: { stale: true, ageMs: 1800, reason: 'no leader' } });
    assert.ok(!(member instanceof UnreadableMessage) && member.type === 'watchResponse');
    assert.deepStrictEqual(member.freshness, { stale: true, ageMs: 1800, reason: 'no leader' });
    assert.equal(member.edge, undefined);
    const edge = progress({ edge: { stale: true, ageMs: 40 } });
    assert.ok(!(edge instanceof UnreadableMessage) && edge.type === 'watchResponse');
    assert.deepStrictEqual([edge.edge, edge.freshness], [{ stale: true, ageMs: 40 }, undefined]);
    const healthy = progress({});
    assert.ok(!(healthy instanceof UnreadableMessage) && healthy.type === 'watchResponse');
    assert.equal('freshness' in healthy, false);
  });

  it('gives a missing reason words, and cuts a long one to 200 characters', () => {
    const silent = progress({ freshness: { stale: true, ageMs: 0 } });
    assert.ok(!(silent instanceof UnreadableMessage) && silent.type === 'watchResponse');
    assert.equal(silent.freshness?.reason, 'no reason given');
    const long = progress({ freshness: { stale: true, ageMs: 0, reason: 'x'.repeat(1000) } });
    assert.ok(!(long instanceof UnreadableMessage) && long.type === 'watchResponse');
    assert.equal(long.freshness?.reason.length, 200);
  });

  it('refuses a freshness of the wrong shape, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      ['stale', /freshness is not an object/],
      [{ stale: 'yes', ageMs: 1 }, /freshness\.stale is not a boolean/],
      [{ stale: true, ageMs: -1 }, /freshness\.ageMs is not a duration/],
      [{ stale: true, ageMs: 1, reason: 7 }, /freshness\.reason is not a string/],
    ];
    for (const [freshness, message] of cases) {
      const read = progress({ freshness });
      assert.ok(read instanceof UnreadableMessage, JSON.stringify(freshness));
      assert.match(read.message, message);
    }
    assert.match(String(progress({ edge: { stale: true } })), /edge\.ageMs is not a duration/);
  });
});
