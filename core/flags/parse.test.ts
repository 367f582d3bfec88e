// Documents as they are stored: what is accepted, what is refused, and that every refusal names
// the field (and, for a limit, the limit) so that whoever wrote the document can fix it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVaneError, type VaneError } from '../errors.ts';
import { flagJson, onOffRollout, rule } from './arbitraries.test.ts';
import { FLAG_LIMITS, type FlagLimitName } from './limits.ts';
import {
  decodeFlagDocument,
  decodeSegmentDocument,
  parseFlagDocument,
  parseSegmentDocument,
} from './parse.ts';
import {
  flagKeyOf,
  flagStorageKey,
  isDocumentKey,
  SEGMENT_KEY_PREFIX,
  segmentKeyOf,
  segmentStorageKey,
} from './storage-keys.ts';

type Json = Record<string, unknown>;

function refusal(result: unknown): VaneError {
  if (!isVaneError(result)) assert.fail(`expected a refusal, got ${JSON.stringify(result)}`);
  return result;
}

function refusedFlag(fields: Json): VaneError {
  return refusal(decodeFlagDocument(flagJson(fields)));
}

function accepted<T>(result: T | VaneError): T {
  if (isVaneError(result)) assert.fail(result.message);
  return result;
}

const clauseOn = (clause: Json) => ({ rules: [rule([clause])] });

describe('flag documents: accepted', () => {
  it('parses a full document from its stored text, filling defaults', () => {
    const text = JSON.stringify({
      key: 'checkout.v2',
      description: 'The new checkout',
      on: true,
      variations: [
        { id: 'on', name: 'New', value: true },
        { id: 'off', value: false },
      ],
      offVariation: 'off',
      fallthrough: onOffRollout(10_000, 'orgId'),
    });
    const parsed = accepted(parseFlagDocument(text, 'checkout.v2'));
    assert.equal(parsed.salt, '', 'salt defaults to empty');
    assert.deepEqual(parsed.targets, []);
    assert.deepEqual(parsed.rules, []);
    assert.ok(Object.isFrozen(parsed) && Object.isFrozen(parsed.variations[0]), 'deeply frozen');
  });

  it('accepts every operator with values of its kind', () => {
    const clauses = [
      { attribute: 'country', op: 'equals', values: ['US'] },
      { attribute: 'country', op: 'notEquals', values: [3] },
      { attribute: 'plan', op: 'in', values: ['a', 1, true] },
      { attribute: 'email', op: 'startsWith', values: ['a'] },
      { attribute: 'email', op: 'endsWith', values: ['b'] },
      { attribute: 'email', op: 'contains', values: ['c'] },
      { attribute: 'age', op: 'lessThan', values: [1] },
      { attribute: 'age', op: 'lessThanOrEqual', values: [1.5] },
      { attribute: 'age', op: 'greaterThan', values: [-1] },
      { attribute: 'age', op: 'greaterThanOrEqual', values: [0] },
      { attribute: 'v', op: 'semVerEqual', values: ['1.0.0', '2.0.0-rc.1'] },
      { attribute: 'v', op: 'semVerLessThan', values: ['1.0.0'] },
      { attribute: 'v', op: 'semVerGreaterThan', values: ['1.0.0+b'] },
      { op: 'segmentMatch', values: ['beta'] },
    ];
    accepted(decodeFlagDocument(flagJson({ rules: [rule(clauses)] })));
  });
});

