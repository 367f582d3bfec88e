// Evaluation order and reasons, as a user reads them: off → targets → rules in order → fallthrough,
// rollouts and their bucketing attribute, segments, and the errors that leave the default to the caller.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, onOffRollout, rule, segment } from './arbitraries.test.ts';
import { bucketOf } from './bucket.ts';
import { evaluateFlag } from './evaluate.ts';
import type { EvaluationContext, FlagDocument, SegmentDocument } from './types.ts';

const targetedAndRuled = flag({
  targets: [{ variation: 'on', keys: ['alice'] }],
  rules: [
    rule([{ attribute: 'country', op: 'equals', values: ['FR'] }], 'on', { id: 'france' }),
    rule([{ attribute: 'plan', op: 'in', values: ['free'] }], 'off'),
    rule([{ attribute: 'plan', op: 'in', values: ['free', 'pro'] }], 'on', { id: 'paying' }),
  ],
  fallthrough: { variation: 'off' },
});

describe('evaluateFlag: reasons', () => {
  it('OFF serves the off variation whatever the context, even one without a key', () => {
    const off = flag({ on: false, offVariation: 'on', targets: [{ variation: 'off', keys: ['alice'] }] });
    assert.deepEqual(evaluateFlag(off, { key: 'alice' }), {
      value: true,
      variationIndex: 0,
      variationId: 'on',
      reason: { kind: 'OFF' },
    });
    assert.equal(evaluateFlag(off, { key: '' }).reason.kind, 'OFF');
  });

  it('TARGET_MATCH comes before any rule', () => {
    assert.deepEqual(evaluateFlag(targetedAndRuled, { key: 'alice', plan: 'free' }), {
      value: true,
      variationIndex: 0,
      variationId: 'on',
      reason: { kind: 'TARGET_MATCH' },
    });
  });

  it('RULE_MATCH names the first matching rule by index and id', () => {
    assert.deepEqual(evaluateFlag(targetedAndRuled, { key: 'bob', country: 'FR', plan: 'free' }).reason, {
      kind: 'RULE_MATCH',
      ruleIndex: 0,
      ruleId: 'france',
    });
    const second = evaluateFlag(targetedAndRuled, { key: 'bob', plan: 'free' });
    assert.equal(second.variationId, 'off', 'rule 1 wins over rule 2, which also matches');
    assert.deepEqual(second.reason, { kind: 'RULE_MATCH', ruleIndex: 1 }, 'no ruleId when the rule has none');
    assert.deepEqual(evaluateFlag(targetedAndRuled, { key: 'bob', plan: 'pro' }).reason, {
      kind: 'RULE_MATCH',
      ruleIndex: 2,
      ruleId: 'paying',
    });
  });

  it('FALLTHROUGH when no target or rule matches', () => {
    assert.deepEqual(evaluateFlag(targetedAndRuled, { key: 'bob', plan: 'enterprise' }), {
      value: false,
      variationIndex: 1,
      variationId: 'off',
      reason: { kind: 'FALLTHROUGH' },
    });
  });

  it('serves JSON variation values, frozen so that no caller can change them for the next', () => {
    const config = flag({
      variations: [
        { id: 'compact', name: 'Compact list', value: { rows: 50, dense: true } },
        { id: 'roomy', value: { rows: 20, dense: false } },
      ],
      offVariation: 'roomy',
      fallthrough: { variation: 'compact' },
    });
    const result = evaluateFlag(config, { key: 'k' });
    assert.deepEqual(result.value, { rows: 50, dense: true });
    assert.ok(Object.isFrozen(result.value));
    assert.throws(() => {
      (result.value as { rows: number }).rows = 1;
    }, TypeError);
  });
});

