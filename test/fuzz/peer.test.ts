// Hostile peer traffic into real members, through their own transport (handshake, frame decoding,
// chunk reassembly) and Raft: unknown members and bad handshakes are refused with a reason, frames
// that do not decode close the connection with the decoder's reason, messages Raft must not act on
// are refused or ignored, and no store changes. The cluster keeps its leader and takes writes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { encodePeerFrame } from '../../core/protocol/index.ts';
import { createNodePeerNetwork } from '../../server/adapters/node/peer-socket.ts';
import { PEER_CLOSE, PEER_PATH } from '../../server/transport/index.ts';
import { FAKE_VOTER, FuzzCluster, type FuzzMember } from './fuzz-cluster.ts';
import { FuzzTally, fuzzParameters } from './fuzz-runs.ts';
import { PeerImpostor, RawPeerSocket } from './peer-impostor.ts';
import { badPeerInput, type PeerExpectation } from './peer-inputs.ts';

describe('fuzzing the peer transport of real members', () => {
  const tally = new FuzzTally('peer');
  let cluster: FuzzCluster;
  let hashesBefore: Record<string, string>;
  const impostors = new Map<string, PeerImpostor>();

  /** An open authenticated connection to `member`, made anew after the member closed the last one. */
  async function impostorAt(member: FuzzMember): Promise<PeerImpostor> {
    const current = impostors.get(member.id);
    if (current !== undefined && !current.isClosed) return current;
    const fresh = await PeerImpostor.connect(member);
    impostors.set(member.id, fresh);
    return fresh;
  }

  async function check(
    member: FuzzMember,
    impostor: PeerImpostor,
    expect: PeerExpectation,
    mark: number,
    answersBefore: number,
  ): Promise<string> {
    const outcome = await impostor.sync();
    if ('close' in expect) {
      assert.notEqual(outcome, 'open', 'the member kept a connection that sent an undecodable frame');
      assert.equal(outcome !== 'open' && outcome.code, PEER_CLOSE.protocolError);
      assert.ok(
        outcome !== 'open' && outcome.reason.startsWith(expect.close),
        `closed with '${outcome !== 'open' && outcome.reason}', expected '${expect.close}…'`,
      );
      const logged = member.log.since(mark, 'bad frame from peer');
      assert.ok(
        logged.some((line) => String(line.error).startsWith(expect.close)),
        'the member logged the bad frame with its reason',
      );
      return 'closed';
    }
    assert.equal(outcome, 'open', `the member closed the connection: ${JSON.stringify(outcome)}`);
    if ('log' in expect && expect.log !== undefined) {
      const { line, mentions } = expect.log;
      const logged = member.log.since(mark, line);
      assert.ok(logged.length > 0, `the member logged no '${line}'`);
      assert.match(JSON.stringify(logged), mentions);
      return 'refused';
    }
    if ('answer' in expect) {
      const term = member.running.member.status().term;
      await waitUntil(`a ${expect.answer} telling the sender it is stale`, () =>
        impostor.received
          .slice(answersBefore)
          .some((m) => m.type === expect.answer && m.term >= term && m.to === 'a'),
      );
      return 'answered stale';
    }
    return 'ignored';
  }

  before(async () => {
    cluster = await FuzzCluster.start('peer');
    await cluster.seed();
    // Two leadership transfers, so that terms before the current one exist to be stale.
    for (let transfer = 0; transfer < 2; transfer++) await transferLeadership(cluster);
    hashesBefore = await cluster.storeHashes();
  });

  after(async () => {
    console.log(tally.summary());
    for (const impostor of impostors.values()) impostor.close();
    await cluster?.stop();
  });

  it('refuses, closes on or ignores every hostile input as its kind calls for', async () => {
    await fc.assert(
      fc.asyncProperty(badPeerInput, fc.constantFrom('m1', 'm2'), async (input, id) => {
        const member = cluster.member(id);
        if (input.phase === 'handshake') {
          tally.count(input.kind);
          const socket = new RawPeerSocket(member);
          for (const frame of input.frames(member.id)) socket.send(frame);
          const closed = await socket.closed();
          assert.equal(
            closed.code,
            PEER_CLOSE.refused,
            `${input.kind}: closed with ${JSON.stringify(closed)}`,
          );
          // The reason travels in a refusal frame, or (a flood, a timeout) in the close itself.
          assert.ok(socket.refusals.length <= 1, `${input.kind}: at most one refusal`);
          assert.match(socket.refusals[0] ?? closed.reason, input.refusal, input.kind);
          return;
        }
        const term = member.running.member.status().term;
        const built = input.build(member.id, term);
        if (built === null) return;
        tally.count(input.kind);
        const impostor = await impostorAt(member);
        const mark = member.log.mark();
        const answersBefore = impostor.received.length;
        for (const frame of built.frames) impostor.send(frame);
        await check(member, impostor, built.expect, mark, answersBefore);
        assert.deepEqual(cluster.crashed(), [], `${input.kind} stopped a member`);
      }),
      fuzzParameters(500),
    );
  });

  it('closes a real peer WebSocket that sends a frame over maxFrameBytes (1009)', async () => {
    for (const member of cluster.members) {
      tally.count('oversized frame over a real socket');
      const port = member.running.peerPort;
      const socket = await createNodePeerNetwork().dial(`ws://127.0.0.1:${port}${PEER_PATH}`, {
        maxFrameBytes: 2 * DEFAULT_LIMITS.maxPeerFrameBytes,
        connectTimeoutMs: 5000,
      });
      const closed = new Promise<number>((resolve) => socket.onClose((code) => resolve(code)));
      socket.send(new Uint8Array(DEFAULT_LIMITS.maxPeerFrameBytes + 1));
      assert.equal(await closed, 1009, 'WebSocket "message too big"');
    }
  });

  it('leaves every store as it was, with a leader that still takes writes', async () => {
    assert.deepEqual(cluster.crashed(), []);
    assert.deepEqual(await cluster.storeHashes(), hashesBefore, 'hostile peer input changed a store');
    await cluster.leader();
    const put = await fetch(`${cluster.member('m1').clientUrl}/v1/kv/after-fuzz`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'still writable' }),
    });
    assert.equal(put.status, 200, await put.text());
  });
});

/** Asks the leader (as FAKE_VOTER, a voter) to hand leadership to the other member, which takes a new term. */
async function transferLeadership(cluster: FuzzCluster): Promise<void> {
  const leader = await cluster.leader();
  const other = cluster.members.find((m) => m !== leader)!;
  const term = leader.running.member.status().term;
  const impostor = await PeerImpostor.connect(leader);
  impostor.send(
    encodePeerFrame([
      {
        type: 'transferLeader',
        from: FAKE_VOTER,
        to: leader.id,
        term,
        logTerm: 0,
        index: 0,
        entries: [],
        commit: 0,
        reject: false,
        rejectHint: 0,
        context: new TextEncoder().encode(other.id),
      },
    ]),
  );
  await waitUntil(`${other.id} leading in a term after ${term}`, () =>
    cluster.members.every(
      (m) => m.running.member.status().leader === other.id && m.running.member.status().term > term,
    ),
  );
  impostor.close();
}

async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
