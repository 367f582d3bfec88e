// Bad HTTP requests for every route of the client API, each built to be refused: a valid request
// with exactly one thing broken, and what the refusal must say (its status, and a name from the
// input: the field's path, the parameter, the limit). Valid requests are only ever starting points.
import fc from 'fast-check';
import {
  BAD_ENUMS,
  BODIES,
  DAMAGE_KINDS,
  type DamageLimits,
  damageBody,
  fieldPath,
  type RequestBody,
  safeName,
} from './json-damage.ts';

export interface HttpInput {
  /** What kind of damage, for the tally ('txn: wrong type'). */
  readonly kind: string;
  readonly method: string;
  /** Path and query as sent (already percent-encoded). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array | null;
  /** Sent chunked, without a Content-Length, so the server must count while it reads. */
  readonly streamed: boolean;
  readonly status: number;
  /** The error message must contain one of these. */
  readonly mentions: readonly string[];
}

/** Each makes decodeURIComponent throw: a lone '%', non-hex, truncated, a lone surrogate, overlong, 0xFF. */
const BAD_PERCENT = ['%', '%zz', '%E0%A4', '%ED%A0%80', '%C0%AF', '%FF', 'a%2', '%%'];
const BAD_BOOLS = ['yes', '1', '0', 'TRUE', 'True', '', 'on', 'true ', '%zz'];
const BAD_UINTS = ['-1', '1.5', 'abc', '', '0x10', '1e3', '99999999999999999999', '+1', ' 1', '01', 'NaN'];

interface JsonRoute {
  readonly method: 'PUT' | 'POST';
  readonly path: fc.Arbitrary<string>;
  readonly request: RequestBody;
}

const JSON_ROUTES: readonly JsonRoute[] = [
  { method: 'PUT', path: safeName.map((name) => `/v1/kv/fuzz%2F${name}`), request: BODIES.put },
  { method: 'POST', path: fc.constant('/v1/kv/range'), request: BODIES.range },
  { method: 'POST', path: fc.constant('/v1/txn'), request: BODIES.txn },
  { method: 'POST', path: fc.constant('/v1/compact'), request: BODIES.compact },
  { method: 'POST', path: fc.constant('/v1/lease/grant'), request: BODIES.leaseGrant },
  { method: 'POST', path: fc.constant('/v1/lease/revoke'), request: BODIES.leaseRevoke },
  { method: 'POST', path: fc.constant('/v1/lease/keepalive'), request: BODIES.leaseKeepAlive },
  { method: 'POST', path: fc.constant('/v1/lease/timetolive'), request: BODIES.leaseTimeToLive },
  { method: 'POST', path: fc.constant('/v1/cluster/members'), request: BODIES.addMember },
];

function jsonRouteInput(limits: DamageLimits): fc.Arbitrary<HttpInput> {
  return fc
    .constantFrom(...JSON_ROUTES)
    .chain((route) =>
      fc.tuple(
        fc.constant(route),
        route.path,
        route.request.body,
        fc.constantFrom(...DAMAGE_KINDS),
        fc.nat(),
      ),
    )
    .map(([route, path, body, kind, pick]): HttpInput => {
      const damage = damageBody(kind, route.request, body, pick, limits);
      return {
        kind: `${route.request.name}: ${damage.kind}`,
        method: route.method,
        target: path,
        headers: { 'Content-Type': 'application/json', ...damage.headers },
        body: damage.body,
        streamed: damage.streamed ?? false,
        status: damage.status,
        mentions: damage.mentions,
      };
    });
}

// ---- query strings and paths ----

interface QueryRoute {
  readonly name: string;
  readonly method: 'GET' | 'DELETE';
  readonly root: string;
  readonly bools: readonly string[];
  readonly uints: readonly string[];
}

const QUERY_ROUTES: readonly QueryRoute[] = [
  {
    name: 'get',
    method: 'GET',
    root: 'range',
    bools: ['prefix', 'keysOnly', 'countOnly', 'serializable'],
    uints: ['revision', 'limit', 'minRevision'],
  },
  { name: 'delete', method: 'DELETE', root: 'deleteRange', bools: ['prefix', 'prevKv'], uints: [] },
];

