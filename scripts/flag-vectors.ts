// Writes core/flags/vectors.json, the published flag test vectors (format in core/flags/VECTORS.md).
// Every bucket is computed twice, by core/flags and by node:crypto's SHA-256 with the documented
// formula, and the script stops if they differ; evaluation outcomes come from core/flags and are
// pinned from then on by core/flags/vectors.test.ts, test/deno/flag-vectors_test.ts and the browser.
// The output is deterministic (a fixed seed), so rerunning it changes nothing unless the code did.
// Usage: npx tsx scripts/flag-vectors.ts
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { isVaneError } from '../core/errors.ts';
import {
  BUCKET_COUNT,
  type BucketVector,
  bucketOf,
  checkVectors,
  decodeFlagDocument,
  decodeSegmentDocument,
  type EvaluationContext,
  type EvaluationVector,
  evaluateFlag,
  type FlagVectors,
  hashPrefixOf,
  type SegmentDocument,
  VECTORS_FORMAT,
  vectorOutcome,
} from '../core/flags/index.ts';
import { createRandom } from '../core/random.ts';

const OUTPUT = 'core/flags/vectors.json';
const SEED = 20_250_601;

function referenceBucket(
  flagKey: string,
  salt: string,
  contextKey: string,
): { hashPrefix: string; bucket: number } {
  const digest = createHash('sha256').update(`${flagKey}.${salt}.${contextKey}`, 'utf8').digest();
  return {
    hashPrefix: digest.subarray(0, 4).toString('hex'),
    bucket: Math.floor((digest.readUInt32BE(0) * BUCKET_COUNT) / 2 ** 32),
  };
}

function bucketVector(flagKey: string, salt: string, contextKey: string): BucketVector {
  const reference = referenceBucket(flagKey, salt, contextKey);
  const ours = {
    hashPrefix: hashPrefixOf(flagKey, salt, contextKey),
    bucket: bucketOf(flagKey, salt, contextKey),
  };
  if (ours.hashPrefix !== reference.hashPrefix || ours.bucket !== reference.bucket) {
    throw new Error(
      `core/flags disagrees with node:crypto on ${JSON.stringify([flagKey, salt, contextKey])}`,
    );
  }
  return { flagKey, salt, contextKey, ...reference };
}

function bucketVectors(): BucketVector[] {
  const vectors: BucketVector[] = [];
  // Keys people use, and the edges of encoding and padding.
  const handPicked = [
    '',
    'a',
    'alice',
    'bob@example.com',
    '0',
    '1',
    '-1',
    '42',
    '9007199254740993',
    'user-00000000-0000-4000-8000-000000000000',
    'é',
    'Straße',
    '用户-42',
    '😀',
    'a\u0301',
    'tab\there',
    '\u0000',
    '\ud800',
    '"quoted"',
    'with.dots.in.it',
  ];
  for (const key of handPicked) vectors.push(bucketVector('checkout', '', key));
  for (const key of handPicked.slice(0, 8)) vectors.push(bucketVector('search.v2', 'Zx-9_q', key));
  // Inputs of 55, 56, 63, 64, 119 and 120 bytes: one or two SHA-256 blocks, padding at its edges.
  for (const length of [55, 56, 63, 64, 119, 120]) {
    const prefix = 'pad.s.';
    vectors.push(bucketVector('pad', 's', 'k'.repeat(length - prefix.length)));
  }
  const random = createRandom(SEED);
  const flagKeys = ['checkout', 'dark-mode', 'search.v2', 'new_onboarding', 'Pricing-Page-2024', 'f'];
  const saltAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
  const unicode = ['é', 'ß', '用', '户', '😀', 'ñ', 'Ω', '\u00a0'];
  while (vectors.length < 240) {
    const flagKey = random.pick(flagKeys);
    const salt = Array.from(
      { length: random.int(9) },
      () => saltAlphabet[random.int(saltAlphabet.length)],
    ).join('');
    const n = random.uint32();
    const contextKey = random.pick([
      () => `user-${n}`,
      () => String(n),
      () => n.toString(16).padStart(8, '0') + random.uint32().toString(16).padStart(8, '0'),
      () => `person${n % 1000}@example.org`,
      () => `${random.pick(unicode)}${n % 100}${random.pick(unicode)}`,
    ])();
    vectors.push(bucketVector(flagKey, salt, contextKey));
  }
  return vectors;
}

