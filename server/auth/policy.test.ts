// The permission rules on their own: which key selections a set of prefixes covers, how a refusal
// reads, and how client selections are cut off at the reserved keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isVaneError } from '../../core/errors.ts';
import { prefixEnd } from '../../core/store/index.ts';
import { checkAccess, covers, describeSelector, grantsOf } from './policy.ts';
import type { Principal } from './principal.ts';
import { clipSelector, RESERVED_KEYS_START } from './reserved.ts';
import { MAX_PERMISSIONS_PER_ROLE, type Role, withGrant, withoutGrant } from './roles.ts';

const interval = (prefix: string) =>
  prefix === ''
    ? { low: '', high: undefined }
    : { low: prefix, high: prefixEnd(prefix) === '\0' ? undefined : prefixEnd(prefix) };

const principal = (roles: string[], readPrefixes: string[] = []): Principal => ({
  subject: 'svc',
  tokenId: 't1',
  roles,
  readPrefixes,
  expiresAt: Number.MAX_SAFE_INTEGER,
});

describe('covers', () => {
  const granted = ['app/', 'app0', 'b'].map(interval);

  test('a single key is covered by any prefix of it', () => {
    assert.equal(covers(granted, { key: 'app/x' }), true);
    assert.equal(covers(granted, { key: 'ap' }), false);
  });

  test('a range is covered only when adjacent grants leave no gap in it', () => {
    // [app/, app0) and [app0, app1) touch: together they cover [app/, app1).
    assert.equal(covers(granted, { key: 'app/', rangeEnd: 'app1' }), true);
    assert.equal(covers(granted, { key: 'app/', rangeEnd: 'app2' }), false);
    assert.equal(covers(granted, { key: 'b', rangeEnd: 'c' }), true);
    assert.equal(covers(granted, { key: 'b', rangeEnd: 'c\0' }), false);
    assert.equal(covers(granted, { key: 'app/', rangeEnd: '\0' }), false);
    assert.equal(covers([interval('')], { key: '\0', rangeEnd: '\0' }), true);
    // An empty range selects nothing: nothing to refuse.
    assert.equal(covers([], { key: 'z', rangeEnd: 'a' }), true);
  });

  test('agrees with checking key by key (property)', () => {
    // Grants and bounds are words over {a, b} at most 3 long, so how a key relates to them is decided
    // by its first 4 characters, each of which is below 'a', 'a', 'b' or above 'b': the keys over
    // {U+0001, a, b, c} of length 1 to 4 stand for every key.
    const all: string[] = [];
    const extend = (key: string): void => {
      if (key.length > 4) return;
      if (key !== '') all.push(key);
      for (const next of ['\u0001', 'a', 'b', 'c']) extend(`${key}${next}`);
    };
    extend('');
    const word = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 3 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 4 }), word, word, (prefixes, low, high) => {
        fc.pre(low !== '' && high !== '');
        const inRange = all.filter((k) => k >= low && k < high);
        const expected = inRange.every((k) => prefixes.some((p) => k.startsWith(p)));
        const actual = covers(prefixes.map(interval), { key: low, rangeEnd: high });
        assert.equal(actual, expected, JSON.stringify({ prefixes, low, high }));
      }),
    );
  });
});

