// Client request bodies (JSON) with exactly one thing broken, shared by the HTTP and WebSocket
// fuzzers: valid bodies for every request, and damages that each make a body invalid, with what the
// refusal must name (the path of the broken field, or the limit). Valid bodies are only ever
// starting points.
import fc from 'fast-check';

export interface DamageLimits {
  readonly maxRequestBytes: number;
  readonly maxKeyBytes: number;
}

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [name: string]: Json;
}
type Segment = string | number;

/** Where a decoder error points: 'txn.success[0].put.key', 'put["two words"]'. */
export function fieldPath(root: string, path: readonly Segment[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

interface JsonNode {
  readonly path: Segment[];
  readonly value: Json;
}

/** Every node of `json`, the root first. */
function nodesOf(json: Json, path: Segment[] = [], out: JsonNode[] = []): JsonNode[] {
  out.push({ path, value: json });
  if (Array.isArray(json)) {
    for (const [i, child] of json.entries()) nodesOf(child, [...path, i], out);
  } else if (json !== null && typeof json === 'object') {
    for (const [name, child] of Object.entries(json)) nodesOf(child, [...path, name], out);
  }
  return out;
}

/** The nodes a damage may pick: all but those under the request's opaque fields. */
function damageable(request: RequestBody, body: JsonObject): JsonNode[] {
  const opaque = new Set(request.opaque ?? []);
  return nodesOf(body).filter((node) => node.path.length === 0 || !opaque.has(String(node.path[0])));
}

function kindOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A copy of `json` with the node at `path` replaced (or removed, for `undefined`). */
function withNode(json: Json, path: readonly Segment[], replacement: Json | undefined): Json {
  if (path.length === 0) {
    if (replacement === undefined) throw new Error('withNode: cannot remove the root');
    return replacement;
  }
  const [head, ...rest] = path;
  if (Array.isArray(json)) {
    const copy = [...json];
    copy[head as number] = withNode(json[head as number]!, rest, replacement) as Json;
    return copy;
  }
  const copy: JsonObject = {};
  for (const [name, child] of Object.entries(json as JsonObject)) {
    if (name !== head) defineField(copy, name, child);
    else if (rest.length > 0 || replacement !== undefined) {
      defineField(copy, name, rest.length === 0 ? replacement! : withNode(child, rest, replacement));
    }
  }
  return copy;
}

/** Sets a field even when its name is '__proto__' (which assignment would take as the prototype). */
function defineField(object: JsonObject, name: string, value: Json): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Numbers JSON can carry that no integer field takes; the RAW ones are spliced in as text. */
const RAW_NUMBER = '\u0000raw:';
const BAD_NUMBERS: readonly (number | string)[] = [
  -1,
  0.5,
  2 ** 53,
  1e21,
  -(2 ** 60),
  `${RAW_NUMBER}1e400`,
  `${RAW_NUMBER}-1e400`,
];

function serialize(json: Json): string {
  return JSON.stringify(json).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

const UNKNOWN_FIELDS = [
  'prefx',
  'Key',
  'values',
  'ttlSeconds',
  'watchID',
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  '',
  ' key',
  'kéy',
  '\u0000',
];
/** Not base64: wrong length, characters outside the alphabet, padding in the middle, the URL alphabet. */
const BAD_BASE64 = ['abc', '%%%%', 'YQ=', 'YQ==YQ==', 'a b=', '____', 'YWJj\n', 'Y-_='];
export const BAD_ENUMS = ['UTF8', 'base-64', '', 'binary', 'value ', 'EQUAL', 'Version'];
const ENUM_FIELDS = new Set(['encoding', 'target', 'result']);
const GARBAGE_TAILS = ['x', '}', ']', ',', ' {}', '\u0000', '{"a":1}', '"', 'null'];
const INVALID_JSON = [
  "{'value':'x'}",
  '{"value":NaN}',
  '{"value":"x",}',
  '{/*c*/}',
  'undefined',
  '{"value":"\\x"}',
  '{"value":"\\u12"}',
  '{value:"x"}',
  '{"value" "x"}',
  '[',
  '{',
];

/** A key or name that needs no escaping in a path and is unlikely to exist. */
export const safeName = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const text = fc.string({ maxLength: 12 });
const smallNat = fc.nat(1000);

// ---- valid starting points ----

function withOptionalFields(
  required: Record<string, fc.Arbitrary<Json>>,
  optional: Record<string, fc.Arbitrary<Json>>,
): fc.Arbitrary<JsonObject> {
  return fc.record(
    { ...required, ...optional },
    { requiredKeys: Object.keys(required) },
  ) as fc.Arbitrary<JsonObject>;
}

const encoding = fc.constantFrom('utf8', 'base64');
const requestId = safeName.map((name) => `fuzz-${name}`);

const putBody = fc.oneof(
  withOptionalFields({ value: text }, { prevKv: fc.boolean(), requestId, encoding: fc.constant('utf8') }),
  withOptionalFields(
    { value: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')) },
    { encoding: fc.constant('base64'), prevKv: fc.boolean() },
  ),
);

const rangeBody = withOptionalFields(
  { key: safeName },
  {
    prefix: fc.boolean(),
    limit: smallNat,
    keysOnly: fc.boolean(),
    countOnly: fc.boolean(),
    serializable: fc.boolean(),
    encoding,
  },
);

const compare: fc.Arbitrary<Json> = fc.oneof(
  fc.record({
    key: safeName,
    target: fc.constant('value'),
    result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
    value: text,
  }),
  fc.record({
    key: safeName,
    target: fc.constantFrom('version', 'createRevision', 'modRevision', 'lease'),
    result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
    value: smallNat,
  }),
);

const { txn } = fc.letrec<{ txn: Json; op: Json }>((tie) => ({
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ range: withOptionalFields({ key: safeName }, { limit: smallNat, keysOnly: fc.boolean() }) }),
    fc.record({ put: withOptionalFields({ key: safeName, value: text }, { prevKv: fc.boolean() }) }),
    fc.record({ deleteRange: withOptionalFields({ key: safeName }, { prevKv: fc.boolean() }) }),
    fc.record({ txn: tie('txn') }),
  ),
  txn: withOptionalFields(
    {},
    {
      compare: fc.array(compare, { maxLength: 2 }),
      success: fc.array(tie('op'), { maxLength: 3 }),
      failure: fc.array(tie('op'), { maxLength: 2 }),
    },
  ),
}));

/** Keys renamed so that no two ops of a txn touch the same key (which is refused as duplicateKey). */
function distinctKeys(json: Json): Json {
  let next = 0;
  const rename = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(rename);
    if (node === null || typeof node !== 'object') return node;
    const copy: JsonObject = {};
    for (const [name, child] of Object.entries(node)) {
      defineField(copy, name, name === 'key' ? `k${next++}/` : rename(child));
    }
    return copy;
  };
  return rename(json);
}

