// The zod schemas of flag and segment documents. Objects are strict (a misspelt field such as
// 'fallthru' is refused, not ignored); every list and string has a limit whose error names it; and
// the checks a field-by-field schema cannot make (references to variation ids, weights summing to
// 100%, duplicates) run once the fields are valid, each reporting the path of the offending field.

import * as z from 'zod';
import { isAttributePath, parseAttributeReference } from './attribute.ts';
import { BUCKET_COUNT } from './bucket.ts';
import { FLAG_LIMITS, type FlagLimitName } from './limits.ts';
import { parseSemVer } from './semver.ts';
import { DOCUMENT_KEY_PATTERN, isDocumentKey } from './storage-keys.ts';
import {
  type Clause,
  type ClauseValue,
  type FlagDocument,
  type JsonValue,
  OPERATORS,
  type Operator,
  type Rule,
  type SegmentDocument,
  type Serve,
} from './types.ts';

type Path = readonly (string | number)[];

export interface Problem {
  readonly path: Path;
  readonly message: string;
  readonly params?: Readonly<Record<string, string | number>>;
}

interface CheckContext {
  readonly value: unknown;
  readonly issues: unknown[];
}

function report(ctx: CheckContext, problem: Problem): void {
  const issue: z.core.$ZodRawIssue = {
    code: 'custom',
    input: ctx.value,
    path: [...problem.path],
    message: problem.message,
    ...(problem.params === undefined ? {} : { params: problem.params }),
  };
  ctx.issues.push(issue);
}

function overLimit(path: Path, limit: FlagLimitName, actual: number, what: string): Problem {
  const maximum = FLAG_LIMITS[limit];
  return {
    path,
    message: `${what}; the limit is ${maximum} (${limit})`,
    params: { limit, maximum, actual },
  };
}

/** A string as it appears in a message: quoted, and cut short if long. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}

// ---- strings ----

interface TextRule {
  readonly pattern: RegExp;
  readonly explanation: string;
}

const KEY_RULE: TextRule = {
  pattern: DOCUMENT_KEY_PATTERN,
  explanation: "must start with a letter or digit and hold only ASCII letters, digits, '.', '_' and '-'",
};
const SALT_RULE: TextRule = {
  pattern: /^[A-Za-z0-9_-]*$/,
  explanation: "may hold only ASCII letters, digits, '_' and '-'",
};
const NON_EMPTY_RULE: TextRule = { pattern: /./s, explanation: 'cannot be empty' };

function boundedString(limit: FlagLimitName, rule?: TextRule) {
  return z.string().check((ctx) => {
    const text = ctx.value;
    if (text.length > FLAG_LIMITS[limit])
      report(ctx, overLimit([], limit, text.length, `${text.length} characters`));
    else if (rule !== undefined && !rule.pattern.test(text)) {
      report(ctx, { path: [], message: `${quote(text)} ${rule.explanation}` });
    }
  });
}

const documentKeySchema = boundedString('maxKeyLength', KEY_RULE);
const idSchema = boundedString('maxIdLength', KEY_RULE);
const saltSchema = boundedString('maxSaltLength', SALT_RULE);
const descriptionSchema = boundedString('maxDescriptionLength');
const contextKeySchema = boundedString('maxStringValueLength', NON_EMPTY_RULE);

const attributeSchema = z.string().check((ctx) => {
  const parsed = parseAttributeReference(ctx.value);
  if (isAttributePath(parsed)) return;
  if (parsed.limit !== undefined && parsed.actual !== undefined) {
    report(ctx, overLimit([], parsed.limit, parsed.actual, parsed.problem));
  } else report(ctx, { path: [], message: parsed.problem });
});

function boundedArray<T extends z.ZodType>(item: T, limit: FlagLimitName, noun: string) {
  return z.array(item).check((ctx) => {
    const count = ctx.value.length;
    if (count > FLAG_LIMITS[limit]) report(ctx, overLimit([], limit, count, `${count} ${noun}`));
  });
}

// ---- values ----

const jsonValueSchema = z.custom<JsonValue>((value) => value !== undefined, {
  error: 'missing (expected a JSON value)',
});

const clauseValueSchema = z.custom<ClauseValue>(
  (value) =>
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)),
  { error: 'expected a string, a number or a boolean' },
);

// ---- clauses ----

type ValueKind = 'scalar' | 'string' | 'number' | 'semver' | 'segmentKey';

/** What each operator compares, and whether it takes one value or any of several. */
const OPERATOR_VALUES: Readonly<Record<Operator, { kind: ValueKind; single: boolean }>> = {
  equals: { kind: 'scalar', single: true },
  notEquals: { kind: 'scalar', single: true },
  in: { kind: 'scalar', single: false },
  startsWith: { kind: 'string', single: false },
  endsWith: { kind: 'string', single: false },
  contains: { kind: 'string', single: false },
  lessThan: { kind: 'number', single: true },
  lessThanOrEqual: { kind: 'number', single: true },
  greaterThan: { kind: 'number', single: true },
  greaterThanOrEqual: { kind: 'number', single: true },
  semVerEqual: { kind: 'semver', single: false },
  semVerLessThan: { kind: 'semver', single: true },
  semVerGreaterThan: { kind: 'semver', single: true },
  segmentMatch: { kind: 'segmentKey', single: false },
};