describe('evaluateFlag: rollouts', () => {
  it("a rollout serves by the bucket of flagKey + '.' + salt + '.' + contextKey and reports it", () => {
    const rolled = flag({ fallthrough: onOffRollout(50_000) });
    for (const key of ['alice', 'bob', 'carol', 'dave']) {
      const bucket = bucketOf('new-checkout', 'k3y', key);
      const result = evaluateFlag(rolled, { key });
      assert.equal(result.variationId, bucket < 50_000 ? 'on' : 'off', key);
      assert.deepEqual(result.reason, { kind: 'FALLTHROUGH', inRollout: true, bucket });
    }
  });

  it('a rule can serve a rollout too, and says so', () => {
    const rolled = flag({
      rules: [
        { clauses: [{ attribute: 'beta', op: 'equals', values: [true] }], serve: onOffRollout(100_000) },
      ],
    });
    assert.deepEqual(evaluateFlag(rolled, { key: 'u', beta: true }).reason, {
      kind: 'RULE_MATCH',
      ruleIndex: 0,
      inRollout: true,
      bucket: bucketOf('new-checkout', 'k3y', 'u'),
    });
  });

  it('0% and 100% serve nobody and everybody', () => {
    const none = flag({ fallthrough: onOffRollout(0) });
    const all = flag({ fallthrough: onOffRollout(100_000) });
    for (let i = 0; i < 200; i++) {
      assert.equal(evaluateFlag(none, { key: `user-${i}` }).variationId, 'off');
      assert.equal(evaluateFlag(all, { key: `user-${i}` }).variationId, 'on');
    }
  });

  it('bucketBy keeps everyone sharing the attribute together', () => {
    const byOrg = flag({ fallthrough: onOffRollout(50_000, 'orgId') });
    const served = new Set(
      Array.from(
        { length: 50 },
        (_, i) => evaluateFlag(byOrg, { key: `member-${i}`, orgId: 'acme' }).variationId,
      ),
    );
    assert.equal(served.size, 1, 'one org, one variation');
    const result = evaluateFlag(byOrg, { key: 'member-1', orgId: 'acme' });
    assert.equal(result.reason.bucket, bucketOf('new-checkout', 'k3y', 'acme'));
    assert.equal(result.reason.bucketByMissing, undefined);
    assert.equal(
      evaluateFlag(byOrg, { key: 'm', orgId: 42 }).reason.bucket,
      bucketOf('new-checkout', 'k3y', '42'),
      'an integer buckets by its decimal form',
    );
  });

  it('a context without the bucketBy attribute is bucketed by its key, and the reason says so', () => {
    const byOrg = flag({ fallthrough: onOffRollout(50_000, '/company/id') });
    for (const company of [undefined, { id: '' }, { id: 1.5 }, { id: true }, { name: 'acme' }]) {
      const context: EvaluationContext = company === undefined ? { key: 'solo' } : { key: 'solo', company };
      const result = evaluateFlag(byOrg, context);
      assert.deepEqual(
        result.reason,
        {
          kind: 'FALLTHROUGH',
          inRollout: true,
          bucket: bucketOf('new-checkout', 'k3y', 'solo'),
          bucketByMissing: '/company/id',
        },
        JSON.stringify(company),
      );
    }
  });

  it('changing the salt reshuffles who is in the rollout', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const served = (salt: string) => {
      const rolled = flag({ salt, fallthrough: onOffRollout(50_000) });
      return keys.map((key) => evaluateFlag(rolled, { key }).variationId);
    };
    const before = served('first');
    const after = served('second');
    const moved = before.filter((variation, i) => variation !== after[i]).length;
    assert.ok(moved > 120 && moved < 280, `about half of 400 contexts move (${moved} did)`);
  });
});

