// Builders and fast-check arbitraries for flag tests (no tests of its own; named *.test.ts so that
// it stays out of the core build): documents as JSON, so that every test goes through the same
// validation a stored document does, and contexts whose attributes often meet the clauses' values,
// so that rules match as well as miss.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isVaneError } from '../errors.ts';
import { BUCKET_COUNT } from './bucket.ts';
import { decodeFlagDocument, decodeSegmentDocument } from './parse.ts';
import type { EvaluationContext, FlagDocument, SegmentDocument } from './types.ts';

type Json = Record<string, unknown>;

/** A boolean flag, on, serving 'off' by default; `fields` replace top-level fields. */
export function flagJson(fields: Json = {}): Json {
  return {
    key: 'new-checkout',
    salt: 'k3y',
    on: true,
    variations: [
      { id: 'on', value: true },
      { id: 'off', value: false },
    ],
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    ...fields,
  };
}

export function flag(fields: Json = {}): FlagDocument {
  const parsed = decodeFlagDocument(flagJson(fields));
  if (isVaneError(parsed)) assert.fail(parsed.message);
  return parsed;
}

export function segment(json: Json): SegmentDocument {
  const parsed = decodeSegmentDocument(json);
  if (isVaneError(parsed)) assert.fail(parsed.message);
  return parsed;
}

/** A rule serving `variation` when every clause matches. */
export function rule(clauses: Json[], variation = 'on', fields: Json = {}): Json {
  return { clauses, serve: { variation }, ...fields };
}

/** An on/off rollout with `onWeight` 100000ths on, listed first. */
export function onOffRollout(onWeight: number, bucketBy?: string): Json {
  return {
    rollout: {
      variations: [
        { variation: 'on', weight: onWeight },
        { variation: 'off', weight: BUCKET_COUNT - onWeight },
      ],
      ...(bucketBy === undefined ? {} : { bucketBy }),
    },
  };
}

// ---- arbitraries ----

const COUNTRIES = ['US', 'FR', 'DE', 'JP'];
const PLANS = ['free', 'pro', 'enterprise'];
const VERSIONS = ['1.0.0', '1.2.0-beta.1', '1.2.0', '2.0.0', '2.0.0-rc.1'];
const SEGMENT_KEYS = ['beta-testers', 'staff'];
export const CONTEXT_KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.constant(null),
  fc
    .dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), {
      maxKeys: 3,
    })
    .map((entries) => ({ ...entries })),
);

const clause: fc.Arbitrary<Json> = fc
  .oneof(
    fc.record({
      attribute: fc.constant('country'),
      op: fc.constant('equals'),
      values: fc.constantFrom(...COUNTRIES).map((c) => [c]),
    }),
    fc.record({
      attribute: fc.constant('country'),
      op: fc.constant('notEquals'),
      values: fc.constantFrom(...COUNTRIES).map((c) => [c]),
    }),
    fc.record({
      attribute: fc.constant('plan'),
      op: fc.constant('in'),
      values: fc.subarray(PLANS, { minLength: 1 }),
    }),
    fc.record({
      attribute: fc.constant('groups'),
      op: fc.constant('in'),
      values: fc.subarray(['a', 'b', 'c'], { minLength: 1 }),
    }),
    fc.record({
      attribute: fc.constant('email'),
      op: fc.constantFrom('startsWith', 'endsWith', 'contains'),
      values: fc.subarray(['a', 'b', '@example.com', 'x'], { minLength: 1 }),
    }),
    fc.record({
      attribute: fc.constant('age'),
      op: fc.constantFrom('lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'),
      values: fc.integer({ min: 0, max: 100 }).map((n) => [n]),
    }),
    fc.record({
      attribute: fc.constant('version'),
      op: fc.constant('semVerEqual'),
      values: fc.subarray(VERSIONS, { minLength: 1 }),
    }),
    fc.record({
      attribute: fc.constant('version'),
      op: fc.constantFrom('semVerLessThan', 'semVerGreaterThan'),
      values: fc.constantFrom(...VERSIONS).map((v) => [v]),
    }),
    fc.record({
      attribute: fc.constant('/address/city'),
      op: fc.constant('in'),
      values: fc.constant(['Paris', 'Lyon']),
    }),
    fc.record({ op: fc.constant('segmentMatch'), values: fc.subarray(SEGMENT_KEYS, { minLength: 1 }) }),
  )
  .chain((c) => fc.boolean().map((negate) => (negate ? { ...c, negate } : c)));

