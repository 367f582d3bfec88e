import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ChangeResult, ConfChanger, checkInvariants, restoreConfState } from './confchange.ts';
import { isJoint, ProgressTracker, toConfState } from './tracker.ts';
import type { ConfChange, ConfChangeSingle, RaftError } from './types.ts';

function trackerOf(voters: string[], learners: string[] = []): ProgressTracker {
  const tracker = new ProgressTracker(8, 0);
  const restored = restoreConfState(tracker, 10, {
    voters,
    learners,
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  });
  assert.ok(!('code' in restored));
  tracker.config = restored.config;
  tracker.progress = restored.progress;
  return tracker;
}

function applied(tracker: ProgressTracker, change: ConfChange): ChangeResult {
  const result = new ConfChanger(tracker, 10).apply(change);
  if ('code' in result) assert.fail(`refused: ${result.message}`);
  tracker.config = result.config;
  tracker.progress = result.progress;
  return result;
}

function refused(tracker: ProgressTracker, change: ConfChange): RaftError {
  const result = new ConfChanger(tracker, 10).apply(change);
  assert.ok('code' in result, 'the change should be refused');
  return result;
}

const add = (nodeId: string): ConfChangeSingle => ({ kind: 'addVoter', nodeId });
const learner = (nodeId: string): ConfChangeSingle => ({ kind: 'addLearner', nodeId });
const remove = (nodeId: string): ConfChangeSingle => ({ kind: 'removeNode', nodeId });

describe('confchange', () => {
  it('adds a learner, then promotes it to voter with simple changes', () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    applied(tracker, { transition: 'auto', changes: [learner('d')] });
    assert.deepEqual(toConfState(tracker.config).learners, ['d']);
    assert.equal(tracker.progress.get('d')?.isLearner, true);
    applied(tracker, { transition: 'auto', changes: [add('d')] });
    assert.deepEqual(tracker.config.voters.incoming, ['a', 'b', 'c', 'd']);
    assert.deepEqual(tracker.config.learners, []);
    assert.equal(tracker.progress.get('d')?.isLearner, false);
  });

  it("'auto' with two voter changes enters a joint configuration that leaves automatically", () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    applied(tracker, { transition: 'auto', changes: [add('d'), remove('a')] });
    assert.deepEqual(tracker.config.voters, { incoming: ['b', 'c', 'd'], outgoing: ['a', 'b', 'c'] });
    assert.equal(tracker.config.autoLeave, true);
    applied(tracker, { transition: 'auto', changes: [] });
    assert.deepEqual(tracker.config.voters, { incoming: ['b', 'c', 'd'], outgoing: [] });
    assert.equal(
      tracker.progress.has('a'),
      false,
      'the removed voter is dropped when the joint config is left',
    );
  });

  it("'auto' with one voter change and a learner stays simple", () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    applied(tracker, { transition: 'auto', changes: [add('d'), learner('e')] });
    assert.equal(isJoint(tracker.config), false);
  });

  it('demoting an outgoing voter goes through learnersNext', () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    applied(tracker, { transition: 'jointExplicit', changes: [learner('c')] });
    assert.deepEqual(tracker.config.learnersNext, ['c']);
    assert.equal(tracker.config.autoLeave, false);
    assert.equal(tracker.progress.get('c')?.isLearner, false, 'still a voter of the outgoing half');
    applied(tracker, { transition: 'auto', changes: [] });
    assert.deepEqual(tracker.config.learners, ['c']);
    assert.deepEqual(tracker.config.voters.incoming, ['a', 'b']);
  });

  it('refuses changes that break the rules', () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    assert.match(refused(tracker, { transition: 'auto', changes: [] }).message, /not joint/);
    assert.match(
      refused(tracker, { transition: 'auto', changes: [remove('a'), remove('b'), remove('c')] }).message,
      /every voter/,
    );
    applied(tracker, { transition: 'jointImplicit', changes: [add('d')] });
    assert.match(
      refused(tracker, { transition: 'jointImplicit', changes: [add('e')] }).message,
      /already joint/,
    );
    assert.match(refused(tracker, { transition: 'auto', changes: [add('e')] }).message, /joint/);
  });

  it('a simple change of two voters is refused when asked for directly', () => {
    const tracker = trackerOf(['a', 'b', 'c']);
    const result = new ConfChanger(tracker, 10).simple([add('d'), add('e')]);
    assert.ok('code' in result);
    assert.match(result.message, /more than one voter/);
  });

  it('restores a joint ConfState, and refuses an inconsistent one', () => {
    const tracker = new ProgressTracker(8, 0);
    const restored = restoreConfState(tracker, 5, {
      voters: ['a', 'b'],
      learners: ['e'],
      votersOutgoing: ['a', 'c'],
      learnersNext: ['c'],
      autoLeave: true,
    });
    assert.ok(!('code' in restored));
    assert.deepEqual(restored.config.voters, { incoming: ['a', 'b'], outgoing: ['a', 'c'] });
    const bad = restoreConfState(tracker, 5, {
      voters: ['a'],
      learners: ['a'],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
    assert.ok('code' in bad);
    assert.match(bad.message, /both a learner and a voter/);
  });

  it('keeps its invariants over random change sequences', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const single = fc.record({
      kind: fc.constantFrom<ConfChangeSingle['kind']>('addVoter', 'addLearner', 'removeNode'),
      nodeId: fc.constantFrom(...ids),
    });
    const change = fc.record({
      transition: fc.constantFrom<ConfChange['transition']>('auto', 'jointImplicit', 'jointExplicit'),
      changes: fc.array(single, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 20 }), (changes) => {
        const tracker = trackerOf(['a', 'b', 'c']);
        for (const cc of changes) {
          const before = tracker.config;
          const result = new ConfChanger(tracker, 10).apply(cc);
          if ('code' in result) {
            assert.equal(result.code, 'invalidConfChange');
            continue;
          }
          assert.equal(checkInvariants(result.config, result.progress), undefined);
          assert.ok(result.config.voters.incoming.length > 0, 'never without voters');
          if (cc.changes.length === 0) {
            assert.equal(isJoint(result.config), false, 'an empty change leaves the joint config');
          } else if (isJoint(result.config)) {
            assert.deepEqual(result.config.voters.outgoing, before.voters.incoming);
          } else {
            const delta =
              before.voters.incoming.filter((id) => !result.config.voters.incoming.includes(id)).length +
              result.config.voters.incoming.filter((id) => !before.voters.incoming.includes(id)).length;
            assert.ok(delta <= 1, 'a simple change alters at most one voter');
          }
          // The ConfState round-trips through restore (what a snapshot or restart does).
          const again = restoreConfState(new ProgressTracker(8, 0), 10, toConfState(result.config));
          assert.ok(!('code' in again));
          assert.deepEqual(again.config, result.config);
          tracker.config = result.config;
          tracker.progress = result.progress;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
