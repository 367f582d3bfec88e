// Hostile peer traffic, each input with what the member must do about it. Before the handshake:
// frames from unknown members, other clusters, without the secret, or not handshake frames at all;
// each refused with a reason. After it (authenticated as FAKE_VOTER): frames that do not decode,
// broken chunked transfers, messages naming another sender or recipient, messages Raft must refuse,
// stale terms, and proposals whose entries no member could apply.
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  decodePeerFrame,
  encodeHandshakeFrame,
  encodePeerFrame,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { Entry, Message, MessageType } from '../../core/raft/types.ts';
import { decodeMemberEntry } from '../../server/member/entry.ts';
import {
  decodeTransportFrame,
  encodeChunkFrame,
  encodePingFrame,
  isTransportFrame,
} from '../../server/transport/frames.ts';
import { CLUSTER_ID, FAKE_VOTER } from './fuzz-cluster.ts';

/** The transport's frame limit (DEFAULT_TRANSPORT_LIMITS.maxFrameBytes). */
const MAX_FRAME_BYTES = DEFAULT_LIMITS.maxPeerFrameBytes;
/** The transport's reassembly limit (DEFAULT_TRANSPORT_LIMITS.maxReassembledBytes). */
const MAX_REASSEMBLED_BYTES = 1024 * 1024 * 1024;
/** PeerConnection shortens close reasons to this many characters (WebSocket's 123-byte limit). */
const CLOSE_REASON_CHARS = 40;

/** What the member must do with an input. */
export type PeerExpectation =
  /** Close the connection as a protocol error (4002), the reason starting as given. */
  | { readonly close: string }
  /** Keep the connection, and log a line containing `log` whose fields mention `mentions`. */
  | { readonly open: true; readonly log?: { readonly line: string; readonly mentions: RegExp } }
  /** Answer with a message of this type carrying its current term, which tells the sender it is stale. */
  | { readonly open: true; readonly answer: MessageType };

export type PeerInput =
  | {
      readonly kind: string;
      readonly phase: 'handshake';
      /** The frames to send, given the id of the member they go to. */
      readonly frames: (memberId: string) => readonly Uint8Array[];
      /** What the member says refusing it: in a refusal frame, or its close reason (code 4001). */
      readonly refusal: RegExp;
    }
  | {
      readonly kind: string;
      readonly phase: 'established';
      /** The frames to send, given the member's id and current term. */
      readonly build: (
        memberId: string,
        term: number,
      ) => { frames: Uint8Array[]; expect: PeerExpectation } | null;
    };

// ---- before the handshake ----

const nonce = (length = 32) => new Uint8Array(length).fill(7);
const hello = (memberId: string, clusterId = CLUSTER_ID, bytes = 32) =>
  encodeHandshakeFrame({ kind: 'hello', clusterId, memberId, nonce: nonce(bytes) });

/** Handshake openings the member must refuse (sent to m1 or m2; the ids sort around both). */
const handshakeInput: fc.Arbitrary<PeerInput> = fc.oneof(
  fc
    .constantFrom<[string, Uint8Array[], RegExp]>(
      ['hello from an unknown member', [hello('0-unknown')], /is not a known peer/],
      ['hello from a member that must wait to be dialed', [hello('zz-later')], /must wait for .* to connect/],
      ['hello from another cluster', [hello(FAKE_VOTER, 'another-cluster')], /cluster id mismatch/],
      ['hello with a short nonce', [hello(FAKE_VOTER, CLUSTER_ID, 16)], /nonce must be 32 bytes/],
      [
        'proof before hello',
        [encodeHandshakeFrame({ kind: 'proof', hmac: nonce() })],
        /expected hello, got proof/,
      ],
      ['accept before hello', [encodeHandshakeFrame({ kind: 'accept' })], /expected hello, got accept/],
      [
        'a wrong proof',
        [hello(FAKE_VOTER), encodeHandshakeFrame({ kind: 'proof', hmac: nonce() })],
        /authentication failed/,
      ],
      ['a flood of hellos', Array.from({ length: 8 }, () => hello(FAKE_VOTER)), /more than 4 frames/],
      ['a Raft frame before the handshake', [encodePeerFrame([])], /handshake/],
      [
        'an oversized handshake frame',
        [Uint8Array.from([0x56, 0x50, 1, 2, ...new Uint8Array(4096)])],
        /handshake/,
      ],
    )
    .map(
      ([kind, frames, refusal]): PeerInput => ({ kind, phase: 'handshake', frames: () => frames, refusal }),
    ),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map(
    (bytes): PeerInput => ({
      kind: 'random bytes before the handshake',
      phase: 'handshake',
      frames: () => [bytes],
      refusal: /handshake frame|frame/,
    }),
  ),
  fc.constant<PeerInput>({
    kind: "hello claiming the member's own id",
    phase: 'handshake',
    frames: (memberId) => [hello(memberId)],
    refusal: /this member's own id/,
  }),
);

