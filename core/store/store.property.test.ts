// fast-check properties: the store answers every command and every read (at the current and at past
// revisions) exactly as the plain reference model does, over random sequences of puts, deletes, txns
// (nested), compactions, lease commands and retried request ids; and restore(snapshot(s)) = s.
// On failure fast-check prints the seed and path; rerun with fc.assert(..., { seed, path }).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVaneError } from '../errors.ts';
import { prefixEnd } from './keys.ts';
import { KvStore } from './store.ts';
import { ReferenceModel } from './testing/reference-model.ts';
import type {
  Command,
  CommandEnvelope,
  Compare,
  CompareResult,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from './types.ts';

// Keys chosen to exercise byte order: a prefix and its extensions, NUL, a BMP char above the
// surrogates (U+E000) and an astral one (U+10000), which UTF-16 order would put the other way round.
const KEYS = ['a', 'ab', 'a\u0000', 'b', 'c', 'é', '\uE000', '\u{10000}', 'z'];
const VALUES = [new Uint8Array([]), new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([1, 2])];
const LEASE_IDS = [1, 2, 3, 7];
const REQUEST_IDS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
const DEDUP_WINDOW = 3;

const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);

interface Selector {
  readonly key: string;
  readonly rangeEnd?: string;
}

const selector: fc.Arbitrary<Selector> = fc.oneof(
  key.map((k) => ({ key: k })),
  fc.tuple(key, key).map(([k, end]) => ({ key: k, rangeEnd: end })),
  key.map((k) => ({ key: k, rangeEnd: '\0' })),
  key.map((k) => ({ key: k, rangeEnd: prefixEnd(k) })),
);

/** A revision as a fraction of the current one, resolved when the step runs (so it can be past, current or future). */
const revisionFraction = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 130 }).map((percent) => percent / 100),
);

type Step =
  | { readonly kind: 'command'; readonly requestId?: string; readonly build: (rev: number) => Command }
  | { readonly kind: 'read'; readonly build: (rev: number) => RangeRequest };

function atRevision(fraction: number, rev: number): number {
  return fraction === 0 ? 0 : Math.floor(fraction * (rev + 1));
}

const rangeRequest = fc
  .record({
    selector,
    fraction: revisionFraction,
    limit: fc.constantFrom(0, 0, 1, 2),
    countOnly: fc.boolean(),
    keysOnly: fc.boolean(),
  })
  .map(
    ({ selector: s, fraction, limit, countOnly, keysOnly }) =>
      (rev: number): RangeRequest => ({
        ...s,
        revision: atRevision(fraction, rev),
        limit,
        countOnly,
        keysOnly,
      }),
  );

const putRequest = fc
  .record({
    key,
    value,
    lease: fc.oneof(
      { arbitrary: fc.constant(0), weight: 5 },
      { arbitrary: fc.constantFrom(...LEASE_IDS), weight: 3 },
    ),
    prevKv: fc.boolean(),
    keep: fc.oneof(
      { arbitrary: fc.constant('none'), weight: 8 },
      { arbitrary: fc.constantFrom('value', 'lease'), weight: 1 },
    ),
  })
  .map(({ key: k, value: v, lease, prevKv, keep }) =>
    keep === 'value'
      ? { key: k, value: VALUES[0]!, lease, prevKv, ignoreValue: true }
      : keep === 'lease'
        ? { key: k, value: v, prevKv, ignoreLease: true }
        : { key: k, value: v, lease, prevKv },
  );

const compare: fc.Arbitrary<Compare> = fc.oneof(
  fc
    .record({
      sel: selector,
      result: fc.constantFrom<CompareResult>('equal', 'notEqual', 'less', 'greater'),
      value,
    })
    .map(({ sel, result, value: v }) => ({ ...sel, target: 'value' as const, result, value: v })),
  fc
    .record({
      sel: selector,
      target: fc.constantFrom(
        'version' as const,
        'createRevision' as const,
        'modRevision' as const,
        'lease' as const,
      ),
      result: fc.constantFrom<CompareResult>('equal', 'notEqual', 'less', 'greater'),
      value: fc.integer({ min: 0, max: 6 }),
    })
    .map(({ sel, target, result, value: v }) => ({ ...sel, target, result, value: v })),
);

