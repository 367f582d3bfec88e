// How answers are shown: the API's JSON (one line) with --json, otherwise compact text. Notes about
// what the CLI is doing (waiting, retrying, reconnecting) go to stderr so stdout stays parseable.
import { formatBytes } from '../../core/limits.ts';
import type { KeyValue } from '../../core/store/index.ts';
import type { CliIo } from './command.ts';

export class Output {
  readonly json: boolean;
  private readonly io: CliIo;

  constructor(io: CliIo, json: boolean) {
    this.io = io;
    this.json = json;
  }

  /** The command's answer: `json` with --json, else the text lines. */
  print(json: unknown, text: () => string | readonly string[]): void {
    if (this.json) {
      this.jsonLine(json);
      return;
    }
    const lines = text();
    for (const line of typeof lines === 'string' ? [lines] : lines) this.line(line);
  }

  jsonLine(value: unknown): void {
    this.io.writeOut(`${JSON.stringify(value)}\n`);
  }

  line(text: string): void {
    this.io.writeOut(`${text}\n`);
  }

  bytes(bytes: Uint8Array): void {
    this.io.writeOut(bytes);
  }

  note(text: string): void {
    this.io.writeErr(`${text}\n`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or undefined for bytes that are not. */
export function textOf(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A key or value as one readable token: itself when it is plain text; quoted JSON when it is empty
 * or holds control characters (a newline would break the one-line-per-key output).
 */
export function displayText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this finds.
  return text === '' || /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text;
}

export function displayValue(value: Uint8Array): string {
  const text = textOf(value);
  return text === undefined
    ? `(binary, ${formatBytes(value.length)}) base64:${Buffer.from(value).toString('base64')}`
    : displayText(text);
}

/** `key = value`. */
export function keyValueLine(kv: KeyValue): string {
  return `${displayText(kv.key)} = ${displayValue(kv.value)}`;
}

/** Left-aligned columns separated by two spaces; the header row first. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (row: readonly string[]): string =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
