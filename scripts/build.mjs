// Bundles the `vane` command (server/cli/main.ts and what it imports from core/ and server/) into
// dist/vane.mjs with esbuild, packages included (a member starts in ~0.35 s instead of ~0.6 s when
// node does not resolve and load hundreds of files from node_modules). The dashboard (web/,
// built by scripts/build-web.mjs) is embedded in it, so every member serves it at /ui. Rebuilds
// only when a source file is newer than the bundle (or with --force), and says what it does.
// Usage: node scripts/build.mjs [--force]
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildDashboard, writeDashboard } from './build-web.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
export const BUNDLE = join(DIST, 'vane.mjs');
/** Code loaded only by some commands (the member behind `vane serve`), so that the others start fast. */
const CHUNKS = join(DIST, 'chunks');
const STALE_CHUNK_MS = 60 * 60 * 1000;
const ENTRY = join(ROOT, 'server', 'cli', 'main.ts');
const SOURCE_DIRS = ['core', 'server', 'client', 'web'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.css', '.html'];
/** Files besides the sources whose change alters the bundle. */
const BUILD_INPUTS = ['package.json', 'scripts/build.mjs', 'scripts/build-web.mjs'];
/** The module that holds the built dashboard; in the sources it holds none (see that file). */
const CREATE_REQUIRE =
  "import { createRequire as vaneCreateRequire } from 'node:module'; const require = vaneCreateRequire(import.meta.url);";
const DASHBOARD_MODULE = join(ROOT, 'server', 'http', 'dashboard-page.ts');

/** The most recently modified source file (tests aside: they are not in the bundle). */
async function newestInput() {
  let newest = { path: '', mtimeMs: 0 };
  const consider = async (path) => {
    const { mtimeMs } = await stat(path);
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  };
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(path);
      } else if (
        SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension)) &&
        !entry.name.endsWith('.test.ts')
      ) {
        await consider(path);
      }
    }
  };
  for (const dir of SOURCE_DIRS) await walk(join(ROOT, dir));
  for (const file of BUILD_INPUTS) await consider(join(ROOT, file));
  return newest;
}

async function bundleTime() {
  try {
    return (await stat(BUNDLE)).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Builds dist/vane.mjs unless it is newer than every source. Each output file is written under a
 * temporary name and renamed, so a `vane` started meanwhile (or a second build) never sees half a file.
 * Resolves with whether it built; rejects with esbuild's messages when the sources do not compile.
 */
export async function ensureBuilt({ force = false, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const built = await bundleTime();
  const newest = await newestInput();
  if (!force && built !== null && newest.mtimeMs <= built) return false;
  const why = force ? '--force' : built === null ? 'no build yet' : `${relative(ROOT, newest.path)} changed`;
  log(`building dist/vane.mjs (${why})...`);
  const started = performance.now();
  const dashboard = await buildDashboard();
  await writeDashboard(dashboard);
  const embedder = embedDashboard(dashboard);
  const result = await build({
    entryPoints: { vane: ENTRY },
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // ws loads these native speed-ups if installed, and does without them.
    external: ['bufferutil', 'utf-8-validate'],
    // The CommonJS packages (ws, pino, prom-client...) require Node's built-in modules.
    banner: { js: CREATE_REQUIRE },
    target: 'node20',
    sourcemap: true,
    write: false,
    logLevel: 'silent',
    plugins: [embedder.plugin],
  });
  if (!embedder.embedded()) {
    throw new Error(
      `${relative(ROOT, DASHBOARD_MODULE)} was not part of the bundle: the dashboard would be missing`,
    );
  }
  await mkdir(CHUNKS, { recursive: true });
  // Chunks before the bundle that imports them, and the bundle last, so that its time stamp covers the rest.
  const rank = (path) => (path === BUNDLE ? 2 : path.startsWith(CHUNKS) ? 0 : 1);
  const outputs = [...result.outputFiles].sort((a, b) => rank(a.path) - rank(b.path));
  for (const file of outputs) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    await rename(temporary, file.path);
  }
  // Chunks of earlier builds (their names carry a content hash) go once no process started from
  // those builds can still be about to load them.
  const current = new Set(outputs.map((file) => file.path));
  for (const name of await readdir(CHUNKS)) {
    const path = join(CHUNKS, name);
    if (current.has(path)) continue;
    // A concurrent build may have removed it already.
    const mtimeMs = (await stat(path).catch(() => null))?.mtimeMs ?? Date.now();
    if (Date.now() - mtimeMs > STALE_CHUNK_MS) await rm(path, { force: true });
  }
  log(
    `built dist/vane.mjs with the dashboard (${Math.round(dashboard.bytes / 1024)} KiB, ` +
      `${Math.round(dashboard.gzipBytes / 1024)} KiB gzipped) in ${Math.round(performance.now() - started)} ms`,
  );
  return true;
}

/** An esbuild plugin that replaces the sources' empty dashboard module with the built page. */
function embedDashboard(dashboard) {
  const page = {
    html: dashboard.html,
    etag: dashboard.etag,
    contentSecurityPolicy: dashboard.contentSecurityPolicy,
  };
  let embedded = false;
  const plugin = {
    name: 'embed-dashboard',
    setup(esbuild) {
      esbuild.onLoad({ filter: /[\\/]server[\\/]http[\\/]dashboard-page\.ts$/ }, (args) => {
        if (args.path !== DASHBOARD_MODULE) return undefined;
        embedded = true;
        return {
          loader: 'ts',
          contents: `export const BUILT_DASHBOARD_PAGE = ${JSON.stringify(page)};\n`,
        };
      });
    },
  };
  return { plugin, embedded: () => embedded };
}

/** esbuild's errors as `file:line:column: message` lines. */
export function describeBuildFailure(error) {
  const messages = error?.errors;
  if (!Array.isArray(messages) || messages.length === 0) return String(error?.message ?? error);
  return messages
    .map((m) =>
      m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text,
    )
    .join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--force');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\nusage: node scripts/build.mjs [--force]\n`);
    process.exit(2);
  }
  try {
    const built = await ensureBuilt({ force: args.includes('--force'), log: (line) => console.log(line) });
    if (!built) console.log('dist/vane.mjs is up to date (--force rebuilds it)');
  } catch (error) {
    process.stderr.write(`build failed:\n${describeBuildFailure(error)}\n`);
    process.exit(1);
  }
}
