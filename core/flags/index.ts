// core/flags: feature-flag and segment documents, their validation, and their evaluation, the
// same in every runtime. Rollouts bucket by SHA-256 of `${flagKey}.${salt}.${key}` (bucket.ts,
// VECTORS.md), pinned down by the published vectors.json that checkVectors() runs.

export { type AttributePath, parseAttributeReference } from './attribute.ts';
export { BUCKET_COUNT, bucketInput, bucketOf, variationForBucket } from './bucket.ts';
export { type EvaluationOptions, evaluateFlag, type SegmentLookup } from './evaluate.ts';
export { FLAG_LIMITS, type FlagLimitName, type FlagLimits } from './limits.ts';
export {
  contextFromOpenFeature,
  type OpenFeatureContext,
  type OpenFeatureErrorCode,
  type OpenFeatureReason,
  openFeatureErrorCode,
  openFeatureReason,
} from './openfeature.ts';
export {
  decodeFlagDocument,
  decodeSegmentDocument,
  parseFlagDocument,
  parseSegmentDocument,
} from './parse.ts';
export { flagDocumentSchema, segmentDocumentSchema } from './schema.ts';
export { compareSemVer, parseSemVer, type SemVer } from './semver.ts';
export { sha256 } from './sha256.ts';
export {
  DOCUMENT_KEY_PATTERN,
  FLAG_KEY_PREFIX,
  flagKeyOf,
  flagStorageKey,
  isDocumentKey,
  SEGMENT_KEY_PREFIX,
  segmentKeyOf,
  segmentStorageKey,
} from './storage-keys.ts';
export * from './types.ts';
export {
  type BucketVector,
  checkVectors,
  type EvaluationVector,
  type FlagVectors,
  hashPrefixOf,
  VECTORS_FORMAT,
  type VectorMismatch,
  vectorOutcome,
} from './vectors.ts';
