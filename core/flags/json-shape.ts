// Before a document meets its schema: it must be plain JSON data (what JSON.parse yields), nested
// at most maxJsonDepth deep and holding no more values than a document within the byte limit could.
// Iterative, so hostile nesting cannot overflow the stack, and zod never recurses into variation values.

import { FLAG_LIMITS } from './limits.ts';

export interface ShapeProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly details?: Readonly<Record<string, string | number>>;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The first problem found, or undefined when `value` is plain JSON within the limits. */
export function checkJsonShape(value: unknown, maxValues: number): ShapeProblem | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  let values = 0;
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (++values > maxValues) {
      return {
        path: [],
        message: `holds more than ${maxValues} JSON values, more than a document within its byte limit can`,
        details: { maximum: maxValues },
      };
    }
    const current = item.value;
    if (current === null || typeof current === 'string' || typeof current === 'boolean') continue;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { path: item.path, message: `${current} is not a JSON number` };
      continue;
    }
    if (typeof current !== 'object') return { path: item.path, message: `a ${typeof current} is not JSON` };
    if (item.path.length >= FLAG_LIMITS.maxJsonDepth) {
      return {
        path: item.path,
        message: `nested more than ${FLAG_LIMITS.maxJsonDepth} levels deep; the limit is ${FLAG_LIMITS.maxJsonDepth} (maxJsonDepth)`,
        details: { limit: 'maxJsonDepth', maximum: FLAG_LIMITS.maxJsonDepth },
      };
    }
    if (Array.isArray(current)) {
      current.forEach((element, index) => {
        pending.push({ value: element, path: [...item.path, index] });
      });
    } else if (isPlainObject(current)) {
      for (const [field, element] of Object.entries(current)) {
        // An undefined property is an absent one, as JSON.stringify treats it.
        if (element !== undefined) pending.push({ value: element, path: [...item.path, field] });
      }
    } else {
      return { path: item.path, message: 'only plain objects are JSON (this one has a class)' };
    }
  }
  return undefined;
}