describe('flag documents: refused, naming the field', () => {
  const cases: { name: string; fields: Json; message: RegExp }[] = [
    {
      name: 'a misspelt field',
      fields: { fallthru: {} },
      message: /^flag document: fallthru: unknown field/,
    },
    {
      name: 'a misspelt nested field',
      fields: {
        rules: [{ clauses: [{ attribute: 'a', op: 'in', values: ['x'] }], serve: { variaton: 'on' } }],
      },
      message: /^flag document: rules\[0\]\.serve\.variaton: unknown field/,
    },
    {
      name: 'a missing field',
      fields: { on: undefined },
      message: /^flag document: on: missing \(expected boolean\)/,
    },
    {
      name: 'a wrong type',
      fields: { on: 'yes' },
      message: /^flag document: on: expected boolean, received string/,
    },
    {
      name: 'a key with a space',
      fields: { key: 'new checkout' },
      message: /^flag document: key: "new checkout" must start/,
    },
    {
      name: 'a salt with a dot',
      fields: { salt: 'a.b' },
      message: /^flag document: salt: "a\.b" may hold only/,
    },
    {
      name: 'no variations',
      fields: { variations: [] },
      message: /^flag document: variations: needs at least one variation/,
    },
    {
      name: 'a variation without a value',
      fields: { variations: [{ id: 'on' }, { id: 'off', value: false }] },
      message: /^flag document: variations\[0\]\.value: missing \(expected a JSON value\)/,
    },
    {
      name: 'two variations with one id',
      fields: {
        variations: [
          { id: 'on', value: 1 },
          { id: 'off', value: 2 },
          { id: 'on', value: 3 },
        ],
      },
      message: /^flag document: variations\[2\]\.id: "on" is the id of variations\[0\] already/,
    },
    {
      name: 'an unknown off variation',
      fields: { offVariation: 'of' },
      message: /^flag document: offVariation: "of" is not a variation of this flag \(variations: on, off\)/,
    },
    {
      name: 'an unknown fallthrough variation',
      fields: { fallthrough: { variation: 'maybe' } },
      message: /^flag document: fallthrough\.variation: "maybe" is not a variation/,
    },
    {
      name: 'a serve with both a variation and a rollout',
      fields: { fallthrough: { variation: 'on', ...onOffRollout(5) } },
      message: /^flag document: fallthrough: needs exactly one of variation .* or rollout/,
    },
    {
      name: 'an empty serve',
      fields: { fallthrough: {} },
      message: /^flag document: fallthrough: needs exactly one/,
    },
    {
      name: 'rollout weights short of 100%',
      fields: {
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: 50_000 },
              { variation: 'off', weight: 49_999 },
            ],
          },
        },
      },
      message:
        /^flag document: fallthrough\.rollout\.variations: weights sum to 99999; they must sum to 100000/,
    },
    {
      name: 'a negative weight',
      fields: {
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: -1 },
              { variation: 'off', weight: 100_001 },
            ],
          },
        },
      },
      message: /^flag document: fallthrough\.rollout\.variations\[0\]\.weight: too small/,
    },
    {
      name: 'a fractional weight',
      fields: {
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: 0.5 },
              { variation: 'off', weight: 99_999.5 },
            ],
          },
        },
      },
      message: /^flag document: fallthrough\.rollout\.variations\[0\]\.weight: expected int/,
    },
    {
      name: 'a variation twice in a rollout',
      fields: {
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: 50_000 },
              { variation: 'on', weight: 50_000 },
            ],
          },
        },
      },
      message: /^flag document: fallthrough\.rollout\.variations\[1\]\.variation: "on" has a share already/,
    },
    {
      name: 'an unknown rollout variation',
      fields: {
        rules: [rule([{ attribute: 'a', op: 'in', values: ['x'] }], 'on')],
        fallthrough: { rollout: { variations: [{ variation: 'maybe', weight: 100_000 }] } },
      },
      message: /^flag document: fallthrough\.rollout\.variations\[0\]\.variation: "maybe" is not a variation/,
    },
    {
      name: 'a bad bucketBy',
      fields: { fallthrough: onOffRollout(5, '/org//id') },
      message:
        /^flag document: fallthrough\.rollout\.bucketBy: attribute path '\/org\/\/id' has an empty segment/,
    },
    {
      name: 'a context key targeted twice',
      fields: {
        targets: [
          { variation: 'on', keys: ['alice', 'bob'] },
          { variation: 'off', keys: ['bob'] },
        ],
      },
      message:
        /^flag document: targets\[1\]\.keys\[0\]: context key "bob" is targeted already \(targets\[0\]\.keys\[1\]\)/,
    },
    {
      name: 'two target lists for one variation',
      fields: {
        targets: [
          { variation: 'on', keys: ['a'] },
          { variation: 'on', keys: ['b'] },
        ],
      },
      message: /^flag document: targets\[1\]\.variation: "on" has a target list already/,
    },
    {
      name: 'an empty targeted key',
      fields: { targets: [{ variation: 'on', keys: [''] }] },
      message: /^flag document: targets\[0\]\.keys\[0\]: "" cannot be empty/,
    },
    {
      name: 'two rules with one id',
      fields: {
        rules: [
          rule([{ attribute: 'a', op: 'in', values: ['x'] }], 'on', { id: 'r' }),
          rule([{ attribute: 'b', op: 'in', values: ['y'] }], 'on', { id: 'r' }),
        ],
      },
      message: /^flag document: rules\[1\]\.id: "r" is the id of rules\[0\] already/,
    },
    {
      name: 'a rule without clauses',
      fields: { rules: [rule([])] },
      message: /^flag document: rules\[0\]\.clauses: needs at least one clause/,
    },
    {
      name: 'an unknown operator (no regex matching)',
      fields: clauseOn({ attribute: 'email', op: 'matches', values: ['.*'] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.op: expected one of "equals"\|/,
    },
    {
      name: 'a clause without its attribute',
      fields: clauseOn({ op: 'in', values: ['x'] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.attribute: missing \(in compares a context attribute\)/,
    },
    {
      name: 'an attribute on segmentMatch',
      fields: clauseOn({ attribute: 'key', op: 'segmentMatch', values: ['beta'] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.attribute: segmentMatch takes segment keys/,
    },
    {
      name: 'a clause without values',
      fields: clauseOn({ attribute: 'a', op: 'in', values: [] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.values: needs at least one value/,
    },
    {
      name: 'equals with two values',
      fields: clauseOn({ attribute: 'a', op: 'equals', values: ['x', 'y'] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.values: equals takes exactly one value, not 2; use 'in'/,
    },
    {
      name: 'a numeric comparison with text',
      fields: clauseOn({ attribute: 'age', op: 'lessThan', values: ['18'] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.values\[0\]: lessThan compares numbers: expected a number/,
    },
    {
      name: 'a text comparison with a number',
      fields: clauseOn({ attribute: 'email', op: 'endsWith', values: [1] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.values\[0\]: endsWith compares text: expected a string/,
    },
    {
      name: 'a version that is not semver',
      fields: clauseOn({ attribute: 'v', op: 'semVerLessThan', values: ['1.2'] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.values\[0\]: "1\.2" is not a semantic version/,
    },
    {
      name: 'a null clause value',
      fields: clauseOn({ attribute: 'a', op: 'in', values: [null] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.values\[0\]: expected a string, a number or a boolean/,
    },
    {
      name: 'a bad segment key',
      fields: clauseOn({ op: 'segmentMatch', values: ['beta testers'] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.values\[0\]: expected a segment key/,
    },
    {
      name: "a '~' escape that is neither ~0 nor ~1",
      fields: clauseOn({ attribute: '/a~2', op: 'in', values: ['x'] }),
      message:
        /^flag document: rules\[0\]\.clauses\[0\]\.attribute: attribute path '\/a~2' has a '~' not followed by 0 or 1/,
    },
    {
      name: 'an empty attribute',
      fields: clauseOn({ attribute: '', op: 'in', values: ['x'] }),
      message: /^flag document: rules\[0\]\.clauses\[0\]\.attribute: an attribute reference cannot be empty/,
    },
  ];
  for (const { name, fields, message } of cases) {
    it(`refuses ${name}`, () => {
      const error = refusedFlag(fields);
      assert.equal(error.code, 'invalidRequest');
      assert.match(error.message, message);
      assert.equal(typeof error.details?.path, 'string');
    });
  }

  it('counts the other problems it found', () => {
    const error = refusedFlag({ on: 'yes', offVariation: 7 });
    assert.match(error.message, /\(and 1 more problem\)$/);
    assert.equal(error.details?.issues, 2);
  });

  it('refuses text that is not JSON, and JSON that is not an object', () => {
    const syntax = refusal(parseFlagDocument('{"key": '));
    assert.equal(syntax.code, 'decodeError');
    assert.match(syntax.message, /^flag document is not valid JSON \(/);
    assert.match(refusal(parseFlagDocument('[]')).message, /^flag document: expected object, received array/);
  });

  it('refuses values JSON cannot hold when given parsed input', () => {
    const nan = refusal(decodeFlagDocument(flagJson({ variations: [{ id: 'on', value: Number.NaN }] })));
    assert.match(nan.message, /^flag document: variations\[0\]\.value: NaN is not a JSON number/);
    class Money {
      readonly cents = 5;
    }
    const instance = refusal(
      decodeFlagDocument(flagJson({ variations: [{ id: 'on', value: new Money() }] })),
    );
    assert.match(instance.message, /^flag document: variations\[0\]\.value: only plain objects are JSON/);
    const fn = refusal(decodeFlagDocument(flagJson({ description: () => 1 })));
    assert.match(fn.message, /^flag document: description: a function is not JSON/);
  });

  it('refuses a document stored under another key', () => {
    const error = refusal(parseFlagDocument(JSON.stringify(flagJson()), 'old-checkout'));
    assert.match(
      error.message,
      /^flag document: key: "new-checkout" differs from the key the document is stored under \(flags\/old-checkout\)/,
    );
  });
});

describe('segment documents', () => {
  it('parses a segment with defaults', () => {
    const parsed = accepted(parseSegmentDocument('{"key":"beta"}', 'beta'));
    assert.deepEqual(parsed, { key: 'beta', included: [], excluded: [], rules: [] });
  });

  it('refuses nesting, a key both in and out, and a key listed twice', () => {
    const nested = refusal(
      decodeSegmentDocument({ key: 's', rules: [{ clauses: [{ op: 'segmentMatch', values: ['t'] }] }] }),
    );
    assert.match(
      nested.message,
      /^segment document: rules\[0\]\.clauses\[0\]\.op: segment rules cannot use segmentMatch/,
    );
    const both = refusal(decodeSegmentDocument({ key: 's', included: ['a'], excluded: ['b', 'a'] }));
    assert.match(
      both.message,
      /^segment document: excluded\[1\]: context key "a" is listed already \(included\[0\]\)/,
    );
    const twice = refusal(decodeSegmentDocument({ key: 's', included: ['a', 'a'] }));
    assert.match(
      twice.message,
      /^segment document: included\[1\]: context key "a" is listed already \(included\[0\]\)/,
    );
    const stored = refusal(parseSegmentDocument('{"key":"s"}', 't'));
    assert.match(stored.message, /stored under \(segments\/t\)/);
  });
});

describe('limits: at the limit accepted, one over refused naming the limit', () => {
  const L = FLAG_LIMITS;
  const keys = (count: number, prefix = 'k') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const variations = (count: number) => [
    { id: 'on', value: true },
    { id: 'off', value: false },
    ...keys(count - 2, 'v').map((id) => ({ id, value: id })),
  ];
  const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
  // A variation value sits inside 3 levels: the document, its variations, the variation.
  const valueDepth = L.maxJsonDepth - 3;
  const segmentClause = { attribute: 'a', op: 'in', values: ['x'] };

  const flagLimits: { limit: FlagLimitName; at: Json; over: Json; path: string }[] = [
    {
      limit: 'maxKeyLength',
      at: { key: 'k'.repeat(L.maxKeyLength) },
      over: { key: 'k'.repeat(L.maxKeyLength + 1) },
      path: 'key',
    },
    {
      limit: 'maxIdLength',
      at: {
        variations: [{ id: 'i'.repeat(L.maxIdLength), value: 1 }],
        offVariation: 'i'.repeat(L.maxIdLength),
        fallthrough: { variation: 'i'.repeat(L.maxIdLength) },
      },
      over: { variations: [{ id: 'i'.repeat(L.maxIdLength + 1), value: 1 }] },
      path: 'variations[0].id',
    },
    {
      limit: 'maxSaltLength',
      at: { salt: 's'.repeat(L.maxSaltLength) },
      over: { salt: 's'.repeat(L.maxSaltLength + 1) },
      path: 'salt',
    },
    {
      limit: 'maxDescriptionLength',
      at: { description: 'd'.repeat(L.maxDescriptionLength) },
      over: { description: 'd'.repeat(L.maxDescriptionLength + 1) },
      path: 'description',
    },
    {
      limit: 'maxVariations',
      at: { variations: variations(L.maxVariations) },
      over: { variations: variations(L.maxVariations + 1) },
      path: 'variations',
    },
    {
      limit: 'maxRules',
      at: { rules: Array.from({ length: L.maxRules }, () => rule([segmentClause])) },
      over: { rules: Array.from({ length: L.maxRules + 1 }, () => rule([segmentClause])) },
      path: 'rules',
    },
    {
      limit: 'maxClausesPerRule',
      at: { rules: [rule(Array.from({ length: L.maxClausesPerRule }, () => segmentClause))] },
      over: { rules: [rule(Array.from({ length: L.maxClausesPerRule + 1 }, () => segmentClause))] },
      path: 'rules[0].clauses',
    },
    {
      limit: 'maxValuesPerClause',
      at: clauseOn({ attribute: 'a', op: 'in', values: keys(L.maxValuesPerClause) }),
      over: clauseOn({ attribute: 'a', op: 'in', values: keys(L.maxValuesPerClause + 1) }),
      path: 'rules[0].clauses[0].values',
    },
    {
      limit: 'maxStringValueLength',
      at: clauseOn({ attribute: 'a', op: 'in', values: ['x'.repeat(L.maxStringValueLength)] }),
      over: clauseOn({ attribute: 'a', op: 'in', values: ['x'.repeat(L.maxStringValueLength + 1)] }),
      path: 'rules[0].clauses[0].values[0]',
    },
    {
      limit: 'maxTargetKeys',
      at: {
        targets: [
          { variation: 'on', keys: keys(L.maxTargetKeys / 2, 'a') },
          { variation: 'off', keys: keys(L.maxTargetKeys / 2, 'b') },
        ],
      },
      over: {
        targets: [
          { variation: 'on', keys: keys(L.maxTargetKeys / 2, 'a') },
          { variation: 'off', keys: keys(L.maxTargetKeys / 2 + 1, 'b') },
        ],
      },
      path: 'targets',
    },
    {
      limit: 'maxAttributeLength',
      at: clauseOn({ attribute: 'a'.repeat(L.maxAttributeLength), op: 'in', values: ['x'] }),
      over: clauseOn({ attribute: 'a'.repeat(L.maxAttributeLength + 1), op: 'in', values: ['x'] }),
      path: 'rules[0].clauses[0].attribute',
    },
    {
      limit: 'maxAttributeDepth',
      at: { fallthrough: onOffRollout(1, '/a'.repeat(L.maxAttributeDepth)) },
      over: { fallthrough: onOffRollout(1, '/a'.repeat(L.maxAttributeDepth + 1)) },
      path: 'fallthrough.rollout.bucketBy',
    },
  ];
  for (const { limit, at, over, path } of flagLimits) {
    it(limit, () => {
      accepted(decodeFlagDocument(flagJson(at)));
      const error = refusedFlag(over);
      assert.equal(error.code, 'invalidRequest');
      assert.match(error.message, new RegExp(`; the limit is ${L[limit]} \\(${limit}\\)`));
      assert.deepEqual(
        { path: error.details?.path, limit: error.details?.limit, maximum: error.details?.maximum },
        { path, limit, maximum: L[limit] },
      );
    });
  }

  it('maxJsonDepth', () => {
    const withValue = (value: unknown) => ({
      variations: [
        { id: 'on', value },
        { id: 'off', value: false },
      ],
    });
    accepted(decodeFlagDocument(flagJson(withValue(nested(valueDepth)))));
    const error = refusedFlag(withValue(nested(valueDepth + 1)));
    assert.match(
      error.message,
      /^flag document: variations\[0\]\.value(\[0\])+: nested more than 32 levels deep; the limit is 32 \(maxJsonDepth\)/,
    );
    assert.equal(error.details?.limit, 'maxJsonDepth');
  });

  it('maxFlagDocumentBytes, counted in UTF-8', () => {
    // 'é' is 2 bytes in UTF-8: this text is shorter than the limit in characters, longer in bytes.
    const withValue = (value: unknown) =>
      flagJson({
        variations: [
          { id: 'on', value },
          { id: 'off', value: false },
        ],
      });
    const over = JSON.stringify(withValue('é'.repeat(L.maxFlagDocumentBytes / 2)));
    assert.ok(over.length < L.maxFlagDocumentBytes);
    const error = refusal(parseFlagDocument(over));
    assert.equal(error.code, 'valueTooLarge');
    assert.match(
      error.message,
      /^flag document is 256\.\d+ KiB; the limit is 256 KiB \(maxFlagDocumentBytes\)/,
    );
    const justUnder = JSON.stringify(withValue('é'.repeat(L.maxFlagDocumentBytes / 2 - 100)));
    accepted(parseFlagDocument(justUnder));
  });

  it('maxSegmentRules and maxSegmentKeys', () => {
    const ruleJson = { clauses: [segmentClause] };
    accepted(
      decodeSegmentDocument({ key: 's', rules: Array.from({ length: L.maxSegmentRules }, () => ruleJson) }),
    );
    const rules = refusal(
      decodeSegmentDocument({
        key: 's',
        rules: Array.from({ length: L.maxSegmentRules + 1 }, () => ruleJson),
      }),
    );
    assert.match(rules.message, /^segment document: rules: 101 rules; the limit is 100 \(maxSegmentRules\)/);
    const half = L.maxSegmentKeys / 2;
    accepted(decodeSegmentDocument({ key: 's', included: keys(half, 'a'), excluded: keys(half, 'b') }));
    const many = refusal(
      decodeSegmentDocument({ key: 's', included: keys(half, 'a'), excluded: keys(half + 1, 'b') }),
    );
    assert.match(
      many.message,
      /^segment document: 50001 context keys in included and excluded together; the limit is 50000 \(maxSegmentKeys\)/,
    );
  });

  it('maxSegmentDocumentBytes', () => {
    const text = JSON.stringify({ key: 's', included: ['x'.repeat(L.maxStringValueLength)] }).padEnd(
      L.maxSegmentDocumentBytes + 1,
      ' ',
    );
    const error = refusal(parseSegmentDocument(text));
    assert.equal(error.code, 'valueTooLarge');
    assert.match(error.message, /\(maxSegmentDocumentBytes\)$/);
    accepted(parseSegmentDocument(text.slice(0, L.maxSegmentDocumentBytes)));
  });
});

describe('storage keys', () => {
  it('flags live at flags/<key> and segments at segments/<key>', () => {
    assert.equal(flagStorageKey('checkout.v2'), 'flags/checkout.v2');
    assert.equal(segmentStorageKey('beta'), `${SEGMENT_KEY_PREFIX}beta`);
    assert.equal(flagKeyOf('flags/checkout.v2'), 'checkout.v2');
    assert.equal(segmentKeyOf('segments/beta'), 'beta');
  });

  it('a stored key that names no valid document key maps to nothing', () => {
    for (const key of [
      'flags/',
      'flags/a/b',
      'flags/ spaced',
      'segments/x',
      'flagsx',
      `flags/${'k'.repeat(257)}`,
    ]) {
      assert.equal(flagKeyOf(key), undefined, key);
    }
    assert.equal(segmentKeyOf('flags/beta'), undefined);
    assert.equal(isDocumentKey('-leading-dash'), false);
  });
});
