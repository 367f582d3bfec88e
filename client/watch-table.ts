// The watches of one connection. Each remembers the next revision it has to deliver, so that on every
// new socket (to the same or another member) it is created again from there: nothing is missed and
// nothing is delivered twice. A response may merge several revisions; the table splits it into one
// batch per revision, and drops what is below the next revision (never going back).
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { Clock } from './clock.ts';
import { isCredentialsRefusal, isRetryable, VaneClientError } from './errors.ts';
import type { WatchListener, WatchSpec, WatchSubscription } from './transport.ts';
import type { WatchEvent } from './types.ts';
import { type ErrorJson, PROTOCOL_VERSION, type ServerMessage } from './wire.ts';

type WatchResponseMessage = Extract<ServerMessage, { type: 'watchResponse' }>;

export interface WatchTableOptions {
  readonly clock: Clock;
  readonly random: () => number;
  /** Watches open at once (the server refuses more than its maxWatchesPerConnection). */
  readonly maxWatches: number;
  /** Delays between attempts to create a watch the member refused for now. */
  readonly retryBackoff: BackoffPolicy;
}

interface ActiveWatch {
  readonly spec: WatchSpec;
  readonly listener: WatchListener;
  /** The next revision to deliver; 0 until a from-now watch learns its start from the server. */
  nextRevision: number;
  /** Its id on the current socket, once its create was sent there. */
  wireId: number | undefined;
  retries: number;
  cancelRetry: (() => void) | undefined;
}

export class WatchTable {
  readonly #options: WatchTableOptions;
  readonly #watches = new Set<ActiveWatch>();
  readonly #byWireId = new Map<number, ActiveWatch>();
  #send: ((message: object) => void) | undefined;
  #nextWireId = 0;

  constructor(options: WatchTableOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#watches.size;
  }

