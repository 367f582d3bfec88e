// What every `vane` command is made of: its spec (name, arguments, options, help text) and what it
// runs with (the process's streams, parsed arguments, and a way to fail with an exit code).
import type { MemberConfig } from '../config.ts';

/** Exit codes: 0 done, 1 the operation failed, 2 the command line was wrong, 130 interrupted (Ctrl-C). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** The process as a command sees it; tests pass a fake. */
export interface CliIo {
  /** Text, or raw bytes (a binary value printed with --print-value-only). */
  writeOut(chunk: string | Uint8Array): void;
  writeErr(text: string): void;
  /** Reads standard input to its end; 'tooLarge' once more than maxBytes arrive. */
  readStdin(maxBytes: number): Promise<Uint8Array | 'tooLarge'>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C or SIGTERM: long-running commands (watch, keepalive, serve) stop cleanly. */
  readonly interrupt: AbortSignal;
}

/** A running member, as `vane serve` needs it. */
export interface RunningMember {
  readonly clientPort: number;
  readonly peerPort: number;
  /** Resolves with the reason when the member stops, by stop() or by itself (removed, fatal error). */
  readonly stopped: Promise<string>;
  stop(): Promise<void>;
}

/** What the CLI needs from the rest of the server; main.ts passes the Node implementations. */
export interface CliDeps {
  startNodeMember(config: MemberConfig): Promise<RunningMember>;
}

/**
 * A failure that ends the command: its message goes to stderr, the exit code to the shell. With
 * --json, `json` (the API's error body) also goes to stdout so that scripts can read the code.
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly json: unknown;
  /** The command it is about, when that is known before the command runs (a usage error). */
  readonly command: string | undefined;

  constructor(message: string, exitCode: number = EXIT_FAILED, json?: unknown, command?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.json = json;
    this.command = command;
  }
}

/** The command line was wrong: the message says how, and points at the command's help. */
export function usageError(message: string, command?: string): CliError {
  const help = command === undefined ? 'vane help' : `vane ${command} --help`;
  return new CliError(`${message}\n(see \`${help}\`)`, EXIT_USAGE, undefined, command);
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown in help after the flag, e.g. 'N' in `--rev N`. */
  readonly valueName?: string;
  readonly short?: string;
}

export interface ArgumentSpec {
  /** Upper case, as shown in usage lines: 'KEY'. */
  readonly name: string;
  readonly optional?: boolean;
}

/** Flags, parsed, with typed access that turns a bad value into a usage error naming the flag. */
export class OptionValues {
  private readonly values: Readonly<Record<string, string | boolean | undefined>>;
  private readonly command: string;

  constructor(values: Readonly<Record<string, string | boolean | undefined>>, command: string) {
    this.values = values;
    this.command = command;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A whole number in [min, max], or undefined when the flag is absent. */
  integer(name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    return parseInteger(text, `--${name}`, min, max, this.command);
  }
}

export function parseInteger(text: string, what: string, min: number, max: number, command: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw usageError(`${what}: expected a whole number ${range}, got '${text}'`, command);
  }
  return value;
}

export interface CommandInput {
  readonly io: CliIo;
  readonly deps: CliDeps;
  /** The command's name as typed, e.g. 'lease grant'. */
  readonly command: string;
  /** Positional arguments by their spec name ('KEY'); optional ones may be absent. */
  readonly args: Readonly<Record<string, string>>;
  readonly options: OptionValues;
}

export interface CommandSpec {
  /** ['get'] or ['lease', 'grant']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** More help: what it prints, examples. */
  readonly details?: string;
  readonly args: readonly ArgumentSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Talks to a cluster: takes --endpoints, --timeout and --json. */
  readonly client: boolean;
  run(input: CommandInput): Promise<number>;
}
