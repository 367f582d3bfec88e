// auth enable | disable | status, role add | delete | list | grant | revoke, token create | revoke.
// `auth enable` answers with the first admin token; the rest need one (--token or VANE_TOKEN). A
// created token goes alone to stdout, so that `TOKEN=$(vane token create ...)` works.
import type { z } from 'zod';
import {
  type AuthChangeJson,
  authChangeSchema,
  authStatusSchema,
  type IssuedTokenJson,
  issuedTokenSchema,
  revokedTokenSchema,
  roleListSchema,
} from '../auth/index.ts';
import type { ApiAnswer, ApiCall } from './api-client.ts';
import { type ClientContext, clientContext, refusal } from './client-context.ts';
import { CliError, type CommandInput, type CommandSpec, usageError } from './command.ts';
import { table } from './output.ts';

/** The answer's body read with a zod schema from server/auth (the auth routes' JSON lives there). */
function decodedBy<T>(answer: ApiAnswer, schema: z.ZodType<T>): T {
  if (answer.error !== undefined) throw refusal(answer);
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) {
    throw new CliError(`${answer.endpoint} sent an answer this CLI cannot read; are both the same version?`);
  }
  return parsed.data;
}

async function authCall<T>(
  input: CommandInput,
  call: ApiCall,
  schema: z.ZodType<T>,
): Promise<{ context: ClientContext; answer: ApiAnswer; body: T }> {
  const context = clientContext(input);
  const answer = await context.api.call(call);
  return { context, answer, body: decodedBy(answer, schema) };
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** '15m', '1h', '7d', '90s' or bare seconds → whole seconds (the server checks the upper bound). */
export function parseTtl(text: string, command: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 's']! : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw usageError(`--ttl: expected a duration such as 15m, 1h or 7d, got '${text}'`, command);
  }
  return seconds;
}

function printIssued(
  context: ClientContext,
  answer: ApiAnswer,
  issued: IssuedTokenJson,
  heading: string,
): void {
  const { out } = context;
  if (out.json) {
    out.jsonLine(answer.body);
    return;
  }
  const grants = [
    ...(issued.roles.length > 0 ? [`roles ${issued.roles.join(', ')}`] : []),
    ...(issued.readPrefixes.length > 0
      ? [`read-only on ${issued.readPrefixes.map((p) => `'${p}'`).join(', ')}`]
      : []),
  ].join('; ');
  out.note(
    `${heading}: subject '${issued.subject}', ${grants}, id ${issued.tokenId}, expires ${issued.expiresAt}`,
  );
  out.line(issued.token);
}

function printChange(context: ClientContext, answer: ApiAnswer, change: AuthChangeJson, text: string): void {
  context.out.print(answer.body, () => `${text} (revision ${change.revision})`);
}

export const authEnableCommand: CommandSpec = {
  path: ['auth', 'enable'],
  summary: 'Turn auth on; prints an admin token (the first one: keep it).',
  details: [
    'From then on every request and watch needs a token whose roles allow it. The token printed',
    'carries the built-in admin role; use it to add roles and create more tokens:',
    '  export VANE_TOKEN=$(vane auth enable)',
    '  vane role add reader && vane role grant reader read app/',
    '  vane token create --role reader --ttl 1h',
  ].join('\n'),
  args: [],
  options: {
    subject: { type: 'string', valueName: 'NAME', description: "the admin token's subject (default root)" },
    ttl: {
      type: 'string',
      valueName: 'DURATION',
      description: 'how long the admin token lives (default 30d, the most)',
    },
  },
  client: true,
  async run(input) {
    const ttl = input.options.string('ttl');
    const subject = input.options.string('subject');
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'POST',
        path: '/v1/auth/enable',
        body: {
          ...(subject === undefined ? {} : { subject }),
          ...(ttl === undefined ? {} : { ttlSeconds: parseTtl(ttl, input.command) }),
        },
        write: true,
        what: 'enabling auth',
      },
      issuedTokenSchema,
    );
    printIssued(context, answer, body, 'auth enabled; admin token');
    return 0;
  },
};

