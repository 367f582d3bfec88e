// How one clause compares a context attribute with its values. A missing (or null) attribute
// never matches, negated or not: "country is not US" must not catch contexts that never said where
// they are. An array attribute matches when any element does ("groups in [beta]").

import { attributeValue, isAttributePath, parseAttributeReference } from './attribute.ts';
import { compareSemVer, parseSemVer } from './semver.ts';
import type { AttributeOperator, Clause, ClauseValue } from './types.ts';

/** The attribute operators; segmentMatch clauses are the evaluator's (they need segments). */
export function attributeClauseMatches(clause: Clause, context: object): boolean {
  if (clause.op === 'segmentMatch' || clause.attribute === undefined) return false;
  const path = parseAttributeReference(clause.attribute);
  if (!isAttributePath(path)) return false;
  const actual = attributeValue(context, path);
  if (actual === undefined) return false;
  const candidates: readonly unknown[] = Array.isArray(actual) ? actual : [actual];
  // notEquals is the negation of equals over a present attribute.
  const op = clause.op === 'notEquals' ? 'equals' : clause.op;
  const anyMatch = candidates.some((candidate) =>
    clause.values.some((expected) => operatorMatches(op, candidate, expected)),
  );
  const result = clause.op === 'notEquals' ? !anyMatch : anyMatch;
  return clause.negate === true ? !result : result;
}

function operatorMatches(
  op: Exclude<AttributeOperator, 'notEquals'>,
  actual: unknown,
  expected: ClauseValue,
): boolean {
  switch (op) {
    case 'equals':
    case 'in':
      return actual === expected;
    case 'startsWith':
      return typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected);
    case 'endsWith':
      return typeof actual === 'string' && typeof expected === 'string' && actual.endsWith(expected);
    case 'contains':
      return typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    case 'lessThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual < expected;
    case 'lessThanOrEqual':
      return typeof actual === 'number' && typeof expected === 'number' && actual <= expected;
    case 'greaterThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual > expected;
    case 'greaterThanOrEqual':
      return typeof actual === 'number' && typeof expected === 'number' && actual >= expected;
    case 'semVerEqual':
      return semVerOrder(actual, expected) === 0;
    case 'semVerLessThan':
      return semVerOrder(actual, expected) === -1;
    case 'semVerGreaterThan':
      return semVerOrder(actual, expected) === 1;
  }
}

/** -1, 0 or 1; undefined unless both are strict semantic versions. */
function semVerOrder(actual: unknown, expected: ClauseValue): number | undefined {
  if (typeof actual !== 'string' || typeof expected !== 'string') return undefined;
  const a = parseSemVer(actual);
  const b = parseSemVer(expected);
  return a === undefined || b === undefined ? undefined : compareSemVer(a, b);
}