  add(spec: WatchSpec, listener: WatchListener): WatchSubscription {
    const limit = this.#options.maxWatches;
    if (this.#watches.size >= limit) {
      throw new VaneClientError(
        'invalidRequest',
        `this client already has ${limit} watches open (maxWatches); close some first`,
        { limit: 'maxWatches', maximum: limit },
      );
    }
    const watch: ActiveWatch = {
      spec,
      listener,
      nextRevision: spec.startRevision ?? 0,
      wireId: undefined,
      retries: 0,
      cancelRetry: undefined,
    };
    this.#watches.add(watch);
    this.#create(watch);
    return { close: () => this.#close(watch) };
  }

  /** A socket opened: every watch is created on it from its next revision. */
  attach(send: (message: object) => void): void {
    this.#send = send;
    for (const watch of this.#watches) this.#create(watch);
  }

  /** The socket is gone; ids on it mean nothing any more. */
  detach(): void {
    this.#send = undefined;
    this.#byWireId.clear();
    for (const watch of this.#watches) {
      watch.wireId = undefined;
      watch.cancelRetry?.();
      watch.cancelRetry = undefined;
    }
  }

  /** The watches whose create went out on the current socket (a progress answer covers them). */
  created(): ReadonlySet<unknown> {
    return new Set(this.#byWireId.values());
  }

  response(message: WatchResponseMessage): void {
    const watch = this.#byWireId.get(message.watchId);
    if (watch === undefined) return;
    if (message.created === true) {
      // A from-now watch starts after the revision the member had when it created it.
      if (watch.nextRevision === 0) watch.nextRevision = message.header.revision + 1;
      watch.retries = 0;
      return;
    }
    if (message.canceled === true) {
      this.#forget(watch);
      if (message.compactRevision !== undefined) watch.listener.onCompacted(message.compactRevision);
      else watch.listener.onError(cancellationError(message.cancelReason));
      return;
    }
    this.#deliver(watch, message.events);
    if (!this.#watches.has(watch)) return;
    // Every matching event up to the response's revision has now been delivered.
    this.#advance(watch, message.header.revision);
  }

  /** An error about one watch: created again later if the member may accept it then, else ended. */
  error(wireId: number, error: ErrorJson): void {
    const watch = this.#byWireId.get(wireId);
    if (watch === undefined) return;
    this.#byWireId.delete(wireId);
    watch.wireId = undefined;
    if (!isRetryable(error.code)) {
      this.#forget(watch);
      watch.listener.onError(new VaneClientError(error.code, error.message, error.details));
      return;
    }
    const delay = backoffDelay(this.#options.retryBackoff, watch.retries++, this.#options.random);
    watch.cancelRetry = this.#options.clock.after(delay, () => {
      watch.cancelRetry = undefined;
      this.#create(watch);
    });
  }

  /** A progress request sent when `covered` were the created watches was answered at `revision`. */
  progress(covered: ReadonlySet<unknown>, revision: number): void {
    for (const watch of this.#watches) {
      if (!covered.has(watch) || watch.wireId === undefined) continue;
      this.#advance(watch, revision);
      watch.listener.onProgress?.(revision);
    }
  }

  /** Ends every watch, telling its listener why (the connection cannot go on). */
  failAll(error: VaneClientError): void {
    const watches = [...this.#watches];
    this.clear();
    for (const watch of watches) watch.listener.onError(error);
  }

  /** Ends every watch without telling its listener (the client is closing). */
  clear(): void {
    this.detach();
    this.#watches.clear();
  }

  #create(watch: ActiveWatch): void {
    const send = this.#send;
    if (send === undefined || watch.wireId !== undefined || watch.cancelRetry !== undefined) return;
    const wireId = this.#nextWireId++;
    watch.wireId = wireId;
    this.#byWireId.set(wireId, watch);
    const { key, prefix, rangeEnd, prevKv } = watch.spec;
    send({
      v: PROTOCOL_VERSION,
      type: 'watchCreate',
      watchId: wireId,
      key,
      ...(prefix === true ? { prefix } : {}),
      ...(rangeEnd === undefined ? {} : { rangeEnd }),
      ...(watch.nextRevision > 0 ? { startRevision: watch.nextRevision } : {}),
      ...(prevKv === true ? { prevKv } : {}),
    });
  }

  #close(watch: ActiveWatch): void {
    if (!this.#watches.has(watch)) return;
    const wireId = watch.wireId;
    this.#forget(watch);
    if (wireId !== undefined) this.#send?.({ v: PROTOCOL_VERSION, type: 'watchCancel', watchId: wireId });
  }

  #forget(watch: ActiveWatch): void {
    this.#watches.delete(watch);
    if (watch.wireId !== undefined) this.#byWireId.delete(watch.wireId);
    watch.wireId = undefined;
    watch.cancelRetry?.();
    watch.cancelRetry = undefined;
  }

  /** One batch per revision, in order, from the next revision on. */
  #deliver(watch: ActiveWatch, events: readonly WatchEvent[]): void {
    let start = 0;
    let previous = 0;
    while (start < events.length) {
      const revision = events[start]!.kv.modRevision;
      if (revision <= previous) throw new Error('WatchTable: a response carries revisions out of order');
      previous = revision;
      let end = start + 1;
      while (end < events.length && events[end]!.kv.modRevision === revision) end++;
      if (revision >= watch.nextRevision) {
        watch.nextRevision = revision + 1;
        watch.listener.onEvents({ revision, events: events.slice(start, end) });
        // The listener may have closed the watch.
        if (!this.#watches.has(watch)) return;
      }
      start = end;
    }
  }

  #advance(watch: ActiveWatch, revision: number): void {
    if (watch.nextRevision !== 0 && revision + 1 > watch.nextRevision) watch.nextRevision = revision + 1;
  }
}

/**
 * Why the server ended a watch. A watch its credentials no longer allow (a token expired or revoked,
 * a role changed) is cancelled with a reason starting with the code, "permissionDenied: ..."
 * (server/auth/guarded-watches.ts); any other cancellation is reported as 'unavailable'.
 */
function cancellationError(reason: string | undefined): VaneClientError {
  const coded = /^(\w+):\s*([\s\S]*)$/.exec(reason ?? '');
  const code = coded?.[1];
  if (code !== undefined && isCredentialsRefusal(code)) {
    return new VaneClientError(code, `the server ended the watch: ${coded?.[2] ?? ''}`);
  }
  return new VaneClientError('unavailable', `the watch was canceled: ${reason ?? 'no reason given'}`);
}
