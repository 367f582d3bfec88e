import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeConfChange,
  encodeConfChange,
  MAX_NODE_ID_BYTES,
  validateConfChange,
} from './conf-change-codec.ts';
import type { ConfChange } from './types.ts';

const confChange: fc.Arbitrary<ConfChange> = fc
  .record({
    transition: fc.constantFrom<ConfChange['transition']>('auto', 'jointImplicit', 'jointExplicit'),
    changes: fc.array(
      fc.record({
        kind: fc.constantFrom<'addVoter' | 'addLearner' | 'removeNode'>(
          'addVoter',
          'addLearner',
          'removeNode',
        ),
        nodeId: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
      }),
      { maxLength: 6 },
    ),
    context: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
  })
  .map((cc) => (cc.context === undefined ? { transition: cc.transition, changes: cc.changes } : cc));

/** Comparable plain data (fast-check's generated values carry extra hidden properties). */
function plain(value: ConfChange | { code: string }): unknown {
  if ('code' in value) return value;
  return {
    transition: value.transition,
    changes: value.changes.map((c) => ({ kind: c.kind, nodeId: c.nodeId })),
    context: value.context === undefined ? undefined : [...value.context],
  };
}

describe('conf change codec', () => {
  it('round-trips every valid ConfChange', () => {
    fc.assert(
      fc.property(confChange, (cc) => {
        assert.equal(validateConfChange(cc), undefined);
        assert.deepEqual(plain(decodeConfChange(encodeConfChange(cc))), plain(cc));
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes the empty change (leave joint) as no bytes', () => {
    assert.equal(encodeConfChange({ transition: 'auto', changes: [] }).byteLength, 0);
    assert.deepEqual(decodeConfChange(new Uint8Array(0)), { transition: 'auto', changes: [] });
  });

  it('refuses truncated or corrupted bytes with invalidConfChange, never throwing', () => {
    const bytes = encodeConfChange({
      transition: 'jointExplicit',
      changes: [{ kind: 'addVoter', nodeId: 'node-1' }],
    });
    for (let cut = 1; cut < bytes.byteLength; cut++) {
      const result = decodeConfChange(bytes.slice(0, cut));
      assert.ok('code' in result && result.code === 'invalidConfChange', `cut at ${cut}`);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (random) => {
        const result = decodeConfChange(random);
        if ('code' in result) assert.equal(result.code, 'invalidConfChange');
      }),
      { numRuns: 2000 },
    );
    const trailing = decodeConfChange(Uint8Array.from([...bytes, 0]));
    assert.match('code' in trailing ? trailing.message : '', /1 trailing bytes/);
  });

  it('enforces its limits', () => {
    const longId = 'x'.repeat(MAX_NODE_ID_BYTES + 1);
    assert.match(
      validateConfChange({ transition: 'auto', changes: [{ kind: 'addVoter', nodeId: longId }] })?.message ??
        '',
      /exceeds the limit of 128/,
    );
    const many = Array.from({ length: 65 }, (_, i) => ({ kind: 'addLearner' as const, nodeId: `n${i}` }));
    assert.match(validateConfChange({ transition: 'auto', changes: many })?.message ?? '', /limit of 64/);
  });
});
