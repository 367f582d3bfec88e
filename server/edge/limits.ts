// Every queue, wait and record the edge keeps has a limit; hitting one is an explicit path whose
// error names it. Deployments may lower or raise them through wrangler vars (see config.ts).

export interface EdgeLimits {
  /** Change sets (one per revision) each object keeps so that browsers can resume from a revision. */
  readonly historyChangeSets: number;
  /** Bytes (JSON) of those change sets; the oldest go first when either bound is passed. */
  readonly historyBytes: number;
  /** Longest a read or watch carrying minRevision waits for the object to reach it. */
  readonly fenceWaitMs: number;
  /** Reads and watches waiting for minRevision at once, per object. */
  readonly fenceWaiters: number;
  /** Characters in one stored value; records are split across values this long (storage caps a value). */
  readonly storageChunkChars: number;
  /** Watches one browser connection may hold. */
  readonly watchesPerConnection: number;
  /** Bytes of one browser message (watch socket) or request body (POST /v1/kv/range). */
  readonly browserMessageBytes: number;
  /**
   * JSON bytes of one connection's watch registrations. They ride in the socket's hibernation
   * attachment, which the runtime caps at 2 KiB.
   */
  readonly connectionWatchBytes: number;
  /** How often the object's alarm checks the upstream connection and the idle timer. */
  readonly upstreamCheckMs: number;
  /** An object with no browser connection and no read for this long lets its upstream go. */
  readonly idleUpstreamMs: number;
  /**
   * After this long without the cluster confirming the upstream connection is caught up, answers
   * are marked stale. The SDK confirms it every staleAfterMs / 2, which is also how an object learns
   * the cluster's revision when its prefix does not change (minRevision waits on that).
   */
  readonly staleAfterMs: number;
  /** How long the cluster's token verification keys (and whether auth is on) are used before refetched. */
  readonly authKeysCacheMs: number;
  /** Shortest time between two fetches of the keys prompted by a token signed with an unknown key. */
  readonly authKeysRefetchMs: number;
  /** Longest one fetch of the keys from one member may take before the next member is tried. */
  readonly authKeysFetchMs: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = {
  historyChangeSets: 1000,
  historyBytes: 4 * 1024 * 1024,
  fenceWaitMs: 3000,
  fenceWaiters: 1000,
  storageChunkChars: 48 * 1024,
  watchesPerConnection: 16,
  browserMessageBytes: 16 * 1024,
  connectionWatchBytes: 1800,
  upstreamCheckMs: 30_000,
  idleUpstreamMs: 10 * 60_000,
  staleAfterMs: 2000,
  authKeysCacheMs: 60_000,
  authKeysRefetchMs: 10_000,
  authKeysFetchMs: 3000,
};
