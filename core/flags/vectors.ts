// The published test vectors (vectors.json, described in VECTORS.md) and the check that this build
// agrees with them. The check is plain data in, plain data out, so a browser page, a Deno test and
// a Node test all run the very same code over the very same file.

import * as z from 'zod';
import { isVaneError } from '../errors.ts';
import { bucketInput, bucketOf } from './bucket.ts';
import { evaluateFlag } from './evaluate.ts';
import { decodeFlagDocument, decodeSegmentDocument } from './parse.ts';
import { sha256 } from './sha256.ts';
import type { EvaluationContext, FlagEvaluation, SegmentDocument } from './types.ts';

export const VECTORS_FORMAT = 'vane-flag-vectors/1';

export interface BucketVector {
  readonly flagKey: string;
  readonly salt: string;
  readonly contextKey: string;
  /** The first 4 bytes of the SHA-256 digest in lowercase hex: tells a hash bug from a scaling bug. */
  readonly hashPrefix: string;
  readonly bucket: number;
}

export interface EvaluationVector {
  readonly name: string;
  /** A flag document as JSON. */
  readonly flag: unknown;
  /** Segment documents the flag's rules may refer to. */
  readonly segments?: readonly unknown[];
  readonly context: unknown;
  /** The evaluation as vectorOutcome() gives it. */
  readonly expected: unknown;
}

export interface FlagVectors {
  readonly format: typeof VECTORS_FORMAT;
  readonly description: string;
  readonly buckets: readonly BucketVector[];
  readonly evaluations: readonly EvaluationVector[];
}

export interface VectorMismatch {
  /** Which vector, e.g. 'buckets[12] ("checkout"/"s1"/"user-7")' or 'evaluations[3] (rule match)'. */
  readonly vector: string;
  readonly expected: string;
  readonly actual: string;
}

const vectorsSchema = z.object({
  format: z.literal(VECTORS_FORMAT),
  description: z.string(),
  buckets: z.array(
    z.object({
      flagKey: z.string(),
      salt: z.string(),
      contextKey: z.string(),
      hashPrefix: z.string(),
      bucket: z.number(),
    }),
  ),
  evaluations: z.array(
    z.object({
      name: z.string(),
      flag: z.unknown(),
      segments: z.array(z.unknown()).optional(),
      context: z.unknown(),
      expected: z.unknown(),
    }),
  ),
});

const utf8 = new TextEncoder();

/** The hex of the first 4 digest bytes of the bucket input. */
export function hashPrefixOf(flagKey: string, salt: string, contextKey: string): string {
  const digest = sha256(utf8.encode(bucketInput(flagKey, salt, contextKey)));
  return Array.from(digest.subarray(0, 4), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** JSON with object keys sorted, so that two equal values print the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_field, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const entries = Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

/**
 * An evaluation as the vectors record it: its JSON (an ERROR has only a reason) without the
 * errorMessage, whose wording is this implementation's and not part of the behaviour pinned down.
 */
export function vectorOutcome(evaluation: FlagEvaluation): unknown {
  const { errorMessage: _wording, ...reason } = evaluation.reason;
  return JSON.parse(JSON.stringify({ ...evaluation, reason })) as unknown;
}

/** Every vector this build disagrees with; an empty list means it matches them all. */
export function checkVectors(vectors: unknown): VectorMismatch[] {
  const parsed = vectorsSchema.safeParse(vectors);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return [
      {
        vector: 'vectors file',
        expected: `a ${VECTORS_FORMAT} document`,
        actual: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      },
    ];
  }
  const mismatches: VectorMismatch[] = [];
  parsed.data.buckets.forEach((vector, index) => {
    const name = `buckets[${index}] (${JSON.stringify(vector.flagKey)}/${JSON.stringify(vector.salt)}/${JSON.stringify(vector.contextKey)})`;
    const hashPrefix = hashPrefixOf(vector.flagKey, vector.salt, vector.contextKey);
    const bucket = bucketOf(vector.flagKey, vector.salt, vector.contextKey);
    if (hashPrefix !== vector.hashPrefix || bucket !== vector.bucket) {
      mismatches.push({
        vector: name,
        expected: `hash ${vector.hashPrefix}, bucket ${vector.bucket}`,
        actual: `hash ${hashPrefix}, bucket ${bucket}`,
      });
    }
  });
  parsed.data.evaluations.forEach((vector, index) => {
    const name = `evaluations[${index}] (${vector.name})`;
    const actual = evaluateVector(vector);
    const expected = canonicalJson(vector.expected);
    if (actual !== expected) mismatches.push({ vector: name, expected, actual });
  });
  return mismatches;
}

/** The vector's evaluation as canonical JSON, or a description of why it could not run. */
function evaluateVector(vector: z.infer<typeof vectorsSchema>['evaluations'][number]): string {
  const flag = decodeFlagDocument(vector.flag);
  if (isVaneError(flag)) return `invalid flag document: ${flag.message}`;
  const segments = new Map<string, SegmentDocument>();
  for (const json of vector.segments ?? []) {
    const segment = decodeSegmentDocument(json);
    if (isVaneError(segment)) return `invalid segment document: ${segment.message}`;
    segments.set(segment.key, segment);
  }
  return canonicalJson(vectorOutcome(evaluateFlag(flag, vector.context as EvaluationContext, { segments })));
}
