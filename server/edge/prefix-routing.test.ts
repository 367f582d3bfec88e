// Which object serves a key or a range: what a deployment configures, or the first path segment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrefixRouting, rangeWithin } from './prefix-routing.ts';

describe('PrefixRouting', () => {
  it('routes by first path segment when no prefixes are configured', () => {
    const routing = new PrefixRouting([]);
    assert.equal(routing.prefixOfKey('flags/beta/x'), 'flags/');
    assert.equal(routing.prefixOfRange('flags/', 'flags0'), 'flags/');
    const bare = routing.prefixOfKey('theme');
    assert.ok(typeof bare === 'object' && /has no '\/'/.test(bare.message));
  });

  it('prefers the longest configured prefix and refuses keys under none', () => {
    const routing = new PrefixRouting(['flags/', 'flags/beta/', 'config/']);
    assert.equal(routing.prefixOfKey('flags/beta/x'), 'flags/beta/');
    assert.equal(routing.prefixOfKey('flags/alpha'), 'flags/');
    const other = routing.prefixOfKey('users/1');
    assert.ok(
      typeof other === 'object' &&
        other.code === 'invalidRequest' &&
        /none of the prefixes/.test(other.message),
    );
  });

  it('refuses a range that reaches past one prefix, naming the prefix', () => {
    const routing = new PrefixRouting([]);
    const wide = routing.prefixOfRange('flags/a', '\u0000');
    assert.ok(typeof wide === 'object' && /reaches past prefix 'flags\/'/.test(wide.message));
    assert.equal(routing.prefixOfRange('flags/a', 'flags/m'), 'flags/');
  });

  it('lets the empty prefix serve every key', () => {
    const routing = new PrefixRouting(['']);
    assert.equal(routing.prefixOfKey('anything'), '');
    assert.equal(rangeWithin('', '\u0000', '\u0000'), true);
  });
});