function query(params: readonly (readonly [string, string])[]): string {
  if (params.length === 0) return '';
  return `?${params.map(([name, value]) => `${name}=${value.includes('%') ? value : encodeURIComponent(value)}`).join('&')}`;
}

function queryRouteInput(limits: DamageLimits): fc.Arbitrary<HttpInput> {
  return fc
    .tuple(
      fc.constantFrom(...QUERY_ROUTES),
      safeName,
      fc.constantFrom(
        'unknown parameter',
        'bad boolean',
        'bad integer',
        'bad encoding',
        'bad percent-encoding',
        'key too large',
        'empty key',
      ),
      fc.nat(),
      fc.subarray(['prefix=true', 'limit=3', 'keysOnly=true', 'prevKv=true', 'encoding=base64']),
    )
    .map(([route, key, damage, pick, extras]): HttpInput => {
      const valid = extras
        .map((pair) => pair.split('=') as [string, string])
        .filter(([name]) => route.bools.includes(name) || route.uints.includes(name) || name === 'encoding');
      const base = {
        kind: `${route.name}: ${damage}`,
        method: route.method,
        headers: {},
        body: null,
        streamed: false,
      };
      const at = (param: string) => fieldPath(route.root, [param]);
      const others = (name: string) => valid.filter(([other]) => other !== name);
      switch (damage) {
        case 'unknown parameter': {
          const name = ['prefx', 'keys', 'from', 'watch', 'v', '_', 'limit2', 'Prefix'][pick % 8]!;
          return {
            ...base,
            target: `/v1/kv/${key}${query([...valid, [name, '1']])}`,
            status: 400,
            mentions: [at(name)],
          };
        }
        case 'bad boolean': {
          const name = route.bools[pick % route.bools.length]!;
          const value = BAD_BOOLS[(pick >>> 8) % BAD_BOOLS.length]!;
          return {
            ...base,
            target: `/v1/kv/${key}${query([...others(name), [name, value]])}`,
            status: 400,
            mentions: [at(name)],
          };
        }
        case 'bad integer': {
          const name = route.uints[pick % Math.max(1, route.uints.length)] ?? route.bools[0]!;
          const value = BAD_UINTS[(pick >>> 8) % BAD_UINTS.length]!;
          return {
            ...base,
            target: `/v1/kv/${key}${query([...others(name), [name, value]])}`,
            status: 400,
            mentions: [at(name)],
          };
        }
        case 'bad encoding': {
          const value = BAD_ENUMS[pick % BAD_ENUMS.length]!;
          return {
            ...base,
            target: `/v1/kv/${key}${query([...others('encoding'), ['encoding', value]])}`,
            status: 400,
            mentions: [at('encoding')],
          };
        }
        case 'bad percent-encoding': {
          const bad = BAD_PERCENT[pick % BAD_PERCENT.length]!;
          return {
            ...base,
            target: `/v1/kv/${key}${bad}${query(valid)}`,
            status: 400,
            mentions: ['percent-encoded'],
          };
        }
        case 'key too large':
          return {
            ...base,
            target: `/v1/kv/${'k'.repeat(limits.maxKeyBytes + 1 + (pick % 64))}${query(valid)}`,
            status: 413,
            mentions: ['maxKeyBytes'],
          };
        default:
          // An empty key with prefix=true is valid: it selects every key (etcd's `get "" --prefix`).
          return {
            ...base,
            target: `/v1/kv/${query(others('prefix'))}`,
            status: 400,
            mentions: [`${route.root}.key`],
          };
      }
    });
}

// ---- the rest: member ids, cluster status, routes that do not exist, the watch path ----

/** Every path the API serves, with the methods it serves it for. */
const SERVED: readonly [string, readonly string[]][] = [
  ['/health', ['GET']],
  ['/metrics', ['GET']],
  ['/v1/openapi.json', ['GET']],
  ['/ui', ['GET']],
  ['/v1/kv/fuzz-key', ['GET', 'PUT', 'DELETE']],
  ['/v1/kv/range', ['GET', 'PUT', 'DELETE', 'POST']],
  ['/v1/txn', ['POST']],
  ['/v1/compact', ['POST']],
  ['/v1/lease', ['GET']],
  ['/v1/lease/grant', ['POST']],
  ['/v1/lease/revoke', ['POST']],
  ['/v1/lease/keepalive', ['POST']],
  ['/v1/lease/timetolive', ['POST']],
  ['/v1/cluster/members', ['GET', 'POST']],
  ['/v1/cluster/members/m9', ['DELETE']],
  ['/v1/cluster/members/m9/promote', ['POST']],
  ['/v1/cluster/status', ['GET']],
  ['/v1/snapshot', ['GET']],
  ['/v1/watch', ['GET']],
];

