// GET /ui: the dashboard, one self-contained HTML page (script and styles inline) that talks to the
// cluster through the public API with the client SDK. Its Content-Security-Policy admits only that
// inline script and style (by hash, computed at build time); the ETag lets a reload skip the body.
import type { Hono } from 'hono';
import { BUILT_DASHBOARD_PAGE } from './dashboard-page.ts';
import type { AppEnv } from './env.ts';

export const DASHBOARD_PATH = '/ui';

export interface DashboardPage {
  readonly html: string;
  readonly etag: string;
  readonly contentSecurityPolicy: string;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vane</title></head>
<body style="font:15px/1.5 system-ui,sans-serif;margin:2rem">
<h1>Vane</h1>
<p>This member runs from the sources, which do not hold the built dashboard.
Run <code>npm run build</code> and start the member from <code>dist/vane.mjs</code>
(<code>npm start</code> does both).</p>
</body></html>`;

/** Serves `page`, or when it is null (no build) a page that says how to build it. */
export function registerDashboard(
  app: Hono<AppEnv>,
  page: DashboardPage | null = BUILT_DASHBOARD_PAGE,
): void {
  app.get(DASHBOARD_PATH, (c) => {
    if (page === null) return c.html(NOT_BUILT_PAGE, 404);
    const headers = {
      ETag: page.etag,
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': page.contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (c.req.header('If-None-Match') === page.etag) return c.body(null, 304, headers);
    return c.html(page.html, 200, headers);
  });
}
