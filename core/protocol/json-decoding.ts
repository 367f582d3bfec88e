// The path from JSON to typed values. Client requests: shape guard, schema, then the checks a schema
// cannot express (configurable limits, key and value encoding), each error naming where it happened.
// Server responses (decoded by the SDK): depth guard and schema.

import type { z } from 'zod';
import type { Limits } from '../limits.ts';
import type { KeySelector } from '../store/types.ts';
import { MAX_REQUEST_ID_BYTES } from './command.ts';
import { type DecodeError, decodeError, formatPath, limitError, refuse, runDecoder } from './errors.ts';
import { checkJsonShape } from './json.ts';
import { ALL_KEYS_FROM, loneSurrogateIndex, prefixRange, utf8ByteLength } from './keys.ts';
import { base64DecodedLength, decodeBase64, encodeUtf8, type ValueEncoding } from './text.ts';

/** A client request decoded into the store's types, with the options that travel beside it. */
export interface DecodedRequest<T> {
  readonly request: T;
  /** How values in the response are to be encoded ('utf8' where no values travel). */
  readonly encoding: ValueEncoding;
  /** The client's id for a write, so that a retry applies once. */
  readonly requestId?: string;
  /** Reads only: answer from this member's state, possibly stale. */
  readonly serializable?: boolean;
  /** Reads only: answer from a state at or after this revision (absent: no floor). */
  readonly minRevision?: number;
}

/** Runs shape guard, schema and conversion; never throws. */
export function decodeClientJson<S extends z.ZodType, T>(
  root: string,
  json: unknown,
  schema: S,
  limits: Limits,
  convert: (parsed: z.output<S>) => T,
  precheck?: (json: unknown) => void,
): T | DecodeError {
  return runDecoder(root, () => {
    checkJsonShape(json, root, limits);
    precheck?.(json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) refuse(schemaError(root, parsed.error));
    return convert(parsed.data);
  });
}

/** Runs a response decoder: depth guard, schema, conversion; never throws. */
export function decodeServerJson<S extends z.ZodType, T>(
  root: string,
  json: unknown,
  schema: S,
  limits: Limits,
  convert: (parsed: z.output<S>) => T,
  precheck?: (json: unknown) => void,
): T | DecodeError {
  return runDecoder(root, () => {
    // Responses may legitimately hold more values than a request; only their depth is bounded.
    checkJsonShape(json, root, { ...limits, maxRequestBytes: Number.MAX_SAFE_INTEGER });
    precheck?.(json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) refuse({ ...schemaError(root, parsed.error), code: 'decodeError' });
    return convert(parsed.data);
  });
}

/** The first issue zod found, as a DecodeError whose message names the field. */
export function schemaError(root: string, error: z.ZodError): DecodeError {
  const issue = error.issues[0]!;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  if (issue.code === 'unrecognized_keys') {
    const where = formatPath(root, [...issue.path, issue.keys[0]!]);
    return decodeError('invalidRequest', where, `unknown field${more}`, { issues: error.issues.length });
  }
  let what = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
  if (issue.code === 'invalid_type' && what.endsWith('received undefined')) {
    what = `missing (expected ${issue.expected})`;
  }
  what = what.charAt(0).toLowerCase() + what.slice(1);
  return decodeError('invalidRequest', formatPath(root, issue.path), `${what}${more}`, {
    issues: error.issues.length,
  });
}