describe('evaluateFlag: segments', () => {
  const betaTesters = segment({
    key: 'beta-testers',
    included: ['bob'],
    excluded: ['carol'],
    rules: [
      { clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'] }] },
      { clauses: [{ attribute: 'plan', op: 'in', values: ['enterprise'] }] },
    ],
  });
  const segments = new Map<string, SegmentDocument>([['beta-testers', betaTesters]]);
  const gated = flag({
    rules: [rule([{ op: 'segmentMatch', values: ['beta-testers'] }], 'on', { id: 'beta' })],
  });
  const inBeta = (flagDocument: FlagDocument, context: EvaluationContext) =>
    evaluateFlag(flagDocument, context, { segments }).reason.kind === 'RULE_MATCH';

  it('included keys are in, excluded keys are out even when a rule matches, rules are ORed', () => {
    assert.equal(inBeta(gated, { key: 'bob' }), true, 'included');
    assert.equal(
      inBeta(gated, { key: 'carol', email: 'carol@example.com' }),
      false,
      'excluded wins over rules',
    );
    assert.equal(inBeta(gated, { key: 'dave', email: 'dave@example.com' }), true, 'first rule');
    assert.equal(inBeta(gated, { key: 'erin', plan: 'enterprise' }), true, 'second rule');
    assert.equal(inBeta(gated, { key: 'frank', plan: 'free' }), false);
  });

  it('an anonymous context is in no list, but a segment rule can still admit it', () => {
    assert.equal(inBeta(gated, { key: '', email: 'anon@example.com' }), true);
    assert.equal(inBeta(gated, { key: '' }), false);
  });

  it('a negated segmentMatch serves everyone outside the segment', () => {
    const outside = flag({ rules: [rule([{ op: 'segmentMatch', values: ['beta-testers'], negate: true }])] });
    assert.equal(inBeta(outside, { key: 'bob' }), false);
    assert.equal(inBeta(outside, { key: 'frank' }), true);
  });

  it('looks a big included list up in constant time and still answers right', () => {
    const big = segment({ key: 'big', included: Array.from({ length: 20_000 }, (_, i) => `user-${i}`) });
    const bigGated = flag({ rules: [rule([{ op: 'segmentMatch', values: ['big'] }])] });
    const lookup = new Map([['big', big]]);
    assert.equal(evaluateFlag(bigGated, { key: 'user-19999' }, { segments: lookup }).variationId, 'on');
    assert.equal(evaluateFlag(bigGated, { key: 'user-20000' }, { segments: lookup }).variationId, 'off');
  });

  it('a segment that was not supplied is an ERROR naming it, not a silent miss', () => {
    const result = evaluateFlag(gated, { key: 'frank' });
    assert.equal(result.value, undefined);
    assert.equal(result.variationIndex, undefined);
    assert.equal(result.reason.kind, 'ERROR');
    assert.equal(result.reason.errorKind, 'SEGMENT_NOT_FOUND');
    assert.match(result.reason.errorMessage ?? '', /rules\[0\] tests segment "beta-testers"/);
    assert.equal(
      evaluateFlag(gated, { key: 'frank' }, { segments: new Map() }).reason.errorKind,
      'SEGMENT_NOT_FOUND',
    );
  });
});

describe('evaluateFlag: contexts it cannot serve', () => {
  it('an anonymous context (no key, or an empty one) goes through rules but is never targeted', () => {
    for (const context of [{ plan: 'free' }, { key: '', plan: 'free' }]) {
      const result = evaluateFlag(targetedAndRuled, context as unknown as EvaluationContext);
      assert.deepEqual(result.reason, { kind: 'RULE_MATCH', ruleIndex: 1 }, JSON.stringify(context));
    }
    const anonymousTarget = flag({ targets: [{ variation: 'on', keys: ['alice'] }] });
    assert.equal(evaluateFlag(anonymousTarget, { key: '' }).reason.kind, 'FALLTHROUGH');
  });

  it('a rollout cannot bucket an anonymous context: TARGETING_KEY_MISSING, no variation', () => {
    const rolled = flag({ fallthrough: onOffRollout(50_000) });
    const result = evaluateFlag(rolled, { key: '' });
    assert.equal(result.value, undefined);
    assert.equal(result.reason.kind, 'ERROR');
    assert.equal(result.reason.errorKind, 'TARGETING_KEY_MISSING');
    assert.match(result.reason.errorMessage ?? '', /has no key/);
    const byOrg = flag({ fallthrough: onOffRollout(50_000, 'orgId') });
    assert.equal(
      evaluateFlag(byOrg, { key: '', orgId: 'acme' }).reason.bucket,
      bucketOf('new-checkout', 'k3y', 'acme'),
    );
    assert.match(evaluateFlag(byOrg, { key: '' }).reason.errorMessage ?? '', /has neither orgId nor a key/);
  });

  it('a context that is not an object, or whose key is not a string, is INVALID_CONTEXT', () => {
    for (const context of [null, 'alice', 42, ['alice'], { key: 7 }, { key: null }]) {
      const result = evaluateFlag(targetedAndRuled, context as unknown as EvaluationContext);
      assert.equal(result.reason.errorKind, 'INVALID_CONTEXT', JSON.stringify(context));
    }
  });

  it('a hand-built document that breaks the schema yields MALFORMED_FLAG instead of throwing', () => {
    const base = flag();
    const broken: FlagDocument[] = [
      { ...base, fallthrough: { variation: 'missing' } },
      { ...base, fallthrough: {} },
      { ...base, fallthrough: { rollout: { variations: [{ variation: 'on', weight: 0 }] } } },
    ];
    for (const document of broken) {
      const result = evaluateFlag(document, { key: 'alice' });
      assert.equal(result.reason.errorKind, 'MALFORMED_FLAG', JSON.stringify(document.fallthrough));
    }
  });
});