function clauseValueProblem(
  op: Operator,
  kind: ValueKind,
  value: ClauseValue,
  path: Path,
): Problem | undefined {
  if (typeof value === 'string' && value.length > FLAG_LIMITS.maxStringValueLength) {
    return overLimit(path, 'maxStringValueLength', value.length, `${value.length} characters`);
  }
  switch (kind) {
    case 'scalar':
      return undefined;
    case 'string':
      return typeof value === 'string'
        ? undefined
        : { path, message: `${op} compares text: expected a string` };
    case 'number':
      return typeof value === 'number'
        ? undefined
        : { path, message: `${op} compares numbers: expected a number` };
    case 'semver':
      if (typeof value === 'string' && parseSemVer(value) !== undefined) return undefined;
      return {
        path,
        message: `${typeof value === 'string' ? quote(value) : String(value)} is not a semantic version (MAJOR.MINOR.PATCH[-prerelease][+build], e.g. "1.4.0")`,
      };
    case 'segmentKey':
      if (typeof value === 'string' && isDocumentKey(value)) return undefined;
      return {
        path,
        message: `expected a segment key: at most ${FLAG_LIMITS.maxKeyLength} characters that ${KEY_RULE.explanation}`,
      };
  }
}

export function clauseProblems(clause: Clause): Problem[] {
  const problems: Problem[] = [];
  const { kind, single } = OPERATOR_VALUES[clause.op];
  if (clause.op === 'segmentMatch') {
    if (clause.attribute !== undefined) {
      problems.push({
        path: ['attribute'],
        message: 'segmentMatch takes segment keys in values and no attribute',
      });
    }
  } else if (clause.attribute === undefined) {
    problems.push({ path: ['attribute'], message: `missing (${clause.op} compares a context attribute)` });
  }
  if (clause.values.length === 0) problems.push({ path: ['values'], message: 'needs at least one value' });
  if (single && clause.values.length > 1) {
    const hint = clause.op === 'equals' ? "; use 'in' to match any of several" : '';
    problems.push({
      path: ['values'],
      message: `${clause.op} takes exactly one value, not ${clause.values.length}${hint}`,
    });
  }
  clause.values.forEach((value, index) => {
    const problem = clauseValueProblem(clause.op, kind, value, ['values', index]);
    if (problem !== undefined) problems.push(problem);
  });
  return problems;
}

const clauseSchema = z
  .strictObject({
    attribute: attributeSchema.optional(),
    op: z.enum(OPERATORS),
    values: boundedArray(clauseValueSchema, 'maxValuesPerClause', 'values'),
    negate: z.boolean().optional(),
  })
  .check((ctx) => {
    for (const problem of clauseProblems(ctx.value)) report(ctx, problem);
  });

const clausesSchema = boundedArray(clauseSchema, 'maxClausesPerRule', 'clauses').check((ctx) => {
  if (ctx.value.length === 0) report(ctx, { path: [], message: 'needs at least one clause' });
});

