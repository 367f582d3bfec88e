// One run of `vane`: parse the command line, run the command, turn its failure into a message on
// stderr and an exit code. Runtime glue (process, signals) is main.ts's.
import { parseCommandLine } from './args.ts';
import { type CliDeps, CliError, type CliIo, EXIT_INTERRUPTED } from './command.ts';
import { COMMANDS } from './commands.ts';

/** Runs `vane ...argv`; resolves with the exit code. Anything but a CliError is a bug and is thrown. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  let command: string | undefined;
  let json = false;
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (line.kind === 'help') {
      io.writeOut(`${line.text}\n`);
      return 0;
    }
    command = line.name;
    json = line.spec.options.json !== undefined || line.spec.client ? line.options.flag('json') : false;
    return await line.spec.run({ io, deps, command: line.name, args: line.args, options: line.options });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (json && error.json !== undefined) io.writeOut(`${JSON.stringify(error.json)}\n`);
    const about = command ?? error.command;
    const prefix = about === undefined ? 'vane' : `vane ${about}`;
    io.writeErr(
      error.exitCode === EXIT_INTERRUPTED ? `${prefix}: interrupted\n` : `${prefix}: ${error.message}\n`,
    );
    return error.exitCode;
  }
}