// ---- after the handshake ----

function message(type: MessageType, fields: Partial<Message>): Message {
  return {
    type,
    from: FAKE_VOTER,
    to: '',
    term: 1,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    ...fields,
  };
}

const normal = (index: number, term: number, data = new Uint8Array(0)): Entry => ({
  index,
  term,
  type: 'normal',
  data,
});

/** What the member would do with `bytes`, by the decoders PeerConnection uses; null when they decode. */
function refusalOf(bytes: Uint8Array): string | null {
  if (isTransportFrame(bytes)) {
    const decoded = decodeTransportFrame(bytes);
    return 'code' in decoded ? decoded.message : null;
  }
  const decoded = decodePeerFrame(bytes, { ...DEFAULT_LIMITS, maxPeerFrameBytes: MAX_FRAME_BYTES });
  return isDecodeError(decoded) ? decoded.message : null;
}

const closeReason = (reason: string): string =>
  reason.length > CLOSE_REASON_CHARS ? reason.slice(0, CLOSE_REASON_CHARS) : reason;

/** Bytes that do not decode: the member closes with the decoder's reason. Bytes that do are not sent. */
function undecodable(kind: string, bytes: Uint8Array): PeerInput {
  return {
    kind,
    phase: 'established',
    build: () => {
      const refusal = refusalOf(bytes);
      return refusal === null ? null : { frames: [bytes], expect: { close: closeReason(refusal) } };
    },
  };
}

const headers = fc.constantFrom(
  [],
  [0x56, 0x50, 1, 1],
  [0x56, 0x50, 1, 2],
  [0x56, 0x50, 2, 1],
  [0x56, 0x54, 1, 1],
  [0x56, 0x54, 1, 2],
  [0x56, 0x54, 1, 9],
  [0x56, 0x54, 3, 1],
);

const randomFrame: fc.Arbitrary<PeerInput> = fc
  .tuple(headers, fc.uint8Array({ maxLength: 120 }))
  .map(([head, body]) => undecodable('random frame', Uint8Array.from([...head, ...body])));

