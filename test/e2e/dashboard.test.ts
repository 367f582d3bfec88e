// The dashboard in headless Chromium against a real 3-member cluster (dist/vane.mjs processes):
// it loads fast from a member, a flag's rollout edited in it reaches an application page that uses
// the SDK live, two editors of one key get a conflict instead of a silent overwrite, killing the
// member that served the page (the leader) leaves it working through the others (the new leader
// shown, edits saved) without a reload, and with auth enabled it asks for a token and then works.
// Screenshots of every view go to test-output/screenshots/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type MemberProcess, TestCluster, waitFor } from '../cluster/harness.ts';
import {
  bundleForBrowser,
  collectPageErrors,
  type LaunchedBrowser,
  launchBrowser,
  type PageServer,
  screenshot,
  servePage,
} from './browser.ts';

const VIEWPORT = { width: 1280, height: 900 };
/** The bar: the built page loads in under a second from a member on localhost. */
const MAX_LOAD_MS = 1000;
/** How soon a change must show up on another page, or a new leader in the cluster view. */
const LIVE_WITHIN_MS = 10_000;

const FLAG = {
  key: 'new-checkout',
  description: 'The redesigned checkout',
  salt: 'e2e',
  on: true,
  variations: [
    { id: 'off', name: 'Old checkout', value: false },
    { id: 'on', name: 'New checkout', value: true },
  ],
  offVariation: 'off',
  targets: [{ variation: 'on', keys: ['qa-1'] }],
  rules: [
    {
      description: 'Enterprise first',
      clauses: [{ attribute: 'plan', op: 'in', values: ['enterprise'] }],
      serve: { variation: 'on' },
    },
  ],
  fallthrough: {
    rollout: {
      variations: [
        { variation: 'on', weight: 10_000 },
        { variation: 'off', weight: 90_000 },
      ],
    },
  },
};

