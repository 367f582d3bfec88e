// auth, role and token commands against the real client API with auth (over an in-process store).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { serveClientApi } from '../adapters/node/http.ts';
import { type ClientApiServer, watchAdmission } from '../adapters/start-member.ts';
import { authFixture } from '../auth/testing.ts';
import { createApp, WatchSession } from '../http/index.ts';
import { createLogger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { vane } from './testing.ts';

describe('auth commands', () => {
  let server: ClientApiServer;
  let url: string;
  const run = (token: string | undefined, ...argv: string[]) =>
    vane([...argv, '--endpoints', url], { env: token === undefined ? {} : { VANE_TOKEN: token } });

  beforeEach(async () => {
    const { member, auth } = await authFixture();
    const logger = createLogger({ level: 'silent', name: 'http' });
    const metrics = new Metrics();
    const app = createApp(member, { limits: DEFAULT_LIMITS, logger, metrics, auth });
    server = await serveClientApi({
      app,
      host: '127.0.0.1',
      port: 0,
      maxWatchMessageBytes: 64 * 1024,
      onWatchSocket: () => assert.fail('every watch goes through admitWatch'),
      admitWatch: watchAdmission(
        auth,
        (api) => (socket) => new WatchSession(api, socket, { limits: DEFAULT_LIMITS, logger, metrics }),
      ),
    });
    url = `http://127.0.0.1:${server.port}`;
  });
  afterEach(async () => {
    await server.close();
  });

  test('enable prints the admin token alone on stdout; status, roles and tokens follow from it', async () => {
    const enable = await run(undefined, 'auth', 'enable', '--subject', 'ops', '--ttl', '1d');
    assert.equal(enable.code, 0, enable.stderr);
    const admin = enable.stdout.trim();
    assert.match(admin, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(
      enable.stderr,
      /^auth enabled; admin token: subject 'ops', roles admin, id [\w-]+, expires /,
    );
    const status = await run(admin, 'auth', 'status');
    assert.match(
      status.stdout,
      /^auth: enabled\nroles: 0, verification keys: 1, revoked tokens remembered: 0\nyou: 'ops' \(role admin\), token/,
    );
    assert.equal((await run(undefined, 'auth', 'status')).stdout.split('\n')[2], 'you: no token');

    assert.match(
      (await run(admin, 'role', 'add', 'reader')).stdout,
      /^role reader added \(revision \d+\)\n$/,
    );
    assert.match(
      (await run(admin, 'role', 'grant', 'reader', 'read', 'app/')).stdout,
      /^role reader may now read keys under 'app\/'/,
    );
    assert.equal(
      (await run(admin, 'role', 'list')).stdout,
      [
        'ROLE    ACCESS      PREFIX',
        'admin   everything  (built in: also members, roles and tokens)',
        'reader  read        app/',
        '',
      ].join('\n'),
    );
    const created = await run(admin, 'token', 'create', '--read-prefix', 'app/', '--subject', 'browser');
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stderr,
      /token created: subject 'browser', read-only on 'app\/', id ([\w-]+), expires/,
    );
    const browser = created.stdout.trim();
    const denied = await run(browser, 'put', 'app/x', '1');
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /'browser' \(read-only on 'app\/'\) may not write key 'app\/x'.*\[permissionDenied\]/,
    );
    assert.match(
      (await run(admin, 'token', 'revoke', browser)).stdout,
      /^token [\w-]+ revoked \(revision \d+\)\n$/,
    );
    const revoked = await run(browser, 'get', 'app/x');
    assert.match(revoked.stderr, /was revoked \[unauthenticated\]/);

    assert.match(
      (await run(admin, 'role', 'revoke', 'reader', 'app/')).stdout,
      /no longer has a permission on 'app\/'/,
    );
    assert.match((await run(admin, 'role', 'delete', 'reader')).stdout, /^role reader deleted/);
    assert.match((await run(admin, 'auth', 'disable')).stdout, /^auth disabled \(revision \d+\)\n$/);
    assert.equal((await run(undefined, 'put', 'k', 'v')).code, 0, 'no token needed once disabled');
  });

  test('watch sends the token; revoking it ends the watch with exit 1 and the reason', async () => {
    const admin = (await run(undefined, 'auth', 'enable')).stdout.trim();
    await run(admin, 'role', 'add', 'reader');
    await run(admin, 'role', 'grant', 'reader', 'read', 'app/');
    const reader = (
      await run(admin, 'token', 'create', '--role', 'reader', '--subject', 'svc')
    ).stdout.trim();
    let revoked = false;
    const watch = await vane(['watch', 'app/', '--prefix', '--endpoints', url], {
      env: { VANE_TOKEN: reader },
      onErr: (text) => {
        if (text.startsWith('watching')) void run(admin, 'put', 'app/a', '1');
      },
      onOut: () => {
        if (revoked) return;
        revoked = true;
        void run(admin, 'token', 'revoke', reader);
      },
    });
    assert.equal(watch.code, 1);
    assert.match(watch.stdout, /^\[rev \d+\] PUT app\/a = 1\n$/);
    assert.match(
      watch.stderr,
      /the watch was canceled: unauthenticated: the token of 'svc' \(id [\w-]+\) was revoked/,
    );
    const anonymous = await vane(['watch', 'app/', '--prefix', '--endpoints', url]);
    assert.equal(anonymous.code, 1);
    assert.match(
      anonymous.stderr,
      /the watch was refused: auth is enabled: send a token .*\[unauthenticated\]/,
    );
  });

  test('usage errors: no grant, a bad access word, a bad duration; refusals exit 1 with the code', async () => {
    const noGrant = await run(undefined, 'token', 'create');
    assert.equal(noGrant.code, 2);
    assert.match(noGrant.stderr, /give --role, --read-prefix, or both/);
    const access = await run(undefined, 'role', 'grant', 'r', 'write', 'a/');
    assert.equal(access.code, 2);
    assert.match(access.stderr, /ACCESS: expected read or readwrite, got 'write'/);
    const ttl = await run(undefined, 'token', 'create', '--role', 'r', '--ttl', 'soon');
    assert.equal(ttl.code, 2);
    assert.match(ttl.stderr, /--ttl: expected a duration such as 15m, 1h or 7d, got 'soon'/);
    const disabled = await run(undefined, 'token', 'create', '--role', 'admin');
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /auth is disabled, so tokens would not be checked.*\[invalidRequest\]/);
  });
});