export const authDisableCommand: CommandSpec = {
  path: ['auth', 'disable'],
  summary: 'Turn auth off (needs an admin token): every client may do everything again.',
  args: [],
  options: {},
  client: true,
  async run(input) {
    const { context, answer, body } = await authCall(
      input,
      { method: 'POST', path: '/v1/auth/disable', write: true, what: 'disabling auth' },
      authChangeSchema,
    );
    printChange(context, answer, body, 'auth disabled');
    return 0;
  },
};

export const authStatusCommand: CommandSpec = {
  path: ['auth', 'status'],
  summary: 'Whether auth is enabled, and who the token given (--token, VANE_TOKEN) is.',
  args: [],
  options: {},
  client: true,
  async run(input) {
    const { context, answer, body } = await authCall(
      input,
      { method: 'GET', path: '/v1/auth/status', what: 'the auth status' },
      authStatusSchema,
    );
    const you = body.principal;
    context.out.print(answer.body, () => [
      `auth: ${body.enabled ? 'enabled' : 'disabled'}`,
      `roles: ${body.roles}, verification keys: ${body.verificationKeys}, revoked tokens remembered: ${body.revokedTokens}`,
      you === null
        ? 'you: no token'
        : `you: '${you.subject}' (${[...you.roles.map((r) => `role ${r}`), ...you.readPrefixes.map((p) => `read '${p}'`)].join(', ')}), token ${you.tokenId}, expires ${you.expiresAt}`,
    ]);
    return 0;
  },
};

function roleName(input: CommandInput): string {
  return encodeURIComponent(input.args.NAME!);
}

export const roleAddCommand: CommandSpec = {
  path: ['role', 'add'],
  summary: 'Add a role (with no permissions yet; grant some with `vane role grant`).',
  args: [{ name: 'NAME' }],
  options: {},
  client: true,
  async run(input) {
    const name = input.args.NAME!;
    const { context, answer, body } = await authCall(
      input,
      { method: 'POST', path: '/v1/auth/roles', body: { name }, write: true, what: `adding role ${name}` },
      authChangeSchema,
    );
    printChange(context, answer, body, `role ${name} added`);
    return 0;
  },
};

export const roleDeleteCommand: CommandSpec = {
  path: ['role', 'delete'],
  summary: 'Delete a role: tokens naming it lose its permissions at once, and their watches end.',
  args: [{ name: 'NAME' }],
  options: {},
  client: true,
  async run(input) {
    const name = input.args.NAME!;
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'DELETE',
        path: `/v1/auth/roles/${roleName(input)}`,
        write: true,
        what: `deleting role ${name}`,
      },
      authChangeSchema,
    );
    printChange(context, answer, body, `role ${name} deleted`);
    return 0;
  },
};

export const roleListCommand: CommandSpec = {
  path: ['role', 'list'],
  summary: 'List the roles and what each may do.',
  args: [],
  options: {},
  client: true,
  async run(input) {
    const { context, answer, body } = await authCall(
      input,
      { method: 'GET', path: '/v1/auth/roles', what: 'the roles' },
      roleListSchema,
    );
    context.out.print(answer.body, () =>
      table(
        ['ROLE', 'ACCESS', 'PREFIX'],
        body.roles.flatMap((role) =>
          role.builtin
            ? [[role.name, 'everything', '(built in: also members, roles and tokens)']]
            : role.permissions.length === 0
              ? [[role.name, '-', '(no permissions)']]
              : role.permissions.map((p) => [
                  role.name,
                  p.access,
                  p.prefix === '' ? '(every key)' : p.prefix,
                ]),
        ),
      ),
    );
    return 0;
  },
};

