import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareSemVer, MAX_SEMVER_LENGTH, parseSemVer, type SemVer } from './semver.ts';

function order(a: string, b: string): number {
  const left = parseSemVer(a);
  const right = parseSemVer(b);
  assert.ok(left && right, `${a} and ${b} are versions`);
  return compareSemVer(left, right);
}

describe('semantic versions (semver 2.0.0, strict)', () => {
  it('reads release, prerelease and build parts', () => {
    assert.deepEqual(parseSemVer('1.4.0'), { major: '1', minor: '4', patch: '0', prerelease: [] });
    assert.deepEqual(parseSemVer('2.0.0-rc.1+build.5'), {
      major: '2',
      minor: '0',
      patch: '0',
      prerelease: ['rc', '1'],
    });
    assert.deepEqual(parseSemVer('1.0.0-x-y-z.--'), {
      major: '1',
      minor: '0',
      patch: '0',
      prerelease: ['x-y-z', '--'],
    });
    assert.deepEqual(parseSemVer('0.0.0+20130313144700')?.prerelease, []);
  });

  it('refuses what the spec does not allow', () => {
    for (const text of [
      '',
      '1',
      '1.2',
      '1.2.3.4',
      'v1.2.3',
      '01.2.3',
      '1.02.3',
      '1.2.03',
      '1.2.3-',
      '1.2.3-01',
      '1.2.3-a..b',
      '1.2.3+',
      '1.2.3+a..b',
      '1.2.3-α',
      ' 1.2.3',
      '1.2.3 ',
      '-1.2.3',
      '1.2.x',
    ]) {
      assert.equal(parseSemVer(text), undefined, text);
    }
    assert.equal(parseSemVer(`1.0.0-${'a'.repeat(MAX_SEMVER_LENGTH)}`), undefined, 'over the length cap');
  });

  it('orders prereleases as semver.org §11 lists them', () => {
    const ascending = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i + 1 < ascending.length; i++) {
      assert.equal(order(ascending[i]!, ascending[i + 1]!), -1, `${ascending[i]} < ${ascending[i + 1]}`);
      assert.equal(order(ascending[i + 1]!, ascending[i]!), 1);
    }
  });

  it('ignores build metadata and compares numbers beyond 2^53 exactly', () => {
    assert.equal(order('1.2.3+a', '1.2.3+b'), 0);
    assert.equal(order('1.2.3-rc.1+x', '1.2.3-rc.1'), 0);
    assert.equal(order('9007199254740993.0.0', '9007199254740992.0.0'), 1);
    assert.equal(order('1.0.0-9007199254740993', '1.0.0-9007199254740992'), 1);
    assert.equal(order('1.0.0-2', '1.0.0-10'), -1, 'numeric identifiers compare as numbers');
    assert.equal(order('1.0.0-10', '1.0.0-9a'), -1, 'numeric identifiers rank below alphanumeric ones');
  });

  it('is a total order consistent with sorting (property)', () => {
    const numeric = fc.oneof(fc.constantFrom('0', '1', '2', '10'), fc.nat().map(String));
    const identifier = fc.oneof(numeric, fc.constantFrom('alpha', 'beta', 'rc', 'x-1', '-', '0a'));
    const version = fc
      .record({
        major: numeric,
        minor: numeric,
        patch: numeric,
        prerelease: fc.array(identifier, { maxLength: 3 }),
      })
      .map((v): SemVer => ({ ...v }));
    const text = (v: SemVer) =>
      `${v.major}.${v.minor}.${v.patch}${v.prerelease.length > 0 ? `-${v.prerelease.join('.')}` : ''}`;
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        assert.deepEqual(parseSemVer(text(a)), a, 'a printed version parses back');
        assert.equal(compareSemVer(a, b), -compareSemVer(b, a) || 0);
        assert.equal(compareSemVer(a, a), 0);
        if (compareSemVer(a, b) <= 0 && compareSemVer(b, c) <= 0) assert.ok(compareSemVer(a, c) <= 0);
      }),
    );
  });
});
