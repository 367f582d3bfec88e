import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, onOffRollout, rule } from './arbitraries.test.ts';
import { evaluateFlag } from './evaluate.ts';
import { contextFromOpenFeature, openFeatureErrorCode, openFeatureReason } from './openfeature.ts';

describe('OpenFeature mapping', () => {
  it('targetingKey becomes the context key; other attributes stay', () => {
    assert.deepEqual(contextFromOpenFeature({ targetingKey: 'user-1', plan: 'pro' }), {
      key: 'user-1',
      plan: 'pro',
    });
    assert.deepEqual(
      contextFromOpenFeature({ key: 'user-2' }),
      { key: 'user-2' },
      'a key attribute stands in',
    );
    assert.deepEqual(
      contextFromOpenFeature({ targetingKey: 'a', key: 'b' }),
      { key: 'a' },
      'targetingKey wins',
    );
  });

  it('a context without a targeting key is anonymous; a rollout then reports TARGETING_KEY_MISSING', () => {
    const anonymous = contextFromOpenFeature({ plan: 'pro' });
    assert.deepEqual(anonymous, { plan: 'pro', key: '' });
    const result = evaluateFlag(flag({ fallthrough: onOffRollout(50_000) }), anonymous);
    assert.equal(result.reason.errorKind, 'TARGETING_KEY_MISSING');
    assert.equal(openFeatureErrorCode(result.reason.errorKind!), 'TARGETING_KEY_MISSING');
    assert.equal(openFeatureErrorCode('INVALID_CONTEXT'), 'INVALID_CONTEXT');
    assert.equal(openFeatureErrorCode('MALFORMED_FLAG'), 'PARSE_ERROR');
    assert.equal(openFeatureErrorCode('SEGMENT_NOT_FOUND'), 'GENERAL');
  });

  it('maps each reason: off is DISABLED, a rollout is SPLIT, a plain fallthrough is DEFAULT', () => {
    const reasonOf = (fields: Record<string, unknown>, context = { key: 'alice', beta: true }) =>
      openFeatureReason(evaluateFlag(flag(fields), context).reason);
    assert.equal(reasonOf({ on: false }), 'DISABLED');
    assert.equal(reasonOf({ targets: [{ variation: 'on', keys: ['alice'] }] }), 'TARGETING_MATCH');
    const betaRule = [{ attribute: 'beta', op: 'equals', values: [true] }];
    assert.equal(reasonOf({ rules: [rule(betaRule)] }), 'TARGETING_MATCH');
    assert.equal(reasonOf({ rules: [{ clauses: betaRule, serve: onOffRollout(50_000) }] }), 'SPLIT');
    assert.equal(reasonOf({}), 'DEFAULT');
    assert.equal(reasonOf({ fallthrough: onOffRollout(50_000) }), 'SPLIT');
    assert.equal(reasonOf({ fallthrough: onOffRollout(50_000) }, { key: '', beta: true }), 'ERROR');
  });
});
