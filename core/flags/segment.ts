// Segment membership: listed keys first (included, then excluded), then the rules, any of which
// admits the context. Segment rules hold attribute clauses only, so membership needs no other segment.

import { attributeClauseMatches } from './clause.ts';
import { listHoldsKey } from './key-set.ts';
import type { EvaluationContext, SegmentDocument } from './types.ts';

export function contextInSegment(segment: SegmentDocument, context: EvaluationContext): boolean {
  // A context without a key is in neither list, so only the rules can admit it.
  const key = context.key;
  if (typeof key === 'string' && key !== '') {
    if (listHoldsKey(segment.included, key)) return true;
    if (listHoldsKey(segment.excluded, key)) return false;
  }
  return segment.rules.some((rule) =>
    rule.clauses.every((clause) => attributeClauseMatches(clause, context)),
  );
}
