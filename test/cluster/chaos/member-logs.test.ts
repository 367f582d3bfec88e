// The checks on the members' logs after a chaos run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMemberLogs, countLeaderTerms } from './member-logs.ts';

const line = (fields: object): string => JSON.stringify({ level: 30, time: 1, ...fields });
const leader = (id: string, term: number): string => line({ id, term, msg: 'became leader' });

describe('the member log checks', () => {
  it('pass logs with one leader per term and no error, and count the terms that had one', () => {
    const logs = [
      { member: 'm1', text: [leader('m1', 2), line({ msg: 'leader lost' }), leader('m1', 5)].join('\n') },
      { member: 'm2', text: [leader('m2', 3), 'a line that is not JSON', ''].join('\n') },
    ];
    assert.deepEqual(checkMemberLogs(logs), []);
    assert.equal(countLeaderTerms(logs), 3);
  });

  it('catch two leaders in one term', () => {
    const logs = [
      { member: 'm1', text: leader('m1', 4) },
      { member: 'm3', text: leader('m3', 4) },
    ];
    assert.deepEqual(checkMemberLogs(logs), ['term 4 had 2 leaders: m1, m3']);
  });

  it('quote lines logged at error level or above, a few per member', () => {
    const errors = Array.from({ length: 5 }, (_, i) => line({ level: 50, msg: `handler threw ${i}` }));
    const [failure, ...rest] = checkMemberLogs([{ member: 'm2', text: errors.join('\n') }]);
    assert.equal(rest.length, 0);
    assert.match(failure ?? '', /^m2 logged 5 errors \(and 2 more\):/);
    assert.match(failure ?? '', /handler threw 2/);
    assert.doesNotMatch(failure ?? '', /handler threw 3/);
  });
});
