// Roles: named sets of permissions, each granting `read` or `readwrite` on the keys under a prefix.
// The built-in `admin` role grants everything, including managing members, roles and tokens; it
// cannot be changed or deleted.
import * as z from 'zod';
import { type VaneError, vaneError } from '../../core/errors.ts';
import { isReservedKey, printable } from './reserved.ts';

export type Access = 'read' | 'readwrite';

export interface Permission {
  /** Every key starting with it ('' = every key). */
  readonly prefix: string;
  readonly access: Access;
}

export interface Role {
  readonly name: string;
  /** At most one per prefix, sorted by prefix. */
  readonly permissions: readonly Permission[];
}

export const ADMIN_ROLE = 'admin';
export const MAX_ROLES = 1000;
export const MAX_PERMISSIONS_PER_ROLE = 100;
/** Bytes of a granted prefix (UTF-8); keys are at most 8 KiB, but a prefix that long is a mistake. */
export const MAX_PREFIX_BYTES = 1024;

const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkRoleName(name: string): VaneError | undefined {
  if (ROLE_NAME.test(name)) return undefined;
  return vaneError(
    'invalidRequest',
    `role name '${printable(name)}': expected 1-64 letters, digits, dots, dashes or underscores`,
  );
}

export function checkPrefix(prefix: string): VaneError | undefined {
  if (new TextEncoder().encode(prefix).length > MAX_PREFIX_BYTES) {
    return vaneError('invalidRequest', `prefix longer than ${MAX_PREFIX_BYTES} bytes`, {
      limit: 'maxPrefixBytes',
      maximum: MAX_PREFIX_BYTES,
    });
  }
  if (prefix !== '' && isReservedKey(prefix)) {
    return vaneError('invalidRequest', `prefix '${printable(prefix)}' lies in the reserved keys (U+10FFFF)`);
  }
  return undefined;
}

/** The role with `permission` added, replacing the access it had on that exact prefix. */
export function withGrant(role: Role, permission: Permission): Role | VaneError {
  const invalid = checkPrefix(permission.prefix);
  if (invalid) return invalid;
  const others = role.permissions.filter((p) => p.prefix !== permission.prefix);
  if (others.length >= MAX_PERMISSIONS_PER_ROLE) {
    return vaneError(
      'invalidRequest',
      `role '${role.name}' already has ${MAX_PERMISSIONS_PER_ROLE} permissions (maxPermissionsPerRole); revoke one first`,
      { limit: 'maxPermissionsPerRole', maximum: MAX_PERMISSIONS_PER_ROLE },
    );
  }
  const permissions = [...others, permission].sort((a, b) =>
    a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0,
  );
  return { name: role.name, permissions };
}

/** The role without its permission on exactly `prefix`; an error when it has none there. */
export function withoutGrant(role: Role, prefix: string): Role | VaneError {
  const permissions = role.permissions.filter((p) => p.prefix !== prefix);
  if (permissions.length === role.permissions.length) {
    const held = role.permissions.map((p) => `'${printable(p.prefix)}'`).join(', ') || 'none';
    return vaneError(
      'invalidRequest',
      `role '${role.name}' has no permission on prefix '${printable(prefix)}' (it has: ${held})`,
    );
  }
  return { name: role.name, permissions };
}

const roleSchema = z.strictObject({
  name: z.string(),
  permissions: z.array(z.strictObject({ prefix: z.string(), access: z.enum(['read', 'readwrite']) })),
});

export function encodeRole(role: Role): string {
  return JSON.stringify(role);
}

/** A role as stored; undefined when the stored bytes are not one (then it grants nothing). */
export function decodeRole(text: string): Role | undefined {
  try {
    const parsed = roleSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
