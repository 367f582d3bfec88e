// What a prefix object hears from the cluster, whatever carries it (the SDK, in sdk-upstream.ts).
import type { KeyValue, WatchEvent } from '../../core/store/index.ts';

export interface UpstreamListener {
  /** Every key of the prefix at `revision`: the first state, or a fresh one after the cluster compacted past ours. */
  listed(revision: number, kvs: readonly KeyValue[]): void;
  /** Events of one or more revisions, in revision order; the stream has delivered every change up to `revision`. */
  changed(revision: number, events: readonly WatchEvent[]): void;
  /** Nothing changed in the prefix up to `revision`. */
  progressed(revision: number): void;
  /**
   * The connection to the cluster is up (changes arrive as they happen) or down; when down with the
   * connection still open (a member that says it is cut off), `lagMs` is how long its state has gone
   * unconfirmed, so that the object's own age counts from then, not from when it heard.
   */
  connection(live: boolean, lagMs?: number): void;
}

/** One live feed of a prefix from the cluster, over one connection. */
export interface Upstream {
  close(): void;
}

/**
 * Starts a feed of `prefix`: from `fromRevision` (a stored state's revision; it resumes after it), or
 * from a fresh list when null.
 */
export type UpstreamFactory = (
  prefix: string,
  fromRevision: number | null,
  listener: UpstreamListener,
) => Upstream;
