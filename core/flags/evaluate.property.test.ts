// Properties of evaluation over generated flags, segments and contexts (fast-check prints the seed
// and path of any failure; rerun with fc.assert(..., { seed, path })).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVaneError } from '../errors.ts';
import { context, flagCase } from './arbitraries.test.ts';
import { evaluateFlag } from './evaluate.ts';
import { decodeFlagDocument, decodeSegmentDocument, parseFlagDocument } from './parse.ts';
import type { FlagDocument, SegmentDocument } from './types.ts';

function documents(json: { flag: Record<string, unknown>; segments: Record<string, unknown>[] }) {
  const flag = decodeFlagDocument(json.flag);
  if (isVaneError(flag)) assert.fail(flag.message);
  const segments = new Map<string, SegmentDocument>();
  for (const segmentJson of json.segments) {
    const segment = decodeSegmentDocument(segmentJson);
    if (isVaneError(segment)) assert.fail(segment.message);
    segments.set(segment.key, segment);
  }
  return { flag, segments };
}

describe('evaluateFlag (properties)', () => {
  it('runs on generated documents that validate, so it exercises evaluation and not refusal', () => {
    fc.assert(
      fc.property(flagCase, (json) => {
        const flag = decodeFlagDocument(json.flag);
        assert.ok(!isVaneError(flag), isVaneError(flag) ? flag.message : '');
        for (const segment of json.segments) assert.ok(!isVaneError(decodeSegmentDocument(segment)));
      }),
    );
  });

  it('never throws, and serves a variation of the flag consistent with its reason (or, anonymous, no key to bucket)', () => {
    fc.assert(
      fc.property(flagCase, context, (json, ctx) => {
        const { flag, segments } = documents(json);
        const result = evaluateFlag(flag, ctx, { segments });
        if (result.reason.kind === 'ERROR') {
          // The one error a valid document and supplied segments allow: an anonymous context in a rollout.
          assert.equal(result.reason.errorKind, 'TARGETING_KEY_MISSING', result.reason.errorMessage);
          assert.equal(ctx.key, '');
          return;
        }
        const variation = flag.variations[result.variationIndex!];
        assert.equal(variation?.id, result.variationId);
        assert.equal(result.value, variation?.value);
        assert.equal(result.reason.kind === 'OFF', !flag.on);
        if (result.reason.kind === 'TARGET_MATCH') {
          assert.ok(flag.targets.some((t) => t.variation === result.variationId && t.keys.includes(ctx.key)));
        }
        if (result.reason.inRollout) {
          const bucket = result.reason.bucket!;
          assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < 100_000);
        }
      }),
    );
  });

  it('is deterministic: the same document text and context give the same result', () => {
    fc.assert(
      fc.property(flagCase, context, (json, ctx) => {
        const { flag, segments } = documents(json);
        const reparsed = parseFlagDocument(JSON.stringify(json.flag));
        if (isVaneError(reparsed)) assert.fail(reparsed.message);
        const first = evaluateFlag(flag, ctx, { segments });
        assert.deepEqual(evaluateFlag(flag, structuredClone(ctx), { segments }), first);
        assert.deepEqual(evaluateFlag(reparsed, ctx, { segments }), first);
      }),
    );
  });

  it('RULE_MATCH names the first matching rule: no earlier rule matches, and that rule alone does', () => {
    fc.assert(
      fc.property(flagCase, context, (json, ctx) => {
        const { flag, segments } = documents(json);
        const result = evaluateFlag(flag, ctx, { segments });
        if (result.reason.kind !== 'RULE_MATCH') return;
        const index = result.reason.ruleIndex!;
        const untargeted: FlagDocument = { ...flag, targets: [] };
        const earlier = evaluateFlag({ ...untargeted, rules: flag.rules.slice(0, index) }, ctx, { segments });
        assert.notEqual(earlier.reason.kind, 'RULE_MATCH');
        const alone = evaluateFlag({ ...untargeted, rules: [flag.rules[index]!] }, ctx, { segments });
        assert.deepEqual(alone, { ...result, reason: { ...result.reason, ruleIndex: 0 } });
      }),
    );
  });

  it('reordering variations changes indexes, never who gets which variation', () => {
    fc.assert(
      fc.property(flagCase, context, (json, ctx) => {
        const { flag, segments } = documents(json);
        const reversed: FlagDocument = { ...flag, variations: [...flag.variations].reverse() };
        const before = evaluateFlag(flag, ctx, { segments });
        const after = evaluateFlag(reversed, ctx, { segments });
        assert.equal(after.variationId, before.variationId);
        assert.deepEqual(after.value, before.value);
        assert.deepEqual(after.reason, before.reason);
      }),
    );
  });
});
