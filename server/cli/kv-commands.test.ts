// get, put, del, txn, compact against the real client API (over an in-process store), in text and --json.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type ServedMember, serveFakeMember, vane } from './testing.ts';

describe('key-value commands', () => {
  let served: ServedMember;
  let dir: string;
  const run = (...argv: string[]) => vane([...argv, '--endpoints', served.url]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vane-cli-'));
  });
  // Each test gets a fresh store.
  beforeEach(async () => {
    served = await serveFakeMember();
  });
  afterEach(async () => {
    await served.close();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('put then get prints OK with the revision, then `key = value`', async () => {
    const put = await run('put', 'greeting', 'hello world');
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, 'OK (revision 1)\n');
    const get = await run('get', 'greeting');
    assert.equal(get.stdout, 'greeting = hello world\n');
    const valueOnly = await run('get', 'greeting', '--print-value-only');
    assert.equal(valueOnly.stdout, 'hello world\n');
  });

  test('--json prints the API answer as one JSON line', async () => {
    await run('put', 'a', '1');
    const get = await run('get', 'a', '--json');
    assert.equal(get.code, 0);
    assert.equal(get.stdout.trim().split('\n').length, 1);
    const json = JSON.parse(get.stdout) as {
      header: { revision: number };
      kvs: { key: string; value: string }[];
    };
    assert.equal(json.header.revision, 1);
    assert.deepEqual(
      json.kvs.map((kv) => [kv.key, kv.value]),
      [['a', '1']],
    );
  });

  test('a missing key is an error naming it (exit 1), and --json still prints the answer', async () => {
    const get = await run('get', 'nope');
    assert.equal(get.code, 1);
    assert.equal(get.stdout, '');
    assert.match(get.stderr, /vane get: key 'nope' not found \(revision 0\)/);
    const json = await run('get', 'nope', '--json');
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { count: number }).count, 0);
  });

  test('prefix reads: lines, keys only, count only, and a note when --limit cuts them', async () => {
    for (const [key, value] of [
      ['config/a', '1'],
      ['config/b', 'two\nlines'],
      ['config/c', ''],
      ['other', 'x'],
    ] as const) {
      assert.equal((await run('put', key, value)).code, 0);
    }
    const lines = await run('get', 'config/', '--prefix');
    assert.equal(lines.stdout, 'config/a = 1\nconfig/b = "two\\nlines"\nconfig/c = ""\n');
    assert.equal(
      (await run('get', 'config/', '--prefix', '--keys-only')).stdout,
      'config/a\nconfig/b\nconfig/c\n',
    );
    assert.equal((await run('get', 'config/', '--prefix', '--count-only')).stdout, '3\n');
    const limited = await run('get', 'config/', '--prefix', '--limit', '1');
    assert.equal(limited.stdout, 'config/a = 1\n');
    assert.match(limited.stderr, /1 of 3 keys shown; raise --limit/);
    const all = await run('get', '', '--prefix', '--keys-only');
    assert.equal(all.stdout, 'config/a\nconfig/b\nconfig/c\nother\n');
  });

  test('get --rev reads the past', async () => {
    await run('put', 'k', 'old');
    await run('put', 'k', 'new');
    assert.equal((await run('get', 'k', '--rev', '1')).stdout, 'k = old\n');
    assert.equal((await run('get', 'k')).stdout, 'k = new\n');
  });

  test('put reads the value from standard input with "-" and from --file, byte for byte', async () => {
    const stdin = await vane(['put', 'from-stdin', '-', '--endpoints', served.url], { stdin: 'piped value' });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal((await run('get', 'from-stdin', '--print-value-only')).stdout, 'piped value\n');

    const binary = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
    const file = join(dir, 'binary.bin');
    await writeFile(file, binary);
    assert.equal((await run('put', 'bin', '--file', file)).code, 0);
    const raw = await run('get', 'bin', '--print-value-only');
    assert.deepEqual(raw.stdoutBytes, binary);
    assert.equal((await run('get', 'bin')).stdout, 'bin = (binary, 5 bytes) base64:AAEC//4=\n');
  });

  test('put --prev-kv shows the value before; put refuses VALUE and --file together', async () => {
    await run('put', 'k', 'v1');
    const again = await run('put', 'k', 'v2', '--prev-kv');
    assert.equal(again.stdout, 'OK (revision 2)\nprevious: k = v1\n');
    const fresh = await run('put', 'new', 'v', '--prev-kv');
    assert.match(fresh.stdout, /previous: none \(the key is new\)/);
    const both = await run('put', 'k', 'v', '--file', '/nonexistent');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give VALUE or --file, not both/);
    const missing = await run('put', 'k', '--file', join(dir, 'missing.txt'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*missing\.txt: no such file/);
  });

  test('put refuses a value over the limit before sending it', async () => {
    const big = await vane(['put', 'big', '-', '--endpoints', served.url], {
      stdin: 'x'.repeat(1.5 * 1024 * 1024 + 1),
    });
    assert.equal(big.code, 1);
    assert.match(big.stderr, /standard input holds more than 1\.5 MiB, the maxValueBytes limit/);
    assert.equal(served.member.store.revision, 0);
  });

  test('del deletes a key or a prefix and says how many', async () => {
    await run('put', 'p/1', 'a');
    await run('put', 'p/2', 'b');
    await run('put', 'q', 'c');
    const one = await run('del', 'q');
    assert.equal(one.stdout, 'deleted 1 key (revision 4)\n');
    const prefix = await run('del', 'p/', '--prefix', '--prev-kv');
    assert.equal(prefix.stdout, 'deleted 2 keys (revision 5)\np/1 = a\np/2 = b\n');
    const none = await run('del', 'absent');
    assert.equal(none.stdout, 'deleted 0 keys (revision 5)\n');
  });

  test('txn reads JSON from standard input and prints the branch taken and each answer', async () => {
    await run('put', 'lock', 'someone');
    const txn = {
      compare: [{ key: 'lock', target: 'version', result: 'equal', value: 0 }],
      success: [{ put: { key: 'lock', value: 'me' } }],
      failure: [{ range: { key: 'lock' } }],
    };
    const result = await vane(['txn', '--endpoints', served.url], { stdin: JSON.stringify(txn) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'FAILED (revision 1)\n[0] range: 1 key\n    lock = someone\n');
    await run('del', 'lock');
    const retried = await vane(['txn', '-', '--endpoints', served.url], { stdin: JSON.stringify(txn) });
    assert.equal(retried.stdout, 'SUCCEEDED (revision 3)\n[0] put: OK\n');
  });

  test('txn reports bad JSON and a bad txn with its place, sending nothing', async () => {
    const notJson = await vane(['txn', '--endpoints', served.url], { stdin: '{"compare": [' });
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /the txn in standard input is not JSON/);
    const bad = await vane(['txn', '--endpoints', served.url], {
      stdin: '{"success":[{"put":{"key":"k"}}]}',
    });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /the txn in standard input is not valid: txn\.success\[0\]\.put\.value: missing/,
    );
  });

  test('compact forgets history; reading before it is then an error with the code', async () => {
    await run('put', 'k', 'a');
    await run('put', 'k', 'b');
    const compact = await run('compact', '2');
    assert.equal(compact.code, 0, compact.stderr);
    assert.match(compact.stdout, /history before revision 2 is gone/);
    const old = await run('get', 'k', '--rev', '1');
    assert.equal(old.code, 1);
    assert.match(old.stderr, /\[compacted\]/);
    const json = await run('get', 'k', '--rev', '1', '--json');
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'compacted');
  });
});
