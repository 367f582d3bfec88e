// serve: run one member until Ctrl-C or SIGTERM, then stop it cleanly. The flags (and their
// VANE_* environment variables) are server/config.ts's; this only maps the command line to them.
import {
  type MemberConfig,
  type RawServeOptions,
  resolveConfig,
  SERVE_FLAGS,
  type ServeFlag,
} from '../config.ts';
import {
  CliError,
  type CommandInput,
  type CommandSpec,
  type OptionSpec,
  type RunningMember,
  usageError,
} from './command.ts';

const VALUE_NAMES: Readonly<Record<ServeFlag, string>> = {
  name: 'NAME',
  'data-dir': 'DIR',
  'cluster-id': 'ID',
  'cluster-secret': 'SECRET',
  'listen-client': 'HOST:PORT',
  'listen-peer': 'HOST:PORT',
  'advertise-client': 'URL',
  'advertise-peer': 'URL',
  'initial-cluster': 'LIST',
  join: 'URL',
  'tick-ms': 'MS',
  'election-ticks': 'N',
  'heartbeat-ticks': 'N',
  'snapshot-entries': 'N',
  'snapshot-catchup-entries': 'N',
  'quota-bytes': 'BYTES',
  'auto-compact-revisions': 'N',
  'auto-compact-minutes': 'MINUTES',
  'cors-origins': 'LIST',
  'max-request-bytes': 'BYTES',
  'max-client-connections': 'N',
  'max-watches-per-connection': 'N',
  'max-watch-buffer-bytes': 'BYTES',
  'slow-watcher-timeout-ms': 'MS',
  'log-level': 'LEVEL',
  'cert-file': 'FILE',
  'key-file': 'FILE',
  'peer-cert-file': 'FILE',
  'peer-key-file': 'FILE',
  'peer-trusted-ca-file': 'FILE',
  'auth-signing-key-file': 'FILE',
  'token-rate-limit': 'N',
  'token-rate-burst': 'N',
};

const SERVE_OPTIONS: Readonly<Record<string, OptionSpec>> = Object.fromEntries(
  (Object.keys(SERVE_FLAGS) as ServeFlag[]).map((flag) => [
    flag,
    { type: 'string', valueName: VALUE_NAMES[flag], description: SERVE_FLAGS[flag] },
  ]),
);

export const serveCommand: CommandSpec = {
  path: ['serve'],
  summary: 'Run a member of a cluster (until Ctrl-C or SIGTERM).',
  details: [
    'Every flag can also be set by an environment variable: VANE_ and the flag in upper case with',
    'underscores (VANE_CLUSTER_SECRET for --cluster-secret, which keeps the secret out of `ps`).',
    'A flag wins over its variable. --initial-cluster founds a new cluster; a member restarted on',
    'its data directory needs neither it nor --join.',
    '',
    'Examples:',
    '  VANE_CLUSTER_SECRET=... vane serve --name m1 --data-dir /var/lib/vane/m1 \\',
    '    --listen-client 10.0.0.1:7379 --listen-peer 10.0.0.1:7380 \\',
    '    --initial-cluster m1=ws://10.0.0.1:7380,m2=ws://10.0.0.2:7380,m3=ws://10.0.0.3:7380',
    '  vane serve --name m4 --listen-peer 10.0.0.4:7380 --join http://10.0.0.1:7379   # after `vane member add`',
  ].join('\n'),
  args: [],
  options: SERVE_OPTIONS,
  client: false,
  async run(input: CommandInput) {
    const config = serveConfig(input);
    let member: RunningMember;
    try {
      member = await input.deps.startNodeMember(config);
    } catch (error) {
      throw new CliError(
        `member ${config.name} could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const ended = await Promise.race([
      interrupted(input.io.interrupt).then(() => null),
      member.stopped.then((reason) => reason),
    ]);
    await member.stop();
    // A member stops by itself when it is removed from the cluster or hits an error it cannot survive.
    if (ended !== null) throw new CliError(`member ${config.name} stopped: ${ended}`);
    return 0;
  },
};

/** The member's configuration from flags and VANE_* variables; a bad one is a usage error listing every problem. */
export function serveConfig(input: CommandInput): MemberConfig {
  const raw: RawServeOptions = {};
  for (const flag of Object.keys(SERVE_FLAGS) as ServeFlag[]) {
    const value = input.options.string(flag);
    if (value !== undefined) raw[flag] = value;
  }
  const result = resolveConfig(raw, input.io.env);
  if (!result.ok) throw usageError(result.errors.join('\n'), input.command);
  return result.config;
}

function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
