// The handshake's two state machines fed frames in memory: who is admitted, who is refused, and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeHandshakeFrame } from '../../core/protocol/index.ts';
import type { NodeId } from '../../core/raft/types.ts';
import {
  AcceptorHandshake,
  DialerHandshake,
  type HandshakeIdentity,
  type HandshakeStep,
} from './handshake.ts';
import { constantTimeEqual, importClusterSecret } from './peer-auth.ts';

const SECRET = 'the secret of the handshake tests';

async function identity(memberId: NodeId, secret = SECRET, clusterId = 'c1'): Promise<HandshakeIdentity> {
  const key = await importClusterSecret(secret);
  assert.ok(!('code' in key));
  return { clusterId, memberId, key };
}

type Outcome = Exclude<HandshakeStep, { kind: 'continue' }>;

/** Passes frames between the two sides until both have finished; returns each side's outcome and every frame. */
async function exchange(dialer: DialerHandshake, acceptor: AcceptorHandshake) {
  const frames: Uint8Array[] = [];
  const toAcceptor = [...dialer.start().send];
  const toDialer: Uint8Array[] = [];
  let dialerOutcome: Outcome | null = null;
  let acceptorOutcome: Outcome | null = null;
  for (;;) {
    const forAcceptor = acceptorOutcome === null ? toAcceptor.shift() : undefined;
    const forDialer = forAcceptor === undefined && dialerOutcome === null ? toDialer.shift() : undefined;
    if (forAcceptor === undefined && forDialer === undefined) break;
    frames.push((forAcceptor ?? forDialer)!);
    if (forAcceptor !== undefined) {
      const step = await acceptor.receive(forAcceptor);
      toDialer.push(...step.send);
      if (step.kind !== 'continue') acceptorOutcome = step;
    } else {
      const step = await dialer.receive(forDialer!);
      toAcceptor.push(...step.send);
      if (step.kind !== 'continue') dialerOutcome = step;
    }
  }
  return { dialer: dialerOutcome, acceptor: acceptorOutcome, frames };
}

const admitAll = (): null => null;

