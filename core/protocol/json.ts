// Client input before the schemas see it: the raw body's size and syntax, then the parsed value's
// depth and breadth, so that neither a huge body nor 10,000 levels of nesting reach zod (whose
// recursive schemas would otherwise recurse as deep as the input).

import type { Limits } from '../limits.ts';
import { MAX_COMMAND_TXN_DEPTH } from './command.ts';
import { type DecodeError, decodeError, limitError, refuse, runDecoder } from './errors.ts';
import { utf8ByteLength } from './keys.ts';
import { decodeUtf8 } from './text.ts';

export interface JsonBody {
  readonly value: unknown;
}

/** Parses a request body, refusing it first if it exceeds limits.maxRequestBytes. Never throws. */
export function parseJsonBody(body: string | Uint8Array, limits: Limits): JsonBody | DecodeError {
  return runDecoder('request body', () => {
    const size = typeof body === 'string' ? utf8ByteLength(body) : body.length;
    if (size > limits.maxRequestBytes) {
      return limitError('request body', 'maxRequestBytes', limits, `body is ${size} bytes`, size, 'bytes');
    }
    const text = typeof body === 'string' ? body : decodeUtf8(body);
    if (text === undefined) return decodeError('decodeError', 'request body', 'body is not valid UTF-8');
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (caught) {
      const reason = caught instanceof Error ? caught.message : String(caught);
      return decodeError('decodeError', 'request body', `body is not valid JSON (${reason})`);
    }
  });
}

/**
 * How deep a request may nest: a txn level takes three (ops array, op, txn), plus room for the
 * request's own fields and one level beyond the limit so that the txn check can name maxTxnDepth.
 */
function maxJsonDepth(limits: Limits): number {
  return 3 * (Math.min(limits.maxTxnDepth, MAX_COMMAND_TXN_DEPTH) + 1) + 8;
}

const SHOWN_PATH_SEGMENTS = 12;

/**
 * Refuses a value nested deeper than maxJsonDepth or holding more values than a body of
 * maxRequestBytes could (each takes at least a byte). Iterative, so it cannot overflow the stack;
 * the path to a too-deep value is only worked out once one is found.
 */
export function checkJsonShape(value: unknown, root: string, limits: Limits): void {
  const maxDepth = maxJsonDepth(limits);
  const maxValues = limits.maxRequestBytes;
  let values = 0;
  const pending: unknown[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop()!;
    if (++values > maxValues) {
      refuse(
        decodeError(
          'requestTooLarge',
          root,
          `request holds more than ${maxValues} values, more than a body within maxRequestBytes can`,
          { limit: 'maxRequestBytes', maximum: maxValues },
        ),
      );
    }
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= maxDepth) {
      refuse(
        decodeError(
          'invalidRequest',
          shortPath(root, pathToDepth(value, maxDepth)),
          `nested more than ${maxDepth} levels deep (the limit follows maxTxnDepth ${limits.maxTxnDepth})`,
          { limit: 'maxTxnDepth', maximum: maxDepth },
        ),
      );
    }
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) {
        pending.push(item[i]);
        depths.push(depth + 1);
      }
    } else {
      const record = item as Record<string, unknown>;
      for (const name of Object.keys(record)) {
        pending.push(record[name]);
        depths.push(depth + 1);
      }
    }
  }
}

/** The path to some object or array at `depth` (one is known to exist). */
function pathToDepth(value: unknown, depth: number): (string | number)[] {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.path.length >= depth) return item.path;
    for (const [name, child] of Object.entries(item.value)) {
      stack.push({ value: child, path: [...item.path, Array.isArray(item.value) ? Number(name) : name] });
    }
  }
  return [];
}
function shortPath(root: string, path: readonly (string | number)[]): string {
  const segments = (segments: readonly (string | number)[]): string =>
    segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
  if (path.length <= SHOWN_PATH_SEGMENTS) return root + segments(path);
  return `${root}${segments(path.slice(0, SHOWN_PATH_SEGMENTS))}…(${path.length - SHOWN_PATH_SEGMENTS} more levels)`;
}
