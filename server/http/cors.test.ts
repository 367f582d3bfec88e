// The CORS headers the app adds to every answer, successful or not, and its preflight answers.
// (Which origins are allowed is allowed-origins.ts; the app's own CORS tests are in app.test.ts.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { corsHeaders } from './cors.ts';
import { createTestApp } from './testing.ts';

const APP_ORIGIN = 'https://app.example.com';

describe('corsHeaders', () => {
  test('an answer to an allowed origin keeps the headers its route set and says it varies by Origin', async () => {
    const { app } = createTestApp({ cors: { origins: [APP_ORIGIN] } });
    await app.request('/v1/kv/k', { method: 'PUT', body: '{"value":"v"}' });
    const found = await app.request('/v1/kv/k', { headers: { Origin: APP_ORIGIN } });
    assert.equal(found.status, 200);
    assert.equal(found.headers.get('Access-Control-Allow-Origin'), APP_ORIGIN);
    assert.equal(
      found.headers.get('Access-Control-Expose-Headers'),
      'X-Vane-Revision,X-Vane-Member,Retry-After',
    );
    assert.equal(found.headers.get('Vary'), 'Origin');
    assert.equal(found.headers.get('X-Vane-Revision'), '1');
    assert.equal(found.headers.get('Content-Type'), 'application/json');
    assert.equal(((await found.json()) as { count: number }).count, 1);
  });

  test('error answers carry the headers too, so a page can read why it was refused', async () => {
    const { app } = createTestApp({ cors: { origins: [APP_ORIGIN] } });
    for (const path of ['/v1/kv/missing', '/no/such/route']) {
      const refused = await app.request(path, { headers: { Origin: APP_ORIGIN } });
      assert.equal(refused.status, 404, path);
      assert.equal(refused.headers.get('Access-Control-Allow-Origin'), APP_ORIGIN, path);
      assert.equal(refused.headers.get('Vary'), 'Origin', path);
    }
  });

  test('a preflight is answered 204 with what the API takes, cacheable for the max age', async () => {
    const app = new Hono();
    app.use(
      '*',
      corsHeaders({
        allowOrigin: (origin) => (origin === APP_ORIGIN ? origin : null),
        anyOrigin: false,
        allowMethods: ['GET', 'PUT'],
        allowHeaders: ['Content-Type', 'Authorization'],
        exposeHeaders: ['X-Vane-Revision'],
        maxAgeSeconds: 600,
      }),
    );
    app.put('/v1/kv/*', () => assert.fail('a preflight does not reach the route'));
    const preflight = await app.request('/v1/kv/k', {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'PUT' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('Access-Control-Allow-Origin'), APP_ORIGIN);
    assert.equal(preflight.headers.get('Access-Control-Allow-Methods'), 'GET,PUT');
    assert.equal(preflight.headers.get('Access-Control-Allow-Headers'), 'Content-Type,Authorization');
    assert.equal(preflight.headers.get('Access-Control-Max-Age'), '600');
    assert.equal(preflight.headers.get('Vary'), 'Origin, Access-Control-Request-Headers');
    assert.equal(await preflight.text(), '');
  });

  test("with '*' every origin is allowed and answers do not vary by Origin", async () => {
    const { app } = createTestApp({ cors: { origins: ['*'] } });
    const answer = await app.request('/health', { headers: { Origin: 'https://anything.example' } });
    assert.equal(answer.headers.get('Access-Control-Allow-Origin'), '*');
    assert.equal(answer.headers.get('Vary'), null);
    const preflight = await app.request('/health', {
      method: 'OPTIONS',
      headers: { Origin: 'https://x.example' },
    });
    assert.equal(preflight.headers.get('Vary'), 'Access-Control-Request-Headers');
  });
});