function reasonOf(outcome: Outcome | null): string {
  assert.ok(outcome?.kind === 'failed', `expected a failure, got ${outcome?.kind}`);
  return outcome.reason;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('peer handshake', () => {
  it('authenticates both sides when they share cluster and secret, and never sends the secret', async () => {
    const result = await exchange(
      new DialerHandshake(await identity('a'), 'b'),
      new AcceptorHandshake(await identity('b'), admitAll),
    );
    assert.equal(result.dialer?.kind === 'established' && result.dialer.peerId, 'b');
    assert.equal(result.acceptor?.kind === 'established' && result.acceptor.peerId, 'a');
    assert.equal(result.frames.length, 5, 'hello, hello, proof, proof, accept');
    const secret = new TextEncoder().encode(SECRET);
    assert.ok(result.frames.every((frame) => !contains(frame, secret.subarray(0, 8))));
  });

  it('a dialer with a wrong secret refuses the acceptor, whose proof it cannot verify', async () => {
    const result = await exchange(
      new DialerHandshake(await identity('a', 'some other secret, same length'), 'b'),
      new AcceptorHandshake(await identity('b'), admitAll),
    );
    assert.match(reasonOf(result.dialer), /authentication failed/);
    assert.equal(result.dialer?.kind === 'failed' && result.dialer.refusedBy, 'local');
    assert.match(reasonOf(result.acceptor), /authentication failed/);
    assert.equal(result.acceptor?.kind === 'failed' && result.acceptor.refusedBy, 'remote');
  });

  it('an acceptor refuses a dialer whose proof is forged, replayed from another session, or reflected', async () => {
    const dialerIdentity = await identity('a');
    const acceptorIdentity = await identity('b');
    const honest = new DialerHandshake(dialerIdentity, 'b');
    const hello = honest.start().send[0]!;
    // A recorded session: the proof the honest dialer sent to one acceptor.
    const first = new AcceptorHandshake(acceptorIdentity, admitAll);
    const [acceptorHello, acceptorProof] = (await first.receive(hello)).send;
    await honest.receive(acceptorHello!);
    const recordedProof = (await honest.receive(acceptorProof!)).send[0]!;
    assert.equal((await first.receive(recordedProof)).kind, 'established');

    const attempts: [string, (acceptorProof: Uint8Array) => Uint8Array][] = [
      ['forged', () => encodeHandshakeFrame({ kind: 'proof', hmac: new Uint8Array(32).fill(7) })],
      ['replayed', () => recordedProof],
      ['reflected', (proof) => proof],
    ];
    for (const [what, proofToSend] of attempts) {
      const acceptor = new AcceptorHandshake(acceptorIdentity, admitAll);
      const answer = (await acceptor.receive(hello)).send;
      const step = await acceptor.receive(proofToSend(answer[1]!));
      assert.match(reasonOf(step.kind === 'continue' ? null : step), /authentication failed/, what);
    }
  });

  it('refuses a peer from another cluster before proving anything to it', async () => {
    const acceptor = new AcceptorHandshake(await identity('b'), admitAll);
    const dialer = new DialerHandshake(await identity('a', SECRET, 'c2'), 'b');
    const step = await acceptor.receive(dialer.start().send[0]!);
    assert.equal(step.kind, 'failed');
    assert.match(
      reasonOf(step.kind === 'failed' ? step : null),
      /cluster id mismatch: peer claims cluster "c2"/,
    );
    assert.equal(step.kind === 'failed' && step.claimedMemberId, 'a');
    assert.equal(step.send.length, 1, 'only the refusal, no proof');
  });

  it('passes the admission decision through, and refuses a peer claiming its own id', async () => {
    const refuseA = (id: NodeId): string | null => (id === 'a' ? 'member "a" is not a known peer' : null);
    const refused = await exchange(
      new DialerHandshake(await identity('a'), 'b'),
      new AcceptorHandshake(await identity('b'), refuseA),
    );
    assert.equal(reasonOf(refused.acceptor), 'member "a" is not a known peer');
    assert.equal(reasonOf(refused.dialer), 'member "a" is not a known peer');
    const self = await exchange(
      new DialerHandshake(await identity('b'), 'b'),
      new AcceptorHandshake(await identity('b'), admitAll),
    );
    assert.match(reasonOf(self.acceptor), /own id/);
  });

  it('a dialer refuses a member other than the one it meant to reach', async () => {
    const result = await exchange(
      new DialerHandshake(await identity('a'), 'b'),
      new AcceptorHandshake(await identity('c'), admitAll),
    );
    assert.match(reasonOf(result.dialer), /expected member "b" at this address, found "c"/);
  });

  it('refuses garbage and frames out of order, naming what was wrong', async () => {
    const acceptor = new AcceptorHandshake(await identity('b'), admitAll);
    assert.match(
      reasonOf(await asOutcome(acceptor.receive(new Uint8Array([1, 2, 3, 4, 5])))),
      /handshake frame/,
    );
    const early = new AcceptorHandshake(await identity('b'), admitAll);
    const proof = encodeHandshakeFrame({ kind: 'proof', hmac: new Uint8Array(32) });
    assert.match(reasonOf(await asOutcome(early.receive(proof))), /expected hello, got proof/);
    const big = new AcceptorHandshake(await identity('b'), admitAll);
    assert.match(reasonOf(await asOutcome(big.receive(new Uint8Array(4096)))), /maxPeerFrameBytes/);
  });
});

async function asOutcome(step: HandshakeStep | Promise<HandshakeStep>): Promise<Outcome | null> {
  const resolved = await step;
  return resolved.kind === 'continue' ? null : resolved;
}

describe('constantTimeEqual', () => {
  it('is true only for equal bytes of equal length', () => {
    assert.ok(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])));
    assert.ok(!constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])));
    assert.ok(!constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])));
  });
});