const otherInput: fc.Arbitrary<HttpInput> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...SERVED), fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'))
    .filter(([[, methods], method]) => !methods.includes(method))
    .map(
      ([[path], method]): HttpInput => ({
        kind: 'method not served',
        method,
        target: path,
        headers: {},
        body: method === 'GET' ? null : '{}',
        streamed: false,
        status: 404,
        mentions: [`no route ${method} ${path}`],
      }),
    ),
  fc
    .tuple(
      fc.constantFrom('/v2/', '/v1/x', '/v1/kvs/', '/v1/lease/', '/x/', '/V1/kv/', '/v1//', '/health/'),
      safeName,
      fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'),
    )
    .map(
      ([prefix, name, method]): HttpInput => ({
        kind: 'no such route',
        method,
        target: `${prefix}zz${name}`,
        headers: {},
        body: method === 'GET' ? null : '{}',
        streamed: false,
        status: 404,
        mentions: ['no route'],
      }),
    ),
  fc
    .tuple(
      fc.constantFrom('DELETE /v1/cluster/members/', 'POST /v1/cluster/members/'),
      fc.integer({ min: 257, max: 2000 }),
    )
    .map(([route, length]): HttpInput => {
      const [method, path] = route.split(' ') as [string, string];
      const promote = method === 'POST' ? '/promote' : '';
      return {
        kind: 'member id too long',
        method,
        target: `${path}${'x'.repeat(length)}${promote}`,
        headers: {},
        body: null,
        streamed: false,
        status: 400,
        mentions: ['member id'],
      };
    }),
  fc.constantFrom('maybe', 'TRUE', '1', '', 'yes').map(
    (value): HttpInput => ({
      kind: 'cluster status: bad all',
      method: 'GET',
      target: `/v1/cluster/status?all=${value}`,
      headers: {},
      body: null,
      streamed: false,
      status: 400,
      mentions: ["all: expected 'true' or 'false'"],
    }),
  ),
  fc.constantFrom('ftp://x', 'not a url', 'ws//x', '', 'file:///etc/passwd', 'javascript:alert(1)').map(
    (peerUrl): HttpInput => ({
      kind: 'add member: bad peer URL',
      method: 'POST',
      target: '/v1/cluster/members',
      headers: {},
      body: JSON.stringify({ id: 'fuzz-new', peerUrl }),
      streamed: false,
      status: 400,
      mentions: ['addMember.peerUrl'],
    }),
  ),
  fc.constant<HttpInput>({
    kind: 'watch without upgrade',
    method: 'GET',
    target: '/v1/watch',
    headers: {},
    body: null,
    streamed: false,
    status: 400,
    mentions: ['WebSocket'],
  }),
);

/** Every kind of bad request, over every route. */
export function badHttpInput(limits: DamageLimits): fc.Arbitrary<HttpInput> {
  return fc
    .oneof(
      { arbitrary: jsonRouteInput(limits), weight: 6 },
      { arbitrary: queryRouteInput(limits), weight: 2 },
      { arbitrary: otherInput, weight: 1 },
    )
    .map((input) => Object.assign(input, { [fc.toStringMethod]: () => describeInput(input) }));
}

/** How a failing input is printed: bodies of many kilobytes are cut short. */
function describeInput(input: HttpInput): string {
  const body =
    input.body === null
      ? ''
      : typeof input.body === 'string'
        ? input.body
        : `bytes ${Buffer.from(input.body).toString('hex')}`;
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}… (${text.length} in all)` : text);
  return `${input.kind}: ${input.method} ${cut(input.target)} ${JSON.stringify(input.headers)}${input.streamed ? ' chunked' : ''} ${cut(body)} → expect ${input.status} naming ${JSON.stringify(input.mentions)}`;
}
