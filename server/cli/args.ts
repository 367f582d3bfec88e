// The command line → which command, its positional arguments and its flags; or the help asked for;
// or a usage error that says what is wrong and where the help is.
import { parseArgs } from 'node:util';
import { CLIENT_OPTIONS } from './client-options.ts';
import { type CommandSpec, type OptionSpec, OptionValues, usageError } from './command.ts';
import { commandHelp, groupHelp, mainHelp, usageLine } from './help.ts';

export type CommandLine =
  | { readonly kind: 'help'; readonly text: string }
  | {
      readonly kind: 'run';
      readonly spec: CommandSpec;
      readonly name: string;
      readonly args: Readonly<Record<string, string>>;
      readonly options: OptionValues;
    };

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** Throws a usage CliError when the command line is wrong; `vane` alone is one (it prints the help). */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): CommandLine {
  const first = argv[0];
  if (first === undefined) throw usageError(`a command is missing\n\n${mainHelp(commands)}`);
  if (first === 'help' || first === '--help' || first === '-h')
    return { kind: 'help', text: helpFor(argv.slice(1), commands) };
  if (first.startsWith('-')) throw usageError(`expected a command before '${first}'`);

  const groups = groupNames(commands);
  let spec: CommandSpec | undefined;
  let rest: readonly string[];
  if (groups.has(first)) {
    const second = argv[1];
    if (second === undefined)
      throw usageError(`'vane ${first}' needs a subcommand\n\n${groupHelp(first, commands)}`);
    if (second === '--help' || second === '-h') return { kind: 'help', text: groupHelp(first, commands) };
    spec = commands.find((c) => c.path[0] === first && c.path[1] === second);
    if (spec === undefined) {
      const names = commands.filter((c) => c.path[0] === first).map((c) => c.path[1]!);
      throw usageError(
        `unknown command 'vane ${first} ${second}'${suggestion(second, names)}; the ${first} commands are ${names.join(', ')}`,
      );
    }
    rest = argv.slice(2);
  } else {
    spec = commands.find((c) => c.path.length === 1 && c.path[0] === first);
    if (spec === undefined) {
      const names = [...new Set(commands.map((c) => c.path[0]!))];
      throw usageError(`unknown command '${first}'${suggestion(first, names)}`);
    }
    rest = argv.slice(1);
  }
  const name = spec.path.join(' ');

  const options = optionsOf(spec);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([flag, o]) => [
          flag,
          o.short === undefined ? { type: o.type } : { type: o.type, short: o.short },
        ]),
      ),
      strict: true,
      allowPositionals: true,
    }) as typeof parsed;
  } catch (error) {
    throw usageError(describeParseError(error), name);
  }
  if (parsed.values.help === true) return { kind: 'help', text: commandHelp(spec) };

  const args: Record<string, string> = {};
  spec.args.forEach((arg, i) => {
    const value = parsed.positionals[i];
    if (value !== undefined) args[arg.name] = value;
    else if (!arg.optional) throw usageError(`${arg.name} is missing; usage: ${usageLine(spec)}`, name);
  });
  const extra = parsed.positionals[spec.args.length];
  if (extra !== undefined)
    throw usageError(`unexpected argument '${extra}'; usage: ${usageLine(spec)}`, name);
  return { kind: 'run', spec, name, args, options: new OptionValues(parsed.values, name) };
}

/** Every flag a command takes: its own, the cluster ones if it talks to a cluster, and --help. */
export function optionsOf(spec: CommandSpec): Readonly<Record<string, OptionSpec>> {
  return { ...spec.options, ...(spec.client ? CLIENT_OPTIONS : {}), help: HELP_OPTION };
}

function helpFor(topic: readonly string[], commands: readonly CommandSpec[]): string {
  const words = topic.filter((word) => !word.startsWith('-'));
  if (words.length === 0) return mainHelp(commands);
  const spec = commands.find((c) => c.path.length === words.length && c.path.every((p, i) => p === words[i]));
  if (spec !== undefined) return commandHelp(spec);
  if (words.length === 1 && groupNames(commands).has(words[0]!)) return groupHelp(words[0]!, commands);
  throw usageError(`no help for '${words.join(' ')}': there is no such command`);
}

function groupNames(commands: readonly CommandSpec[]): Set<string> {
  return new Set(commands.filter((c) => c.path.length > 1).map((c) => c.path[0]!));
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return `unknown option '${option}' (a value starting with '-' goes after '--', as in: vane put key -- -1)`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--?[^ ']+)/.exec(message)?.[1];
    return option === undefined
      ? message
      : `${option}: ${message.includes('missing') ? 'its value is missing' : message}`;
  }
  return message;
}

/** "; did you mean 'get'?" for a near miss (at most two edits away), or ''. */
function suggestion(typed: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : `; did you mean '${best}'?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
