// The edge's configuration, from the Worker's environment (wrangler.toml [vars], and secrets set
// with `wrangler secret put`). Checked once per isolate; a bad value stops every request with a
// message naming the variable, rather than serving with a guess.
import { DEFAULT_EDGE_LIMITS, type EdgeLimits } from './limits.ts';
import type { DurableObjectNamespaceLike } from './workers-runtime.ts';

/** The Worker's bindings, as wrangler.toml declares them. */
export interface EdgeEnv {
  /** The Durable Object namespace of prefix objects. */
  readonly PREFIX_OBJECTS: DurableObjectNamespaceLike;
  /** Client URLs of cluster members, comma-separated ('https://vane-1.example.com,https://vane-2.example.com'). */
  readonly VANE_CLUSTER_ENDPOINTS?: string;
  /** The token the edge presents to the cluster (a secret: `wrangler secret put VANE_EDGE_TOKEN`). */
  readonly VANE_EDGE_TOKEN?: string;
  /** Prefixes served, comma-separated ('flags/,config/'); absent: each key's first path segment. */
  readonly VANE_EDGE_PREFIXES?: string;
  /** The Access-Control-Allow-Origin of every answer ('*' when absent). */
  readonly VANE_EDGE_ALLOW_ORIGIN?: string;
  /** Overrides of limits.ts, as a TOML table or a JSON object: { historyChangeSets = 500 }. */
  readonly VANE_EDGE_LIMITS?: string | Readonly<Record<string, unknown>>;
}

export interface EdgeConfig {
  readonly clusterEndpoints: readonly string[];
  readonly edgeToken: string | undefined;
  readonly prefixes: readonly string[];
  readonly allowOrigin: string;
  readonly limits: EdgeLimits;
}

export function readEdgeConfig(env: EdgeEnv): EdgeConfig {
  const clusterEndpoints = splitList(env.VANE_CLUSTER_ENDPOINTS);
  if (clusterEndpoints.length === 0) {
    throw new Error(
      'VANE_CLUSTER_ENDPOINTS is not set: list the client URLs of the cluster members in wrangler.toml [vars]',
    );
  }
  for (const endpoint of clusterEndpoints) {
    if (!/^https?:\/\/[^/]+/.test(endpoint)) {
      throw new Error(`VANE_CLUSTER_ENDPOINTS: '${endpoint}' is not an http(s) URL`);
    }
  }
  return {
    clusterEndpoints,
    edgeToken: env.VANE_EDGE_TOKEN === '' ? undefined : env.VANE_EDGE_TOKEN,
    prefixes: splitList(env.VANE_EDGE_PREFIXES),
    allowOrigin: env.VANE_EDGE_ALLOW_ORIGIN ?? '*',
    limits: readLimits(env.VANE_EDGE_LIMITS),
  };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function readLimits(value: EdgeEnv['VANE_EDGE_LIMITS']): EdgeLimits {
  if (value === undefined || value === '') return DEFAULT_EDGE_LIMITS;
  let overrides: unknown = value;
  if (typeof value === 'string') {
    try {
      overrides = JSON.parse(value);
    } catch {
      throw new Error(`VANE_EDGE_LIMITS is not a JSON object: ${value}`);
    }
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new Error('VANE_EDGE_LIMITS must be an object of limits, e.g. { historyChangeSets = 500 }');
  }
  const limits: Record<string, number> = { ...DEFAULT_EDGE_LIMITS };
  for (const [name, limit] of Object.entries(overrides)) {
    if (!(name in DEFAULT_EDGE_LIMITS)) {
      throw new Error(
        `VANE_EDGE_LIMITS.${name} is not a limit; the limits are ${Object.keys(DEFAULT_EDGE_LIMITS).join(', ')}`,
      );
    }
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
      throw new Error(`VANE_EDGE_LIMITS.${name} must be a positive integer, not ${JSON.stringify(limit)}`);
    }
    limits[name] = limit;
  }
  return limits as unknown as EdgeLimits;
}
