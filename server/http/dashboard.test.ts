import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { type DashboardPage, registerDashboard } from './dashboard.ts';
import type { AppEnv } from './env.ts';

const PAGE: DashboardPage = {
  html: '<!doctype html><title>Vane</title><script type="module">start()</script>',
  etag: '"abc"',
  contentSecurityPolicy: "default-src 'none'; script-src 'sha256-xyz'",
};

function appWith(page: DashboardPage | null): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  registerDashboard(app, page);
  return app;
}

describe('GET /ui', () => {
  test('serves the built page with the Content-Security-Policy computed for it at build time', async () => {
    const response = await appWith(PAGE).request('/ui');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(response.headers.get('content-security-policy'), PAGE.contentSecurityPolicy);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await response.text(), PAGE.html);
  });

  test('a reload with the current ETag gets 304 and no body; a stale ETag gets the page', async () => {
    const app = appWith(PAGE);
    const fresh = await app.request('/ui', { headers: { 'If-None-Match': PAGE.etag } });
    assert.equal(fresh.status, 304);
    assert.equal(await fresh.text(), '');
    const stale = await app.request('/ui', { headers: { 'If-None-Match': '"old"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get('etag'), PAGE.etag);
  });

  test('without a build, answers 404 with how to build the dashboard', async () => {
    const response = await appWith(null).request('/ui');
    assert.equal(response.status, 404);
    assert.match(await response.text(), /npm run build/);
  });
});
