// The command line: help for every command, and usage errors that say what is wrong and where the
// help is (exit code 2), before anything is sent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { optionsOf } from './args.ts';
import { COMMANDS } from './commands.ts';
import { refusedUrl, vane } from './testing.ts';

describe('help', () => {
  test('`vane help` lists every command with its summary', async () => {
    const result = await vane(['help']);
    assert.equal(result.code, 0);
    for (const spec of COMMANDS) {
      assert.ok(result.stdout.includes(spec.path.join(' ')), `missing ${spec.path.join(' ')}`);
      assert.ok(result.stdout.includes(spec.summary), `missing the summary of ${spec.path.join(' ')}`);
    }
    assert.match(result.stdout, /--endpoints URLS/);
  });

  for (const spec of COMMANDS) {
    const name = spec.path.join(' ');
    test(`\`vane ${name} --help\` shows its usage and every option`, async () => {
      const result = await vane([...spec.path, '--help']);
      assert.equal(result.code, 0);
      assert.equal(result.stderr, '');
      assert.ok(result.stdout.startsWith(`Usage: vane ${name}`), result.stdout);
      for (const flag of Object.keys(optionsOf(spec)))
        assert.ok(result.stdout.includes(`--${flag}`), `--${flag} missing`);
      for (const arg of spec.args) assert.ok(result.stdout.includes(arg.name));
      assert.equal((await vane(['help', ...spec.path])).stdout, result.stdout);
      assert.equal((await vane([...spec.path, '-h'])).stdout, result.stdout);
    });
  }

  test('a group without a subcommand shows its subcommands', async () => {
    const asked = await vane(['lease', '--help']);
    assert.equal(asked.code, 0);
    for (const sub of ['grant', 'revoke', 'keepalive', 'list', 'ttl'])
      assert.match(asked.stdout, new RegExp(`vane lease ${sub}`));
    const bare = await vane(['member']);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /'vane member' needs a subcommand/);
    assert.match(bare.stderr, /vane member promote NAME/);
  });

  test('`vane` alone prints the help to stderr and exits 2', async () => {
    const result = await vane([]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /a command is missing/);
    assert.match(result.stderr, /Commands:/);
  });
});

describe('usage errors', () => {
  const usage = async (argv: string[], expected: RegExp, help = 'vane help') => {
    const result = await vane(argv);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, expected);
    assert.ok(result.stderr.includes(`(see \`${help}\`)`), result.stderr);
  };

  test('an unknown command, with the closest one suggested', async () => {
    await usage(['gte', 'k'], /unknown command 'gte'; did you mean 'get'\?/);
    await usage(['frobnicate'], /unknown command 'frobnicate'\n/);
    await usage(
      ['lease', 'grnt', '10'],
      /unknown command 'vane lease grnt'; did you mean 'grant'\?; the lease commands are grant, revoke/,
    );
    await usage(['--json', 'get'], /expected a command before '--json'/);
    await usage(['help', 'nothing'], /no help for 'nothing'/);
  });

  test('unknown options, missing and extra arguments', async () => {
    await usage(['get', 'k', '--bogus'], /vane get: unknown option '--bogus'/, 'vane get --help');
    await usage(['get'], /KEY is missing; usage: vane get KEY \[options\]/, 'vane get --help');
    await usage(
      ['get', 'a', 'b'],
      /unexpected argument 'b'; usage: vane get KEY \[options\]/,
      'vane get --help',
    );
    await usage(['get', 'k', '--rev'], /--rev: its value is missing/, 'vane get --help');
    await usage(['serve', '--endpoints', 'http://x'], /unknown option '--endpoints'/, 'vane serve --help');
  });

  test('bad values name the flag and what it expects', async () => {
    await usage(
      ['get', 'k', '--rev', 'x'],
      /--rev: expected a whole number >= 1, got 'x'/,
      'vane get --help',
    );
    await usage(
      ['get', 'k', '--limit', '0'],
      /--limit: expected a whole number >= 1, got '0'/,
      'vane get --help',
    );
    await usage(
      ['get', 'k', '--prefix', '--range-end', 'z'],
      /--prefix and --range-end exclude each other/,
      'vane get --help',
    );
    await usage(
      ['get', 'k', '--endpoints', 'ftp://x'],
      /--endpoints: 'ftp:\/\/x' is not an http:\/\/ or https:\/\/ URL/,
      'vane get --help',
    );
    await usage(['get', 'k', '--endpoints', ' , '], /--endpoints: no URL given/, 'vane get --help');
    await usage(
      ['get', 'k', '--timeout', '5 minutes'],
      /--timeout: expected a duration such as 500ms, 10s or 2m/,
      'vane get --help',
    );
    await usage(
      ['lease', 'grant', 'ten'],
      /TTL \(seconds\): expected a whole number from 1 to/,
      'vane lease grant --help',
    );
    await usage(['compact', '-3'], /unknown option '-3'/, 'vane compact --help');
    await usage(['member', 'add', 'm4'], /--peer-url is required/, 'vane member add --help');
    await usage(
      ['member', 'add', 'm4', '--peer-url', 'm4:7380'],
      /--peer-url: 'm4:7380' is not a ws:\/\/ or http:\/\/ URL/,
      'vane member add --help',
    );
    await usage(['del', ''], /to delete every key, use: vane del "" --prefix/, 'vane del --help');
  });

  test('a value starting with "-" goes after "--"', async () => {
    const down = await refusedUrl();
    const result = await vane(['put', 'k', '--endpoints', down, '--', '-1']);
    // Parsed, so it got as far as asking the (absent) member.
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no member answered/);
  });
});
