import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { kv } from './fakes.test.ts';
import { TypedValues } from './schema.ts';

describe('TypedValues', () => {
  const values = new TypedValues({
    'app/': z.string(),
    'app/limits/': z.object({ max: z.number() }),
    'app/limits/special': z.literal(42),
  });

  it('picks the exact key first, then the longest prefix, and leaves other keys untyped', () => {
    assert.deepStrictEqual(values.decode(kv('app/limits/special', '42', 1)), { ok: true, value: 42 });
    assert.deepStrictEqual(values.decode(kv('app/limits/api', '{"max":3}', 1)), {
      ok: true,
      value: { max: 3 },
    });
    assert.deepStrictEqual(values.decode(kv('app/name', '"vane"', 1)), { ok: true, value: 'vane' });
    assert.deepStrictEqual(values.decode(kv('other', 'raw text', 1)), { ok: true, value: 'raw text' });
  });

  it('reports values that are not JSON, not text, or not of the type, with the issues', () => {
    const notJson = values.decode(kv('app/name', 'vane', 1));
    assert.ok(!notJson.ok && /not JSON/.test(notJson.issues[0]!.message));
    const binary = values.decode({ ...kv('app/name', 'AAE=', 1), valueEncoding: 'base64' });
    assert.ok(!binary.ok && /not UTF-8/.test(binary.issues[0]!.message));
    const wrong = values.decode(kv('app/limits/api', '{"max":"3"}', 1));
    assert.ok(!wrong.ok);
    assert.deepStrictEqual(wrong.issues[0]!.path, ['max']);
  });

  it('encodes typed values as JSON after checking them; untyped keys take strings only', () => {
    assert.deepStrictEqual(values.encode('app/limits/api', { max: 3 }), { ok: true, text: '{"max":3}' });
    assert.equal(values.encode('app/limits/api', { max: 'x' }).ok, false);
    assert.deepStrictEqual(values.encode('other', 'plain'), { ok: true, text: 'plain' });
    assert.equal(values.encode('other', 3).ok, false);
  });

  it('refuses a schema entry that is not a zod type', () => {
    assert.throws(() => new TypedValues({ bad: {} as z.ZodType }), /schema\['bad'\] is not a zod type/);
  });
});
