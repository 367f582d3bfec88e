// `vane serve` on Deno: the same flags and VANE_* variables as on Node (server/config.ts), one
// member until Ctrl-C or SIGTERM, then a clean stop; a second signal exits at once.
import { type RawServeOptions, resolveConfig, SERVE_FLAGS, type ServeFlag } from '../../config.ts';
import type { RunningMember } from './main.ts';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

const USAGE = [
  'usage: deno run <permissions> server/adapters/deno/serve.ts [flags]',
  '',
  'Runs a member of a Vane cluster on Deno (until Ctrl-C or SIGTERM). Every flag can also be set by',
  'an environment variable: VANE_ and the flag in upper case with underscores.',
  '',
  'Permissions: --allow-net --allow-env --allow-sys=hostname --allow-read=DIR --allow-write=DIR',
  '(DIR the data directory), and --allow-run, with which the data-directory lock tells whether the',
  'process a crash left in it is gone (without it, such a lock stops the member with a message).',
  '',
  ...(Object.keys(SERVE_FLAGS) as ServeFlag[]).map((flag) => `  --${flag.padEnd(26)} ${SERVE_FLAGS[flag]}`),
].join('\n');

function isServeFlag(name: string): name is ServeFlag {
  return Object.hasOwn(SERVE_FLAGS, name);
}

/** `--flag value` and `--flag=value` for the serve flags; 'help' for --help; a message for anything else. */
function parseServeArgs(args: readonly string[]): RawServeOptions | 'help' | string {
  const flags: RawServeOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    if (!arg.startsWith('--')) return `unexpected argument '${arg}'`;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!isServeFlag(name)) return `unknown flag --${name}`;
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined) return `--${name} needs a value`;
    flags[name] = value;
  }
  return flags;
}

function fail(message: string, code: number): never {
  console.error(`vane: ${message}`);
  Deno.exit(code);
}

async function main(): Promise<void> {
  const parsed = parseServeArgs(Deno.args);
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  if (typeof parsed === 'string') fail(`${parsed}\n\n${USAGE}`, EXIT_USAGE);
  const resolved = resolveConfig(parsed, Deno.env.toObject());
  if (!resolved.ok) fail(`${resolved.errors.join('\n')}\n\n${USAGE}`, EXIT_USAGE);
  const { config } = resolved;

  const interrupted = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (): void => {
      signals++;
      if (signals > 1) fail('stopping now, without waiting', EXIT_INTERRUPTED);
      resolve();
    };
    Deno.addSignalListener('SIGINT', onSignal);
    // Windows has no SIGTERM to listen for.
    if (Deno.build.os !== 'windows') Deno.addSignalListener('SIGTERM', onSignal);
  });

  let member: RunningMember;
  try {
    // Loaded only now, so that --help and a wrong flag need no permissions (pino asks for the host name).
    const { startDenoMember } = await import('./main.ts');
    member = await startDenoMember(config);
  } catch (error) {
    fail(
      `member ${config.name} could not start: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_FAILED,
    );
  }
  const ended = await Promise.race([interrupted.then(() => null), member.stopped]);
  await member.stop();
  // A member stops by itself when it is removed from the cluster or hits an error it cannot survive.
  if (ended !== null) fail(`member ${config.name} stopped: ${ended}`, EXIT_FAILED);
  Deno.exit(0);
}

if (import.meta.main) await main();
