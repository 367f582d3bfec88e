// Bad messages for the watch WebSocket (/v1/watch), each built to be refused: every client message
// type (watchCreate, watchCancel, progress, and request with every op's body) with exactly one thing
// broken, and frames the socket itself must refuse (binary, oversized, not UTF-8).
import fc from 'fast-check';
import {
  BODIES,
  type DamageLimits,
  damageBody,
  type JsonObject,
  type RequestBody,
  STRUCTURAL_DAMAGES,
  safeName,
  TEXT_DAMAGES,
} from './json-damage.ts';

export type WatchInput =
  | {
      /** A text message the session must answer with an error naming the problem, and carry on. */
      readonly kind: string;
      readonly expect: 'error';
      readonly text: string;
      readonly mentions: readonly string[];
      /** The request id the error must carry (a request whose body was damaged). */
      readonly requestId?: number;
    }
  | {
      /** A frame the socket must be closed for, with this code and a reason naming the problem. */
      readonly kind: string;
      readonly expect: 'close';
      readonly frame: Uint8Array;
      readonly binary: boolean;
      readonly closeCode: number;
      /**
       * What the close reason must say; null where the code is all there is (the ws library closes
       * for an oversized or non-UTF-8 frame with 1009 or 1007 and no reason).
       */
      readonly reason: RegExp | null;
    };

const version = fc.constant(1);

/** The watch messages, as bodies of the 'watch' decoder. */
const WATCH_MESSAGES: readonly RequestBody[] = [
  {
    name: 'watchCreate',
    root: 'watch',
    body: fc.record(
      {
        v: version,
        type: fc.constant('watchCreate'),
        watchId: fc.nat(1000),
        key: safeName,
        prefix: fc.boolean(),
        startRevision: fc.integer({ min: 4, max: 1000 }),
        prevKv: fc.boolean(),
        filters: fc.subarray(['noPut', 'noDelete']),
        progressNotify: fc.boolean(),
        encoding: fc.constantFrom('utf8', 'base64'),
      },
      { requiredKeys: ['v', 'type', 'key'] },
    ) as fc.Arbitrary<JsonObject>,
    required: ['v', 'type', 'key'],
    takesRequestId: false,
  },
  {
    name: 'watchCancel',
    root: 'watch',
    body: fc.record({ v: version, type: fc.constant('watchCancel'), watchId: fc.nat(1000) }),
    required: ['v', 'type', 'watchId'],
    takesRequestId: false,
  },
  {
    name: 'progress',
    root: 'watch',
    body: fc.record({ v: version, type: fc.constant('progress') }),
    required: ['v', 'type'],
    takesRequestId: false,
  },
];

/** What each op of a `request` message carries in its body. */
const REQUEST_OPS: readonly [string, RequestBody][] = [
  ['range', BODIES.range],
  ['put', BODIES.putWithKey],
  ['deleteRange', BODIES.deleteRange],
  ['txn', BODIES.txn],
  ['compact', BODIES.compact],
  ['leaseGrant', BODIES.leaseGrant],
  ['leaseRevoke', BODIES.leaseRevoke],
  ['leaseKeepAlive', BODIES.leaseKeepAlive],
  ['leaseTimeToLive', BODIES.leaseTimeToLive],
  ['leaseList', BODIES.leaseList],
];

const inProtocol = [...STRUCTURAL_DAMAGES, ...TEXT_DAMAGES];

function damagedWatchMessage(limits: DamageLimits): fc.Arbitrary<WatchInput> {
  return fc
    .tuple(fc.constantFrom(...WATCH_MESSAGES), fc.constantFrom(...inProtocol), fc.nat())
    .chain(([message, kind, pick]) =>
      message.body.map((body): WatchInput => {
        const damage = damageBody(kind, message, body, pick, limits);
        return {
          kind: `${message.name}: ${damage.kind}`,
          expect: 'error',
          text: String(damage.body),
          mentions: damage.mentions,
        };
      }),
    );
}

/** A request whose body is damaged: refused by the op's own decoder, the error carrying the request's id. */
function damagedRequestBody(limits: DamageLimits): fc.Arbitrary<WatchInput> {
  return fc
    .tuple(
      fc.constantFrom(...REQUEST_OPS),
      fc.constantFrom(...STRUCTURAL_DAMAGES),
      fc.nat(),
      fc.nat(1_000_000),
    )
    .chain(([[op, request], kind, pick, id]) =>
      request.body.map((body): WatchInput => {
        const damage = damageBody(kind, request, body, pick, limits);
        return {
          kind: `request ${op}: ${damage.kind}`,
          expect: 'error',
          text: `{"v":1,"type":"request","id":${id},"op":"${op}","body":${String(damage.body)}}`,
          mentions: damage.mentions,
          requestId: id,
        };
      }),
    );
}

