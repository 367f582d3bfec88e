// Structured logs (one JSON object per line) shared by every part of the server. A test passes a
// destination to read the lines back, or level 'silent' to keep its output clean.
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** Which part of the server writes (e.g. 'http', 'raft'); also the member id when known. */
  readonly name: string;
  /** Where lines go; stdout when absent. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = { level: options.level, name: options.name };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** The (message, fields) logger that core/ and the transport take, writing through pino. */
export function coreLogger(logger: Logger): {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
} {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
  };
}
