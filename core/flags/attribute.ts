// Attribute references, as clauses and rollouts name context attributes: a plain name ('plan',
// 'e-mail', even 'a/b') is one top-level attribute; a reference starting with '/' is a path into
// nested objects ('/address/city'), with '~1' for '/' and '~0' for '~' inside a segment (JSON Pointer).

import { FLAG_LIMITS, type FlagLimitName } from './limits.ts';

export type AttributePath = readonly string[];

/** Why a reference names no attribute; `limit` is set when a limit was hit. */
export interface AttributeReferenceProblem {
  readonly problem: string;
  readonly limit?: FlagLimitName;
  readonly actual?: number;
}

/** Array.isArray does not narrow a readonly array type, so callers ask this instead. */
export function isAttributePath(parsed: AttributePath | AttributeReferenceProblem): parsed is AttributePath {
  return Array.isArray(parsed);
}

export function parseAttributeReference(reference: string): AttributePath | AttributeReferenceProblem {
  if (reference.length === 0) return { problem: 'an attribute reference cannot be empty' };
  if (reference.length > FLAG_LIMITS.maxAttributeLength) {
    return {
      problem: `${reference.length} characters`,
      limit: 'maxAttributeLength',
      actual: reference.length,
    };
  }
  if (!reference.startsWith('/')) return [reference];
  const segments = reference.slice(1).split('/');
  if (segments.length > FLAG_LIMITS.maxAttributeDepth) {
    return {
      problem: `attribute path of ${segments.length} segments`,
      limit: 'maxAttributeDepth',
      actual: segments.length,
    };
  }
  const path: string[] = [];
  for (const segment of segments) {
    if (segment.length === 0) return { problem: `attribute path '${reference}' has an empty segment` };
    if (/~(?![01])/.test(segment)) {
      return {
        problem: `attribute path '${reference}' has a '~' not followed by 0 or 1 (write ~0 for '~', ~1 for '/')`,
      };
    }
    path.push(segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return path;
}

/**
 * The value at `path` in the context, or undefined when any step is missing, null or not a plain
 * object. Only own properties count, so 'constructor' or '__proto__' never reach a prototype.
 */
export function attributeValue(context: object, path: AttributePath): unknown {
  let current: unknown = context;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current === null ? undefined : current;
}
