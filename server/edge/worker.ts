// The edge Worker: routes each browser read and watch to the Durable Object of its prefix, after
// the browser's credentials pass authorizeBrowserRead, and refuses writes. The objects do the rest
// (prefix-object.ts). index.ts exports it, with the object class, as wrangler's entry point.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, formatBytes } from '../../core/limits.ts';
import {
  decodeRangeQuery,
  decodeRangeRequest,
  isDecodeError,
  parseJsonBody,
} from '../../core/protocol/index.ts';
import {
  authorizeBrowserRead,
  browserToken,
  chooseSubprotocol,
  offeredSubprotocols,
  TOKEN_QUERY_PARAMETER,
} from './browser-auth.ts';
import { ClusterKeys } from './cluster-keys.ts';
import { type EdgeConfig, type EdgeEnv, readEdgeConfig } from './config.ts';
import { type Cors, errorAnswer, preflightAnswer } from './http-answers.ts';
import { PREFIX_HEADER } from './prefix-object.ts';
import { PrefixRouting, WATCH_PREFIX_PARAMETER } from './prefix-routing.ts';
import { readOnlyError } from './read-only.ts';
import { refusedWatchAnswer } from './refused-watch.ts';

const KV_PATH = '/v1/kv/';
const WRITE_ROUTES = ['/v1/txn', '/v1/compact', '/v1/lease', '/v1/cluster', '/v1/auth'];

interface Routed {
  readonly config: EdgeConfig;
  readonly routing: PrefixRouting;
  readonly cors: Cors;
  readonly clusterKeys: ClusterKeys;
}

/** Configuration is read once per isolate (the environment does not change while it lives). */
let routed: { readonly env: EdgeEnv; readonly value: Routed } | undefined;

function routedFor(env: EdgeEnv): Routed {
  if (routed?.env !== env) {
    const config = readEdgeConfig(env);
    routed = {
      env,
      value: {
        config,
        routing: new PrefixRouting(config.prefixes),
        cors: { allowOrigin: config.allowOrigin },
        clusterKeys: new ClusterKeys({
          endpoints: config.clusterEndpoints,
          limits: config.limits,
          edgeHasToken: config.edgeToken !== undefined,
        }),
      },
    };
  }
  return routed.value;
}

export default {
  async fetch(request: Request, env: EdgeEnv): Promise<Response> {
    const edge = routedFor(env);
    const { config, routing, cors } = edge;
    const url = new URL(request.url);
    const path = url.pathname;
    if (request.method === 'OPTIONS') return preflightAnswer(cors);
    if (path === '/health') return Response.json({ ok: true, edge: true });
    if (path === '/v1/watch') return routeWatch(request, url, env, edge);
    if (path === '/v1/kv/range') {
      if (request.method !== 'POST') return notFound(request, path, cors);
      const body = await readBody(request, config.limits.browserMessageBytes);
      if (typeof body !== 'string') return errorAnswer(body, cors);
      const json = parseJsonBody(body, DEFAULT_LIMITS);
      if (isDecodeError(json)) return errorAnswer(json, cors);
      const decoded = decodeRangeRequest(json.value, DEFAULT_LIMITS);
      if (isDecodeError(decoded)) return errorAnswer(decoded, cors);
      const prefix = routing.prefixOfRange(decoded.request.key, decoded.request.rangeEnd);
      if (typeof prefix !== 'string') return errorAnswer(prefix, cors);
      return forward(
        new Request(request.url, { method: 'POST', headers: request.headers, body }),
        prefix,
        env,
        edge,
      );
    }
    if (path.startsWith(KV_PATH)) {
      if (request.method !== 'GET')
        return errorAnswer(readOnlyError(`${request.method} ${KV_PATH}...`), cors, { allow: 'GET' });
      const key = pathKey(url);
      if (typeof key !== 'string') return errorAnswer(key, cors);
      const query = Object.fromEntries(url.searchParams);
      delete query[TOKEN_QUERY_PARAMETER];
      const decoded = decodeRangeQuery(key, query, DEFAULT_LIMITS);
      if (isDecodeError(decoded)) return errorAnswer(decoded, cors);
      const prefix = routing.prefixOfRange(decoded.request.key, decoded.request.rangeEnd);
      if (typeof prefix !== 'string') return errorAnswer(prefix, cors);
      return forward(request, prefix, env, edge);
    }
    if (WRITE_ROUTES.some((route) => path === route || path.startsWith(`${route}/`))) {
      return errorAnswer(readOnlyError(`${request.method} ${path}`), cors, { allow: 'GET, POST' });
    }
    return notFound(request, path, cors);
  },
};

