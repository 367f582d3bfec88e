// Bytes a command reads from a file or standard input (a value, a txn), bounded so that pointing
// it at a huge file by mistake fails at once with the limit named instead of filling memory.
import { open } from 'node:fs/promises';
import { formatBytes } from '../../core/limits.ts';
import { CliError, type CliIo } from './command.ts';

/** Reads `path` ('-' = standard input), at most `maxBytes`; `limitName` says which limit was hit. */
export async function readInput(
  io: CliIo,
  path: string,
  maxBytes: number,
  limitName: string,
): Promise<Uint8Array> {
  const tooLarge = (): CliError =>
    new CliError(
      `${path === '-' ? 'standard input' : path} holds more than ${formatBytes(maxBytes)}, the ${limitName}`,
    );
  if (path === '-') {
    const bytes = await io.readStdin(maxBytes);
    if (bytes === 'tooLarge') throw tooLarge();
    return bytes;
  }
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CliError(`cannot read ${path}: ${FILE_ERRORS[code] ?? String(error)}`);
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new CliError(`cannot read ${path}: it is not a file`);
    const size = stats.size;
    if (size > maxBytes) throw tooLarge();
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await file.read(buffer, 0, size, 0);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
  } finally {
    await file.close();
  }
}

const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
};
