import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRequestId } from './request-id.ts';

describe('newRequestId', () => {
  it('gives 128 random bits as 32 hex digits, never the same id twice across many refills of its pool', () => {
    const ids = Array.from({ length: 5000 }, () => newRequestId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
    // Every hex digit turns up in every position: the bits are spread, not a counter or a constant.
    for (let position = 0; position < 32; position++) {
      assert.equal(new Set(ids.map((id) => id[position])).size, 16, `hex digits at position ${position}`);
    }
  });
});