/** 'success[2].put' + 'key' → 'success[2].put.key'; '' + 'key' → 'key'. */
export function joinPath(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

/** The key selector's wire form: key plus rangeEnd or prefix. */
export interface KeySelectorJson {
  readonly key: string;
  readonly rangeEnd?: string | undefined;
  readonly prefix?: boolean | undefined;
}

/**
 * Checks keys and values against the limits and converts values to bytes, keeping a running total
 * of the bytes a request carries (against maxRequestBytes).
 */
export class RequestChecker {
  private readonly root: string;
  private readonly limits: Limits;
  private readonly encoding: ValueEncoding;
  private carried = 0;

  constructor(root: string, limits: Limits, encoding: ValueEncoding) {
    this.root = root;
    this.limits = limits;
    this.encoding = encoding;
  }

  /** `path` is relative to the request's root, e.g. 'success[3].put'. */
  where(path: string): string {
    if (path === '') return this.root;
    return path.startsWith('[') ? `${this.root}${path}` : `${this.root}.${path}`;
  }

  key(path: string, field: string, key: string): string {
    const where = (): string => this.where(joinPath(path, field));
    // Keys from a route's path bypass the schema; they must be strings all the same.
    if (typeof key !== 'string')
      refuse(decodeError('invalidRequest', where(), `expected string, received ${typeof key}`));
    const surrogate = loneSurrogateIndex(key);
    if (surrogate >= 0) {
      refuse(
        decodeError('invalidRequest', where(), `not valid Unicode (lone surrogate at index ${surrogate})`),
      );
    }
    const bytes = utf8ByteLength(key);
    if (bytes > this.limits.maxKeyBytes) {
      refuse(limitError(where(), 'maxKeyBytes', this.limits, `${field} is ${bytes} bytes`, bytes, 'bytes'));
    }
    this.carry(bytes);
    return key;
  }

  /** A single key (must not be empty) or a range: [key, rangeEnd), or every key starting with key. */
  selector(path: string, json: KeySelectorJson): KeySelector {
    const key = this.key(path, 'key', json.key);
    if (json.prefix === true && json.rangeEnd !== undefined) {
      refuse(decodeError('invalidRequest', this.where(path), 'give either prefix or rangeEnd, not both'));
    }
    if (json.prefix === true) return prefixRange(key);
    if (json.rangeEnd !== undefined) {
      if (json.rangeEnd === '') {
        refuse(
          decodeError(
            'invalidRequest',
            this.where(joinPath(path, 'rangeEnd')),
            `empty; omit rangeEnd to select the single key, or use '${ALL_KEYS_FROM}' for every key >= key`,
          ),
        );
      }
      return { key, rangeEnd: this.key(path, 'rangeEnd', json.rangeEnd) };
    }
    if (key === '') {
      refuse(
        decodeError('invalidRequest', this.where(joinPath(path, 'key')), 'empty; a key selects nothing'),
      );
    }
    return { key };
  }

  /** A value in the request's encoding, as bytes; `path` names the value's field. */
  value(path: string, text: string): Uint8Array {
    let bytes: Uint8Array;
    if (this.encoding === 'base64') {
      this.checkValueBytes(path, base64DecodedLength(text));
      const decoded = decodeBase64(text);
      if (typeof decoded === 'string') refuse(decodeError('invalidRequest', this.where(path), decoded));
      bytes = decoded;
    } else {
      const surrogate = loneSurrogateIndex(text);
      if (surrogate >= 0) {
        refuse(
          decodeError(
            'invalidRequest',
            this.where(path),
            `not valid Unicode (lone surrogate at index ${surrogate}); send binary values with encoding 'base64'`,
          ),
        );
      }
      // Encoding before measuring copies at most what the already bounded request text holds.
      bytes = encodeUtf8(text);
      this.checkValueBytes(path, bytes.length);
    }
    this.carry(bytes.length);
    return bytes;
  }

  private checkValueBytes(path: string, bytes: number): void {
    if (bytes > this.limits.maxValueBytes) {
      refuse(
        limitError(this.where(path), 'maxValueBytes', this.limits, `value is ${bytes} bytes`, bytes, 'bytes'),
      );
    }
  }

  requestId(requestId: string | undefined): string | undefined {
    if (requestId === undefined) return undefined;
    const where = this.where('requestId');
    if (requestId === '') refuse(decodeError('invalidRequest', where, 'empty; omit it for no deduplication'));
    const surrogate = loneSurrogateIndex(requestId);
    if (surrogate >= 0) {
      refuse(
        decodeError('invalidRequest', where, `not valid Unicode (lone surrogate at index ${surrogate})`),
      );
    }
    const bytes = utf8ByteLength(requestId);
    if (bytes > MAX_REQUEST_ID_BYTES) {
      refuse(
        decodeError('invalidRequest', where, `${bytes} bytes; at most ${MAX_REQUEST_ID_BYTES} are allowed`),
      );
    }
    return requestId;
  }

  private carry(bytes: number): void {
    this.carried += bytes;
    if (this.carried > this.limits.maxRequestBytes) {
      refuse(
        limitError(
          this.root,
          'maxRequestBytes',
          this.limits,
          `keys and values add up to ${this.carried} bytes`,
          this.carried,
          'bytes',
        ),
      );
    }
  }
}

/** Store-side optional fields are omitted when they hold their default, so equal requests look equal. */
export function withOptional<T extends object>(
  base: T,
  optional: { readonly [K in keyof T]?: T[K] | undefined },
): T {
  const out = { ...base };
  for (const name of Object.keys(optional) as (keyof T)[]) {
    const value = optional[name];
    if (value !== undefined && value !== false && value !== 0) out[name] = value as T[keyof T];
  }
  return out;
}
