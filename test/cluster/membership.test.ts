// Membership with real processes, driven through the `vane` CLI as an operator would: replace a
// failed member, and refuse a member that does not know the cluster secret.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TestCluster, VANE_BIN, waitFor } from './harness.ts';

const run = promisify(execFile);

async function vane(cluster: TestCluster, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const endpoints = cluster
    .running()
    .map((m) => m.clientUrl)
    .join(',');
  return run(process.execPath, [VANE_BIN, ...args, '--endpoints', endpoints, '--timeout', '10s'], {
    timeout: 20_000,
  });
}

describe('membership through the CLI', { timeout: 300_000 }, () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ name: 'membership', size: 3 });
    await cluster.waitForLeader(15_000);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('replaces a failed member: remove it, add a learner, start it with --join; it is promoted and serves', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await cluster.put('m1', `replace/${i}`, `v${i}`)).status, 200);
    await cluster.kill('m3', 'SIGKILL');

    const removed = await vane(cluster, 'member', 'remove', 'm3');
    assert.match(removed.stdout, /m3/);
    const m4 = await cluster.define('m4');
    const added = await vane(cluster, 'member', 'add', 'm4', '--peer-url', m4.peerUrl);
    assert.match(added.stdout, /m4/);
    const listed = await vane(cluster, 'member', 'list', '--json');
    const members = JSON.parse(listed.stdout).members as { id: string; isLearner: boolean }[];
    assert.deepEqual(
      members.map((m) => [m.id, m.isLearner]),
      [
        ['m1', false],
        ['m2', false],
        ['m4', true],
      ],
    );

    cluster.spawn(m4, ['--join', cluster.member('m1').clientUrl]);
    await waitFor('m4 to be promoted to a voter once caught up', 20_000, async () => {
      const list = await cluster.request('m1', 'GET', '/v1/cluster/members');
      const me = (list.body.members as { id: string; isLearner: boolean }[]).find((m) => m.id === 'm4');
      return me && !me.isLearner ? true : undefined;
    });
    const read = await cluster.get('m4', 'replace/19');
    assert.equal(read.body.kvs[0].value, 'v19');

    // m4 now counts toward the quorum: with m1 gone, m2 and m4 still elect a leader and take writes.
    await cluster.kill('m1', 'SIGKILL');
    await waitFor('m2 and m4 to elect one of themselves', 15_000, async () => {
      const leader = await cluster.waitForLeader(15_000);
      return leader !== 'm1' ? leader : undefined;
    });
    const write = await waitFor('a write with m1 down', 10_000, async () => {
      const r = await cluster.put('m4', 'replace/after', 'ok', 2000);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(write.body.header.member, 'm4');
    cluster.restart('m1');
    await cluster.waitForLeader(15_000);
  });

  it('stops a member once its own removal is applied', async () => {
    await vane(cluster, 'member', 'remove', 'm2');
    await waitFor('m2 to stop by itself', 15_000, () =>
      cluster.member('m2').process === null ? true : undefined,
    );
    await cluster.waitForLog('m2', /removed from the cluster/);
    await cluster.waitForLeader(15_000);
    assert.equal((await cluster.put('m4', 'after/removal', 'ok')).status, 200);
  });

  it('refuses a member that presents the wrong cluster secret, and logs it without the secret', async () => {
    // An impostor claiming to be m1 dials m4 (the member whose id sorts first dials).
    const impostor = await cluster.define('impostor');
    impostor.memberName = 'm1';
    impostor.secret = 'not-the-cluster-secret-at-all';
    cluster.spawn(impostor, [
      '--initial-cluster',
      `m1=${impostor.peerUrl},m4=${cluster.member('m4').peerUrl}`,
    ]);
    await cluster.waitForLog('m4', /refus/i, 15_000);
    const log = readFileSync(cluster.member('m4').logFile, 'utf8');
    assert.ok(!log.includes(impostor.secret), 'the presented secret appears in the log');
    assert.ok(!log.includes('test-cluster-secret'), 'the cluster secret appears in the log');
    const health = await waitFor('the impostor to answer /health', 10_000, () =>
      cluster.request('impostor', 'GET', '/health'),
    );
    assert.equal(health.status, 503, 'the impostor found no leader');
    await cluster.kill('impostor', 'SIGKILL');
    // The real cluster did not notice.
    assert.equal((await cluster.put('m4', 'after/impostor', 'ok')).status, 200);
  });
});