/** A well-formed frame of plausible messages, then bit flips, truncation or garbage: sent only if it no longer decodes. */
const mutatedFrame: fc.Arbitrary<PeerInput> = fc
  .tuple(
    fc.array(
      fc.record({
        type: fc.constantFrom<MessageType>('append', 'heartbeat', 'vote', 'appendResponse', 'readIndex'),
        term: fc.nat(10),
        index: fc.nat(50),
        entries: fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    fc.array(fc.tuple(fc.nat(), fc.nat(7), fc.constantFrom('flip', 'cut', 'grow')), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([specs, mutations]) => {
    let bytes = encodePeerFrame(
      specs.map((spec) =>
        message(spec.type, {
          to: 'm1',
          term: spec.term,
          index: spec.index,
          entries: spec.entries.map((data, i) => normal(spec.index + 1 + i, spec.term, data)),
        }),
      ),
    );
    for (const [at, bit, how] of mutations) {
      const i = at % bytes.length;
      if (how === 'flip') bytes[i] = bytes[i]! ^ (1 << bit);
      else if (how === 'cut') bytes = bytes.slice(0, i);
      else bytes = Uint8Array.from([...bytes, 0xff, bit]);
    }
    return undecodable('mutated frame', bytes);
  });

/** Chunked transfers that break the rules, each with the reason the member gives. */
const brokenTransfer: fc.Arbitrary<PeerInput> = fc
  .tuple(fc.nat(2 ** 31), fc.uint8Array({ minLength: 8, maxLength: 64 }))
  .chain(([transferId, payload]) =>
    fc.constantFrom<[string, Uint8Array[], string]>(
      [
        'chunk of a transfer that never started',
        [encodeChunkFrame({ transferId, index: 1, count: 3, totalBytes: 3 * payload.length, payload })],
        'chunk 1 of a transfer that never started',
      ],
      [
        'chunk announcing more than maxReassembledBytes',
        [
          encodeChunkFrame({
            transferId,
            index: 0,
            count: 1000,
            totalBytes: MAX_REASSEMBLED_BYTES + 1,
            payload,
          }),
        ],
        'chunked message of',
      ],
      [
        'chunk count that cannot carry its size',
        [encodeChunkFrame({ transferId, index: 0, count: 1_000_000, totalBytes: payload.length, payload })],
        '1000000 chunks for',
      ],
      [
        'chunks out of order',
        [
          encodeChunkFrame({ transferId, index: 0, count: 3, totalBytes: 3 * payload.length, payload }),
          encodeChunkFrame({ transferId, index: 2, count: 3, totalBytes: 3 * payload.length, payload }),
        ],
        'chunk 2/3 of transfer',
      ],
      [
        'chunks carrying more than announced',
        [
          encodeChunkFrame({ transferId, index: 0, count: 2, totalBytes: payload.length, payload }),
          encodeChunkFrame({ transferId, index: 1, count: 2, totalBytes: payload.length, payload }),
        ],
        `chunks of transfer ${transferId} carry more`,
      ],
      [
        'transfer ending short',
        [encodeChunkFrame({ transferId, index: 0, count: 1, totalBytes: payload.length + 5, payload })],
        `transfer ${transferId} ended with`,
      ],
      [
        'transfer of bytes that are no peer frame',
        [encodeChunkFrame({ transferId, index: 0, count: 1, totalBytes: payload.length, payload })],
        refusalOf(payload) ?? 'peer frame',
      ],
      [
        'ping with a send time that is no number',
        [encodePingFrame('ping', { sequence: 1, sentAtMs: Number.NaN })],
        'ping frame: the send time is not a finite',
      ],
    ),
  )
  .map(
    ([kind, frames, reason]): PeerInput => ({
      kind,
      phase: 'established',
      build: () => ({ frames, expect: { close: closeReason(reason) } }),
    }),
  );

/** Well-formed messages naming a sender other than the authenticated peer, or another recipient. */
const misaddressed: fc.Arbitrary<PeerInput> = fc
  .tuple(
    fc.constantFrom<MessageType>('append', 'heartbeat', 'vote', 'appendResponse', 'propose'),
    fc.constantFrom<[string, string | null]>(
      ['m2', null],
      ['zz-unknown', null],
      ['m1', null],
      [FAKE_VOTER, 'm2'],
      [FAKE_VOTER, 'zz-unknown'],
      [FAKE_VOTER, FAKE_VOTER],
    ),
  )
  .map(
    ([type, [from, to]]): PeerInput => ({
      kind: from === FAKE_VOTER ? 'message to another member' : 'message from another member',
      phase: 'established',
      build: (memberId, term) => {
        const recipient = to ?? memberId;
        if (from === FAKE_VOTER && recipient === memberId) return null;
        const entries = type === 'propose' ? [normal(0, 0)] : [];
        return {
          frames: [encodePeerFrame([message(type, { from, to: recipient, term, entries })])],
          expect: { open: true, log: { line: 'wrong sender or recipient', mentions: /"refused":1/ } },
        };
      },
    }),
  );

/** Messages with an older term than the member's: Raft must ignore them (telling a stale leader so). */
const staleTerm: fc.Arbitrary<PeerInput> = fc
  .tuple(
    fc.constantFrom<MessageType>(
      'append',
      'heartbeat',
      'preVote',
      'vote',
      'appendResponse',
      'voteResponse',
      'preVoteResponse',
      'heartbeatResponse',
      'timeoutNow',
      'readIndexResponse',
      'transferLeader',
      'snapshot',
    ),
    fc.nat(),
    fc.nat(20),
  )
  .map(
    ([type, pick, index]): PeerInput => ({
      kind: `stale ${type}`,
      phase: 'established',
      build: (memberId, term) => {
        if (term < 2) return null;
        const stale = 1 + (pick % (term - 1));
        const fields: Partial<Message> = { to: memberId, term: stale, index, logTerm: stale, commit: index };
        if (type === 'append')
          Object.assign(fields, { entries: [normal(index + 1, stale, Uint8Array.of(9, 9))] });
        if (type === 'readIndexResponse')
          Object.assign(fields, { entries: [normal(0, 0, Uint8Array.of(1))] });
        if (type === 'transferLeader')
          Object.assign(fields, { context: new TextEncoder().encode(FAKE_VOTER) });
        if (type === 'snapshot') {
          Object.assign(fields, {
            snapshot: {
              metadata: {
                index: 1000,
                term: stale,
                confState: {
                  voters: [FAKE_VOTER],
                  learners: [],
                  votersOutgoing: [],
                  learnersNext: [],
                  autoLeave: false,
                },
              },
              data: new Uint8Array(16),
            },
          });
        }
        const answer: MessageType | null =
          type === 'append' || type === 'heartbeat'
            ? 'appendResponse'
            : type === 'preVote'
              ? 'preVoteResponse'
              : null;
        return {
          frames: [encodePeerFrame([message(type, fields)])],
          expect: answer === null ? { open: true } : { open: true, answer },
        };
      },
    }),
  );

/** Messages that decode but break Raft's rules: each refused by the core, which says what is wrong. */
const invalidMessage: fc.Arbitrary<PeerInput> = fc
  .constantFrom<[string, (to: string, term: number) => Message, RegExp]>(
    ['a term of zero', (to) => message('heartbeat', { to, term: 0 }), /term must be positive/],
    [
      'append entries out of sequence',
      (to, term) => message('append', { to, term: term + 1000, index: 5, entries: [normal(7, term)] }),
      /entry 0 has index 7, expected 6/,
    ],
    [
      'append entry from a later term',
      (to, term) => message('append', { to, term, index: 5, logTerm: 1, entries: [normal(6, term + 1)] }),
      /outside/,
    ],
    ['a proposal without entries', (to) => message('propose', { to, term: 0 }), /carries no entries/],
    ['a read without its context', (to) => message('readIndex', { to, term: 0 }), /exactly one entry/],
    [
      'a transfer naming nobody',
      (to, term) => message('transferLeader', { to, term }),
      /names no transferee/,
    ],
    [
      'a snapshot message without a snapshot',
      (to, term) => message('snapshot', { to, term }),
      /carries no snapshot/,
    ],
  )
  .map(
    ([kind, build, mentions]): PeerInput => ({
      kind,
      phase: 'established',
      build: (memberId, term) => ({
        frames: [encodePeerFrame([build(memberId, term)])],
        expect: { open: true, log: { line: 'peer message refused', mentions } },
      }),
    }),
  );

/**
 * Proposals forwarded by a peer whose entries no member could apply: a leader that appended one
 * would stop every member at it, now and on every restart.
 */
const poisonProposal: fc.Arbitrary<PeerInput> = fc
  .oneof(
    fc.uint8Array({ maxLength: 40 }).map((body) => Uint8Array.from([1, ...body])),
    fc.uint8Array({ maxLength: 40 }).map((body) => Uint8Array.from([2, ...body])),
    fc
      .tuple(fc.integer({ min: 3, max: 255 }), fc.uint8Array({ maxLength: 20 }))
      .map(([tag, body]) => Uint8Array.from([tag, ...body])),
  )
  .map(
    (data): PeerInput => ({
      kind: 'proposal no member could apply',
      phase: 'established',
      build: (memberId) =>
        decodeMemberEntry(data).kind !== 'invalid'
          ? null
          : {
              frames: [
                encodePeerFrame([
                  message('propose', { to: memberId, term: 0, entries: [normal(0, 0, data)] }),
                ]),
              ],
              expect: { open: true, log: { line: 'proposal refused', mentions: /entry/ } },
            },
    }),
  );

/** Every kind of hostile peer input. */
export const badPeerInput: fc.Arbitrary<PeerInput> = fc
  .oneof(
    { arbitrary: handshakeInput, weight: 2 },
    { arbitrary: randomFrame, weight: 2 },
    { arbitrary: mutatedFrame, weight: 2 },
    { arbitrary: brokenTransfer, weight: 2 },
    { arbitrary: misaddressed, weight: 1 },
    { arbitrary: staleTerm, weight: 2 },
    { arbitrary: invalidMessage, weight: 1 },
    { arbitrary: poisonProposal, weight: 1 },
  )
  .map((input) => Object.assign(input, { [fc.toStringMethod]: () => input.kind }));
