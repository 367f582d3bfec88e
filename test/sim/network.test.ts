import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import type { LostReason } from './network.ts';
import { MAX_MESSAGES_IN_FLIGHT, SimNetwork } from './network.ts';

function message(from: string, to: string, index: number): Message {
  return {
    type: 'heartbeat',
    from,
    to,
    term: 1,
    logTerm: 0,
    index,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

function deliverAll(network: SimNetwork, until: number): { at: number; message: Message }[] {
  const delivered: { at: number; message: Message }[] = [];
  for (let now = 0; now <= until; now++)
    for (const m of network.deliverDue(now)) delivered.push({ at: now, message: m });
  return delivered;
}

describe('simulated network', () => {
  it('delays each message within its range, so messages overtake each other', () => {
    const network = new SimNetwork(
      createRandom(3),
      { dropRate: 0, duplicateRate: 0, minDelay: 2, maxDelay: 9 },
      () => {},
    );
    for (let i = 0; i < 50; i++) network.send(message('a', 'b', i), 0);
    const delivered = deliverAll(network, 20);
    assert.equal(delivered.length, 50);
    assert.ok(delivered.every((d) => d.at >= 2 && d.at <= 9));
    const order = delivered.map((d) => d.message.index);
    assert.notDeepEqual(
      order,
      [...order].sort((x, y) => x - y),
      'no message was reordered',
    );
  });

  it('drops and duplicates at the configured rates', () => {
    const lost: LostReason[] = [];
    const network = new SimNetwork(
      createRandom(5),
      { dropRate: 0.2, duplicateRate: 0.3, minDelay: 1, maxDelay: 1 },
      (_, reason) => lost.push(reason),
    );
    for (let i = 0; i < 1000; i++) network.send(message('a', 'b', i), 0);
    const delivered = deliverAll(network, 2).length;
    assert.ok(lost.length > 150 && lost.length < 250, `${lost.length} dropped`);
    assert.ok(network.duplicated > 180 && network.duplicated < 300, `${network.duplicated} duplicated`);
    assert.equal(delivered, 1000 - lost.length + network.duplicated);
  });

  it('blocks a partitioned link one way only, also for messages already in flight', () => {
    const lost: Message[] = [];
    const network = new SimNetwork(
      createRandom(1),
      { dropRate: 0, duplicateRate: 0, minDelay: 5, maxDelay: 5 },
      (m) => lost.push(m),
    );
    network.send(message('a', 'b', 1), 0);
    network.block(['a'], ['b']);
    network.send(message('a', 'b', 2), 0);
    network.send(message('b', 'a', 3), 0);
    const delivered = deliverAll(network, 10).map((d) => d.message.index);
    assert.deepEqual(delivered, [3]);
    assert.deepEqual(lost.map((m) => m.index).sort(), [1, 2]);
    network.heal();
    network.send(message('a', 'b', 4), 10);
    assert.deepEqual(
      deliverAll(network, 20).map((d) => d.message.index),
      [4],
    );
  });

  it(`drops what exceeds ${MAX_MESSAGES_IN_FLIGHT} messages in flight`, () => {
    const lost: LostReason[] = [];
    const network = new SimNetwork(
      createRandom(1),
      { dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 1 },
      (_, r) => lost.push(r),
    );
    for (let i = 0; i < MAX_MESSAGES_IN_FLIGHT + 5; i++) network.send(message('a', 'b', i), 0);
    assert.equal(network.inFlightCount(), MAX_MESSAGES_IN_FLIGHT);
    assert.deepEqual(lost, new Array(5).fill('queueFull'));
  });
});
