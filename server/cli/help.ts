// Help texts, built from the command specs so that they cannot drift from what the parser accepts.
import { CLIENT_OPTIONS } from './client-options.ts';
import type { CommandSpec, OptionSpec } from './command.ts';

const GROUP_SUMMARIES: Readonly<Record<string, string>> = {
  lease: 'Leases: keys that disappear unless kept alive.',
  member: 'Cluster membership: list, add, remove and promote members.',
  snapshot: 'Backups: save a snapshot of the store, restore a member from one.',
};

export function mainHelp(commands: readonly CommandSpec[]): string {
  const rows = commands.map((c) => [c.path.join(' ') + argsText(c), c.summary] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    'vane: a strongly consistent, replicated config store.',
    '',
    'Usage: vane COMMAND [arguments] [options]',
    '',
    'Commands:',
    ...rows.map(([left, summary]) => `  ${left.padEnd(width)}  ${summary}`),
    '',
    'Commands that talk to a cluster take:',
    ...optionLines(CLIENT_OPTIONS),
    '',
    "Run `vane COMMAND --help` (or `vane help COMMAND`) for a command's options and examples.",
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly CommandSpec[]): string {
  const members = commands.filter((c) => c.path[0] === group);
  const rows = members.map((c) => [c.path.join(' ') + argsText(c), c.summary] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    GROUP_SUMMARIES[group] ?? `vane ${group} commands.`,
    '',
    ...rows.map(([left, summary]) => `  vane ${left.padEnd(width)}  ${summary}`),
    '',
    `Run \`vane ${group} SUBCOMMAND --help\` for its options.`,
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary];
  if (spec.details !== undefined) lines.push('', spec.details);
  const own = {
    ...spec.options,
    help: { type: 'boolean', short: 'h', description: 'show this help' } as const,
  };
  lines.push('', 'Options:', ...optionLines(own));
  if (spec.client) lines.push('', 'Cluster options:', ...optionLines(CLIENT_OPTIONS));
  return lines.join('\n');
}

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) => (a.optional ? `[${a.name}]` : a.name));
  return ['vane', ...spec.path, ...args, '[options]'].join(' ');
}

function argsText(spec: CommandSpec): string {
  return spec.args.map((a) => (a.optional ? ` [${a.name}]` : ` ${a.name}`)).join('');
}

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([flag, o]) => {
    const short = o.short === undefined ? '' : `-${o.short}, `;
    const value = o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '';
    return [`${short}--${flag}${value}`, o.description] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, description]) => `  ${left.padEnd(width)}  ${description}`);
}