export const roleGrantCommand: CommandSpec = {
  path: ['role', 'grant'],
  summary: "Let a role read (or read and write) every key under a prefix ('' = every key).",
  details:
    'Example: vane role grant reader read app/config/\n         vane role grant deployer readwrite app/',
  args: [{ name: 'NAME' }, { name: 'ACCESS' }, { name: 'PREFIX' }],
  options: {},
  client: true,
  async run(input) {
    const name = input.args.NAME!;
    const access = input.args.ACCESS!;
    const prefix = input.args.PREFIX!;
    if (access !== 'read' && access !== 'readwrite') {
      throw usageError(`ACCESS: expected read or readwrite, got '${access}'`, input.command);
    }
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'POST',
        path: `/v1/auth/roles/${roleName(input)}/grant`,
        body: { prefix, access },
        write: true,
        what: `granting ${access} on '${prefix}' to role ${name}`,
      },
      authChangeSchema,
    );
    printChange(
      context,
      answer,
      body,
      `role ${name} may now ${access === 'read' ? 'read' : 'read and write'} keys under '${prefix}'`,
    );
    return 0;
  },
};

export const roleRevokeCommand: CommandSpec = {
  path: ['role', 'revoke'],
  summary: "Take a role's permission on a prefix away; watches it no longer allows end at once.",
  args: [{ name: 'NAME' }, { name: 'PREFIX' }],
  options: {},
  client: true,
  async run(input) {
    const name = input.args.NAME!;
    const prefix = input.args.PREFIX!;
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'POST',
        path: `/v1/auth/roles/${roleName(input)}/revoke`,
        body: { prefix },
        write: true,
        what: `revoking role ${name}'s permission on '${prefix}'`,
      },
      authChangeSchema,
    );
    printChange(context, answer, body, `role ${name} no longer has a permission on '${prefix}'`);
    return 0;
  },
};

export const tokenCreateCommand: CommandSpec = {
  path: ['token', 'create'],
  summary: 'Create a token (prints it); --role for services, --read-prefix for browsers.',
  details: [
    'A token with --role carries those roles (looked up at each request); it lives 1h by default,',
    'at most 30d. A --read-prefix token may only read keys under that prefix: the kind an app backend',
    'hands to a browser; it lives 15m by default, at most 24h.',
    '',
    'Examples:',
    '  vane token create --role reader,writer --ttl 7d --subject billing-service',
    '  vane token create --read-prefix app/flags/ --ttl 15m --subject "browser:$USER_ID"',
  ].join('\n'),
  args: [],
  options: {
    role: { type: 'string', valueName: 'ROLES', description: 'comma-separated roles the token carries' },
    'read-prefix': { type: 'string', valueName: 'PREFIX', description: 'a prefix the token may only read' },
    ttl: { type: 'string', valueName: 'DURATION', description: 'how long it lives, e.g. 15m, 1h, 7d' },
    subject: { type: 'string', valueName: 'NAME', description: 'who it is for (shown in audit logs)' },
  },
  client: true,
  async run(input) {
    const { options, command } = input;
    const roles = (options.string('role') ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    const readPrefix = options.string('read-prefix');
    if (roles.length === 0 && readPrefix === undefined) {
      throw usageError('give --role, --read-prefix, or both', command);
    }
    const ttl = options.string('ttl');
    const subject = options.string('subject');
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'POST',
        path: '/v1/auth/tokens',
        body: {
          ...(roles.length > 0 ? { roles } : {}),
          ...(readPrefix === undefined ? {} : { readPrefixes: [readPrefix] }),
          ...(ttl === undefined ? {} : { ttlSeconds: parseTtl(ttl, command) }),
          ...(subject === undefined ? {} : { subject }),
        },
        what: 'creating a token',
      },
      issuedTokenSchema,
    );
    printIssued(context, answer, body, 'token created');
    return 0;
  },
};

export const tokenRevokeCommand: CommandSpec = {
  path: ['token', 'revoke'],
  summary: 'Revoke a token by its id or the token itself; its open watches end at once.',
  args: [{ name: 'TOKEN_OR_ID' }],
  options: {},
  client: true,
  async run(input) {
    const given = input.args.TOKEN_OR_ID!.trim();
    // A JWT has two dots; an id has none.
    const request = given.split('.').length === 3 ? { token: given } : { tokenId: given };
    const { context, answer, body } = await authCall(
      input,
      {
        method: 'POST',
        path: '/v1/auth/tokens/revoke',
        body: request,
        write: true,
        what: 'revoking a token',
      },
      revokedTokenSchema,
    );
    printChange(context, answer, body, `token ${body.tokenId} revoked`);
    return 0;
  },
};
