// CORS headers for the client API. Hono's own cors middleware sets its headers on c.res before the
// route runs, so the route's response has to be copied to merge them (under @hono/node-server, into
// a web-stream body, several times the cost of the request itself); this one adds them to the
// route's response after it is made.
import type { MiddlewareHandler } from 'hono';

export interface CorsPolicy {
  /** The Access-Control-Allow-Origin value for a request's Origin ('' when none), or null: not allowed. */
  readonly allowOrigin: (origin: string) => string | null;
  /** True when any origin is allowed ('*'): the answer then does not vary by Origin. */
  readonly anyOrigin: boolean;
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  /** How long a browser may cache a preflight's answer. */
  readonly maxAgeSeconds: number;
}

export function corsHeaders(policy: CorsPolicy): MiddlewareHandler {
  const methods = policy.allowMethods.join(',');
  const allowHeaders = policy.allowHeaders.join(',');
  const exposeHeaders = policy.exposeHeaders.join(',');
  const maxAge = String(policy.maxAgeSeconds);
  return async (c, next) => {
    const allowed = policy.allowOrigin(c.req.header('Origin') ?? '');
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = {
        'Access-Control-Expose-Headers': exposeHeaders,
        'Access-Control-Max-Age': maxAge,
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Allow-Headers': allowHeaders,
        Vary: policy.anyOrigin ? 'Access-Control-Request-Headers' : 'Origin, Access-Control-Request-Headers',
      };
      if (allowed !== null) headers['Access-Control-Allow-Origin'] = allowed;
      return c.body(null, 204, headers);
    }
    await next();
    // Every response the routes make is built by the app (c.json, c.body), so its headers are mutable.
    const headers = c.res.headers;
    if (allowed !== null) headers.set('Access-Control-Allow-Origin', allowed);
    headers.set('Access-Control-Expose-Headers', exposeHeaders);
    if (!policy.anyOrigin) headers.append('Vary', 'Origin');
  };
}
