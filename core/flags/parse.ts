// From stored text to a validated, deeply frozen document, or a VaneError whose message names the
// field (rules[2].clauses[0].values) and, for a limit, the limit. Frozen, because one parsed document
// is shared by every evaluation and the values it hands out must not be changed by callers.

import type { z } from 'zod';
import { type VaneError, vaneError } from '../errors.ts';
import { formatBytes } from '../limits.ts';
import { checkJsonShape } from './json-shape.ts';
import { FLAG_LIMITS, type FlagLimitName } from './limits.ts';
import { flagDocumentSchema, quote, segmentDocumentSchema } from './schema.ts';
import { FLAG_KEY_PREFIX, SEGMENT_KEY_PREFIX } from './storage-keys.ts';
import type { FlagDocument, SegmentDocument } from './types.ts';

type DocumentKind = 'flag' | 'segment';

interface DocumentFormat<T> {
  readonly kind: DocumentKind;
  readonly schema: z.ZodType<T>;
  readonly byteLimit: FlagLimitName;
  readonly storagePrefix: string;
}

const FLAG_FORMAT: DocumentFormat<FlagDocument> = {
  kind: 'flag',
  schema: flagDocumentSchema,
  byteLimit: 'maxFlagDocumentBytes',
  storagePrefix: FLAG_KEY_PREFIX,
};
const SEGMENT_FORMAT: DocumentFormat<SegmentDocument> = {
  kind: 'segment',
  schema: segmentDocumentSchema,
  byteLimit: 'maxSegmentDocumentBytes',
  storagePrefix: SEGMENT_KEY_PREFIX,
};

/**
 * A flag document from its JSON text. `expectedKey`, when given, is the flag key the document is
 * stored under, and the document's own key must equal it.
 */
export function parseFlagDocument(text: string, expectedKey?: string): FlagDocument | VaneError {
  return parseDocument(FLAG_FORMAT, text, expectedKey);
}

/** A flag document from already-parsed JSON. */
export function decodeFlagDocument(json: unknown, expectedKey?: string): FlagDocument | VaneError {
  return decodeDocument(FLAG_FORMAT, json, expectedKey);
}

export function parseSegmentDocument(text: string, expectedKey?: string): SegmentDocument | VaneError {
  return parseDocument(SEGMENT_FORMAT, text, expectedKey);
}

export function decodeSegmentDocument(json: unknown, expectedKey?: string): SegmentDocument | VaneError {
  return decodeDocument(SEGMENT_FORMAT, json, expectedKey);
}

/** UTF-8 length without encoding; a lone surrogate counts as the 3 bytes of U+FFFD. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function parseDocument<T>(format: DocumentFormat<T>, text: string, expectedKey?: string): T | VaneError {
  const size = utf8Length(text);
  const maximum = FLAG_LIMITS[format.byteLimit];
  if (size > maximum) {
    return vaneError(
      'valueTooLarge',
      `${format.kind} document is ${formatBytes(size)}; the limit is ${formatBytes(maximum)} (${format.byteLimit})`,
      { limit: format.byteLimit, maximum, actual: size },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message : String(caught);
    return vaneError('decodeError', `${format.kind} document is not valid JSON (${reason})`);
  }
  return decodeDocument(format, json, expectedKey);
}

function decodeDocument<T>(format: DocumentFormat<T>, json: unknown, expectedKey?: string): T | VaneError {
  const shape = checkJsonShape(json, FLAG_LIMITS[format.byteLimit]);
  if (shape !== undefined) return documentError(format.kind, shape.path, shape.message, shape.details);
  const parsed = format.schema.safeParse(json);
  if (!parsed.success) return schemaError(format.kind, parsed.error);
  const key = (parsed.data as { key: string }).key;
  if (expectedKey !== undefined && key !== expectedKey) {
    return documentError(
      format.kind,
      ['key'],
      `${quote(key)} differs from the key the document is stored under (${format.storagePrefix}${expectedKey})`,
    );
  }
  return deepFreeze(parsed.data);
}

/** 'rules', 3, 'clauses' → 'rules[3].clauses'. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = String(segment);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) out += `[${JSON.stringify(name)}]`;
      else out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}

function documentError(
  kind: DocumentKind,
  path: readonly PropertyKey[],
  what: string,
  details?: Readonly<Record<string, string | number>>,
): VaneError {
  const where = formatPath(path);
  const message = where === '' ? `${kind} document: ${what}` : `${kind} document: ${where}: ${what}`;
  return vaneError('invalidRequest', message, { path: where, ...details });
}

/** The first issue zod found, naming the field; the count of the others is in details. */
function schemaError(kind: DocumentKind, error: z.ZodError): VaneError {
  const issue = error.issues[0]!;
  const others = error.issues.length - 1;
  const more = others > 0 ? ` (and ${others} more ${others === 1 ? 'problem' : 'problems'})` : '';
  const details: Record<string, string | number> = { issues: error.issues.length };
  if (issue.code === 'unrecognized_keys') {
    return documentError(kind, [...issue.path, issue.keys[0]!], `unknown field${more}`, details);
  }
  if (issue.code === 'custom' && issue.params !== undefined) {
    for (const [name, value] of Object.entries(issue.params)) {
      if (typeof value === 'string' || typeof value === 'number') details[name] = value;
    }
  }
  let what = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
  if (issue.code === 'invalid_type' && what.endsWith('received undefined')) {
    what = `missing (expected ${issue.expected})`;
  }
  what = what.charAt(0).toLowerCase() + what.slice(1);
  return documentError(kind, issue.path, `${what}${more}`, details);
}

function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const child of Object.values(item)) pending.push(child);
  }
  return value;
}
