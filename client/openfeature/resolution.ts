// From a flag resolution to OpenFeature's ResolutionDetails, the same for the web and server
// providers: the variation id is the variant, core/flags' reason becomes OpenFeature's, and an error
// serves the caller's default with the matching ErrorCode. The revision the answer reflects (and
// whether it is confirmed by the cluster) travels in flagMetadata.
import {
  ErrorCode,
  type EvaluationContext,
  type FlagMetadata,
  type ResolutionDetails,
} from '@openfeature/core';
import {
  contextFromOpenFeature,
  openFeatureErrorCode,
  openFeatureReason,
} from '../../core/flags/openfeature.ts';
import type { EvaluationContext as VaneContext } from '../../core/flags/types.ts';
import type { FlagErrorKind, FlagResolution, FlagSource, FlagValueType, FlagValueTypes } from '../flags.ts';

const ERROR_CODES: Readonly<Record<ReturnType<typeof openFeatureErrorCode>, ErrorCode>> = {
  TARGETING_KEY_MISSING: ErrorCode.TARGETING_KEY_MISSING,
  INVALID_CONTEXT: ErrorCode.INVALID_CONTEXT,
  PARSE_ERROR: ErrorCode.PARSE_ERROR,
  GENERAL: ErrorCode.GENERAL,
};

export function errorCodeOf(kind: FlagErrorKind): ErrorCode {
  switch (kind) {
    case 'FLAG_NOT_FOUND':
      return ErrorCode.FLAG_NOT_FOUND;
    case 'TYPE_MISMATCH':
      return ErrorCode.TYPE_MISMATCH;
    case 'PARSE_ERROR':
      return ErrorCode.PARSE_ERROR;
    case 'NOT_READY':
      return ErrorCode.PROVIDER_NOT_READY;
    default:
      return ERROR_CODES[openFeatureErrorCode(kind)];
  }
}

export function resolutionDetails<V>(resolution: FlagResolution<V>): ResolutionDetails<V> {
  const flagMetadata: FlagMetadata = { revision: resolution.revision, stale: resolution.stale };
  if (resolution.errorKind !== undefined) {
    return {
      value: resolution.value,
      reason: 'ERROR',
      errorCode: errorCodeOf(resolution.errorKind),
      ...(resolution.errorMessage === undefined ? {} : { errorMessage: resolution.errorMessage }),
      flagMetadata,
    };
  }
  const { reason } = resolution;
  if (reason.ruleIndex !== undefined) flagMetadata.ruleIndex = reason.ruleIndex;
  if (reason.ruleId !== undefined) flagMetadata.ruleId = reason.ruleId;
  if (reason.bucket !== undefined) flagMetadata.bucket = reason.bucket;
  return {
    value: resolution.value,
    ...(resolution.variationId === undefined ? {} : { variant: resolution.variationId }),
    reason: openFeatureReason(reason),
    flagMetadata,
  };
}

/** Resolves `flagKey` from the source for an OpenFeature context (targetingKey is the context key). */
export function resolveFlag<T extends FlagValueType>(
  source: FlagSource,
  flagKey: string,
  type: T,
  defaultValue: FlagValueTypes[T],
  context: EvaluationContext,
): ResolutionDetails<FlagValueTypes[T]> {
  const vaneContext: VaneContext = contextFromOpenFeature(context);
  return resolutionDetails(source.resolve(flagKey, type, defaultValue, vaneContext));
}
