// lease grant | revoke | keepalive | list | ttl.
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  decodeLeaseGrantResponse,
  decodeLeaseKeepAliveResponse,
  decodeLeaseListResponse,
  decodeLeaseRevokeResponse,
  decodeLeaseTimeToLiveResponse,
} from '../../core/protocol/index.ts';
import type { ApiAnswer } from './api-client.ts';
import { clientContext, decoded } from './client-context.ts';
import { CliError, type CommandInput, type CommandSpec, EXIT_INTERRUPTED, parseInteger } from './command.ts';
import { displayText, plural, table } from './output.ts';
import { formatDuration, sleep } from './sleep.ts';

/** Keepalives go out three times per TTL (as etcd's client does), but not more often than this. */
export const MIN_KEEPALIVE_INTERVAL_MS = 500;

function leaseId(input: CommandInput): number {
  return parseInteger(input.args.ID!, 'ID', 1, Number.MAX_SAFE_INTEGER, input.command);
}

export const leaseGrantCommand: CommandSpec = {
  path: ['lease', 'grant'],
  summary: 'Create a lease that expires TTL seconds after its last keepalive.',
  details: [
    'Prints the lease id; attach keys with `vane put KEY VALUE --lease ID` and keep the lease alive',
    'with `vane lease keepalive ID`. When it expires, its keys are deleted.',
    '',
    'Example:',
    '  vane lease grant 30',
  ].join('\n'),
  args: [{ name: 'TTL' }],
  options: {
    id: {
      type: 'string',
      valueName: 'ID',
      description: 'ask for this lease id (default: the cluster picks one)',
    },
  },
  client: true,
  async run(input: CommandInput) {
    const ttl = parseInteger(
      input.args.TTL!,
      'TTL (seconds)',
      1,
      DEFAULT_LIMITS.maxLeaseTtlSeconds,
      input.command,
    );
    const id = input.options.integer('id', 1);
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/lease/grant',
      body: id === undefined ? { ttl } : { ttl, id },
      write: true,
      what: 'the lease grant',
    });
    const { response } = decoded(answer, decodeLeaseGrantResponse);
    out.print(answer.body, () => `lease ${response.id} granted, TTL ${response.ttl}s`);
    return 0;
  },
};

export const leaseRevokeCommand: CommandSpec = {
  path: ['lease', 'revoke'],
  summary: 'Revoke a lease now, deleting the keys attached to it.',
  args: [{ name: 'ID' }],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const id = leaseId(input);
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/lease/revoke',
      body: { id },
      write: true,
      what: `the revocation of lease ${id}`,
    });
    const { response } = decoded(answer, decodeLeaseRevokeResponse);
    out.print(answer.body, () => `lease ${id} revoked; its keys are deleted (revision ${response.revision})`);
    return 0;
  },
};

export const leaseKeepAliveCommand: CommandSpec = {
  path: ['lease', 'keepalive'],
  summary: 'Keep a lease alive until Ctrl-C, printing each renewal.',
  details: [
    'Renews the lease three times per TTL. A renewal that fails is retried; the command gives up',
    'once the lease must have expired (no renewal succeeded within its TTL).',
  ].join('\n'),
  args: [{ name: 'ID' }],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const id = leaseId(input);
    const { api, out } = clientContext(input);
    const { interrupt } = input.io;
    let lastRenewal = Date.now();
    let ttlMs: number | undefined;
    for (;;) {
      let answer: ApiAnswer | undefined;
      try {
        answer = await api.call({
          method: 'POST',
          path: '/v1/lease/keepalive',
          body: { id },
          what: `the renewal of lease ${id}`,
        });
      } catch (error) {
        // No member answered in time: retry while the lease may still be alive.
        if (!(error instanceof CliError)) throw error;
        if (error.exitCode === EXIT_INTERRUPTED) return 0;
        if (ttlMs === undefined) throw error;
        const since = Date.now() - lastRenewal;
        if (since >= ttlMs) {
          throw new CliError(
            `lease ${id} has expired: no renewal succeeded for ${formatDuration(since)}; last error: ${error.message}`,
          );
        }
        out.note(
          `renewing lease ${id} failed (${error.message}); retrying, the lease expires in at most ${formatDuration(ttlMs - since)}`,
        );
      }
      if (answer !== undefined) {
        if (answer.error?.code === 'leaseNotFound') throw notFound(id, answer.body);
        const { response } = decoded(answer, decodeLeaseKeepAliveResponse);
        if (response.ttl === 0) throw notFound(id, answer.body);
        lastRenewal = Date.now();
        ttlMs = response.ttl * 1000;
        out.print(answer.body, () => `lease ${id} renewed, TTL ${response.ttl}s`);
      }
      const interval = Math.max(MIN_KEEPALIVE_INTERVAL_MS, (ttlMs ?? 0) / 3);
      if (!(await sleep(interval, interrupt))) return 0;
    }
  },
};

export const leaseListCommand: CommandSpec = {
  path: ['lease', 'list'],
  summary: 'List every lease.',
  args: [],
  options: {},
  client: true,
  async run(input: CommandInput) {
    const { api, out } = clientContext(input);
    const answer = await api.call({ method: 'GET', path: '/v1/lease', what: 'the lease list' });
    const { response } = decoded(answer, decodeLeaseListResponse);
    out.print(answer.body, () =>
      response.leases.length === 0
        ? 'no leases'
        : table(
            ['ID', 'TTL'],
            response.leases.map((lease) => [String(lease.id), `${lease.ttl}s`]),
          ),
    );
    return 0;
  },
};

export const leaseTtlCommand: CommandSpec = {
  path: ['lease', 'ttl'],
  summary: "Show a lease's remaining time (and with --keys, its keys).",
  args: [{ name: 'ID' }],
  options: { keys: { type: 'boolean', description: 'also list the keys attached to the lease' } },
  client: true,
  async run(input: CommandInput) {
    const id = leaseId(input);
    const keys = input.options.flag('keys');
    const { api, out } = clientContext(input);
    const answer = await api.call({
      method: 'POST',
      path: '/v1/lease/timetolive',
      body: keys ? { id, keys } : { id },
      what: `the time to live of lease ${id}`,
    });
    if (answer.error?.code === 'leaseNotFound') throw notFound(id, answer.body);
    const { response } = decoded(answer, decodeLeaseTimeToLiveResponse);
    if (response.ttl < 0) throw notFound(id, answer.body);
    out.print(answer.body, () => {
      const lines = [`lease ${id}: ${response.ttl}s left of ${response.grantedTtl}s`];
      if (keys) {
        const attached = response.keys ?? [];
        lines.push(`${plural(attached.length, 'key')} attached${attached.length > 0 ? ':' : ''}`);
        lines.push(...attached.map((key) => `  ${displayText(key)}`));
      }
      return lines;
    });
    return 0;
  },
};

function notFound(id: number, body: unknown): CliError {
  return new CliError(`lease ${id} does not exist: it expired or was revoked`, 1, body);
}
