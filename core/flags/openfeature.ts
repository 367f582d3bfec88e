// The mapping between Vane's evaluation and OpenFeature's vocabulary, for the SDK's providers:
// targetingKey becomes the context key, and reasons and error kinds become OpenFeature's.

import type { EvaluationContext, EvaluationErrorKind, EvaluationReason } from './types.ts';

/** OpenFeature's EvaluationContext, as far as Vane reads it. */
export interface OpenFeatureContext {
  readonly targetingKey?: string;
  readonly [attribute: string]: unknown;
}

export type OpenFeatureReason = 'DISABLED' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'ERROR';

export type OpenFeatureErrorCode = 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'PARSE_ERROR' | 'GENERAL';

/**
 * targetingKey becomes `key` (a `key` attribute stands in when targetingKey is absent, as other
 * providers allow); every other attribute is kept. No key at all leaves '', an anonymous context.
 */
export function contextFromOpenFeature(context: OpenFeatureContext): EvaluationContext {
  const { targetingKey, ...attributes } = context;
  const fallback = attributes.key;
  const key = typeof targetingKey === 'string' ? targetingKey : typeof fallback === 'string' ? fallback : '';
  return { ...attributes, key };
}

export function openFeatureReason(reason: EvaluationReason): OpenFeatureReason {
  switch (reason.kind) {
    case 'OFF':
      return 'DISABLED';
    case 'TARGET_MATCH':
      return 'TARGETING_MATCH';
    case 'RULE_MATCH':
      return reason.inRollout === true ? 'SPLIT' : 'TARGETING_MATCH';
    case 'FALLTHROUGH':
      return reason.inRollout === true ? 'SPLIT' : 'DEFAULT';
    case 'ERROR':
      return 'ERROR';
  }
}

export function openFeatureErrorCode(errorKind: EvaluationErrorKind): OpenFeatureErrorCode {
  switch (errorKind) {
    case 'TARGETING_KEY_MISSING':
      return 'TARGETING_KEY_MISSING';
    case 'INVALID_CONTEXT':
      return 'INVALID_CONTEXT';
    case 'MALFORMED_FLAG':
      return 'PARSE_ERROR';
    case 'SEGMENT_NOT_FOUND':
      return 'GENERAL';
  }
}
