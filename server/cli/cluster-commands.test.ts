// lease, member, status and snapshot commands against the real client API (over an in-process store).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { KvStore } from '../../core/store/index.ts';
import { nodeFileSystem, nodeProcessTable } from '../adapters/node/fs.ts';
import { decodeMemberSnapshot } from '../member/index.ts';
import { openDataDir } from '../storage/index.ts';
import { refusedUrl, type ServedMember, serveFakeMember, vane } from './testing.ts';

let served: ServedMember;
const run = (...argv: string[]) => vane([...argv, '--endpoints', served.url]);

beforeEach(async () => {
  served = await serveFakeMember();
});
afterEach(async () => {
  await served.close();
});

describe('lease commands', () => {
  test('grant, attach a key, ttl with keys, list, revoke (which deletes the key)', async () => {
    const grant = await run('lease', 'grant', '60', '--id', '42');
    assert.equal(grant.code, 0, grant.stderr);
    assert.equal(grant.stdout, 'lease 42 granted, TTL 60s\n');
    assert.equal((await run('put', 'service/a', '10.0.0.1', '--lease', '42')).code, 0);
    const ttl = await run('lease', 'ttl', '42', '--keys');
    assert.match(ttl.stdout, /^lease 42: \d+s left of 60s\n1 key attached:\n {2}service\/a\n$/);
    const list = await run('lease', 'list');
    assert.match(list.stdout, /^ID\s+TTL\n42\s+\d+s\n$/);
    const revoke = await run('lease', 'revoke', '42');
    assert.match(revoke.stdout, /^lease 42 revoked; its keys are deleted/);
    assert.equal((await run('get', 'service/a')).code, 1);
    assert.equal((await run('lease', 'list')).stdout, 'no leases\n');
  });

  test('ttl and revoke of a lease that does not exist say so (exit 1)', async () => {
    const ttl = await run('lease', 'ttl', '99');
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /lease 99 does not exist: it expired or was revoked/);
    const revoke = await run('lease', 'revoke', '99');
    assert.equal(revoke.code, 1);
    assert.match(revoke.stderr, /\[leaseNotFound\]/);
  });

  test('keepalive prints each renewal until Ctrl-C, then exits 0', async () => {
    await run('lease', 'grant', '2', '--id', '7');
    const interrupt = new AbortController();
    let renewals = 0;
    const result = await vane(['lease', 'keepalive', '7', '--endpoints', served.url], {
      interrupt: interrupt.signal,
      onOut: (text) => {
        renewals += text.split('renewed').length - 1;
        if (renewals === 2) interrupt.abort();
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'lease 7 renewed, TTL 2s\nlease 7 renewed, TTL 2s\n');
  });

  test('keepalive of a lease that does not exist fails at once', async () => {
    const result = await run('lease', 'keepalive', '5');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /lease 5 does not exist: it expired or was revoked/);
  });
});

describe('member commands', () => {
  test('add a learner, list, promote, remove', async () => {
    const add = await run('member', 'add', 'm2', '--peer-url', 'ws://127.0.0.1:7480');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^added m2 as a learner \(peer ws:\/\/127\.0\.0\.1:7480\)\nStart it with:\n/);
    assert.match(
      add.stdout,
      /vane serve --name m2 --listen-peer 127\.0\.0\.1:7480 --listen-client HOST:PORT --join http/,
    );
    assert.match(add.stdout, /then, once it has caught up: vane member promote m2/);
    const list = await run('member', 'list');
    assert.deepEqual(
      list.stdout.split('\n').map((line) => line.split(/\s{2,}/)),
      [
        ['NAME', 'KIND', 'PEER URL', 'CLIENT URL'],
        ['m1', 'voter', 'http://m1.peer', served.url],
        ['m2', 'learner', 'ws://127.0.0.1:7480', '(not started yet)'],
        [''],
      ],
    );
    const promote = await run('member', 'promote', 'm2');
    assert.match(promote.stdout, /^promoted m2 to voter\n\nNAME.*\nm1 .*\nm2\s+voter\s/);
    const remove = await run('member', 'remove', 'm2');
    assert.match(remove.stdout, /^removed m2\n/);
    assert.doesNotMatch(remove.stdout, /\nm2 /);
  });

  test('--json prints the member list answer', async () => {
    const list = await run('member', 'list', '--json');
    const json = JSON.parse(list.stdout) as { members: { name: string; isLearner: boolean }[] };
    assert.deepEqual(
      json.members.map((m) => [m.name, m.isLearner]),
      [['m1', false]],
    );
  });
});

