// The client-facing HTTP API of one member, as a hono app: runtime-neutral (web-standard Request
// and Response only), so the same app serves under Node, Deno or a test's app.request().
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { isVaneError, vaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import { openApiDocument } from '../../core/protocol/index.ts';
import { type AuthService, bearerToken } from '../auth/index.ts';
import type { Logger } from '../log.ts';
import type { MemberApi } from '../member/index.ts';
import type { Metrics } from '../metrics.ts';
import { allowedOrigins } from './allowed-origins.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { registerClusterRoutes } from './cluster-routes.ts';
import { corsHeaders } from './cors.ts';
import { registerDashboard } from './dashboard.ts';
import type { AppEnv } from './env.ts';
import { errorResponse, internalErrorResponse, routeNotFoundResponse } from './errors.ts';
import { registerKvRoutes } from './kv-routes.ts';
import { registerLeaseRoutes } from './lease-routes.ts';
import { MEMBER_HEADER, REVISION_HEADER } from './reply.ts';
import { WATCH_PATH } from './watch-session.ts';

export interface CorsOptions {
  /**
   * Origins allowed to call the API from a browser, e.g. 'https://app.example.com'; '*' allows any.
   * The cluster's own members' client URLs are allowed besides these (allowed-origins.ts).
   */
  readonly origins: readonly string[];
}

export interface AppOptions {
  readonly cors?: CorsOptions;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Used by /v1/cluster/status?all=true to ask the other members; the global fetch when absent. */
  readonly fetch?: typeof fetch;
  /** How long /v1/cluster/status?all=true waits for each member. */
  readonly peerStatusTimeoutMs?: number;
  /** Authentication and permission checks; absent = none (tests of the HTTP layer alone). */
  readonly auth?: AuthService;
}

const DEFAULT_PEER_STATUS_TIMEOUT_MS = 1000;

export function createApp(member: MemberApi, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { logger, metrics } = options;

  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('routeMatched', true);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.get('routeMatched') ? routePath(c, -1) : 'unmatched';
    const status = c.res.status;
    metrics.observeHttpRequest(route, c.req.method, status, seconds);
    const line = {
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      ms: Math.round(seconds * 1e4) / 10,
    };
    // A 503 from /health is an answer (not ready yet), which load balancers poll for: no warning.
    if (status >= 500 && route !== '/health') logger.warn(line, 'request failed');
    else logger.debug(line, 'request');
  });

  // The members' own origins are always allowed: a dashboard page fails over to the other members.
  const configuredOrigins = options.cors?.origins ?? [];
  const allowsOrigin = allowedOrigins(() => member.members(), configuredOrigins);
  app.use(
    '*',
    corsHeaders({
      allowOrigin: configuredOrigins.includes('*')
        ? () => '*'
        : (origin) => (origin !== '' && allowsOrigin(origin) ? origin : null),
      anyOrigin: configuredOrigins.includes('*'),
      allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Authorization', 'Idempotency-Key'],
      exposeHeaders: [REVISION_HEADER, MEMBER_HEADER, 'Retry-After'],
      maxAgeSeconds: 600,
    }),
  );

  // Every /v1 route reaches the member through the api this sets: checked for the request's principal.
  const auth = options.auth;
  app.use('/v1/*', async (c, next) => {
    if (auth === undefined) {
      c.set('principal', null);
      c.set('api', member);
      return next();
    }
    const token = bearerToken(c.req.header('Authorization'));
    const principal = isVaneError(token) ? token : await auth.authenticate(token);
    if (isVaneError(principal)) return errorResponse(c, principal, member.header());
    c.set('principal', principal);
    c.set('api', auth.authorize(principal));
    return next();
  });

  app.get('/health', (c) => {
    const health = member.health();
    return health.ok
      ? c.json({ ok: true }, 200)
      : c.json({ ok: false, reason: health.reason ?? 'unhealthy' }, 503);
  });

  app.get('/metrics', async (c) => {
    const rendered = await metrics.render();
    return c.body(rendered.body, 200, { 'Content-Type': rendered.contentType });
  });

  // Generating the document takes a while; it never changes while the process runs.
  let openApi: object | undefined;
  app.get('/v1/openapi.json', (c) => {
    openApi ??= openApiDocument();
    return c.json(openApi);
  });

  // The runtime's adapter takes WebSocket upgrades for this path before the app sees them.
  app.get(WATCH_PATH, (c) =>
    errorResponse(
      c,
      vaneError('invalidRequest', `${WATCH_PATH} is a WebSocket endpoint; connect with a WebSocket client`),
      member.header(),
    ),
  );

  registerDashboard(app);
  registerKvRoutes(app, member, options.limits);
  registerLeaseRoutes(app, member, options.limits);
  if (auth !== undefined) registerAuthRoutes(app, member, auth, options.limits);
  registerClusterRoutes(app, member, {
    limits: options.limits,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    peerStatusTimeoutMs: options.peerStatusTimeoutMs ?? DEFAULT_PEER_STATUS_TIMEOUT_MS,
  });

  app.notFound((c) => {
    c.set('routeMatched', false);
    return routeNotFoundResponse(c);
  });

  app.onError((error, c) => {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request handler threw');
    return internalErrorResponse(c);
  });

  return app;
}
