#!/usr/bin/env node
// The `vane` command (package.json "bin"): runs the bundled CLI, dist/vane.mjs. In a checkout it
// first (re)builds the bundle when it is missing or older than the sources, so `npx vane` works
// right after `npm install` and never runs stale code.
import { existsSync } from 'node:fs';

const buildScript = new URL('../scripts/build.mjs', import.meta.url);
if (existsSync(buildScript) && existsSync(new URL('../server/cli/main.ts', import.meta.url))) {
  const { ensureBuilt, describeBuildFailure } = await import(buildScript.href);
  try {
    await ensureBuilt();
  } catch (error) {
    process.stderr.write(`vane: building dist/vane.mjs failed:\n${describeBuildFailure(error)}\n`);
    process.exit(1);
  }
}
await import('../dist/vane.mjs');
