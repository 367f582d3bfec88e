// Typed config: a schema maps exact keys, or prefixes ending in '/', to zod types. A schema'd key's
// value is JSON text, parsed and checked on the way in and serialized on the way out; a key without
// a schema keeps its value as the string the server sent. Only zod's types are imported: the
// application's own zod does the checking, so the SDK ships none of it.
import type { z } from 'zod';
import type { SchemaIssue } from './errors.ts';
import type { KeyValue } from './types.ts';

/** Exact keys, or prefixes ending in '/', to the zod type of their values. */
export type SchemaMap = Readonly<Record<string, z.ZodType>>;

type PrefixOf<S> = Extract<keyof S, `${string}/`>;
type PrefixValue<S extends SchemaMap, K extends string> = {
  [P in PrefixOf<S>]: K extends `${P}${string}` ? z.output<S[P]> : never;
}[PrefixOf<S>];

/** The type of key K's value: its exact key's schema, else its prefixes' schemas, else string. */
export type ValueOf<S extends SchemaMap, K extends string> =
  K extends Exclude<keyof S, `${string}/`>
    ? z.output<S[K]>
    : [PrefixValue<S, K>] extends [never]
      ? string
      : PrefixValue<S, K>;

export type Decoded =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

export class TypedValues {
  readonly #exact = new Map<string, z.ZodType>();
  /** Longest first, so the most specific prefix wins. */
  readonly #prefixes: [string, z.ZodType][] = [];

  constructor(schema: SchemaMap | undefined) {
    for (const [key, type] of Object.entries(schema ?? {})) {
      if (typeof type?.safeParse !== 'function') {
        throw new Error(`createClient: schema['${key}'] is not a zod type`);
      }
      if (key.endsWith('/')) this.#prefixes.push([key, type]);
      else this.#exact.set(key, type);
    }
    this.#prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  schemaFor(key: string): z.ZodType | undefined {
    const exact = this.#exact.get(key);
    if (exact !== undefined) return exact;
    for (const [prefix, type] of this.#prefixes) if (key.startsWith(prefix)) return type;
    return undefined;
  }

  /** A stored value as the application sees it: checked and typed, or the string when untyped. */
  decode(kv: KeyValue): Decoded {
    const schema = this.schemaFor(kv.key);
    if (schema === undefined) return { ok: true, value: kv.value };
    if (kv.valueEncoding === 'base64') {
      return {
        ok: false,
        issues: [{ message: 'the stored value is not UTF-8 text, so not JSON', path: [] }],
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(kv.value);
    } catch (error) {
      return {
        ok: false,
        issues: [
          { message: `not JSON: ${error instanceof Error ? error.message : String(error)}`, path: [] },
        ],
      };
    }
    return this.#check(schema, json);
  }

  /**
   * The text to store for `value` under `key`: JSON of a value its schema accepts, or the string
   * itself for an untyped key. Returns the issues instead when the schema refuses it.
   */
  encode(
    key: string,
    value: unknown,
  ):
    | { readonly ok: true; readonly text: string }
    | { readonly ok: false; readonly issues: readonly SchemaIssue[] } {
    const schema = this.schemaFor(key);
    if (schema === undefined) {
      if (typeof value === 'string') return { ok: true, text: value };
      return {
        ok: false,
        issues: [{ message: `'${key}' has no schema, so its value must be a string`, path: [] }],
      };
    }
    const checked = this.#check(schema, value);
    if (!checked.ok) return checked;
    return { ok: true, text: JSON.stringify(checked.value) };
  }

  #check(schema: z.ZodType, json: unknown): Decoded {
    const result = schema.safeParse(json);
    if (result.success) return { ok: true, value: result.data };
    return {
      ok: false,
      issues: result.error.issues.map((issue) => ({ message: issue.message, path: issue.path })),
    };
  }
}