describe('status', () => {
  test('one row per member, with its health; an unreachable member is listed with the reason', async () => {
    const down = await refusedUrl();
    served.member.memberList = [
      ...served.member.memberList,
      { id: 'm2', peerUrl: 'ws://127.0.0.1:1', clientUrl: down, isLearner: false },
    ];
    await run('put', 'k', 'v');
    const result = await run('status');
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], 'leader: m1 (term 1)');
    assert.deepEqual(lines[2]!.split(/\s+/), [
      'NAME',
      'ROLE',
      'TERM',
      'COMMIT',
      'APPLIED',
      'REVISION',
      'LEADER',
      'HEALTH',
    ]);
    assert.deepEqual(lines[3]!.split(/\s+/), ['m1', 'leader', '1', '1', '1', '1', 'm1', 'ok']);
    assert.match(
      lines[4]!,
      /^m2\s+unreachable\s+-\s+-\s+-\s+-\s+-\s+connection refused \(.*could not be reached/,
    );
  });

  test("an unhealthy member shows why; --json adds each member's health to the answer", async () => {
    served.member.healthState = { ok: false, reason: 'no leader' };
    const text = await run('status');
    assert.match(text.stdout.split('\n')[3]!, /\sno leader$/);
    const json = JSON.parse((await run('status', '--json')).stdout) as {
      members: { name: string }[];
      health: Record<string, { ok: boolean; reason?: string }>;
    };
    assert.equal(json.members[0]!.name, 'm1');
    assert.deepEqual(json.health, { m1: { ok: false, reason: 'no leader' } });
  });
});

describe('snapshot save and restore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vane-snapshot-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('save writes the snapshot to the file and says its revision and size', async () => {
    await run('put', 'a', '1');
    await run('put', 'b', '2');
    const file = join(dir, 'backup.snap');
    const result = await run('snapshot', 'save', file);
    assert.equal(result.code, 0, result.stderr);
    const bytes = await readFile(file);
    assert.deepEqual(new Uint8Array(bytes), served.member.store.snapshot());
    assert.equal(
      result.stdout,
      `saved the snapshot at revision 2 from m1 to ${file} (${bytes.length} bytes)\n`,
    );
    await assert.rejects(stat(`${file}.part`));
  });

  test('restore creates a data directory a member starts from, with the data and the new members', async () => {
    await run('put', 'config/a', 'alpha');
    await run('put', 'config/b', 'beta');
    const file = join(dir, 'restore.snap');
    assert.equal((await run('snapshot', 'save', file)).code, 0);
    const dataDir = join(dir, 'm2-data');
    const cluster = 'm1=ws://127.0.0.1:7380,m2=ws://127.0.0.1:7480';
    const result = await vane([
      'snapshot',
      'restore',
      file,
      '--name',
      'm2',
      '--data-dir',
      dataDir,
      '--initial-cluster',
      cluster,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^restored revision 2 \\(2 keys\\) into ${dataDir} for member m2 of m1, m2\\n`),
    );
    assert.match(result.stdout, /vane serve --name m2 .*--listen-peer 127\.0\.0\.1:7480/);

    const { dataDir: opened, recovered } = await openDataDir({
      dir: dataDir,
      fs: nodeFileSystem,
      processes: nodeProcessTable,
      logger: { debug() {}, info() {}, warn() {} },
    });
    await opened.close();
    const snapshot = recovered.snapshot!;
    assert.deepEqual(snapshot.metadata.confState.voters, ['m1', 'm2']);
    assert.equal(recovered.hardState.commit, snapshot.metadata.index);
    const decoded = decodeMemberSnapshot(snapshot.data);
    assert.ok(typeof decoded !== 'string', String(decoded));
    assert.deepEqual([...decoded.members.peerUrls('m2')], [['m1', 'ws://127.0.0.1:7380']]);
    const store = KvStore.restore(decoded.store);
    assert.ok(store instanceof KvStore);
    const range = store.range({ key: 'config/', rangeEnd: 'config0' });
    assert.ok('kvs' in range, 'the restored store answers the range');
    assert.deepEqual(
      range.kvs.map((kv) => [kv.key, new TextDecoder().decode(kv.value)]),
      [
        ['config/a', 'alpha'],
        ['config/b', 'beta'],
      ],
    );

    const again = await vane([
      'snapshot',
      'restore',
      file,
      '--name',
      'm2',
      '--data-dir',
      dataDir,
      '--initial-cluster',
      cluster,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists and is not empty; restore creates a fresh data directory/);
  });

  test('restore refuses a file that is not a snapshot, and a member missing from the cluster', async () => {
    const junk = join(dir, 'junk.snap');
    await writeFile(junk, 'not a snapshot');
    const bad = await vane([
      'snapshot',
      'restore',
      junk,
      '--name',
      'm1',
      '--data-dir',
      join(dir, 'x'),
      '--initial-cluster',
      'm1=ws://h:1',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /junk\.snap is not a usable snapshot: /);
    await assert.rejects(stat(join(dir, 'x')));
    const missing = await vane([
      'snapshot',
      'restore',
      junk,
      '--name',
      'm9',
      '--initial-cluster',
      'm1=ws://h:1',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--initial-cluster does not list this member 'm9'/);
  });
});
