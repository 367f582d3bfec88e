// The SDK in headless Chromium against a real 3-member cluster: a page (sdk-page.ts, bundled from
// the browser entry) shows a value and updates it live; reloaded while the cluster is down it shows
// the value from IndexedDB, marked stale, then catches up with every change made while it was away,
// each once and in order; two tabs share one WebSocket, and the survivor takes it over when the
// holder closes; the flag vectors hold in Chromium. The members allow the page's origin through
// VANE_CORS_ORIGINS (the --cors-origins flag's variable).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page, WebSocket } from 'playwright-core';
import { TestCluster, waitFor } from '../cluster/harness.ts';
import {
  bundleForBrowser,
  collectPageErrors,
  type LaunchedBrowser,
  launchBrowser,
  type PageServer,
  serveFiles,
} from './browser.ts';
import type { PageState } from './sdk-page.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WAIT_MS = 15_000;

const darkMode = {
  key: 'dark-mode',
  on: true,
  variations: [
    { id: 'on', value: true },
    { id: 'off', value: false },
  ],
  offVariation: 'off',
  rules: [{ clauses: [{ attribute: 'plan', op: 'equals', values: ['pro'] }], serve: { variation: 'on' } }],
  fallthrough: { variation: 'off' },
};

describe('the SDK in Chromium against a 3-member cluster', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let pages: PageServer;
  let chromium: LaunchedBrowser;
  let pageUrl: string;

  before(async () => {
    const script = await bundleForBrowser(join(ROOT, 'test/e2e/sdk-page.ts'));
    const html =
      '<!doctype html><html><head><meta charset="utf-8"><title>vane sdk</title><link rel="icon" href="data:,"></head><body><script type="module" src="/page.js"></script></body></html>';
    pages = await serveFiles({
      '/index.html': { body: html, contentType: 'text/html; charset=utf-8' },
      '/page.js': { body: script, contentType: 'text/javascript; charset=utf-8' },
      '/vectors.json': {
        body: readFileSync(join(ROOT, 'core/flags/vectors.json')),
        contentType: 'application/json',
      },
    });
    // The members' --cors-origins, through its environment variable (the harness passes the environment on).
    process.env.VANE_CORS_ORIGINS = pages.url;
    cluster = await TestCluster.start({ name: 'sdk-e2e', size: 3 });
    await cluster.waitForLeader(WAIT_MS);
    const endpoints = cluster.members.map((m) => m.clientUrl).join(',');
    pageUrl = `${pages.url}/index.html?endpoints=${encodeURIComponent(endpoints)}`;
    chromium = await launchBrowser();
  });

  after(async () => {
    await chromium?.close();
    await cluster?.stop();
    await pages?.close();
  });

  async function put(key: string, value: string): Promise<number> {
    const running = cluster.running()[0];
    assert.ok(running, 'a member runs');
    const answer = await cluster.put(running.name, key, value);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.header.revision;
  }

  async function post(path: string, body: unknown): Promise<number> {
    const answer = await cluster.request(cluster.running()[0]!.name, 'POST', path, body);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.header.revision;
  }

  function state(page: Page): Promise<PageState> {
    return page.evaluate(() => window.vane.state());
  }

  /** Polls the page's state until `check` holds; the error shows the last state seen. */
  async function until(page: Page, what: string, check: (state: PageState) => boolean): Promise<PageState> {
    let last: PageState | undefined;
    try {
      return await waitFor(what, WAIT_MS, async () => {
        last = await state(page);
        return check(last) ? last : undefined;
      });
    } catch (error) {
      throw new Error(`${String(error)}; the page's last state: ${JSON.stringify(last)}`);
    }
  }

  /** A page in `context` whose WebSockets to the members are recorded in `sockets`, with the page that opened each. */
  async function openPage(
    context: BrowserContext,
    sockets: { readonly socket: WebSocket; readonly page: Page }[] = [],
  ): Promise<Page> {
    const page = await context.newPage();
    page.on('websocket', (socket) => {
      if (socket.url().includes('/v1/watch')) sockets.push({ socket, page });
    });
    await page.goto(pageUrl);
    return page;
  }

  describe('one tab', () => {
    let context: BrowserContext;
    after(async () => {
      await context?.close();
    });

    it('shows a value and updates it live when it changes', async () => {
      const first = await put('app/greeting', 'hello');
      await put('flags/dark-mode', JSON.stringify(darkMode));
      context = await chromium.browser.newContext();
      const page = await openPage(context);
      const errors = collectPageErrors(page);
      await page.locator('#greeting').getByText('hello', { exact: true }).waitFor({ timeout: WAIT_MS });
      const shown = await until(
        page,
        'a live, confirmed state',
        (s) => s.status.state === 'live' && !s.stale,
      );
      assert.ok(shown.revision >= first);
      assert.equal(shown.flag, true, 'the flag evaluates in the page');
      const second = await put('app/greeting', 'hello again');
      await page.locator('#greeting').getByText('hello again', { exact: true }).waitFor({ timeout: WAIT_MS });
      const updated = await state(page);
      assert.deepEqual(updated.log, [{ revision: second, keys: ['app/greeting'] }]);
      await put('flags/dark-mode', JSON.stringify({ ...darkMode, on: false }));
      await until(page, 'the flag turned off live', (s) => !s.flag);
      assert.deepEqual(errors, []);
    });

    it('after a reload with the cluster down shows the value from IndexedDB, marked stale, then catches up with every change made meanwhile', async () => {
      const [page] = context.pages();
      assert.ok(page);
      const shownRevision = (await state(page)).revision;
      await waitFor('the state in IndexedDB', WAIT_MS, async () =>
        ((await page.evaluate(() => window.vane.cachedRevision())) ?? 0) >= shownRevision ? true : undefined,
      );
      await page.close();

      // Changes the page does not see: it is closed, then the cluster goes down.
      const meanwhile: { revision: number; keys: string[] }[] = [];
      meanwhile.push({ revision: await put('app/greeting', 'while away'), keys: ['app/greeting'] });
      meanwhile.push({ revision: await put('app/other', 'x'), keys: ['app/other'] });
      meanwhile.push({
        revision: await post('/v1/txn', {
          success: [{ put: { key: 'app/a', value: '1' } }, { put: { key: 'app/b', value: '2' } }],
        }),
        keys: ['app/a', 'app/b'],
      });
      await put('elsewhere/ignored', 'not under app/');
      const deleted = await cluster.request(cluster.running()[0]!.name, 'DELETE', '/v1/kv/app%2Fother');
      assert.equal(deleted.status, 200);
      meanwhile.push({ revision: deleted.body.header.revision, keys: ['app/other'] });
      meanwhile.push({ revision: await put('app/greeting', 'welcome back'), keys: ['app/greeting'] });
      await cluster.stop();

      const reloaded = await openPage(context);
      await reloaded
        .locator('#greeting')
        .getByText('hello again', { exact: true })
        .waitFor({ timeout: WAIT_MS });
      const cached = await state(reloaded);
      assert.equal(cached.ready, true);
      assert.equal(cached.stale, true, 'the cached state is marked stale');
      assert.ok(
        cached.revision >= shownRevision && cached.revision < meanwhile[0]!.revision,
        `${cached.revision}`,
      );
      assert.notEqual(cached.status.state, 'live');
      assert.equal(await reloaded.locator('body').getAttribute('data-stale'), 'true');

      for (const m of cluster.members) cluster.restart(m.name);
      await cluster.waitForLeader(WAIT_MS);
      const caughtUp = await until(
        reloaded,
        'the page to catch up',
        (s) => s.greeting === 'welcome back' && !s.stale && s.status.state === 'live',
      );
      assert.deepEqual(caughtUp.log, meanwhile, 'every change made meanwhile, once each, in order');
      assert.equal(caughtUp.revision >= meanwhile.at(-1)!.revision, true);
      assert.equal(await reloaded.locator('body').getAttribute('data-stale'), 'false');
    });
  });

  it('shares one WebSocket between two tabs, and the other tab takes it over when the holder closes', async () => {
    const context = await chromium.browser.newContext();
    try {
      const sockets: { readonly socket: WebSocket; readonly page: Page }[] = [];
      const holder = await openPage(context, sockets);
      await until(holder, 'the first tab live', (s) => s.status.state === 'live' && s.ready);
      const follower = await openPage(context, sockets);
      await until(follower, 'the second tab live', (s) => s.status.state === 'live' && s.ready);
      const revision = await put('app/greeting', 'to both tabs');
      for (const page of [holder, follower]) {
        await page
          .locator('#greeting')
          .getByText('to both tabs', { exact: true })
          .waitFor({ timeout: WAIT_MS });
      }
      assert.equal(sockets.length, 1, 'one WebSocket for the two tabs');
      assert.equal(sockets[0]!.page, holder);
      assert.deepEqual((await state(follower)).log, [{ revision, keys: ['app/greeting'] }]);

      await holder.close();
      // Written while no tab holds the connection: the follower must still get each once, in order.
      const handover = [
        await put('app/greeting', 'during handover'),
        await put('app/greeting', 'after handover'),
      ];
      await follower
        .locator('#greeting')
        .getByText('after handover', { exact: true })
        .waitFor({ timeout: WAIT_MS });
      assert.equal(sockets.length, 2, 'the remaining tab opened the connection');
      assert.equal(sockets[1]!.page, follower);
      assert.deepEqual(
        (await state(follower)).log.map((entry) => entry.revision),
        [revision, ...handover],
      );
      await until(follower, 'live again', (s) => s.status.state === 'live');
    } finally {
      await context.close();
    }
  });

  it('keeps IndexedDB records by revision and namespace, and ignores one it cannot read', async () => {
    const context = await chromium.browser.newContext();
    try {
      const page = await openPage(context);
      assert.deepEqual(await page.evaluate(() => window.vane.idbSelfTest()), [
        5,
        undefined,
        undefined,
        undefined,
        2,
      ]);
    } finally {
      await context.close();
    }
  });

  it('agrees with every published flag vector in Chromium', async () => {
    const context = await chromium.browser.newContext();
    try {
      const page = await openPage(context);
      assert.deepEqual(await page.evaluate(() => window.vane.checkVectors()), []);
    } finally {
      await context.close();
    }
  });
});