const txnBody = fc
  // Values are text here, so base64 would make the body invalid before any damage.
  .tuple(txn, fc.option(requestId, { nil: undefined }), fc.option(fc.constant('utf8'), { nil: undefined }))
  .map(([body, id, enc]) => {
    const out = distinctKeys(body) as JsonObject;
    if (id !== undefined) out.requestId = id;
    if (enc !== undefined) out.encoding = enc;
    return out;
  });

/** A request body as its decoder sees it. */
export interface RequestBody {
  readonly name: string;
  /** The name the decoder's errors start with. */
  readonly root: string;
  readonly body: fc.Arbitrary<JsonObject>;
  /** Top-level fields the request cannot do without. */
  readonly required: readonly string[];
  /** Fields that must be there wherever an object has them (txn ops and compares). */
  readonly requiredInside?: readonly string[];
  /** Top-level fields left alone, with all they hold (a request envelope's body). */
  readonly opaque?: readonly string[];
  readonly takesRequestId: boolean;
}

// ---- damage to a JSON body ----

export interface Damage {
  readonly kind: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly streamed?: boolean;
  readonly status: number;
  readonly mentions: readonly string[];
}

type Damager = (route: RequestBody, body: JsonObject, pick: number, limits: DamageLimits) => Damage | null;

const REPLACEMENTS: Readonly<Record<string, Json>> = {
  string: 'x',
  number: 7,
  boolean: true,
  null: null,
  array: [],
  object: {},
};

