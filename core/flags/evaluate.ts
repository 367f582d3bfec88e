// Flag evaluation, local and synchronous: off → individual targets → rules in order → fallthrough.
// It never throws on a parsed document: a context it cannot serve, or a segment the caller did not
// supply, is an ERROR reason with no variation, so the caller serves its own default.

import { attributeValue, isAttributePath, parseAttributeReference } from './attribute.ts';
import { bucketOf, variationForBucket } from './bucket.ts';
import { attributeClauseMatches } from './clause.ts';
import { listHoldsKey } from './key-set.ts';
import { contextInSegment } from './segment.ts';
import type {
  Clause,
  EvaluationContext,
  EvaluationErrorKind,
  EvaluationReason,
  FlagDocument,
  FlagEvaluation,
  Rollout,
  Rule,
  SegmentDocument,
  Serve,
} from './types.ts';

/** Where evaluation finds segments by key; a Map works. */
export interface SegmentLookup {
  get(segmentKey: string): SegmentDocument | undefined;
}

export interface EvaluationOptions {
  readonly segments?: SegmentLookup;
}

const NO_SEGMENTS: SegmentLookup = { get: () => undefined };

export function evaluateFlag(
  flag: FlagDocument,
  context: EvaluationContext,
  options: EvaluationOptions = {},
): FlagEvaluation {
  if (!flag.on) return serveVariation(flag, flag.offVariation, { kind: 'OFF' });
  const candidate: unknown = context;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return failure('INVALID_CONTEXT', 'the context must be an object');
  }
  const key: unknown = context.key;
  if (key !== undefined && typeof key !== 'string') {
    return failure('INVALID_CONTEXT', `the context key must be a string, not a ${typeof key}`);
  }
  // A context without a key (anonymous) is in no target list; only a rollout needs its key.
  if (key !== undefined && key !== '') {
    for (const target of flag.targets) {
      if (listHoldsKey(target.keys, key))
        return serveVariation(flag, target.variation, { kind: 'TARGET_MATCH' });
    }
  }

  const segments = options.segments ?? NO_SEGMENTS;
  for (let ruleIndex = 0; ruleIndex < flag.rules.length; ruleIndex++) {
    const rule = flag.rules[ruleIndex]!;
    const matched = ruleMatches(rule, context, segments);
    if (typeof matched === 'string') {
      return failure(
        'SEGMENT_NOT_FOUND',
        `rules[${ruleIndex}] tests segment "${matched}", which was not supplied (is segments/${matched} missing?)`,
      );
    }
    if (matched) {
      const reason: EvaluationReason =
        rule.id === undefined
          ? { kind: 'RULE_MATCH', ruleIndex }
          : { kind: 'RULE_MATCH', ruleIndex, ruleId: rule.id };
      return serve(flag, rule.serve, context, reason);
    }
  }
  return serve(flag, flag.fallthrough, context, { kind: 'FALLTHROUGH' });
}

/** True when every clause matches; the key of a missing segment when one is needed and absent. */
function ruleMatches(rule: Rule, context: EvaluationContext, segments: SegmentLookup): boolean | string {
  for (const clause of rule.clauses) {
    const matched =
      clause.op === 'segmentMatch'
        ? segmentClauseMatches(clause, context, segments)
        : attributeClauseMatches(clause, context);
    if (matched !== true) return matched;
  }
  return true;
}

function segmentClauseMatches(
  clause: Clause,
  context: EvaluationContext,
  segments: SegmentLookup,
): boolean | string {
  // Every named segment must exist, whatever the context, so that a missing one is reported
  // the same way for every context that reaches this clause.
  const named: SegmentDocument[] = [];
  for (const segmentKey of clause.values) {
    const segment = typeof segmentKey === 'string' ? segments.get(segmentKey) : undefined;
    if (segment === undefined) return String(segmentKey);
    named.push(segment);
  }
  const inAny = named.some((segment) => contextInSegment(segment, context));
  return clause.negate === true ? !inAny : inAny;
}

function serve(
  flag: FlagDocument,
  what: Serve,
  context: EvaluationContext,
  reason: EvaluationReason,
): FlagEvaluation {
  if (what.variation !== undefined) return serveVariation(flag, what.variation, reason);
  if (what.rollout === undefined)
    return failure('MALFORMED_FLAG', 'a serve has neither a variation nor a rollout');
  const { bucketValue, missingAttribute } = bucketValueOf(context, what.rollout);
  if (bucketValue === undefined) {
    const lacks =
      what.rollout.bucketBy === undefined ? 'no key' : `neither ${what.rollout.bucketBy} nor a key`;
    return failure(
      'TARGETING_KEY_MISSING',
      `a rollout must bucket this context, which has ${lacks} (OpenFeature's targetingKey)`,
    );
  }
  const bucket = bucketOf(flag.key, flag.salt, bucketValue);
  const variation = variationForBucket(what.rollout, bucket);
  if (variation === undefined) {
    return failure(
      'MALFORMED_FLAG',
      `the rollout's weights do not reach bucket ${bucket} (they must sum to 100000)`,
    );
  }
  const rolledOut: EvaluationReason =
    missingAttribute === undefined
      ? { ...reason, inRollout: true, bucket }
      : { ...reason, inRollout: true, bucket, bucketByMissing: missingAttribute };
  return serveVariation(flag, variation, rolledOut);
}

/**
 * What the rollout hashes: the bucketBy attribute when the context has it as a non-empty string or
 * an integer, else the context key (so a context without an org still gets a stable bucket, and
 * the reason says the fallback happened); undefined when the context has no key to fall back to.
 */
function bucketValueOf(
  context: EvaluationContext,
  rollout: Rollout,
): { bucketValue: string | undefined; missingAttribute?: string } {
  const key = typeof context.key === 'string' && context.key !== '' ? context.key : undefined;
  if (rollout.bucketBy === undefined) return { bucketValue: key };
  const path = parseAttributeReference(rollout.bucketBy);
  const value = isAttributePath(path) ? attributeValue(context, path) : undefined;
  if (typeof value === 'string' && value !== '') return { bucketValue: value };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { bucketValue: String(value) };
  return { bucketValue: key, missingAttribute: rollout.bucketBy };
}

function serveVariation(flag: FlagDocument, variationId: string, reason: EvaluationReason): FlagEvaluation {
  const variationIndex = flag.variations.findIndex((variation) => variation.id === variationId);
  const variation = flag.variations[variationIndex];
  if (variation === undefined) {
    return failure('MALFORMED_FLAG', `variation "${variationId}" is not among the flag's variations`);
  }
  return { value: variation.value, variationIndex, variationId, reason };
}

function failure(errorKind: EvaluationErrorKind, errorMessage: string): FlagEvaluation {
  return {
    value: undefined,
    variationIndex: undefined,
    variationId: undefined,
    reason: { kind: 'ERROR', errorKind, errorMessage },
  };
}