// ---- evaluation scenarios ----

type Json = Record<string, unknown>;

const onOff = [
  { id: 'on', value: true },
  { id: 'off', value: false },
];

function flagDoc(fields: Json): Json {
  return {
    key: 'vectors-flag',
    salt: 'v1',
    on: true,
    variations: onOff,
    offVariation: 'off',
    fallthrough: { variation: 'off' },
    ...fields,
  };
}

function oneClause(clause: Json): Json {
  return flagDoc({ rules: [{ id: 'r', clauses: [clause], serve: { variation: 'on' } }] });
}

const halfRollout = (bucketBy?: string) => ({
  rollout: {
    variations: [
      { variation: 'on', weight: 50_000 },
      { variation: 'off', weight: 50_000 },
    ],
    ...(bucketBy === undefined ? {} : { bucketBy }),
  },
});

const betaSegment = {
  key: 'beta',
  included: ['inside'],
  excluded: ['outside'],
  rules: [{ clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] }],
};

interface Scenario {
  readonly name: string;
  readonly flag: Json;
  readonly segments?: Json[];
  readonly context: unknown;
}

function scenarios(): Scenario[] {
  const list: Scenario[] = [
    {
      name: 'off serves the off variation',
      flag: flagDoc({ on: false, offVariation: 'on' }),
      context: { key: 'alice' },
    },
    {
      name: 'individual target',
      flag: flagDoc({ targets: [{ variation: 'on', keys: ['alice'] }] }),
      context: { key: 'alice' },
    },
    { name: 'fallthrough to a fixed variation', flag: flagDoc({}), context: { key: 'alice' } },
    {
      name: 'first matching rule wins',
      flag: flagDoc({
        rules: [
          {
            id: 'fr',
            clauses: [{ attribute: 'country', op: 'equals', values: ['FR'] }],
            serve: { variation: 'off' },
          },
          {
            clauses: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }],
            serve: { variation: 'on' },
          },
        ],
      }),
      context: { key: 'alice', country: 'DE', plan: 'pro' },
    },
    {
      name: 'JSON variation values',
      flag: flagDoc({
        variations: [
          { id: 'compact', value: { rows: 50, dense: true, tags: ['a', 'b'] } },
          { id: 'roomy', value: { rows: 20, dense: false, tags: [] } },
        ],
        offVariation: 'roomy',
        fallthrough: { variation: 'compact' },
      }),
      context: { key: 'alice' },
    },
    {
      name: 'notEquals',
      flag: oneClause({ attribute: 'country', op: 'notEquals', values: ['US'] }),
      context: { key: 'k', country: 'FR' },
    },
    {
      name: 'notEquals on a missing attribute',
      flag: oneClause({ attribute: 'country', op: 'notEquals', values: ['US'] }),
      context: { key: 'k' },
    },
    {
      name: 'startsWith',
      flag: oneClause({ attribute: 'path', op: 'startsWith', values: ['/admin'] }),
      context: { key: 'k', path: '/admin/users' },
    },
    {
      name: 'endsWith',
      flag: oneClause({ attribute: 'email', op: 'endsWith', values: ['@example.com'] }),
      context: { key: 'k', email: 'a@example.com' },
    },
    {
      name: 'contains',
      flag: oneClause({ attribute: 'agent', op: 'contains', values: ['Firefox'] }),
      context: { key: 'k', agent: 'Mozilla Firefox' },
    },
    {
      name: 'lessThan',
      flag: oneClause({ attribute: 'age', op: 'lessThan', values: [18] }),
      context: { key: 'k', age: 17 },
    },
    {
      name: 'lessThanOrEqual',
      flag: oneClause({ attribute: 'age', op: 'lessThanOrEqual', values: [18] }),
      context: { key: 'k', age: 18 },
    },
    {
      name: 'greaterThan (no match)',
      flag: oneClause({ attribute: 'age', op: 'greaterThan', values: [18] }),
      context: { key: 'k', age: 18 },
    },
    {
      name: 'greaterThanOrEqual',
      flag: oneClause({ attribute: 'age', op: 'greaterThanOrEqual', values: [18] }),
      context: { key: 'k', age: 18 },
    },
    {
      name: 'numbers are not text',
      flag: oneClause({ attribute: 'age', op: 'greaterThan', values: [1] }),
      context: { key: 'k', age: '20' },
    },
    {
      name: 'semVerEqual ignores build metadata',
      flag: oneClause({ attribute: 'app', op: 'semVerEqual', values: ['2.0.0'] }),
      context: { key: 'k', app: '2.0.0+build.7' },
    },
    {
      name: 'semVerLessThan: a prerelease precedes its release',
      flag: oneClause({ attribute: 'app', op: 'semVerLessThan', values: ['2.0.0'] }),
      context: { key: 'k', app: '2.0.0-rc.1' },
    },
    {
      name: 'semVerGreaterThan compares numerically',
      flag: oneClause({ attribute: 'app', op: 'semVerGreaterThan', values: ['2.0.0'] }),
      context: { key: 'k', app: '10.0.0' },
    },
    {
      name: 'negated in',
      flag: oneClause({ attribute: 'plan', op: 'in', values: ['free'], negate: true }),
      context: { key: 'k', plan: 'pro' },
    },
    {
      name: 'negated clause on a missing attribute does not match',
      flag: oneClause({ attribute: 'plan', op: 'in', values: ['free'], negate: true }),
      context: { key: 'k' },
    },
    {
      name: 'array attribute',
      flag: oneClause({ attribute: 'groups', op: 'in', values: ['beta'] }),
      context: { key: 'k', groups: ['staff', 'beta'] },
    },
    {
      name: 'nested attribute path',
      flag: oneClause({ attribute: '/address/city', op: 'equals', values: ['Paris'] }),
      context: { key: 'k', address: { city: 'Paris' } },
    },
    {
      name: 'segment: included key',
      flag: oneClause({ op: 'segmentMatch', values: ['beta'] }),
      segments: [betaSegment],
      context: { key: 'inside' },
    },
    {
      name: 'segment: excluded key wins over a matching rule',
      flag: oneClause({ op: 'segmentMatch', values: ['beta'] }),
      segments: [betaSegment],
      context: { key: 'outside', email: 'o@example.com' },
    },
    {
      name: 'segment: matched by a rule',
      flag: oneClause({ op: 'segmentMatch', values: ['beta'] }),
      segments: [betaSegment],
      context: { key: 'someone', email: 's@example.com' },
    },
    {
      name: 'segment: negated',
      flag: oneClause({ op: 'segmentMatch', values: ['beta'], negate: true }),
      segments: [betaSegment],
      context: { key: 'someone' },
    },
    {
      name: 'segment not supplied is an error',
      flag: oneClause({ op: 'segmentMatch', values: ['beta'] }),
      context: { key: 'k' },
    },
    {
      name: 'a context without a key goes through rules',
      flag: oneClause({ attribute: 'plan', op: 'in', values: ['pro'] }),
      context: { plan: 'pro' },
    },
    {
      name: 'a rollout cannot bucket a context without a key',
      flag: flagDoc({ fallthrough: halfRollout() }),
      context: { key: '' },
    },
    {
      name: 'rollout by bucketBy integer attribute',
      flag: flagDoc({ fallthrough: halfRollout('orgId') }),
      context: { key: 'member-1', orgId: 1234 },
    },
    {
      name: 'rollout by bucketBy missing falls back to the key',
      flag: flagDoc({ fallthrough: halfRollout('orgId') }),
      context: { key: 'member-1' },
    },
    {
      name: 'rule serving a three-way rollout with a zero weight',
      flag: flagDoc({
        variations: [
          { id: 'a', value: 'A' },
          { id: 'b', value: 'B' },
          { id: 'c', value: 'C' },
        ],
        offVariation: 'a',
        fallthrough: { variation: 'a' },
        rules: [
          {
            clauses: [{ attribute: 'beta', op: 'equals', values: [true] }],
            serve: {
              rollout: {
                variations: [
                  { variation: 'a', weight: 33_333 },
                  { variation: 'b', weight: 0 },
                  { variation: 'c', weight: 66_667 },
                ],
              },
            },
          },
        ],
      }),
      context: { key: 'tester-7', beta: true },
    },
  ];
  for (const key of ['alice', 'bob', 'carol', 'dave', 'erin', '用户', '😀']) {
    list.push({
      name: `50% rollout for ${key}`,
      flag: flagDoc({ fallthrough: halfRollout() }),
      context: { key },
    });
  }
  for (const orgId of ['acme', 'globex', 'initech']) {
    list.push({
      name: `rollout by org ${orgId}`,
      flag: flagDoc({ fallthrough: halfRollout('/company/id') }),
      context: { key: 'someone', company: { id: orgId } },
    });
  }
  return list;
}

