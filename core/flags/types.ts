// The shapes of flag and segment documents once validated (schema.ts), of the context a flag is
// evaluated for, and of an evaluation's outcome. Documents refer to variations by id, not by
// position, so that reordering variations never changes who gets what.

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** A value a clause compares an attribute with. */
export type ClauseValue = string | number | boolean;

/** Operators that compare a context attribute with the clause's values. */
export const ATTRIBUTE_OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'startsWith',
  'endsWith',
  'contains',
  'lessThan',
  'lessThanOrEqual',
  'greaterThan',
  'greaterThanOrEqual',
  'semVerEqual',
  'semVerLessThan',
  'semVerGreaterThan',
] as const;
export type AttributeOperator = (typeof ATTRIBUTE_OPERATORS)[number];
export type Operator = AttributeOperator | 'segmentMatch';
export const OPERATORS: readonly Operator[] = [...ATTRIBUTE_OPERATORS, 'segmentMatch'];

/**
 * One condition of a rule. `attribute` names a context attribute ('plan', or a path such as
 * '/address/city'); segmentMatch has no attribute and lists segment keys in `values`.
 * A context without the attribute never matches the clause, negated or not.
 */
export interface Clause {
  readonly attribute?: string;
  readonly op: Operator;
  readonly values: readonly ClauseValue[];
  readonly negate?: boolean;
}

export interface Variation {
  /** Stable id that targets, rules and rollouts refer to. */
  readonly id: string;
  readonly name?: string;
  readonly value: JsonValue;
}

/** A share of a rollout, in 100000ths (25000 = 25%). */
export interface WeightedVariation {
  readonly variation: string;
  readonly weight: number;
}

/**
 * A percentage split. Variations take consecutive bucket ranges in the order listed, so raising
 * the first variation's weight only moves contexts into it, never out of it.
 */
export interface Rollout {
  readonly variations: readonly WeightedVariation[];
  /** Attribute to bucket by instead of the context key (e.g. 'orgId', so a whole org moves together). */
  readonly bucketBy?: string;
}

/** What a rule or the fallthrough serves: exactly one of a fixed variation or a rollout. */
export interface Serve {
  readonly variation?: string;
  readonly rollout?: Rollout;
}

export interface Target {
  readonly variation: string;
  /** Context keys served this variation before any rule is consulted. */
  readonly keys: readonly string[];
}

export interface Rule {
  readonly id?: string;
  readonly description?: string;
  /** All must match (AND). */
  readonly clauses: readonly Clause[];
  readonly serve: Serve;
}

export interface FlagDocument {
  readonly key: string;
  readonly description?: string;
  /** Mixed into the bucketing hash; changing it reshuffles every rollout of the flag. */
  readonly salt: string;
  readonly on: boolean;
  readonly variations: readonly Variation[];
  /** Served while the flag is off. */
  readonly offVariation: string;
  readonly targets: readonly Target[];
  /** Tried in order; the first whose clauses all match serves. */
  readonly rules: readonly Rule[];
  /** Served when the flag is on and no target or rule matched. */
  readonly fallthrough: Serve;
}

export interface SegmentRule {
  readonly id?: string;
  readonly description?: string;
  /** All must match (AND); segment rules may not use segmentMatch, so segments never nest. */
  readonly clauses: readonly Clause[];
}

export interface SegmentDocument {
  readonly key: string;
  readonly description?: string;
  /** Context keys always in the segment. */
  readonly included: readonly string[];
  /** Context keys never in the segment, whatever the rules say. */
  readonly excluded: readonly string[];
  /** A context matching any rule (OR) is in the segment. */
  readonly rules: readonly SegmentRule[];
}

/**
 * Who a flag is evaluated for. `key` identifies the context and is what rollouts bucket by
 * (OpenFeature's targetingKey); every other property is an attribute that clauses can test.
 * An empty key marks an anonymous context: rules still apply to it, but it is in no target or
 * segment list, and a rollout that would bucket it by its key reports TARGETING_KEY_MISSING.
 */
export interface EvaluationContext {
  readonly key: string;
  readonly kind?: string;
  readonly [attribute: string]: unknown;
}

export type ReasonKind = 'OFF' | 'TARGET_MATCH' | 'RULE_MATCH' | 'FALLTHROUGH' | 'ERROR';

export type EvaluationErrorKind =
  /** A rollout must bucket the context by its key, and the context has none. */
  | 'TARGETING_KEY_MISSING'
  /** The context is not an object, or its key is not a string. */
  | 'INVALID_CONTEXT'
  /** A segmentMatch clause names a segment the caller did not supply. */
  | 'SEGMENT_NOT_FOUND'
  /** The document breaks a rule its schema enforces (it was built without parseFlagDocument). */
  | 'MALFORMED_FLAG';

export interface EvaluationReason {
  readonly kind: ReasonKind;
  /** RULE_MATCH: the position of the rule that matched. */
  readonly ruleIndex?: number;
  /** RULE_MATCH: the rule's id, when it has one. */
  readonly ruleId?: string;
  /** Present (true) when a rollout picked the variation. */
  readonly inRollout?: true;
  /** The context's bucket in [0, 100000), when a rollout picked the variation. */
  readonly bucket?: number;
  /** The rollout buckets by this attribute, which the context lacks: it was bucketed by its key instead. */
  readonly bucketByMissing?: string;
  readonly errorKind?: EvaluationErrorKind;
  readonly errorMessage?: string;
}

export type FlagEvaluation =
  | {
      readonly value: JsonValue;
      readonly variationIndex: number;
      readonly variationId: string;
      readonly reason: EvaluationReason;
    }
  | {
      /** No variation: the caller serves its own default. */
      readonly value: undefined;
      readonly variationIndex: undefined;
      readonly variationId: undefined;
      readonly reason: EvaluationReason & { readonly kind: 'ERROR'; readonly errorKind: EvaluationErrorKind };
    };
