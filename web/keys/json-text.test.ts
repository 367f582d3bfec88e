import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { editableText, viewValue } from './json-text.ts';

describe('viewValue', () => {
  test('pretty-prints a JSON object', () => {
    assert.deepEqual(viewValue('{"theme":"dark","limits":[1,2]}'), {
      kind: 'json',
      pretty: '{\n  "theme": "dark",\n  "limits": [\n    1,\n    2\n  ]\n}',
    });
  });

  test('says where a broken JSON document breaks, by line and column, and what was expected', () => {
    assert.deepEqual(viewValue('{\n  "theme": "dark",\n  "beta": tru\n}'), {
      kind: 'invalidJson',
      message: "unexpected 't'; expected a value",
      line: 3,
      column: 11,
    });
    assert.deepEqual(viewValue('{"a": 1 "b": 2}'), {
      kind: 'invalidJson',
      message: `unexpected '"'; expected ',' or '}'`,
      line: 1,
      column: 9,
    });
    assert.deepEqual(viewValue("{'a': 1}"), {
      kind: 'invalidJson',
      message: "unexpected '''; expected a property name in double quotes",
      line: 1,
      column: 2,
    });
  });

  test('a truncated document breaks at its end', () => {
    const view = viewValue('{"a": [1, 2');
    assert.ok(view.kind === 'invalidJson');
    assert.equal(view.message, "unexpected end of text; expected ',' or ']'");
    assert.equal(view.column, 12);
  });

  test('plain text, numbers and words are text, not broken JSON', () => {
    for (const text of ['on', '42', 'hello world', '', 'true'])
      assert.deepEqual(viewValue(text), { kind: 'text' });
  });

  test('property: JSON.stringify of any JSON value in an object reads back as valid; a cut one as invalid', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.nat(), (object, cut) => {
        const text = JSON.stringify(object);
        assert.equal(viewValue(text).kind, 'json');
        const prefix = text.slice(0, cut % text.length);
        if (prefix.trimStart().length > 0) assert.equal(viewValue(prefix).kind, 'invalidJson');
      }),
    );
  });
});

describe('editableText', () => {
  test('expands one-line JSON for editing and leaves anything else alone', () => {
    assert.equal(editableText('[1]'), '[\n  1\n]');
    assert.equal(editableText('{"a": '), '{"a": ');
    assert.equal(editableText('plain'), 'plain');
  });
});