function evaluationVector(scenario: Scenario): EvaluationVector {
  const flag = decodeFlagDocument(scenario.flag);
  if (isVaneError(flag)) throw new Error(`${scenario.name}: ${flag.message}`);
  const segments = new Map<string, SegmentDocument>();
  for (const json of scenario.segments ?? []) {
    const segment = decodeSegmentDocument(json);
    if (isVaneError(segment)) throw new Error(`${scenario.name}: ${segment.message}`);
    segments.set(segment.key, segment);
  }
  const result = evaluateFlag(flag, scenario.context as EvaluationContext, { segments });
  if (result.reason.bucket !== undefined) {
    // The bucket in the reason is checked against node:crypto too.
    const context = scenario.context as Record<string, unknown>;
    const company = context.company as { id?: unknown } | undefined;
    const bucketValue =
      result.reason.bucketByMissing === undefined
        ? (company?.id ?? context.orgId ?? context.key)
        : context.key;
    const reference = referenceBucket(flag.key, flag.salt, String(bucketValue));
    if (reference.bucket !== result.reason.bucket)
      throw new Error(`${scenario.name}: bucket disagrees with node:crypto`);
  }
  return {
    name: scenario.name,
    flag: scenario.flag,
    ...(scenario.segments === undefined ? {} : { segments: scenario.segments }),
    context: scenario.context,
    expected: vectorOutcome(result),
  };
}

const vectors: FlagVectors = {
  format: VECTORS_FORMAT,
  description:
    'Vane flag test vectors (core/flags/VECTORS.md). bucket = floor(uint32be(SHA-256(utf8(flagKey + "." + salt + "." + contextKey))[0..4]) * 100000 / 2^32); hashPrefix is the first 4 digest bytes in hex. Evaluations: flag document + segments + context -> expected evaluation.',
  buckets: bucketVectors(),
  evaluations: scenarios().map(evaluationVector),
};
const mismatches = checkVectors(JSON.parse(JSON.stringify(vectors)));
if (mismatches.length > 0) throw new Error(`the vectors do not check: ${JSON.stringify(mismatches[0])}`);
writeFileSync(OUTPUT, `${JSON.stringify(vectors, null, 2)}\n`);
// Laid out as the repository's formatter lays JSON out, so that `npm run lint` stays clean.
execFileSync('npx', ['biome', 'format', '--write', OUTPUT], { stdio: 'inherit' });
console.log(
  `wrote ${OUTPUT}: ${vectors.buckets.length} bucket vectors, ${vectors.evaluations.length} evaluation vectors`,
);