// ---- what a rule serves ----

const rolloutSchema = z
  .strictObject({
    variations: boundedArray(
      z.strictObject({ variation: idSchema, weight: z.int().min(0).max(BUCKET_COUNT) }),
      'maxVariations',
      'rollout shares',
    ),
    bucketBy: attributeSchema.optional(),
  })
  .check((ctx) => {
    const shares = ctx.value.variations;
    if (shares.length === 0) {
      report(ctx, { path: ['variations'], message: 'needs at least one variation' });
      return;
    }
    const total = shares.reduce((sum, share) => sum + share.weight, 0);
    if (total !== BUCKET_COUNT) {
      report(ctx, {
        path: ['variations'],
        message: `weights sum to ${total}; they must sum to ${BUCKET_COUNT} (100%, weights are in 100000ths)`,
      });
    }
    const seen = new Map<string, number>();
    shares.forEach((share, index) => {
      const first = seen.get(share.variation);
      if (first === undefined) seen.set(share.variation, index);
      else {
        report(ctx, {
          path: ['variations', index, 'variation'],
          message: `${quote(share.variation)} has a share already (variations[${first}])`,
        });
      }
    });
  });

const serveSchema = z
  .strictObject({ variation: idSchema.optional(), rollout: rolloutSchema.optional() })
  .check((ctx) => {
    const { variation, rollout } = ctx.value;
    if ((variation === undefined) === (rollout === undefined)) {
      report(ctx, {
        path: [],
        message: 'needs exactly one of variation (a variation id) or rollout (percentages)',
      });
    }
  });

// ---- flags ----

const variationSchema = z.strictObject({
  id: idSchema,
  name: descriptionSchema.optional(),
  value: jsonValueSchema,
});

const targetSchema = z.strictObject({ variation: idSchema, keys: z.array(contextKeySchema) });

const ruleSchema = z.strictObject({
  id: idSchema.optional(),
  description: descriptionSchema.optional(),
  clauses: clausesSchema,
  serve: serveSchema,
});

function duplicateIds(ids: readonly (string | undefined)[], path: (index: number) => Path, noun: string) {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  ids.forEach((id, index) => {
    if (id === undefined) return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else problems.push({ path: path(index), message: `${quote(id)} is the id of ${noun}[${first}] already` });
  });
  return problems;
}

function serveProblems(serve: Serve, path: Path, known: ReadonlySet<string>, listed: string): Problem[] {
  const problems: Problem[] = [];
  const check = (id: string, at: Path) => {
    if (!known.has(id)) {
      problems.push({
        path: at,
        message: `${quote(id)} is not a variation of this flag (variations: ${listed})`,
      });
    }
  };
  if (serve.variation !== undefined) check(serve.variation, [...path, 'variation']);
  serve.rollout?.variations.forEach((share, index) => {
    check(share.variation, [...path, 'rollout', 'variations', index, 'variation']);
  });
  return problems;
}