const damagers: Readonly<Record<string, Damager>> = {
  'wrong type': (route, body, pick) => {
    const nodes = damageable(route, body);
    const node = nodes[pick % nodes.length]!;
    const kinds = Object.keys(REPLACEMENTS).filter((kind) => kind !== kindOf(node.value));
    const replacement = REPLACEMENTS[kinds[(pick >>> 8) % kinds.length]!]!;
    return {
      kind: 'wrong type',
      body: serialize(withNode(body, node.path, replacement)),
      status: 400,
      mentions: [fieldPath(route.root, node.path)],
    };
  },
  'bad number': (route, body, pick) => {
    const numbers = damageable(route, body).filter((node) => typeof node.value === 'number');
    const node = numbers[pick % Math.max(1, numbers.length)];
    if (node === undefined) return null;
    const bad = BAD_NUMBERS[(pick >>> 8) % BAD_NUMBERS.length]!;
    return {
      kind: 'bad number',
      body: serialize(withNode(body, node.path, bad)),
      status: 400,
      mentions: [fieldPath(route.root, node.path)],
    };
  },
  'unknown field': (route, body, pick) => {
    const objects = damageable(route, body).filter((node) => kindOf(node.value) === 'object');
    const node = objects[pick % objects.length]!;
    const existing = node.value as JsonObject;
    const absent = UNKNOWN_FIELDS.filter((field) => !Object.hasOwn(existing, field));
    const name = absent[(pick >>> 8) % absent.length]!;
    const widened: JsonObject = {};
    for (const [field, child] of Object.entries(existing)) defineField(widened, field, child);
    defineField(widened, name, 1);
    return {
      kind: 'unknown field',
      body: serialize(withNode(body, node.path, widened)),
      status: 400,
      mentions: [fieldPath(route.root, [...node.path, name])],
    };
  },
  'missing field': (route, body, pick) => {
    const inside = new Set(route.requiredInside ?? []);
    const candidates = damageable(route, body).filter(
      (node) =>
        (node.path.length === 1 && route.required.includes(String(node.path[0]))) ||
        (node.path.length > 1 && inside.has(String(node.path.at(-1)))),
    );
    const node = candidates[pick % Math.max(1, candidates.length)];
    if (node === undefined) return null;
    return {
      kind: 'missing field',
      body: serialize(withNode(body, node.path, undefined)),
      status: 400,
      mentions: [fieldPath(route.root, node.path)],
    };
  },
  'bad enum': (route, body, pick) => {
    const enums = damageable(route, body).filter((node) => ENUM_FIELDS.has(String(node.path.at(-1))));
    const node = enums[pick % Math.max(1, enums.length)];
    if (node === undefined) return null;
    return {
      kind: 'bad enum',
      body: serialize(withNode(body, node.path, BAD_ENUMS[(pick >>> 8) % BAD_ENUMS.length]!)),
      status: 400,
      mentions: [fieldPath(route.root, node.path)],
    };
  },
  'bad base64': (route, body, pick) => {
    if (body.encoding !== 'base64' || typeof body.value !== 'string') return null;
    return {
      kind: 'bad base64',
      body: serialize({ ...body, value: BAD_BASE64[pick % BAD_BASE64.length]! }),
      status: 400,
      mentions: [fieldPath(route.root, ['value'])],
    };
  },
  'key too large': (route, body, pick, limits) => {
    const keys = damageable(route, body).filter((node) => node.path.at(-1) === 'key');
    const node = keys[pick % Math.max(1, keys.length)];
    if (node === undefined) return null;
    const key = 'k'.repeat(limits.maxKeyBytes + 1 + (pick % 100));
    return {
      kind: 'key too large',
      body: serialize(withNode(body, node.path, key)),
      status: 413,
      mentions: ['maxKeyBytes'],
    };
  },
  truncated: (_route, body, pick) => {
    const whole = serialize(body);
    const cut = pick % whole.length;
    return {
      kind: cut === 0 ? 'empty body' : 'truncated JSON',
      body: whole.slice(0, cut),
      status: 400,
      mentions: cut === 0 ? ['body is empty', 'not valid JSON'] : ['not valid JSON'],
    };
  },
  'trailing garbage': (_route, body, pick) => ({
    kind: 'trailing garbage',
    body: serialize(body) + GARBAGE_TAILS[pick % GARBAGE_TAILS.length]!,
    status: 400,
    mentions: ['not valid JSON'],
  }),
  'invalid JSON': (_route, _body, pick) => ({
    kind: 'invalid JSON',
    body: INVALID_JSON[pick % INVALID_JSON.length]!,
    status: 400,
    mentions: ['not valid JSON'],
  }),
  'invalid UTF-8': (_route, body, pick) => {
    const whole = serialize(body);
    const rest = whole.slice(1);
    const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]][
      pick % 5
    ]!;
    const bytes = Buffer.concat([
      Buffer.from('{"'),
      Buffer.from(bad),
      Buffer.from(rest === '}' ? '":1}' : '":1,'),
      Buffer.from(rest === '}' ? '' : rest),
    ]);
    return { kind: 'invalid UTF-8', body: new Uint8Array(bytes), status: 400, mentions: ['UTF-8'] };
  },
  'deep nesting': (route, body, pick, limits) => {
    const nodes = damageable(route, body);
    const node = nodes[pick % nodes.length]!;
    // Deeper than any request may nest, yet within maxRequestBytes (6 bytes a level at most).
    const depth = 36 + ((pick >>> 4) % Math.floor(limits.maxRequestBytes / 8));
    const marker = '\u0000deep';
    const [open, close] = pick % 2 === 0 ? ['[', ']'] : ['{"a":', '}'];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return {
      kind: 'deep nesting',
      body: serialize(withNode(body, node.path, marker)).replace(JSON.stringify(marker), nested),
      status: 400,
      mentions: ['nested more than', fieldPath(route.root, node.path)],
    };
  },
  oversized: (_route, body, pick, limits) => {
    const padding = 'x'.repeat(limits.maxRequestBytes + (pick % 1000));
    const streamed = pick % 2 === 0;
    return {
      kind: streamed ? 'oversized body (chunked)' : 'oversized body',
      body: serialize({ ...body, padding }),
      streamed,
      status: 413,
      mentions: ['maxRequestBytes'],
    };
  },
  'idempotency key mismatch': (route, body, pick) => {
    if (!route.takesRequestId) return null;
    return {
      kind: 'idempotency key mismatch',
      body: serialize({ ...body, requestId: `fuzz-body-${pick}` }),
      headers: { 'Idempotency-Key': `fuzz-header-${pick}` },
      status: 400,
      mentions: ['Idempotency-Key'],
    };
  },
};

