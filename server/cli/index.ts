// server/cli: the `vane` command line — serve a member, and talk to a cluster over its HTTP API.
export { runCli } from './cli.ts';
export {
  type CliDeps,
  type CliIo,
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  type RunningMember,
} from './command.ts';
export { COMMANDS } from './commands.ts';