type OpBuilder = (rev: number) => RequestOp;

const { txn: txnBuilder } = fc.letrec<{ txn: (rev: number) => TxnRequest; op: OpBuilder }>((tie) => ({
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rangeRequest.map(
      (build) =>
        (rev: number): RequestOp => ({ range: build(rev) }),
    ),
    putRequest.map((put) => (): RequestOp => ({ put })),
    fc.record({ sel: selector, prevKv: fc.boolean() }).map(
      ({ sel, prevKv }) =>
        (): RequestOp => ({ deleteRange: { ...sel, prevKv } }),
    ),
    tie('txn').map(
      (build) =>
        (rev: number): RequestOp => ({ txn: (build as (r: number) => TxnRequest)(rev) }),
    ),
  ) as fc.Arbitrary<OpBuilder>,
  txn: fc
    .record({
      compare: fc.array(compare, { maxLength: 3 }),
      success: fc.array(tie('op') as fc.Arbitrary<OpBuilder>, { maxLength: 4 }),
      failure: fc.array(tie('op') as fc.Arbitrary<OpBuilder>, { maxLength: 3 }),
    })
    .map(
      ({ compare: c, success, failure }) =>
        (rev: number): TxnRequest => ({
          compare: c,
          success: success.map((b) => b(rev)),
          failure: failure.map((b) => b(rev)),
        }),
    ),
}));

const requestId = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 5 },
  { arbitrary: fc.constantFrom(...REQUEST_IDS), weight: 1 },
);

function commandStep(build: fc.Arbitrary<(rev: number) => Command>): fc.Arbitrary<Step> {
  return fc
    .tuple(build, requestId)
    .map(([b, id]) =>
      id === undefined ? { kind: 'command', build: b } : { kind: 'command', requestId: id, build: b },
    );
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: commandStep(putRequest.map((request) => (): Command => ({ op: 'put', request }))), weight: 6 },
  {
    arbitrary: commandStep(
      fc.record({ sel: selector, prevKv: fc.boolean() }).map(
        ({ sel, prevKv }) =>
          (): Command => ({ op: 'deleteRange', request: { ...sel, prevKv } }),
      ),
    ),
    weight: 2,
  },
  {
    arbitrary: commandStep(
      txnBuilder.map(
        (build) =>
          (rev: number): Command => ({ op: 'txn', request: build(rev) }),
      ),
    ),
    weight: 4,
  },
  {
    arbitrary: commandStep(
      fc.integer({ min: 0, max: 110 }).map(
        (percent) =>
          (rev: number): Command => ({
            op: 'compact',
            request: { revision: Math.floor((percent / 100) * (rev + 1)) },
          }),
      ),
    ),
    weight: 1,
  },
  {
    arbitrary: commandStep(
      fc.record({ ttl: fc.constantFrom(0, 1, 5, 60), id: fc.constantFrom(0, 0, 1, 2, 3) }).map(
        ({ ttl, id }) =>
          (): Command => ({ op: 'leaseGrant', request: { ttl, id } }),
      ),
    ),
    weight: 2,
  },
  {
    arbitrary: commandStep(
      fc
        .record({
          id: fc.constantFrom(1, 2, 3, 4),
          renewIndex: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        })
        .map(
          ({ id, renewIndex }) =>
            (): Command => ({
              op: 'leaseRevoke',
              request: renewIndex === undefined ? { id } : { id, renewIndex },
            }),
        ),
    ),
    weight: 1,
  },
  {
    arbitrary: commandStep(
      fc.constantFrom(1, 2, 3, 4).map((id) => (): Command => ({ op: 'leaseKeepAlive', request: { id } })),
    ),
    weight: 1,
  },
  { arbitrary: rangeRequest.map((build): Step => ({ kind: 'read', build })), weight: 3 },
);

