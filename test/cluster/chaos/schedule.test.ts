// The fault schedule: what a seed promises (the same faults again), and what every run gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describePlan, FAULT_KINDS, type FaultPlan, FaultSchedule } from './schedule.ts';

function take(seed: number, count: number): FaultPlan[] {
  const schedule = new FaultSchedule(seed, { members: 5 });
  return Array.from({ length: count }, () => schedule.next());
}

describe('the chaos fault schedule', () => {
  it('is the same for the same seed and differs between seeds', () => {
    assert.deepEqual(take(42, 50), take(42, 50));
    assert.notDeepEqual(take(42, 50), take(43, 50));
  });

  it('starts with every kind of fault once, so that a short run meets them all', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const first = take(seed, FAULT_KINDS.length).map((plan) => plan.kind);
      assert.deepEqual([...first].sort(), [...FAULT_KINDS].sort(), `seed ${seed}: ${first.join(', ')}`);
    }
  });

  it('cuts off at most a minority, and keeps rates, delays and spacing in their ranges', () => {
    for (const plan of take(7, 2000)) {
      if (plan.target.kind === 'slots') {
        assert.ok(
          plan.target.slots.length <= 2,
          `fault ${plan.index} hits ${plan.target.slots.length} members`,
        );
        assert.ok(plan.target.slots.every((slot) => slot >= 0 && slot < 5));
      }
      assert.ok(plan.gapMs >= 800 && plan.gapMs <= 1200, `gap ${plan.gapMs}`);
      assert.ok(plan.dropRate >= 0 && plan.dropRate <= 0.6);
      assert.ok(plan.jitterMs <= plan.delayMs && plan.delayMs <= 200);
    }
  });

  it('refuses a cluster too small to lose a member', () => {
    assert.throws(() => new FaultSchedule(1, { members: 2 }), /at least 3 members/);
  });

  it('describes each fault with the members that hold its slots', () => {
    const names = ['m1', 'm2', 'm6', 'm4', 'm5'];
    const lines = take(3, FAULT_KINDS.length).map((plan) => describePlan(plan, names));
    assert.ok(
      lines.some((line) => /^kill -9 (m\d|the leader), restart after \d+\.\d s$/.test(line)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) => line.startsWith('replace ')),
      lines.join('\n'),
    );
    assert.ok(
      lines.every((line) => !line.includes('slot')),
      lines.join('\n'),
    );
  });
});