/**
 * A watch connection is served by one prefix's object: the prefix comes from `?prefix=`, or is the
 * only one configured. Its watches and reads must fall inside that prefix.
 */
function routeWatch(request: Request, url: URL, env: EdgeEnv, edge: Routed): Promise<Response> | Response {
  const { routing, cors } = edge;
  const named = url.searchParams.get(WATCH_PREFIX_PARAMETER);
  const prefix = named ?? (routing.configured.length === 1 ? routing.configured[0]! : undefined);
  if (prefix === undefined) {
    return errorAnswer(
      vaneError(
        'invalidRequest',
        `a watch connection to the edge serves one prefix: name it, as in /v1/watch?${WATCH_PREFIX_PARAMETER}=flags/ (with the SDK: an endpoint of https://<edge>/?${WATCH_PREFIX_PARAMETER}=flags/)`,
      ),
      cors,
    );
  }
  const owner = routing.prefixOfKey(prefix);
  if (typeof owner !== 'string') return errorAnswer(owner, cors);
  if (owner !== prefix) {
    return errorAnswer(
      vaneError(
        'invalidRequest',
        `'${prefix}' is not a prefix this edge serves; its keys are served by prefix '${owner}'`,
        {
          prefix: owner,
        },
      ),
      cors,
    );
  }
  return forward(request, prefix, env, edge);
}

async function forward(request: Request, prefix: string, env: EdgeEnv, edge: Routed): Promise<Response> {
  const token = browserToken(request);
  const refused =
    typeof token === 'object' ? token : await authorizeBrowserRead({ token, prefix }, edge.clusterKeys);
  if (refused !== undefined) {
    // A browser cannot read a refused upgrade's status: it is told on the socket, as the members do.
    if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      return refusedWatchAnswer(refused, chooseSubprotocol(offeredSubprotocols(request)));
    }
    return errorAnswer(refused, edge.cors);
  }
  const headers = new Headers(request.headers);
  headers.set(PREFIX_HEADER, prefix);
  const stub = env.PREFIX_OBJECTS.get(env.PREFIX_OBJECTS.idFromName(prefix));
  return stub.fetch(new Request(request, { headers }));
}

/** The key in a /v1/kv/{key} path, percent-decoded once (a key's '%2F' stays inside the key). */
function pathKey(url: URL): string | VaneError {
  const encoded = url.pathname.slice(KV_PATH.length);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return vaneError('decodeError', `'${encoded}' in the path is not valid percent-encoded UTF-8`);
  }
}

async function readBody(request: Request, maxBytes: number): Promise<string | VaneError> {
  const tooLarge = (): VaneError =>
    vaneError(
      'requestTooLarge',
      `the request body exceeds the ${formatBytes(maxBytes)} limit (browserMessageBytes)`,
      {
        limit: 'browserMessageBytes',
        maximum: maxBytes,
      },
    );
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) return tooLarge();
  if (request.body === null) return '';
  // Counted while read, so that a body without a length is never buffered past the limit.
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

function notFound(request: Request, path: string, cors: Cors): Response {
  const error = vaneError(
    'invalidRequest',
    `no route ${request.method} ${path} on the edge; it serves GET /v1/kv/{key}, POST /v1/kv/range and the WebSocket /v1/watch`,
  );
  return new Response(JSON.stringify({ error }), {
    status: 404,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': cors.allowOrigin },
  });
}
