// One scenario per clause operator, each through a whole flag: a one-rule flag serves 'on' when
// the clause matches (RULE_MATCH) and falls through to 'off' when it does not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, rule } from './arbitraries.test.ts';
import { evaluateFlag } from './evaluate.ts';
import type { EvaluationContext } from './types.ts';

function matches(clause: Record<string, unknown>, attributes: Record<string, unknown>): boolean {
  const context: EvaluationContext = { key: 'user-1', ...attributes };
  const result = evaluateFlag(flag({ rules: [rule([clause])] }), context);
  assert.notEqual(result.reason.kind, 'ERROR', result.reason.errorMessage);
  return result.reason.kind === 'RULE_MATCH';
}

describe('clause operators', () => {
  it('equals matches one value of the same JSON type', () => {
    const clause = { attribute: 'country', op: 'equals', values: ['US'] };
    assert.equal(matches(clause, { country: 'US' }), true);
    assert.equal(matches(clause, { country: 'us' }), false, 'case-sensitive');
    assert.equal(matches({ attribute: 'seats', op: 'equals', values: [5] }, { seats: 5 }), true);
    assert.equal(
      matches({ attribute: 'seats', op: 'equals', values: [5] }, { seats: '5' }),
      false,
      'no coercion',
    );
    assert.equal(matches({ attribute: 'beta', op: 'equals', values: [true] }, { beta: true }), true);
  });

  it('notEquals matches a present attribute with another value, never a missing one', () => {
    const clause = { attribute: 'country', op: 'notEquals', values: ['US'] };
    assert.equal(matches(clause, { country: 'FR' }), true);
    assert.equal(matches(clause, { country: 'US' }), false);
    assert.equal(matches(clause, {}), false, 'a context that never said its country is not "not US"');
    assert.equal(matches(clause, { country: null }), false, 'null counts as missing');
  });

  it('in matches any of its values', () => {
    const clause = { attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] };
    assert.equal(matches(clause, { plan: 'pro' }), true);
    assert.equal(matches(clause, { plan: 'enterprise' }), true);
    assert.equal(matches(clause, { plan: 'free' }), false);
  });

  it('startsWith, endsWith and contains compare text only', () => {
    assert.equal(
      matches({ attribute: 'email', op: 'endsWith', values: ['@example.com'] }, { email: 'a@example.com' }),
      true,
    );
    assert.equal(
      matches({ attribute: 'email', op: 'endsWith', values: ['@example.com'] }, { email: 'a@example.org' }),
      false,
    );
    assert.equal(
      matches({ attribute: 'path', op: 'startsWith', values: ['/admin', '/ops'] }, { path: '/ops/x' }),
      true,
    );
    assert.equal(
      matches({ attribute: 'path', op: 'startsWith', values: ['/admin'] }, { path: '/public' }),
      false,
    );
    assert.equal(
      matches({ attribute: 'agent', op: 'contains', values: ['Firefox'] }, { agent: 'Mozilla Firefox/1' }),
      true,
    );
    assert.equal(
      matches({ attribute: 'agent', op: 'contains', values: ['1'] }, { agent: 1 }),
      false,
      'a number is not text',
    );
  });

  it('lessThan, lessThanOrEqual, greaterThan and greaterThanOrEqual compare numbers only', () => {
    const at = (op: string, age: unknown) => matches({ attribute: 'age', op, values: [18] }, { age });
    assert.deepEqual(
      [17, 18, 19].map((age) => at('lessThan', age)),
      [true, false, false],
    );
    assert.deepEqual(
      [17, 18, 19].map((age) => at('lessThanOrEqual', age)),
      [true, true, false],
    );
    assert.deepEqual(
      [17, 18, 19].map((age) => at('greaterThan', age)),
      [false, false, true],
    );
    assert.deepEqual(
      [17, 18, 19].map((age) => at('greaterThanOrEqual', age)),
      [false, true, true],
    );
    assert.equal(at('greaterThan', '20'), false, 'numeric text is not a number');
  });

  it('semVerEqual, semVerLessThan and semVerGreaterThan follow semver precedence', () => {
    const at = (op: string, version: unknown, values = ['2.0.0']) =>
      matches({ attribute: 'appVersion', op, values }, { appVersion: version });
    assert.equal(at('semVerEqual', '2.0.0+build.7'), true, 'build metadata does not count');
    assert.equal(at('semVerEqual', '2.0.1', ['2.0.0', '2.0.1']), true);
    assert.equal(at('semVerLessThan', '2.0.0-rc.1'), true, 'a prerelease comes before its release');
    assert.equal(at('semVerLessThan', '1.10.0'), true);
    assert.equal(at('semVerLessThan', '10.0.0'), false, 'numeric, not lexical');
    assert.equal(at('semVerGreaterThan', '2.0.1'), true);
    assert.equal(at('semVerGreaterThan', '2.0'), false, 'an incomplete version never matches');
    assert.equal(at('semVerLessThan', 'v1.0.0'), false, "a leading 'v' is not semver");
  });

  it('negate inverts a match, but a missing attribute still does not match', () => {
    const clause = { attribute: 'plan', op: 'in', values: ['free'], negate: true };
    assert.equal(matches(clause, { plan: 'pro' }), true);
    assert.equal(matches(clause, { plan: 'free' }), false);
    assert.equal(matches(clause, {}), false);
  });

  it('an array attribute matches when any element does', () => {
    const clause = { attribute: 'groups', op: 'in', values: ['beta'] };
    assert.equal(matches(clause, { groups: ['staff', 'beta'] }), true);
    assert.equal(matches(clause, { groups: ['staff'] }), false);
    assert.equal(
      matches({ ...clause, negate: true }, { groups: ['staff', 'beta'] }),
      false,
      'negated: in no group',
    );
  });

  it('reads nested attributes through a /path, and plain names literally', () => {
    assert.equal(
      matches(
        { attribute: '/address/city', op: 'equals', values: ['Paris'] },
        { address: { city: 'Paris' } },
      ),
      true,
    );
    assert.equal(
      matches({ attribute: '/address/city', op: 'equals', values: ['Paris'] }, { address: 'Paris' }),
      false,
    );
    assert.equal(
      matches({ attribute: '/a~1b/c~0d', op: 'equals', values: [1] }, { 'a/b': { 'c~d': 1 } }),
      true,
      'escapes',
    );
    assert.equal(
      matches({ attribute: 'a/b', op: 'equals', values: [1] }, { 'a/b': 1 }),
      true,
      'no leading slash: a name',
    );
  });

  it('does not reach through the prototype chain', () => {
    assert.equal(matches({ attribute: 'constructor', op: 'contains', values: ['Object'] }, {}), false);
    assert.equal(matches({ attribute: '/toString/name', op: 'equals', values: ['toString'] }, {}), false);
  });

  it('can test the context key and kind like any attribute', () => {
    assert.equal(matches({ attribute: 'key', op: 'startsWith', values: ['user-'] }, {}), true);
    assert.equal(matches({ attribute: 'kind', op: 'equals', values: ['device'] }, { kind: 'device' }), true);
  });

  it('ANDs the clauses of a rule', () => {
    const twoClauses = flag({
      rules: [
        rule([
          { attribute: 'country', op: 'equals', values: ['FR'] },
          { attribute: 'plan', op: 'in', values: ['pro'] },
        ]),
      ],
    });
    assert.equal(evaluateFlag(twoClauses, { key: 'k', country: 'FR', plan: 'pro' }).variationId, 'on');
    assert.equal(evaluateFlag(twoClauses, { key: 'k', country: 'FR', plan: 'free' }).variationId, 'off');
  });
});
