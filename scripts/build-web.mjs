// Bundles the dashboard (web/main.tsx: Preact, the client SDK and the core code they import) into
// one self-contained HTML page with its script and styles inline, so that /ui is a single request.
// scripts/build.mjs embeds the page in dist/vane.mjs; a copy goes to dist/web/index.html to look at.
// Usage: node scripts/build-web.mjs (writes dist/web/index.html and prints its size)
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(ROOT, 'web');
export const DASHBOARD_FILE = join(ROOT, 'dist', 'web', 'index.html');
/** The page must stay quick to load from a member; a bundle past this is a build error, not a surprise. */
const MAX_PAGE_BYTES = 768 * 1024;
const SCRIPT_MARK = '<!--script-->';
const STYLE_MARK = '<!--style-->';

const sha256 = (text) => createHash('sha256').update(text).digest('base64');

/**
 * The dashboard as served at /ui: the HTML, an ETag, and a Content-Security-Policy that allows
 * exactly the inline script and style of this build (by hash) and nothing else from anywhere.
 */
export async function buildDashboard() {
  const result = await build({
    entryPoints: [join(WEB, 'main.tsx'), join(WEB, 'styles.css')],
    outdir: join(ROOT, 'dist', 'web'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const output = (extension) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(extension));
    if (file === undefined) throw new Error(`the dashboard build produced no ${extension} file`);
    return file.text;
  };
  // An inline script ends at the first '</script'; the bundle must not contain one in a string.
  const script = output('.js').replaceAll('</script', '<\\/script');
  const style = output('.css').replaceAll('</style', '<\\/style');
  const template = await readFile(join(WEB, 'index.html'), 'utf8');
  if (!template.includes(SCRIPT_MARK) || !template.includes(STYLE_MARK)) {
    throw new Error(`web/index.html must contain ${SCRIPT_MARK} and ${STYLE_MARK}`);
  }
  const html = template
    .replace(STYLE_MARK, () => `<style>${style}</style>`)
    .replace(SCRIPT_MARK, () => `<script type="module">${script}</script>`);
  const bytes = Buffer.byteLength(html);
  if (bytes > MAX_PAGE_BYTES) {
    throw new Error(`the dashboard page is ${bytes} bytes; the limit is ${MAX_PAGE_BYTES} (MAX_PAGE_BYTES)`);
  }
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    `style-src 'sha256-${sha256(style)}'`,
    // The SDK fails over to the other members, which listen on other ports or hosts.
    'connect-src http: https: ws: wss:',
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    html,
    etag: `"${sha256(html).slice(0, 27)}"`,
    contentSecurityPolicy,
    bytes,
    gzipBytes: gzipSync(html).length,
  };
}

/** Writes the page to dist/web/index.html (temporary name, then rename, like the server bundle). */
export async function writeDashboard(page) {
  await mkdir(dirname(DASHBOARD_FILE), { recursive: true });
  const temporary = `${DASHBOARD_FILE}.${process.pid}.tmp`;
  await writeFile(temporary, page.html);
  await rename(temporary, DASHBOARD_FILE);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const page = await buildDashboard();
  await writeDashboard(page);
  console.log(
    `built dist/web/index.html: ${page.bytes} bytes (${page.gzipBytes} gzipped) in ${Math.round(performance.now() - started)} ms`,
  );
}