describe('checkAccess', () => {
  const roles = new Map<string, Role>([
    ['reader', { name: 'reader', permissions: [{ prefix: 'app/', access: 'read' }] }],
    ['writer', { name: 'writer', permissions: [{ prefix: 'app/cfg/', access: 'readwrite' }] }],
  ]);

  test('roles are looked up now: a grant read from the role, write only from readwrite', () => {
    const who = principal(['reader', 'writer', 'deleted-role']);
    const grants = grantsOf(who, roles);
    assert.deepEqual(grants.readPrefixes, ['app/', 'app/cfg/']);
    assert.deepEqual(grants.writePrefixes, ['app/cfg/']);
    assert.equal(checkAccess(who, grants, 'write', { key: 'app/cfg/a' }), undefined);
    const refusal = checkAccess(who, grants, 'write', { key: 'app/', rangeEnd: 'app0' });
    assert.ok(refusal);
    assert.equal(refusal.code, 'permissionDenied');
    assert.equal(
      refusal.message,
      "'svc' (roles reader, writer, deleted-role) may not write prefix 'app/': it may write keys under 'app/cfg/'",
    );
    assert.deepEqual(refusal.details, {
      operation: 'write',
      key: 'app/',
      rangeEnd: 'app0',
      subject: 'svc',
      roles: 'reader,writer,deleted-role',
    });
  });

  test('admin may do anything; a browser token only reads its prefixes', () => {
    const admin = principal(['admin']);
    assert.equal(
      checkAccess(admin, grantsOf(admin, roles), 'write', { key: '\0', rangeEnd: '\0' }),
      undefined,
    );
    const browser = principal([], ['flags/']);
    const grants = grantsOf(browser, roles);
    assert.equal(checkAccess(browser, grants, 'read', { key: 'flags/a' }), undefined);
    assert.match(
      checkAccess(browser, grants, 'write', { key: 'flags/a' })?.message ?? '',
      /^'svc' \(read-only on 'flags\/'\) may not write key 'flags\/a': it may write no keys$/,
    );
  });

  test('selections are described as a person would say them', () => {
    assert.equal(describeSelector({ key: 'a' }), "key 'a'");
    assert.equal(describeSelector({ key: 'app/', rangeEnd: 'app0' }), "prefix 'app/'");
    assert.equal(describeSelector({ key: 'a', rangeEnd: 'c' }), "keys ['a', 'c')");
    assert.equal(describeSelector({ key: 'a', rangeEnd: '\0' }), "keys from 'a' on");
    assert.equal(describeSelector({ key: '\0', rangeEnd: RESERVED_KEYS_START }), 'every key');
    assert.equal(describeSelector({ key: 'line\nbreak' }), "key 'line\\nbreak'");
  });
});

describe('reserved keys', () => {
  test('ranges into them end where they start; a reserved key or a range starting there is refused', () => {
    assert.deepEqual(clipSelector({ key: '\0', rangeEnd: '\0' }), {
      key: '\0',
      rangeEnd: RESERVED_KEYS_START,
    });
    assert.deepEqual(clipSelector({ key: 'a', rangeEnd: '\u{10FFFF}zz' }), {
      key: 'a',
      rangeEnd: RESERVED_KEYS_START,
    });
    assert.deepEqual(clipSelector({ key: 'a', rangeEnd: 'b' }), { key: 'a', rangeEnd: 'b' });
    // U+FFFF sorts below U+10FFFF in UTF-8 order even though JS string order says otherwise.
    assert.deepEqual(clipSelector({ key: '\uFFFF' }), { key: '\uFFFF' });
    const refused = clipSelector({ key: `${RESERVED_KEYS_START}auth/enabled` });
    assert.ok(isVaneError(refused));
    assert.equal(refused.code, 'permissionDenied');
    assert.match(refused.message, /reserved for Vane's own state; '<U\+10FFFF>auth\/enabled'/);
    assert.ok(isVaneError(clipSelector({ key: RESERVED_KEYS_START, rangeEnd: '\0' })));
  });
});

describe('roles', () => {
  test('a grant on a prefix replaces its access; revoking a prefix the role lacks says what it has', () => {
    let role: Role = { name: 'r', permissions: [] };
    role = withGrant(role, { prefix: 'b/', access: 'read' }) as Role;
    role = withGrant(role, { prefix: 'a/', access: 'read' }) as Role;
    role = withGrant(role, { prefix: 'b/', access: 'readwrite' }) as Role;
    assert.deepEqual(role.permissions, [
      { prefix: 'a/', access: 'read' },
      { prefix: 'b/', access: 'readwrite' },
    ]);
    const missing = withoutGrant(role, 'c/');
    assert.ok(isVaneError(missing));
    assert.match(missing.message, /no permission on prefix 'c\/' \(it has: 'a\/', 'b\/'\)/);
    assert.deepEqual((withoutGrant(role, 'a/') as Role).permissions, [{ prefix: 'b/', access: 'readwrite' }]);
  });

  test(`a role holds at most ${MAX_PERMISSIONS_PER_ROLE} permissions`, () => {
    let role: Role = { name: 'r', permissions: [] };
    for (let i = 0; i < MAX_PERMISSIONS_PER_ROLE; i++) {
      role = withGrant(role, { prefix: `p${i}/`, access: 'read' }) as Role;
    }
    const over = withGrant(role, { prefix: 'one-more/', access: 'read' });
    assert.ok(isVaneError(over));
    assert.deepEqual(over.details, { limit: 'maxPermissionsPerRole', maximum: MAX_PERMISSIONS_PER_ROLE });
    assert.ok(!isVaneError(withGrant(role, { prefix: 'p0/', access: 'readwrite' })), 'changing one is fine');
    assert.ok(isVaneError(withGrant(role, { prefix: RESERVED_KEYS_START, access: 'read' })));
  });
});