export function flagProblems(flag: FlagDocument): Problem[] {
  const problems: Problem[] = [];
  if (flag.variations.length === 0) {
    problems.push({ path: ['variations'], message: 'needs at least one variation' });
  }
  problems.push(
    ...duplicateIds(
      flag.variations.map((variation) => variation.id),
      (index) => ['variations', index, 'id'],
      'variations',
    ),
  );
  const known = new Set(flag.variations.map((variation) => variation.id));
  const listed = flag.variations.map((variation) => variation.id).join(', ');
  if (!known.has(flag.offVariation)) {
    problems.push({
      path: ['offVariation'],
      message: `${quote(flag.offVariation)} is not a variation of this flag (variations: ${listed})`,
    });
  }

  let targetKeys = 0;
  const targetedVariation = new Map<string, number>();
  const targetedKey = new Map<string, string>();
  flag.targets.forEach((target, index) => {
    if (!known.has(target.variation)) {
      problems.push({
        path: ['targets', index, 'variation'],
        message: `${quote(target.variation)} is not a variation of this flag (variations: ${listed})`,
      });
    }
    const first = targetedVariation.get(target.variation);
    if (first === undefined) targetedVariation.set(target.variation, index);
    else {
      problems.push({
        path: ['targets', index, 'variation'],
        message: `${quote(target.variation)} has a target list already (targets[${first}])`,
      });
    }
    target.keys.forEach((key, keyIndex) => {
      const where = targetedKey.get(key);
      if (where === undefined) targetedKey.set(key, `targets[${index}].keys[${keyIndex}]`);
      else {
        problems.push({
          path: ['targets', index, 'keys', keyIndex],
          message: `context key ${quote(key)} is targeted already (${where})`,
        });
      }
    });
    targetKeys += target.keys.length;
  });
  if (targetKeys > FLAG_LIMITS.maxTargetKeys) {
    problems.push(overLimit(['targets'], 'maxTargetKeys', targetKeys, `${targetKeys} targeted context keys`));
  }

  problems.push(
    ...duplicateIds(
      flag.rules.map((rule: Rule) => rule.id),
      (index) => ['rules', index, 'id'],
      'rules',
    ),
  );
  flag.rules.forEach((rule, index) => {
    problems.push(...serveProblems(rule.serve, ['rules', index, 'serve'], known, listed));
  });
  problems.push(...serveProblems(flag.fallthrough, ['fallthrough'], known, listed));
  return problems;
}

export const flagDocumentSchema = z
  .strictObject({
    key: documentKeySchema,
    description: descriptionSchema.optional(),
    salt: saltSchema.default(''),
    on: z.boolean(),
    variations: boundedArray(variationSchema, 'maxVariations', 'variations'),
    offVariation: idSchema,
    targets: z.array(targetSchema).default([]),
    rules: boundedArray(ruleSchema, 'maxRules', 'rules').default([]),
    fallthrough: serveSchema,
  })
  .check((ctx) => {
    for (const problem of flagProblems(ctx.value)) report(ctx, problem);
  });

// ---- segments ----

const segmentRuleSchema = z
  .strictObject({
    id: idSchema.optional(),
    description: descriptionSchema.optional(),
    clauses: clausesSchema,
  })
  .check((ctx) => {
    ctx.value.clauses.forEach((clause, index) => {
      if (clause.op === 'segmentMatch') {
        report(ctx, {
          path: ['clauses', index, 'op'],
          message: 'segment rules cannot use segmentMatch (segments do not nest)',
        });
      }
    });
  });

export function segmentProblems(segment: SegmentDocument): Problem[] {
  const problems: Problem[] = [];
  const total = segment.included.length + segment.excluded.length;
  if (total > FLAG_LIMITS.maxSegmentKeys) {
    problems.push(
      overLimit([], 'maxSegmentKeys', total, `${total} context keys in included and excluded together`),
    );
  }
  const listedAt = new Map<string, string>();
  for (const list of ['included', 'excluded'] as const) {
    segment[list].forEach((key, index) => {
      const where = listedAt.get(key);
      if (where === undefined) listedAt.set(key, `${list}[${index}]`);
      else {
        problems.push({
          path: [list, index],
          message: `context key ${quote(key)} is listed already (${where})`,
        });
      }
    });
  }
  problems.push(
    ...duplicateIds(
      segment.rules.map((rule) => rule.id),
      (index) => ['rules', index, 'id'],
      'rules',
    ),
  );
  return problems;
}

export const segmentDocumentSchema = z
  .strictObject({
    key: documentKeySchema,
    description: descriptionSchema.optional(),
    included: z.array(contextKeySchema).default([]),
    excluded: z.array(contextKeySchema).default([]),
    rules: boundedArray(segmentRuleSchema, 'maxSegmentRules', 'rules').default([]),
  })
  .check((ctx) => {
    for (const problem of segmentProblems(ctx.value)) report(ctx, problem);
  });

// The schemas' outputs are the documented types; this fails to compile if they drift apart.
const flagSchemaMatchesType: z.ZodType<FlagDocument> = flagDocumentSchema;
const segmentSchemaMatchesType: z.ZodType<SegmentDocument> = segmentDocumentSchema;
void flagSchemaMatchesType;
void segmentSchemaMatchesType;