/** Weights over `ids` in 100000ths summing to 100%, zeros included. */
function weights(ids: readonly string[]): fc.Arbitrary<Json[]> {
  return fc
    .array(fc.integer({ min: 0, max: BUCKET_COUNT }), {
      minLength: ids.length - 1,
      maxLength: ids.length - 1,
    })
    .map((cuts) => {
      const points = [0, ...[...cuts].sort((a, b) => a - b), BUCKET_COUNT];
      return ids.map((variation, i) => ({ variation, weight: points[i + 1]! - points[i]! }));
    });
}

function serve(ids: readonly string[]): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom(...ids).map((variation) => ({ variation })),
    fc
      .tuple(
        fc.shuffledSubarray([...ids], { minLength: 1 }).chain(weights),
        fc.option(fc.constantFrom('orgId', 'plan', '/address/city'), { nil: undefined }),
      )
      .map(([variations, bucketBy]) => ({
        rollout: bucketBy === undefined ? { variations } : { variations, bucketBy },
      })),
  );
}

/** A valid flag document as JSON, with the segments its rules may name. */
export const flagCase: fc.Arbitrary<{ flag: Json; segments: Json[] }> = fc
  .integer({ min: 1, max: 4 })
  .chain((count) => {
    const ids = Array.from({ length: count }, (_, i) => `v${i}`);
    return fc.record({
      flag: fc.record({
        key: fc.constantFrom('checkout', 'dark-mode', 'search.v2'),
        salt: fc.stringMatching(/^[A-Za-z0-9_-]{0,8}$/),
        on: fc.boolean(),
        variations: fc
          .array(jsonValue, { minLength: count, maxLength: count })
          .map((values) => values.map((value, i) => ({ id: ids[i]!, value }))),
        offVariation: fc.constantFrom(...ids),
        targets: fc
          .tuple(fc.shuffledSubarray(CONTEXT_KEYS, { maxLength: 3 }), fc.constantFrom(...ids))
          .map(([keys, variation]) => (keys.length === 0 ? [] : [{ variation, keys }])),
        rules: fc.array(
          fc.record({ clauses: fc.array(clause, { minLength: 1, maxLength: 3 }), serve: serve(ids) }),
          { maxLength: 4 },
        ),
        fallthrough: serve(ids),
      }),
      segments: fc.constant([
        {
          key: 'beta-testers',
          included: ['bob'],
          excluded: ['carol'],
          rules: [{ clauses: [{ attribute: 'plan', op: 'in', values: ['pro'] }] }],
        },
        {
          key: 'staff',
          rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
        },
      ]),
    });
  });

export const context: fc.Arbitrary<EvaluationContext> = fc
  .record(
    {
      key: fc.oneof(fc.constantFrom(...CONTEXT_KEYS, ''), fc.string({ maxLength: 12 })),
      country: fc.constantFrom(...COUNTRIES),
      plan: fc.constantFrom(...PLANS),
      groups: fc.subarray(['a', 'b', 'c']),
      email: fc.constantFrom('a@example.com', 'bob@elsewhere.org', 'x'),
      age: fc.integer({ min: 0, max: 100 }),
      version: fc.constantFrom(...VERSIONS, 'not-a-version'),
      address: fc.record({ city: fc.constantFrom('Paris', 'Lyon', 'Oslo') }),
      orgId: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(1.5)),
    },
    { requiredKeys: ['key'] },
  )
  .map((c) => ({ ...c }));
