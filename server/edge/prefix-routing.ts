// Which Durable Object serves a key: the longest configured prefix the key starts with, or else the
// key's first path segment ('flags/' for 'flags/beta'). One object replicates one prefix, so a read
// or watch must fall inside one prefix; the errors say how to split one that does not.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { compareKeys, NO_RANGE_END, prefixEnd } from '../../core/store/index.ts';

/** The query parameter of /v1/watch that names the prefix a watch connection serves. */
export const WATCH_PREFIX_PARAMETER = 'prefix';

/** The prefixes this deployment serves, from configuration; empty: route by first path segment. */
export class PrefixRouting {
  readonly #configured: readonly string[];

  constructor(configured: readonly string[]) {
    // Longest first, so that a nested prefix ('flags/beta/') wins over its parent ('flags/').
    this.#configured = [...new Set(configured)].sort((a, b) => b.length - a.length);
  }

  get configured(): readonly string[] {
    return this.#configured;
  }

  /** The prefix whose object serves `key`. */
  prefixOfKey(key: string): string | VaneError {
    for (const prefix of this.#configured) if (key.startsWith(prefix)) return prefix;
    if (this.#configured.length > 0) {
      return vaneError(
        'invalidRequest',
        `key '${key}' is under none of the prefixes this edge serves (${this.#configured.map((p) => `'${p}'`).join(', ')}); read it from the cluster`,
      );
    }
    const slash = key.indexOf('/');
    if (slash < 0) {
      return vaneError(
        'invalidRequest',
        `key '${key}' has no '/': this edge serves keys by their first path segment ('app/theme' is served with every 'app/' key); read it from the cluster, or configure VANE_EDGE_PREFIXES`,
      );
    }
    return key.slice(0, slash + 1);
  }

  /** The prefix whose object serves every key of [key, rangeEnd) (rangeEnd absent: just `key`). */
  prefixOfRange(key: string, rangeEnd: string | undefined): string | VaneError {
    const prefix = this.prefixOfKey(key);
    if (typeof prefix !== 'string') return prefix;
    return rangeWithin(prefix, key, rangeEnd) ? prefix : spansPrefixes(prefix, key, rangeEnd);
  }
}

/** Whether every key of [key, rangeEnd) starts with `prefix`. */
export function rangeWithin(prefix: string, key: string, rangeEnd: string | undefined): boolean {
  if (!key.startsWith(prefix)) return false;
  if (rangeEnd === undefined || prefix === '') return true;
  const end = prefixEnd(prefix);
  if (rangeEnd === NO_RANGE_END) return end === NO_RANGE_END;
  return end === NO_RANGE_END || compareKeys(rangeEnd, end) <= 0;
}

function spansPrefixes(prefix: string, key: string, rangeEnd: string | undefined): VaneError {
  return vaneError(
    'invalidRequest',
    `the range ['${key}', '${rangeEnd ?? ''}') reaches past prefix '${prefix}', and each edge object serves one prefix; read each prefix separately, or read the range from the cluster`,
    { prefix },
  );
}