function envelope(s: Extract<Step, { kind: 'command' }>, rev: number): CommandEnvelope {
  const command = s.build(rev);
  return s.requestId === undefined ? { command } : { requestId: s.requestId, command };
}

/** The store's answer in the model's terms: errors by code only. */
function comparable(value: unknown): unknown {
  return isVaneError(value) ? { code: value.code } : value;
}

function run(steps: readonly Step[]): { store: KvStore; model: ReferenceModel; index: number } {
  const store = new KvStore({ dedupWindow: DEDUP_WINDOW });
  const model = new ReferenceModel(DEDUP_WINDOW);
  let index = 0;
  steps.forEach((s, i) => {
    if (s.kind === 'read') {
      const req = s.build(model.revision);
      assert.deepStrictEqual(
        comparable(store.range(req)),
        model.range(req),
        `read #${i} ${JSON.stringify(req)}`,
      );
      return;
    }
    index++;
    const env = envelope(s, model.revision);
    const expected = model.apply(index, env);
    const actual = store.apply(index, env);
    assert.deepStrictEqual(comparable(actual), expected, `step #${i} ${JSON.stringify(env)}`);
    assert.equal(store.revision, model.revision, `revision after step #${i}`);
    assert.equal(store.compactRevision, model.compactRevision, `compact revision after step #${i}`);
  });
  return { store, model, index };
}

/** Every selector, at every readable revision, reads the same from the store and the model. */
function assertHistoryMatches(store: KvStore, model: ReferenceModel): void {
  const selectors: RangeRequest[] = [
    { key: '\0', rangeEnd: '\0' },
    ...KEYS.map((k) => ({ key: k })),
    ...KEYS.map((k) => ({ key: k, rangeEnd: prefixEnd(k) })),
  ];
  for (let rev = Math.max(model.compactRevision, 1); rev <= model.revision; rev++) {
    for (const sel of selectors) {
      const req = { ...sel, revision: rev };
      assert.deepStrictEqual(
        comparable(store.range(req)),
        model.range(req),
        `history read ${JSON.stringify(req)}`,
      );
    }
  }
}

describe('KvStore against the reference model', () => {
  it('answers every command and read as the model does, current and past revisions included', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'medium' }), (steps) => {
        const { store, model } = run(steps);
        assertHistoryMatches(store, model);
      }),
      { numRuns: 200 },
    );
  });

  it('restore(snapshot(s)) has the same state, hash and behaviour as s', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 50, size: 'medium' }),
        fc.array(step, { maxLength: 10 }),
        (before, after) => {
          const { store, model, index } = run(before);
          const bytes = store.snapshot();
          const restored = KvStore.restore(bytes, { dedupWindow: DEDUP_WINDOW });
          assert.ok(restored instanceof KvStore, 'restore succeeded');
          assert.deepStrictEqual(restored.snapshot(), bytes, 'a restored store snapshots to the same bytes');
          assert.equal(restored.hash(), store.hash());
          assert.equal(restored.appliedIndex, store.appliedIndex);
          assert.equal(restored.sizeBytes, store.sizeBytes);
          assertHistoryMatches(restored, model);
          // Both go on identically, retries of remembered request ids included.
          let i = index;
          for (const s of after) {
            if (s.kind === 'read') continue;
            i++;
            const env = envelope(s, store.revision);
            assert.deepStrictEqual(comparable(restored.apply(i, env)), comparable(store.apply(i, env)));
          }
          assert.equal(restored.hash(), store.hash());
          assert.deepStrictEqual(restored.snapshot(), store.snapshot());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('members applying the same commands reach byte-identical state', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const a = run(steps).store;
        const b = run(steps).store;
        assert.deepStrictEqual(a.snapshot(), b.snapshot());
        assert.equal(a.hash(), b.hash());
      }),
      { numRuns: 30 },
    );
  });
});