export const DAMAGE_KINDS = Object.keys(damagers);
/** A damage that does not apply to a body (no number to spoil) falls back to a wrong type. */
export function damageBody(
  kind: string,
  request: RequestBody,
  body: JsonObject,
  pick: number,
  limits: DamageLimits,
): Damage {
  return (
    damagers[kind]!(request, body, pick, limits) ?? damagers['wrong type']!(request, body, pick, limits)!
  );
}

/** The damages that change what the body says (not how it is framed); each is named by the field's path. */
export const STRUCTURAL_DAMAGES = [
  'wrong type',
  'bad number',
  'unknown field',
  'missing field',
  'bad enum',
  'bad base64',
  'key too large',
  'deep nesting',
];
/** Damages to the JSON text itself. */
export const TEXT_DAMAGES = ['truncated', 'trailing garbage', 'invalid JSON'];

const kvKey = safeName.map((name) => `fuzz/${name}`);
const leaseId = fc.integer({ min: 1, max: 10_000 });

/** Every request body the API decodes, by the name of its op. */
export const BODIES = {
  put: { name: 'put', root: 'put', body: putBody, required: ['value'], takesRequestId: true },
  /** A put as one object, key included (the WebSocket `request` body). */
  putWithKey: {
    name: 'put',
    root: 'put',
    body: fc.tuple(putBody, kvKey).map(([body, key]) => ({ ...body, key })),
    required: ['key', 'value'],
    takesRequestId: true,
  },
  range: { name: 'range', root: 'range', body: rangeBody, required: ['key'], takesRequestId: false },
  deleteRange: {
    name: 'deleteRange',
    root: 'deleteRange',
    body: withOptionalFields({ key: kvKey }, { prevKv: fc.boolean(), requestId, encoding }),
    required: ['key'],
    takesRequestId: true,
  },
  txn: {
    name: 'txn',
    root: 'txn',
    body: txnBody,
    required: [],
    requiredInside: ['key', 'target', 'result'],
    takesRequestId: true,
  },
  compact: {
    name: 'compact',
    root: 'compact',
    body: withOptionalFields({ revision: smallNat }, { requestId }),
    required: ['revision'],
    takesRequestId: true,
  },
  leaseGrant: {
    name: 'lease grant',
    root: 'leaseGrant',
    body: withOptionalFields({ ttl: fc.integer({ min: 1, max: 100_000 }) }, { id: smallNat, requestId }),
    required: ['ttl'],
    takesRequestId: true,
  },
  leaseRevoke: {
    name: 'lease revoke',
    root: 'leaseRevoke',
    body: withOptionalFields({ id: leaseId }, { requestId }),
    required: ['id'],
    takesRequestId: true,
  },
  leaseKeepAlive: {
    name: 'lease keepalive',
    root: 'leaseKeepAlive',
    body: fc.record({ id: leaseId }),
    required: ['id'],
    takesRequestId: false,
  },
  leaseTimeToLive: {
    name: 'lease timetolive',
    root: 'leaseTimeToLive',
    body: withOptionalFields({ id: leaseId }, { keys: fc.boolean() }),
    required: ['id'],
    takesRequestId: false,
  },
  leaseList: {
    name: 'lease list',
    root: 'leaseList',
    body: fc.constant({}),
    required: [],
    takesRequestId: false,
  },
  addMember: {
    name: 'add member',
    root: 'addMember',
    body: withOptionalFields(
      { id: safeName.map((name) => `new-${name}`), peerUrl: fc.constant('ws://127.0.0.1:9') },
      { learner: fc.boolean() },
    ),
    required: ['id', 'peerUrl'],
    takesRequestId: false,
  },
} as const satisfies Record<string, RequestBody>;
