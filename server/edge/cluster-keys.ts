// The cluster's token verification keys as the edge knows them: fetched from a member's public
// GET /v1/auth/keys, used for authKeysCacheMs, and fetched again early when a token names a key the
// edge has not seen (a member that joined, or a new key), at most once per authKeysRefetchMs so that
// tokens with made-up kids cannot make the edge hammer the cluster.
import { importJWK } from 'jose';
import * as z from 'zod';
import { type VaneError, vaneError } from '../../core/errors.ts';
import type { EdgeLimits } from './limits.ts';

export const AUTH_KEYS_PATH = '/v1/auth/keys';
/** More keys than this in one answer is not a cluster's (one per member that ever issued a token). */
export const MAX_AUTH_KEYS = 64;
/** Characters of a keys answer accepted at most (64 keys take about 10 KiB). */
const MAX_AUTH_KEYS_ANSWER_CHARS = 64 * 1024;

// The edge decodes what it receives here rather than trusting it (server/auth/wire.ts authKeysSchema).
const keysAnswerSchema = z.object({
  enabled: z.boolean(),
  issuer: z.string(),
  audience: z.string(),
  keys: z
    .array(
      z.object({
        kid: z.string().min(1),
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not an Ed25519 public key (32 bytes in base64url)'),
      }),
    )
    .max(MAX_AUTH_KEYS),
});

/** What the cluster said, when the edge asked. */
export interface ClusterKeysView {
  readonly enabled: boolean;
  readonly issuer: string;
  readonly audience: string;
  readonly keys: ReadonlyMap<string, CryptoKey>;
  readonly fetchedAt: number;
}

export interface ClusterKeysOptions {
  readonly endpoints: readonly string[];
  readonly limits: Pick<EdgeLimits, 'authKeysCacheMs' | 'authKeysRefetchMs' | 'authKeysFetchMs'>;
  /**
   * Whether the edge has a token for the cluster (VANE_EDGE_TOKEN). Without one it serves a cluster
   * without auth (its upstream could not read one with auth), so when it has never reached the
   * cluster it admits browsers as before auth existed, and keeps serving stored state while the
   * cluster is down; with one it refuses them (fails closed) until it has the keys.
   */
  readonly edgeHasToken: boolean;
  readonly fetch?: (request: Request) => Promise<Response>;
  readonly now?: () => number;
}

const UNREACHED_CLUSTER_WITHOUT_AUTH: ClusterKeysView = {
  enabled: false,
  issuer: '',
  audience: '',
  keys: new Map(),
  fetchedAt: Number.NEGATIVE_INFINITY,
};

export class ClusterKeys {
  readonly #options: ClusterKeysOptions;
  readonly #fetch: (request: Request) => Promise<Response>;
  readonly #now: () => number;
  #view: ClusterKeysView | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<ClusterKeysView | VaneError> | undefined;

  constructor(options: ClusterKeysOptions) {
    if (options.endpoints.length === 0) throw new Error('ClusterKeys needs at least one cluster endpoint');
    this.#options = options;
    this.#fetch = options.fetch ?? ((request) => fetch(request));
    this.#now = options.now ?? Date.now;
  }

  /** The keys, fetched when none are known or those known are older than authKeysCacheMs. */
  current(): Promise<ClusterKeysView | VaneError> {
    const view = this.#view;
    const now = this.#now();
    if (view !== undefined && now - view.fetchedAt < this.#options.limits.authKeysCacheMs) {
      return Promise.resolve(view);
    }
    // After a failed fetch the cluster is asked again authKeysRefetchMs later, not on every read
    // (each of which would otherwise wait for every member to fail).
    if (this.#inFlight === undefined && now - this.#lastAttemptAt < this.#options.limits.authKeysRefetchMs) {
      return Promise.resolve(this.#withoutFreshKeys());
    }
    return this.#refresh();
  }

  /** The keys after a token named `kid`, which `view` lacks: fetched again unless that was done lately. */
  afterUnknownKid(view: ClusterKeysView): Promise<ClusterKeysView | VaneError> {
    // A fetch in flight may bring the kid (tokens from a new member's key tend to arrive together).
    if (this.#inFlight !== undefined) return this.#inFlight;
    if (this.#now() - this.#lastAttemptAt < this.#options.limits.authKeysRefetchMs) {
      return Promise.resolve(this.#view ?? view);
    }
    return this.#refresh();
  }

  /** One fetch at a time; a failed fetch keeps the last view (the keys rarely change) if there is one. */
  #refresh(): Promise<ClusterKeysView | VaneError> {
    this.#inFlight ??= this.#fetchView().then(
      (fetched) => {
        this.#inFlight = undefined;
        if (typeof fetched === 'string') {
          console.error(`edge: cannot fetch the cluster's token keys: ${fetched}`);
          return this.#withoutFreshKeys();
        }
        this.#view = fetched;
        return fetched;
      },
      (error: unknown) => {
        this.#inFlight = undefined;
        throw error;
      },
    );
    return this.#inFlight;
  }

  /** What the edge goes by when it cannot fetch: the last keys, else as edgeHasToken's comment says. */
  #withoutFreshKeys(): ClusterKeysView | VaneError {
    if (this.#view !== undefined) return this.#view;
    if (!this.#options.edgeHasToken) return UNREACHED_CLUSTER_WITHOUT_AUTH;
    return vaneError(
      'unavailable',
      'the edge cannot reach the cluster to learn its token keys; retry in a moment',
    );
  }

  /** The view from the first member that answers, or why none did. */
  async #fetchView(): Promise<ClusterKeysView | string> {
    this.#lastAttemptAt = this.#now();
    const failures: string[] = [];
    for (const endpoint of this.#options.endpoints) {
      const url = `${endpoint.replace(/\/+$/, '')}${AUTH_KEYS_PATH}`;
      try {
        const response = await this.#fetch(
          new Request(url, { signal: AbortSignal.timeout(this.#options.limits.authKeysFetchMs) }),
        );
        const text = await response.text();
        if (!response.ok) {
          failures.push(`${url}: HTTP ${response.status}`);
          continue;
        }
        if (text.length > MAX_AUTH_KEYS_ANSWER_CHARS) {
          failures.push(`${url}: the answer exceeds ${MAX_AUTH_KEYS_ANSWER_CHARS} characters`);
          continue;
        }
        const parsed = keysAnswerSchema.safeParse(JSON.parse(text));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
          failures.push(`${url}: not a keys answer (${where}${issue?.message ?? 'invalid'})`);
          continue;
        }
        const keys = new Map<string, CryptoKey>();
        for (const { kid, kty, crv, x } of parsed.data.keys) {
          keys.set(kid, (await importJWK({ kty, crv, x }, 'EdDSA')) as CryptoKey);
        }
        const { enabled, issuer, audience } = parsed.data;
        return { enabled, issuer, audience, keys, fetchedAt: this.#now() };
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures.join('; ');
  }
}
