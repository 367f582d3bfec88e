// Headless Chromium for the browser suites, shared by every test/e2e file: Debian's
// /usr/bin/chromium driven by playwright-core (which downloads no browser of its own), a page
// server for test pages, an esbuild bundler for the scripts they load, and screenshots under
// test-output/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');
/** VANE_CHROMIUM points the suites at another Chromium build. */
export const CHROMIUM_PATH = process.env.VANE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(ROOT, 'test-output', 'screenshots');
/**
 * Quiet, reproducible runs: no sandbox (CI runs as root), no GPU, no background traffic or
 * component updates. Playwright gives every launch a fresh --user-data-dir of its own (a mkdtemp
 * directory it deletes on close) and refuses one passed here.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
/** How long a launch may take before the suite fails instead of hanging. */
const LAUNCH_TIMEOUT_MS = 30_000;

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium, as .ci/run does) or set VANE_CHROMIUM`,
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
  });
  return { browser, close: () => browser.close() };
}

export interface ServedFile {
  readonly body: string | Uint8Array;
  readonly contentType: string;
}

export interface PageServer {
  /** http://127.0.0.1:<port> (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `files` (by path, e.g. '/index.html') on 127.0.0.1 at a port the OS picks; others get 404. */
export async function serveFiles(files: Readonly<Record<string, ServedFile>>): Promise<PageServer> {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname];
    if (file === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': file.contentType, 'Cache-Control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** A page whose only content is `script` (a module), served at /index.html. */
export function servePage(script: string, title = 'test page'): Promise<PageServer> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head><body><script type="module" src="/page.js"></script></body></html>`;
  return serveFiles({
    '/index.html': { body: html, contentType: 'text/html; charset=utf-8' },
    '/page.js': { body: script, contentType: 'text/javascript; charset=utf-8' },
  });
}

/** Bundles a TypeScript entry (it may import client/, core/ and packages) into one browser module. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`bundling ${entry} produced nothing`);
  return output.text;
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects the page's uncaught errors and console errors, so a test can assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}
