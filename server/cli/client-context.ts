// What a command that talks to a cluster works with: the API client built from --endpoints and
// --timeout, the output (text or --json), and the step from an HTTP answer to a checked value.
import type { DecodeError } from '../../core/protocol/index.ts';
import { isDecodeError } from '../../core/protocol/index.ts';
import { type ApiAnswer, ApiClient } from './api-client.ts';
import { type ClientSettings, clientSettings } from './client-options.ts';
import { CliError, type CommandInput } from './command.ts';
import { Output } from './output.ts';

export interface ClientContext {
  readonly api: ApiClient;
  readonly out: Output;
  readonly settings: ClientSettings;
}

export function clientContext(input: CommandInput): ClientContext {
  const settings = clientSettings(input.options, input.io.env, input.command);
  const out = new Output(input.io, settings.json);
  const api = new ApiClient({
    endpoints: settings.endpoints,
    timeoutMs: settings.timeoutMs,
    interrupt: input.io.interrupt,
    ...(settings.token === undefined ? {} : { token: settings.token }),
    note: (line) => out.note(line),
  });
  return { api, out, settings };
}

/** The member's refusal as the command's failure; with --json its error body also goes to stdout. */
export function refusal(answer: ApiAnswer): CliError {
  const error = answer.error;
  if (error === undefined) throw new Error('refusal: the answer is not a refusal');
  return new CliError(`${error.message} [${error.code}]`, 1, answer.body);
}

/** The answer's body through a core/protocol decoder; a refusal or an unreadable answer fails the command. */
export function decoded<T>(answer: ApiAnswer, decode: (json: unknown) => T | DecodeError): T {
  if (answer.error !== undefined) throw refusal(answer);
  const value = decode(answer.body);
  if (isDecodeError(value)) {
    throw new CliError(
      `${answer.endpoint} sent an answer this CLI cannot read (${value.message}); are both the same version?`,
    );
  }
  return value;
}