/** The request envelope itself damaged (its id, op, version, fields), or the whole message's text. */
function damagedRequestEnvelope(limits: DamageLimits): fc.Arbitrary<WatchInput> {
  const envelope: RequestBody = {
    name: 'request',
    root: 'watch',
    body: fc
      .tuple(fc.constantFrom(...REQUEST_OPS), fc.nat(1_000_000))
      .chain(([[op, request], id]) =>
        request.body.map((body): JsonObject => ({ v: 1, type: 'request', id, op, body })),
      ),
    // The body is the other generator's; the envelope accepts any body (its op's decoder judges it).
    required: ['v', 'type', 'id', 'op'],
    opaque: ['body'],
    takesRequestId: false,
  };
  return fc
    .tuple(
      fc.constantFrom('wrong type', 'bad number', 'unknown field', 'missing field', ...TEXT_DAMAGES),
      fc.nat(),
    )
    .chain(([kind, pick]) =>
      envelope.body.map((body): WatchInput => {
        const damage = damageBody(kind, envelope, body, pick, limits);
        return {
          kind: `request envelope: ${damage.kind}`,
          expect: 'error',
          text: String(damage.body),
          // The envelope is read both as a watch message and as a request.
          mentions: damage.mentions.flatMap((m) => [m, m.replace(/^watch\b/, 'request')]),
        };
      }),
    );
}

const unknownType: fc.Arbitrary<WatchInput> = fc
  .constantFrom('subscribe', 'WATCHCREATE', '', 'watch', 'cancel', 'response', 'error', 'watchResponse')
  .map((type) => ({
    kind: 'unknown message type',
    expect: 'error',
    text: JSON.stringify({ v: 1, type }),
    mentions: ['watch.type'],
  }));

const wrongVersion: fc.Arbitrary<WatchInput> = fc.constantFrom(0, 2, 99, -1, 1.5).map((v) => ({
  kind: 'unsupported version',
  expect: 'error',
  text: JSON.stringify({ v, type: 'progress' }),
  mentions: ['watch.v'],
}));

const cancelUnknown: fc.Arbitrary<WatchInput> = fc.integer({ min: 100_000, max: 2 ** 31 }).map((watchId) => ({
  kind: 'cancel of a watch not open',
  expect: 'error',
  text: JSON.stringify({ v: 1, type: 'watchCancel', watchId }),
  mentions: [`no watch ${watchId} is open`],
}));

function badFrame(maxMessageBytes: number): fc.Arbitrary<WatchInput> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map(
      (frame): WatchInput => ({
        kind: 'binary frame',
        expect: 'close',
        frame,
        binary: true,
        closeCode: 1003,
        reason: /JSON text frames/,
      }),
    ),
    fc.integer({ min: 1, max: 4096 }).map(
      (extra): WatchInput => ({
        kind: 'oversized message',
        expect: 'close',
        frame: new TextEncoder().encode(
          JSON.stringify({ v: 1, type: 'progress', pad: 'x'.repeat(maxMessageBytes + extra) }),
        ),
        binary: false,
        closeCode: 1009,
        reason: null,
      }),
    ),
    fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]).map(
      (bad): WatchInput => ({
        kind: 'text frame not UTF-8',
        expect: 'close',
        frame: Uint8Array.from([
          ...new TextEncoder().encode('{"v":1,"type":"progress","x":"'),
          ...bad,
          0x22,
          0x7d,
        ]),
        binary: false,
        closeCode: 1007,
        reason: null,
      }),
    ),
  );
}

/** Every kind of bad watch-socket input. */
export function badWatchInput(
  limits: DamageLimits & { readonly maxMessageBytes: number },
): fc.Arbitrary<WatchInput> {
  const damageLimits = {
    ...limits,
    maxRequestBytes: Math.min(limits.maxRequestBytes, limits.maxMessageBytes),
  };
  return fc
    .oneof(
      { arbitrary: damagedWatchMessage(damageLimits), weight: 4 },
      { arbitrary: damagedRequestBody(damageLimits), weight: 4 },
      { arbitrary: damagedRequestEnvelope(damageLimits), weight: 2 },
      { arbitrary: fc.oneof(unknownType, wrongVersion, cancelUnknown), weight: 1 },
      { arbitrary: badFrame(limits.maxMessageBytes), weight: 1 },
    )
    .map((input) => Object.assign(input, { [fc.toStringMethod]: () => describe(input) }));
}

function describe(input: WatchInput): string {
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} in all)` : text);
  return input.expect === 'error'
    ? `${input.kind}: ${cut(input.text)} → expect an error naming ${JSON.stringify(input.mentions)}`
    : `${input.kind}: ${input.binary ? 'binary' : 'text'} ${cut(Buffer.from(input.frame).toString('hex'))} → expect close ${input.closeCode}`;
}
