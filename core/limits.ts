// Every input has a limit (TigerBeetle style); hitting one is an explicit, tested path whose error
// names the limit. The defaults follow etcd's where etcd has one.

export interface Limits {
  /** Bytes in one client request (etcd --max-request-bytes). */
  readonly maxRequestBytes: number;
  /** Bytes in one key (UTF-8). */
  readonly maxKeyBytes: number;
  /** Bytes in one value. */
  readonly maxValueBytes: number;
  /** Operations in one txn, counting compares and nested ops (etcd --max-txn-ops). */
  readonly maxTxnOps: number;
  /** Nesting depth of txns within txns. */
  readonly maxTxnDepth: number;
  /** Bytes in one peer frame (a batch of Raft messages, or a snapshot chunk). */
  readonly maxPeerFrameBytes: number;
  /** Largest lease TTL in seconds. */
  readonly maxLeaseTtlSeconds: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxKeyBytes: 8 * 1024,
  maxValueBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  maxTxnDepth: 8,
  maxPeerFrameBytes: 8 * 1024 * 1024,
  maxLeaseTtlSeconds: 9_000_000_000 / 1000,
};

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(2)} KiB`;
  return `${bytes} bytes`;
}
