import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isVaneError } from '../../core/errors.ts';
import { BUCKET_COUNT, decodeFlagDocument, type Rollout } from '../../core/flags/index.ts';
import {
  formatClauseValues,
  newFlag,
  parseClauseValues,
  percentOf,
  randomSalt,
  renameVariation,
  setShare,
  toRollout,
  toVariation,
  withVariations,
} from './flag-draft.ts';

const weights = (rollout: Rollout) => rollout.variations.map((s) => s.weight);
const three: Rollout = {
  variations: [
    { variation: 'a', weight: 20_000 },
    { variation: 'b', weight: 30_000 },
    { variation: 'c', weight: 50_000 },
  ],
};

describe('a new flag', () => {
  test('is a valid document, off, serving its off variation', () => {
    const flag = newFlag(
      'checkout-v2',
      randomSalt((n) => new Uint8Array(n).fill(171)),
    );
    assert.equal(flag.salt, 'abababababababab');
    const decoded = decodeFlagDocument(flag, 'checkout-v2');
    assert.ok(!isVaneError(decoded), isVaneError(decoded) ? decoded.message : '');
    assert.equal(flag.on, false);
    assert.deepEqual(flag.fallthrough, { variation: 'off' });
  });
});

describe('rollout sliders', () => {
  test('moving a share gives the difference to the last one', () => {
    assert.deepEqual(weights(setShare(three, 0, 40_000)), [40_000, 30_000, 30_000]);
    assert.equal(percentOf(40_000), 40);
  });

  test('a share cannot take more than the other adjustable shares leave', () => {
    assert.deepEqual(weights(setShare(three, 1, 95_000)), [20_000, 80_000, 0]);
    assert.deepEqual(weights(setShare(three, 0, -5)), [0, 30_000, 70_000]);
  });

  test('the last share is not adjustable by itself', () => {
    assert.throws(() => setShare(three, 2, 10), /not adjustable/);
  });

  test('property: after any slider moves the shares are whole, non-negative and sum to 100%', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1), fc.double({ min: -1000, max: 200_000, noNaN: true })), {
          maxLength: 20,
        }),
        (moves) => {
          let rollout = three;
          for (const [index, weight] of moves) rollout = setShare(rollout, index, weight);
          const all = weights(rollout);
          assert.ok(all.every((w) => Number.isInteger(w) && w >= 0));
          assert.equal(
            all.reduce((a, b) => a + b, 0),
            BUCKET_COUNT,
          );
        },
      ),
    );
  });
});

describe('serving a variation or a rollout', () => {
  const flag = newFlag('f', 'salt');
  test('a rollout starts with everyone on the variation served so far; back to a variation picks the largest share', () => {
    const rollout = toRollout({ variation: 'on' }, flag.variations);
    assert.deepEqual(rollout, {
      rollout: {
        variations: [
          { variation: 'off', weight: 0 },
          { variation: 'on', weight: BUCKET_COUNT },
        ],
      },
    });
    const split = { rollout: setShare(rollout.rollout!, 0, 70_000) };
    assert.deepEqual(toVariation(split, flag.variations), { variation: 'off' });
  });
});

describe('clause values typed as text', () => {
  test('numbers and booleans are typed, words and quoted text are strings, quotes keep commas', () => {
    assert.deepEqual(parseClauseValues('pro, 42, true, "42", "a, b",  enterprise '), [
      'pro',
      42,
      true,
      '42',
      'a, b',
      'enterprise',
    ]);
  });

  test('property: formatted values read back as themselves', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 6 }), (values) => {
        assert.deepEqual(parseClauseValues(formatClauseValues(values)), values);
      }),
    );
  });
});

describe('changing the variations', () => {
  test('renaming a variation renames every reference to it, and no value or clause that merely equals its id', () => {
    const base = newFlag('f', 'salt');
    const flag = {
      ...base,
      on: true,
      variations: [{ id: 'off', value: 'on' }, base.variations[1]!],
      targets: [{ variation: 'on', keys: ['on'] }],
      rules: [
        {
          clauses: [{ attribute: 'plan', op: 'equals' as const, values: ['on'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: toRollout({ variation: 'on' }, base.variations),
    };
    const renamed = renameVariation(flag, 'on', 'enabled');
    assert.deepEqual(
      renamed.variations.map((v) => [v.id, v.value]),
      [
        ['off', 'on'],
        ['enabled', true],
      ],
    );
    assert.deepEqual(renamed.targets, [{ variation: 'enabled', keys: ['on'] }]);
    assert.deepEqual(renamed.rules[0]!.clauses[0]!.values, ['on']);
    assert.equal(renamed.rules[0]!.serve.variation, 'enabled');
    assert.deepEqual(
      renamed.fallthrough.rollout!.variations.map((s) => s.variation),
      ['off', 'enabled'],
    );
    assert.ok(!isVaneError(decodeFlagDocument(renamed, 'f')));
  });

  test('removing a variation repoints what served it and keeps rollouts at 100%', () => {
    const base = newFlag('f', 'salt');
    const flag = {
      ...base,
      variations: [...base.variations, { id: 'beta', value: 'beta' }],
      offVariation: 'beta',
      targets: [{ variation: 'beta', keys: ['u1'] }],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'off', weight: 50_000 },
            { variation: 'on', weight: 25_000 },
            { variation: 'beta', weight: 25_000 },
          ],
        },
      },
    };
    const after = withVariations(flag, flag.variations.slice(0, 2));
    assert.equal(after.offVariation, 'off');
    assert.deepEqual(after.targets, []);
    assert.deepEqual(weights(after.fallthrough.rollout!), [75_000, 25_000]);
    assert.ok(!isVaneError(decodeFlagDocument(after, 'f')));
  });
});
