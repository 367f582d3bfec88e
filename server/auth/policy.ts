// What a principal may do: the union of its roles' permissions (and the read-only prefixes its token
// carries) as intervals of keys, and whether a key selection lies wholly inside them. A selection
// that reaches past them is refused as a whole, never filtered: a client must not be left believing
// it saw every key of a range.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { compareKeys, type KeySelector, NO_RANGE_END, prefixEnd } from '../../core/store/index.ts';
import { describePrincipal, type Principal } from './principal.ts';
import { printable, RESERVED_KEYS_START } from './reserved.ts';
import { ADMIN_ROLE, type Role } from './roles.ts';

/** [low, high) in key order; high undefined = no upper bound. */
interface KeyInterval {
  readonly low: string;
  readonly high: string | undefined;
}

export type Operation = 'read' | 'write';

export interface Grants {
  readonly admin: boolean;
  readonly readPrefixes: readonly string[];
  readonly writePrefixes: readonly string[];
}

/** The principal's grants as of now: roles are looked up, so a changed or deleted role counts at once. */
export function grantsOf(principal: Principal, roles: ReadonlyMap<string, Role>): Grants {
  const admin = principal.roles.includes(ADMIN_ROLE);
  const read = new Set(principal.readPrefixes);
  const write = new Set<string>();
  for (const name of principal.roles) {
    for (const permission of roles.get(name)?.permissions ?? []) {
      read.add(permission.prefix);
      if (permission.access === 'readwrite') write.add(permission.prefix);
    }
  }
  return { admin, readPrefixes: [...read].sort(), writePrefixes: [...write].sort() };
}

/** Undefined when `grants` cover every key `selector` names for `operation`; else why not. */
export function checkAccess(
  principal: Principal,
  grants: Grants,
  operation: Operation,
  selector: KeySelector,
): VaneError | undefined {
  if (grants.admin) return undefined;
  const prefixes = operation === 'read' ? grants.readPrefixes : grants.writePrefixes;
  if (covers(prefixes.map(prefixInterval), selector)) return undefined;
  const granted =
    prefixes.length === 0
      ? `it may ${operation} no keys`
      : `it may ${operation} keys under ${prefixes.map((p) => `'${printable(p)}'`).join(', ')}`;
  return vaneError(
    'permissionDenied',
    `${describePrincipal(principal)} may not ${operation} ${describeSelector(selector)}: ${granted}`,
    {
      operation,
      key: selector.key,
      ...(selector.rangeEnd === undefined ? {} : { rangeEnd: selector.rangeEnd }),
      subject: principal.subject,
      roles: principal.roles.join(','),
    },
  );
}

function prefixInterval(prefix: string): KeyInterval {
  if (prefix === '') return { low: '', high: undefined };
  const end = prefixEnd(prefix);
  return { low: prefix, high: end === NO_RANGE_END ? undefined : end };
}

function contains(interval: KeyInterval, key: string): boolean {
  return (
    compareKeys(interval.low, key) <= 0 &&
    (interval.high === undefined || compareKeys(key, interval.high) < 0)
  );
}

/** Whether the intervals together cover the selection (a sweep from its low end). */
export function covers(intervals: readonly KeyInterval[], selector: KeySelector): boolean {
  const { key, rangeEnd } = selector;
  if (rangeEnd === undefined || rangeEnd === '') return intervals.some((i) => contains(i, key));
  const high = rangeEnd === NO_RANGE_END ? undefined : rangeEnd;
  let cursor = key;
  if (high !== undefined && compareKeys(cursor, high) >= 0) return true;
  for (;;) {
    let reach: string | null = null;
    for (const interval of intervals) {
      if (!contains(interval, cursor)) continue;
      if (interval.high === undefined) return true;
      if (reach === null || compareKeys(interval.high, reach) > 0) reach = interval.high;
    }
    if (reach === null) return false;
    cursor = reach;
    if (high !== undefined && compareKeys(cursor, high) >= 0) return true;
  }
}

/** "key 'a'", "prefix 'app/'", "keys ['a', 'b')", "keys from 'a' on", "every key". */
export function describeSelector(selector: KeySelector): string {
  const { key, rangeEnd } = selector;
  if (rangeEnd === undefined || rangeEnd === '') return `key '${printable(key)}'`;
  const unbounded = rangeEnd === NO_RANGE_END || rangeEnd === RESERVED_KEYS_START;
  if (unbounded) return key === NO_RANGE_END || key === '' ? 'every key' : `keys from '${printable(key)}' on`;
  if (prefixEnd(key) === rangeEnd) return `prefix '${printable(key)}'`;
  return `keys ['${printable(key)}', '${printable(rangeEnd)}')`;
}