describe('the dashboard in Chromium', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let launched: LaunchedBrowser;
  let browser: Browser;
  let leader: string;
  /** A follower: the page is served by a member that survives the leader's death. */
  let viewer: MemberProcess;
  let watcherPage: PageServer;

  const ui = (hash = '') => `${viewer.clientUrl}/ui${hash}`;
  const newPage = async (): Promise<{ page: Page; errors: string[] }> => {
    const page = await (await browser.newContext({ viewport: VIEWPORT })).newPage();
    return { page, errors: collectPageErrors(page) };
  };

  before(async () => {
    const [started, chromium, script] = await Promise.all([
      TestCluster.start({ name: 'dashboard', size: 3 }),
      launchBrowser(),
      bundleForBrowser(join(import.meta.dirname, 'pages', 'flag-watcher.ts')),
    ]);
    cluster = started;
    launched = chromium;
    browser = chromium.browser;
    watcherPage = await servePage(script, 'flag watcher');
    leader = await cluster.waitForLeader(15_000);
    viewer = cluster.members.find((m) => m.name !== leader)!;
    await cluster.put(leader, 'flags/new-checkout', JSON.stringify(FLAG));
    await cluster.put(leader, 'config/app/limits', JSON.stringify({ rps: 100, burst: 20 }));
    await cluster.put(leader, 'config/app/limits', JSON.stringify({ rps: 150, burst: 20 }));
    await cluster.put(leader, 'config/app/theme', 'dark');
    const lease = await cluster.request(leader, 'POST', '/v1/lease/grant', { ttl: 300 });
    await cluster.request(leader, 'PUT', `/v1/kv/${encodeURIComponent('services/api/i-1')}`, {
      value: '{"url":"http://10.0.0.1:8080"}',
      lease: lease.body.id,
    });
  });

  after(async () => {
    await watcherPage?.close();
    await launched?.close();
    await cluster?.stop();
  });

  it(`loads from a member in under ${MAX_LOAD_MS} ms and shows every member`, async () => {
    const { page, errors } = await newPage();
    // Best of three: the page's own cost, not a moment when other work holds the CPU.
    const loads: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(ui());
      loads.push(
        await page.evaluate(
          () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd,
        ),
      );
    }
    console.log(`dashboard: load event after ${loads.map(Math.round).join(', ')} ms`);
    assert.ok(
      Math.min(...loads) < MAX_LOAD_MS,
      `the page took ${loads.map(Math.round).join(', ')} ms to load`,
    );
    await page.locator('[data-testid=members] tbody tr').nth(2).waitFor();
    assert.equal(
      await page.locator(`[data-testid=members] tr[data-member=${leader}]`).getAttribute('data-role'),
      'leader',
    );
    assert.equal(await page.locator('[data-testid=leader] .value').textContent(), leader);
    assert.deepEqual(errors, []);
  });

  it('a rollout moved with the slider and saved reaches a page that uses the SDK, live', async () => {
    const app = await newPage();
    await app.page.goto(
      `${watcherPage.url}/index.html?endpoint=${encodeURIComponent(viewer.clientUrl)}&flag=new-checkout`,
    );
    await app.page.locator('#rollout', { hasText: 'on 10%, off 90%' }).waitFor({ timeout: LIVE_WITHIN_MS });
    const before = await app.page.locator('#served').textContent();

    const { page, errors } = await newPage();
    await page.goto(ui('#/flags/new-checkout'));
    const slider = page.locator('[data-testid=fallthrough] input[type=range][data-variation=on]');
    await slider.fill('35000');
    await page.locator('[data-testid=fallthrough] [data-share=off]', { hasText: '65%' }).waitFor();
    // The preview evaluates the edited (not yet saved) flag: an enterprise user matches rule 1.
    await page.locator('[data-testid=preview] textarea').fill('{"key": "user-7", "plan": "enterprise"}');
    await page.locator('[data-testid=preview-result]', { hasText: 'rule 1' }).waitFor();
    await screenshot(page, 'flags');
    await page.locator('[data-testid=save-flag]').click();
    await page.locator('[data-testid=flag-saved]').waitFor();

    await app.page.locator('#rollout', { hasText: 'on 35%, off 65%' }).waitFor({ timeout: LIVE_WITHIN_MS });
    const served = Number(
      /^(\d+) of 1000/.exec((await app.page.locator('#served').textContent()) ?? '')?.[1],
    );
    assert.ok(
      served > 300 && served < 400,
      `${served} of 1000 users get 'on' with a 35% rollout (before: ${before})`,
    );
    const stored = await cluster.get(leader, 'flags/new-checkout');
    assert.equal(JSON.parse(stored.body.kvs[0].value).fallthrough.rollout.variations[0].weight, 35_000);
    assert.deepEqual(errors, []);
    await page.locator('.flag-list li[data-flag=new-checkout]', { hasText: '35% on' }).waitFor();
  });

  it('two people edit one key: the second save gets the conflict and the newer value, and nothing is overwritten', async () => {
    const alice = await newPage();
    const bob = await newPage();
    for (const { page } of [alice, bob]) {
      await page.goto(ui(`#/keys/${encodeURIComponent('config/app/limits')}`));
      await page.locator('[data-testid=key-meta]').waitFor();
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
    }
    await alice.page.locator('textarea[name=value]').fill('{"rps": 200, "burst": 20}');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    await alice.page.locator('[data-testid=key-message]', { hasText: 'Saved at revision' }).waitFor();

    await bob.page.locator('textarea[name=value]').fill('{"rps": 50, "burst": 5}');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    const conflict = bob.page.locator('[data-testid=conflict]');
    await conflict.waitFor();
    assert.match((await conflict.textContent()) ?? '', /someone else changed config\/app\/limits/);
    assert.match((await bob.page.locator('[data-testid=conflict-value]').textContent()) ?? '', /"rps": 200/);
    // Bob's draft is still there to copy from or re-apply.
    assert.equal(await bob.page.locator('textarea[name=value]').inputValue(), '{"rps": 50, "burst": 5}');
    await screenshot(bob.page, 'keys-conflict');
    const stored = await cluster.get(leader, 'config/app/limits');
    assert.equal(stored.body.kvs[0].value, '{"rps":200,"burst":20}');

    // Alice's page followed her save: the history shows all three versions and a diff.
    await alice.page.getByRole('button', { name: 'History' }).click();
    await alice.page.locator('[data-testid=diff] .added', { hasText: '"rps": 200' }).waitFor();
    assert.equal(await alice.page.locator('[data-testid=history] .history li').count(), 3);
    await screenshot(alice.page, 'keys-history');
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  it('the watch, keys and leases views show live data, and revoking a lease deletes its keys', async () => {
    const { page, errors } = await newPage();
    await page.goto(ui('#/watch'));
    await page.locator('[data-testid=events] .empty').waitFor();
    await cluster.put(leader, 'config/app/theme', 'light');
    await cluster.request(leader, 'DELETE', `/v1/kv/${encodeURIComponent('config/app/theme')}`);
    await page
      .locator('[data-testid=events] .event', { hasText: 'delete' })
      .waitFor({ timeout: LIVE_WITHIN_MS });
    const rows = await page.locator('[data-testid=events] .event').allTextContents();
    assert.match(rows[0]!, /rev \d+.*delete.*config\/app\/theme.*was light/);
    assert.match(rows[1]!, /put.*config\/app\/theme.*light/);
    await page.getByRole('button', { name: 'Pause' }).click();
    await cluster.put(leader, 'config/app/theme', 'blue');
    await page.getByRole('button', { name: 'Resume (1 waiting)' }).waitFor({ timeout: LIVE_WITHIN_MS });
    assert.equal(await page.locator('[data-testid=events] .event').count(), 2);
    await page.getByRole('button', { name: 'Resume (1 waiting)' }).click();
    await page.locator('[data-testid=events] .event', { hasText: 'blue' }).waitFor();
    assert.equal(await page.locator('[data-testid=events] .event').count(), 3);
    await screenshot(page, 'watch');

    await page.goto(ui('#/keys'));
    await page.locator('[data-testid=key-tree]').waitFor();
    await page.locator('[data-testid=key-tree] button', { hasText: 'services' }).click();
    await page.locator('[data-testid=key-tree] button', { hasText: 'api' }).click();
    await page.locator('[data-testid=key-tree] button[data-key="services/api/i-1"]').click();
    await page.locator('[data-testid=value]', { hasText: '"url": "http://10.0.0.1:8080"' }).waitFor();
    await screenshot(page, 'keys');
    // Create a key next to it; creating it a second time is refused with its value shown.
    for (const attempt of ['first', 'second']) {
      await page.getByRole('button', { name: 'New key' }).click();
      await page.locator('[data-testid=new-key] input[name=key]').fill('services/api/i-2');
      await page.locator('[data-testid=new-key] textarea[name=value]').fill(`{"url": "${attempt}"}`);
      await page.getByRole('button', { name: 'Create' }).click();
    }
    await page
      .locator('[data-testid=new-key] [data-testid=conflict]', { hasText: 'already exists' })
      .waitFor();
    assert.match((await page.locator('[data-testid=new-key] pre').textContent()) ?? '', /"url": "first"/);
    assert.equal((await cluster.get(leader, 'services/api/i-2')).body.kvs[0].value, '{"url": "first"}');

    await page.goto(ui('#/leases'));
    const row = page.locator('[data-testid=leases] tbody tr').first();
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /300 s.*services\/api\/i-1/);
    await screenshot(page, 'leases');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke and delete 1 key' }).click();
    await page.locator('.banner.ok', { hasText: 'its 1 key was deleted' }).waitFor();
    assert.equal((await cluster.get(leader, 'services/api/i-1')).status, 404);
    assert.deepEqual(errors, []);
  });

  it('a token typed into the login goes out as a Bearer header and on the live connection', async () => {
    const { page } = await newPage();
    // The SDK puts a token on its WebSocket as the subprotocol vane.token.<token> (or ?token= when
    // the token has characters a subprotocol cannot carry); CDP shows the handshake's headers.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const socketUrls: string[] = [];
    const subprotocols: string[] = [];
    cdp.on('Network.webSocketCreated', (event) => socketUrls.push(event.url));
    cdp.on('Network.webSocketWillSendHandshakeRequest', (event) => {
      subprotocols.push((event.request.headers as Record<string, string>)['Sec-WebSocket-Protocol'] ?? '');
    });
    await page.goto(ui('#/cluster'));
    await page.locator('[data-testid=login-button]').click();
    await page.locator('[data-testid=login] input[name=token]').fill('secret-token-1');
    const statusRequest = page.waitForRequest((request) => request.url().includes('/v1/cluster/status'));
    await page.getByRole('button', { name: 'Use token' }).click();
    assert.equal((await statusRequest).headers().authorization, 'Bearer secret-token-1');
    await waitFor('a WebSocket handshake carrying the token', LIVE_WITHIN_MS, () =>
      subprotocols.includes('vane.token.secret-token-1') ||
      socketUrls.some((url) => new URL(url).searchParams.get('token') === 'secret-token-1')
        ? true
        : undefined,
    );
    assert.equal(await page.locator('[data-testid=login-button]').textContent(), 'Token set');
  });

  it('the member serving the page (the leader) is killed: the page fails over, shows the new leader and still saves an edit', async () => {
    const { page } = await newPage();
    // Served by the leader, so that killing it takes both the page's member and the leader away.
    await page.goto(`${cluster.member(leader).clientUrl}/ui#/cluster`);
    await page.locator(`[data-testid=members] tr[data-member=${leader}][data-role=leader]`).waitFor();
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    // A few writes so that the charts have something to draw.
    for (let i = 0; i < 20; i++) await cluster.put(leader, `load/k${i}`, String(i));
    const killedAt = performance.now();
    await cluster.kill(leader);
    const newLeader = await waitFor('the dashboard to show a new leader', LIVE_WITHIN_MS, async () => {
      const shown = await page.locator('[data-testid=leader] .value').textContent();
      return shown !== leader && shown !== 'none' ? shown : undefined;
    });
    console.log(
      `dashboard: new leader ${newLeader} shown ${Math.round(performance.now() - killedAt)} ms after the kill`,
    );
    assert.equal(newLeader, await cluster.waitForLeader(LIVE_WITHIN_MS));
    await page.locator(`[data-testid=members] tr[data-member=${leader}][data-role=unreachable]`).waitFor();
    await page.locator('[data-testid=events] li', { hasText: `${newLeader} leads in term` }).waitFor();
    assert.equal(await page.locator('.cluster.stale').count(), 0, 'the view is live, not dimmed');
    let revision = 0;
    for (let i = 0; i < 10; i++)
      revision = (await cluster.put(newLeader!, `load/after${i}`, String(i))).body.header.revision;
    // The writes under the new leader reach the view (and its charts) without a reload.
    await waitFor('the revision after the failover in the cluster view', LIVE_WITHIN_MS, async () => {
      const shown = Number(await page.locator('[data-testid=revision] .value').textContent());
      return shown >= revision ? true : undefined;
    });
    await screenshot(page, 'cluster');

    // The same document, its member gone: a key edit saves through another member.
    await page.evaluate(() => {
      location.hash = `#/keys/${encodeURIComponent('config/app/limits')}`;
    });
    await page.locator('[data-testid=key-meta]').waitFor({ timeout: LIVE_WITHIN_MS });
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.locator('textarea[name=value]').fill('{"rps": 300, "burst": 30}');
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .locator('[data-testid=key-message]', { hasText: 'Saved at revision' })
      .waitFor({ timeout: LIVE_WITHIN_MS });
    assert.equal(
      (await cluster.get(newLeader!, 'config/app/limits')).body.kvs[0].value,
      '{"rps":300,"burst":30}',
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
      true,
    );
  });

  it('with auth enabled, /ui opens without a token, asks for one, and with an admin token shows the cluster and keys', async () => {
    // The killed member comes back first, so that every member's status is asked with the token.
    cluster.restart(leader);
    const current = await cluster.waitForLeader(LIVE_WITHIN_MS * 2);
    const enabled = await fetch(`${cluster.member(current).clientUrl}/v1/auth/enable`, {
      method: 'POST',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(enabled.status, 200);
    const admin = ((await enabled.json()) as { token: string }).token;
    await waitFor(`${viewer.name} to refuse anonymous reads`, LIVE_WITHIN_MS, async () =>
      (await fetch(`${viewer.clientUrl}/v1/kv/config%2Fapp%2Flimits`)).status === 401 ? true : undefined,
    );
    assert.equal((await fetch(ui())).status, 200);

    const { page, errors } = await newPage();
    await page.goto(ui('#/cluster'));
    const login = page.locator('[data-testid=login]');
    await login.locator('.banner.error', { hasText: 'auth enabled' }).waitFor({ timeout: LIVE_WITHIN_MS });
    await screenshot(page, 'login');
    await login.locator('input[name=token]').fill(admin);
    await page.getByRole('button', { name: 'Use token' }).click();
    await login.waitFor({ state: 'detached' });
    await page.locator('[data-testid=login-button]', { hasText: 'Token: root' }).waitFor();
    // Every member answers: the one serving the page asked the others with the same token.
    for (const m of cluster.members) {
      await page
        .locator(`[data-testid=members] tr[data-member=${m.name}]:not([data-role=unreachable])`)
        .waitFor({ timeout: LIVE_WITHIN_MS });
    }
    await page.evaluate(() => {
      location.hash = '#/keys';
    });
    await page.locator('[data-testid=key-tree] button', { hasText: 'config' }).waitFor();
    await screenshot(page, 'keys-logged-in');
    assert.deepEqual(
      errors.filter((e) => !/401|Unauthorized/.test(e)),
      [],
    );
  });
});
