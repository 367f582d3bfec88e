// Every refusal the core can give, as an error value that names the problem; none of them changes state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../random.ts';
import { defaultRaftConfig } from './config.ts';
import { RawNode } from './rawnode.ts';
import { MemoryStorage } from './storage.ts';
import { bytes, message, RaftNetwork } from './testing.ts';
import type { Message } from './types.ts';

describe('limits and errors', () => {
  it("'noLeader': a follower without a leader, or a candidate, refuses proposals and reads", () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { preVote: false } });
    assert.equal(net.propose('a', 'x')?.code, 'noLeader');
    assert.equal(net.node('a').readIndex(bytes('r'))?.code, 'noLeader');
    net.node('a').campaign();
    assert.equal(net.node('a').status().role, 'candidate');
    assert.equal(net.propose('a', 'x')?.code, 'noLeader');
    assert.equal(net.node('a').hasReady(), true, 'only the campaign itself is pending');
  });

  it("'uncommittedLimit': the leader refuses proposals beyond its uncommitted budget, but always takes one", () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { maxUncommittedEntriesSize: 100 } });
    net.elect('a');
    net.isolate('a');
    assert.equal(
      net.propose('a', 'x'.repeat(500)),
      undefined,
      'nothing uncommitted: accepted whatever its size',
    );
    const error = net.propose('a', 'y');
    assert.equal(error?.code, 'uncommittedLimit');
    assert.match(error?.message ?? '', /500 bytes are uncommitted \(limit 100\)/);
    net.heal();
    net.tickAll(1);
    assert.equal(net.propose('a', 'y'), undefined, 'accepted again once the backlog committed');
  });

  it("'forwardingDisabled': a follower configured not to forward refuses proposals", () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { disableProposalForwarding: true } });
    net.elect('a');
    assert.equal(net.propose('b', 'x')?.code, 'forwardingDisabled');
    assert.equal(net.propose('a', 'x'), undefined);
  });

  it("'stepLocalMessage' and 'invalidMessage': malformed input is refused and changes nothing", () => {
    const node = new RawNode(
      defaultRaftConfig('a', MemoryStorage.bootstrap(['a', 'b', 'c']), createRandom(1)),
    );
    const good = message({ type: 'heartbeat', from: 'b', to: 'a', term: 1 });
    const cases: [Message, string, RegExp][] = [
      [{ ...good, from: 'a' }, 'stepLocalMessage', /local input is a RawNode method/],
      [{ ...good, to: 'c' }, 'invalidMessage', /addressed to c, delivered to a/],
      [{ ...good, from: '' }, 'invalidMessage', /no sender/],
      [{ ...good, index: -1 }, 'invalidMessage', /index must be a non-negative integer/],
      [{ ...good, commit: 1.5 }, 'invalidMessage', /commit must be a non-negative integer/],
      [{ ...good, term: 0 }, 'invalidMessage', /term must be positive/],
      [{ ...good, type: 'gossip' as Message['type'] }, 'invalidMessage', /unknown message type/],
      [
        message({
          type: 'append',
          from: 'b',
          to: 'a',
          term: 1,
          entries: [{ term: 1, index: 5, type: 'normal', data: bytes('') }],
        }),
        'invalidMessage',
        /entry 0 has index 5, expected 1/,
      ],
      [
        message({
          type: 'append',
          from: 'b',
          to: 'a',
          term: 1,
          entries: [{ term: 2, index: 1, type: 'normal', data: bytes('') }],
        }),
        'invalidMessage',
        /term 2 outside \[0, 1\]/,
      ],
      [message({ type: 'snapshot', from: 'b', to: 'a', term: 1 }), 'invalidMessage', /carries no snapshot/],
      [message({ type: 'readIndex', from: 'b', to: 'a', term: 0 }), 'invalidMessage', /exactly one entry/],
      [message({ type: 'propose', from: 'b', to: 'a', term: 0 }), 'invalidMessage', /no entries/],
      [
        message({ type: 'transferLeader', from: 'b', to: 'a', term: 1 }),
        'invalidMessage',
        /names no transferee/,
      ],
    ];
    for (const [input, code, pattern] of cases) {
      const error = node.step(input);
      assert.equal(error?.code, code, JSON.stringify(input));
      assert.match(error?.message ?? '', pattern);
    }
    assert.equal(node.hasReady(), false);
    assert.equal(node.status().hardState.term, 0);
    assert.equal(node.step(good), undefined);
  });

  it('refuses an invalid config loudly at construction', () => {
    const base = defaultRaftConfig('a', MemoryStorage.bootstrap(['a']), createRandom(1));
    assert.throws(() => new RawNode({ ...base, electionTick: 1, heartbeatTick: 1 }), /electionTick/);
    assert.throws(() => new RawNode({ ...base, maxInflightMsgs: 0 }), /maxInflightMsgs/);
    assert.throws(() => new RawNode({ ...base, id: '' }), /id/);
    assert.throws(() => new RawNode({ ...base, applied: 5 }), /applied 5/);
  });

  it('refuses ready() before advance() of the previous Ready, and advance() of a foreign Ready', () => {
    const net = new RaftNetwork(['a']);
    const a = net.node('a');
    a.campaign();
    const ready = a.ready();
    assert.equal(a.hasReady(), false, 'nothing new until the Ready is advanced');
    assert.throws(() => a.ready(), /before advance/);
    assert.throws(() => a.advance({ ...ready }), /the Ready returned by the last ready/);
    a.advance(ready);
  });
});
