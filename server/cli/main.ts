// The `vane` process on Node (bundled to dist/vane.mjs by scripts/build.mjs): the real streams,
// environment and signals around runCli. The first Ctrl-C or SIGTERM asks the command to stop
// cleanly; a second one exits at once.
import type { MemberConfig } from '../config.ts';
import { runCli } from './cli.ts';
import { type CliIo, EXIT_INTERRUPTED } from './command.ts';

/** Exit code for a bug (BSD's EX_SOFTWARE). */
const EXIT_INTERNAL = 70;

const stop = new AbortController();
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      process.stderr.write('vane: stopping now, without waiting\n');
      process.exit(EXIT_INTERRUPTED);
    }
    stop.abort();
  });
}
// `vane get ... | head` closes the pipe early: that ends the output, it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const io: CliIo = {
  writeOut: (chunk) => {
    process.stdout.write(chunk);
  },
  writeErr: (text) => {
    process.stderr.write(text);
  },
  async readStdin(maxBytes) {
    if (process.stdin.isTTY) process.stderr.write('reading standard input (end it with Ctrl-D)...\n');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        process.stdin.destroy();
        return 'tooLarge';
      }
      chunks.push(chunk);
    }
    const all = Buffer.concat(chunks);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  },
  env: process.env,
  interrupt: stop.signal,
};

let code: number;
try {
  code = await runCli(process.argv.slice(2), io, {
    // Loaded only by `vane serve`: the member and its dependencies would slow every other command down.
    async startNodeMember(config: MemberConfig) {
      const { startNodeMember } = await import('../adapters/node/main.ts');
      return startNodeMember(config);
    },
  });
} catch (error) {
  process.stderr.write(
    `vane: internal error (a bug; please report it): ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  code = EXIT_INTERNAL;
}
// Exit explicitly once stdout is flushed: idle keep-alive connections must not hold the process open.
process.stdout.write('', () => process.exit(code));
