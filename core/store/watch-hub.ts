// Watches, as etcd's watchable store: a watcher is either synced (it has seen every revision so far and
// gets new events pushed into its bounded queue) or unsynced (it is behind and reads history when its
// consumer takes). Consumption is pull-based so the server can apply back-pressure: the hub never
// grows a queue past maxWatcherBufferEvents; a watcher that would overflow drops to unsynced and later
// catches up from the revision log, or is cancelled with the compact revision if that history is gone.
// A slow watcher therefore costs the others nothing once it is unsynced.
//
// Watchers on the same keys share a group, so a change is matched once per group and the event list
// for one revision is built once per group and delivery variant (prevKv, filters), then shared, as is
// a list merged from several queued revisions. The lists handed out are never changed afterwards: the
// server caches their encoding by identity.
// Single-key and prefix groups are found by lookup (a key's prefix groups from its own prefixes, as
// prefix ranges nest or are disjoint); other ranges are tested one by one.

import { type VaneError, vaneError } from '../errors.ts';
import type { StoreConfig } from './config.ts';
import { inRange, prefixEnd, type SortKeyRange, selectorRange, sortKey } from './keys.ts';
import type { RevisionChanges } from './mvcc.ts';
import type { KeyValue, WatchEvent, WatchRequest, WatchResponse } from './types.ts';
import { checkWatchRequest } from './validate.ts';

/** What the hub reads from the store: the retained history. */
export interface WatchSource {
  readonly revision: number;
  readonly compactRevision: number;
  changeCount(revision: number): number;
  change(revision: number, i: number): KeyValue;
  /** The live version of kv's key just before kv was written. */
  previousVersion(kv: KeyValue): KeyValue | undefined;
}

interface EventBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
  /**
   * The last merge that started at this batch: watchers of one group and variant that fell behind
   * together hold the same run of shared batches, so they share the merged list too (and the server
   * encodes it once).
   */
  merged?: { readonly through: EventBatch; readonly events: readonly WatchEvent[] };
}

/** Up to this many prefix groups, a change is tested against each; beyond, its own prefixes are looked up. */
const PREFIX_SCAN_LIMIT = 8;

const PREV_KV = 1;
const NO_PUT = 2;
const NO_DELETE = 4;
const VARIANTS = 8;

type WatcherState = 'synced' | 'unsynced' | 'canceled' | 'closed';

type GroupKind = 'single' | 'prefix' | 'range';

class WatchGroup {
  readonly id: string;
  readonly kind: GroupKind;
  readonly range: SortKeyRange;
  /** Synced watchers (the ones events are pushed to). */
  readonly watchers = new Set<Watcher>();
  /** Open watchers of this group, synced or not. */
  members = 0;
  /** Position in the hub's rangeGroups (range groups only). */
  position = -1;
  /** Indexes of the changes of the revision being notified that fall in this group. */
  matched: number[] = [];
  batches: (EventBatch | null | undefined)[] = new Array(VARIANTS);

  constructor(id: string, kind: GroupKind, range: SortKeyRange) {
    this.id = id;
    this.kind = kind;
    this.range = range;
  }
}

/**
 * One watch. The consumer takes responses with take(); onReady fires (synchronously, from within
 * apply or progress/tick) when the watcher has something again after a take() left it with nothing.
 * After take(), `ready` says whether more is waiting. The mutable fields are the hub's bookkeeping.
 */
export class Watcher {
  readonly id: number;
  private readonly hub: WatchHub;
  readonly group: WatchGroup;
  readonly variant: number;
  readonly progressNotify: boolean;
  readonly onReady: (() => void) | undefined;

  state: WatcherState;
  /** Synced: events below it are skipped (a future start). Unsynced: the next revision to read from history. */
  nextRevision: number;
  queue: EventBatch[] = [];
  queueHead = 0;
  queuedEvents = 0;
  createdRevision: number | undefined;
  progressPending = false;
  /** A response was taken since the last progress interval. */
  active = false;
  /** onReady has fired and the consumer has not drained the watcher since. */
  signaled = true;
  cancelResponse: WatchResponse | undefined;

  constructor(
    id: number,
    hub: WatchHub,
    group: WatchGroup,
    variant: number,
    request: WatchRequest,
    onReady: (() => void) | undefined,
  ) {
    this.id = id;
    this.hub = hub;
    this.group = group;
    this.variant = variant;
    this.progressNotify = request.progressNotify === true;
    this.onReady = onReady;
    this.state = 'synced';
    this.nextRevision = 0;
  }

  /** Up to maxResponses responses, oldest first: created, events, progress, then a cancellation. */
  take(maxResponses = Number.POSITIVE_INFINITY): WatchResponse[] {
    return this.hub.take(this, maxResponses);
  }

  /** Whether take() has something to return (a long scan of non-matching history may need several takes). */
  get ready(): boolean {
    if (this.state === 'closed') return false;
    return (
      this.createdRevision !== undefined ||
      this.queueHead < this.queue.length ||
      this.state === 'unsynced' ||
      this.state === 'canceled' ||
      this.progressPending
    );
  }

  /** Stops the watch at the client's request; it delivers nothing more. */
  cancel(): void {
    this.hub.close(this);
  }

  signal(): void {
    if (this.signaled) return;
    this.signaled = true;
    this.onReady?.();
  }
}

export class WatchHub {
  private source: WatchSource;
  private readonly config: StoreConfig;
  private readonly watchers = new Map<number, Watcher>();
  private readonly singleGroups = new Map<string, WatchGroup>();
  /** Prefix groups by prefix (sort key): a key's groups are found from its own prefixes. */
  private readonly prefixGroups = new Map<string, WatchGroup>();
  private readonly rangeGroupsById = new Map<string, WatchGroup>();
  private readonly rangeGroups: WatchGroup[] = [];
  private readonly progressWatchers = new Set<Watcher>();
  private nextId = 1;
  private lastProgressAt: number | undefined;
  private notifying = false;

  constructor(source: WatchSource, config: StoreConfig) {
    this.source = source;
    this.config = config;
  }

  get size(): number {
    return this.watchers.size;
  }

  get(watchId: number): Watcher | undefined {
    return this.watchers.get(watchId);
  }

  /**
   * Starts a watch. Its first response says created; from a compacted startRevision the next one is a
   * cancellation carrying the compact revision.
   */
  watch(request: WatchRequest, onReady?: () => void): Watcher | VaneError {
    const invalid = checkWatchRequest(request, this.config.limits);
    if (invalid !== undefined) return invalid;
    if (this.watchers.size >= this.config.maxWatchers) {
      return vaneError(
        'unavailable',
        `this member serves the maximum of ${this.config.maxWatchers} watchers; retry later or on another member`,
        { limit: this.config.maxWatchers },
      );
    }
    const range = selectorRange(request.key, request.rangeEnd);
    const kind: GroupKind = range.single
      ? 'single'
      : request.rangeEnd === prefixEnd(request.key)
        ? 'prefix'
        : 'range';
    let variant = request.prevKv === true ? PREV_KV : 0;
    for (const filter of request.filters ?? []) variant |= filter === 'noPut' ? NO_PUT : NO_DELETE;
    const group = this.groupFor(kind, range);
    group.members++;
    const watcher = new Watcher(this.nextId++, this, group, variant, request, onReady);
    const current = this.source.revision;
    watcher.createdRevision = current;
    const start = request.startRevision ?? 0;
    if (start === 0 || start > current) {
      watcher.nextRevision = start === 0 ? current + 1 : start;
      group.watchers.add(watcher);
    } else {
      watcher.state = 'unsynced';
      watcher.nextRevision = start;
    }
    this.watchers.set(watcher.id, watcher);
    if (watcher.progressNotify) this.progressWatchers.add(watcher);
    return watcher;
  }

  /** Asks for a progress notification from one watcher, or all: delivered once it has caught up. */
  progress(watchId?: number): void {
    if (watchId !== undefined) {
      const watcher = this.watchers.get(watchId);
      if (watcher !== undefined) this.requestProgress(watcher);
      return;
    }
    for (const watcher of this.watchers.values()) this.requestProgress(watcher);
  }

  /**
   * Interval progress notifications, with the time injected: watchers that asked for them and took no
   * response during the last interval get one.
   */
  tick(now: number): void {
    if (this.lastProgressAt === undefined) {
      this.lastProgressAt = now;
      return;
    }
    if (now - this.lastProgressAt < this.config.progressNotifyIntervalMs) return;
    this.lastProgressAt = now;
    for (const watcher of this.progressWatchers) {
      if (!watcher.active) this.requestProgress(watcher);
      watcher.active = false;
    }
  }

  /** Delivers one revision's changes to synced watchers (called by the store after each write). */
  notify(written: RevisionChanges): void {
    if (this.watchers.size === 0) return;
    if (this.notifying) throw new Error('a watcher’s onReady applied a command: it may only schedule work');
    this.notifying = true;
    try {
      this.deliver(written);
    } finally {
      this.notifying = false;
    }
  }

  private deliver(written: RevisionChanges): void {
    const { changes, sortKeys } = written;
    const touched: WatchGroup[] = [];
    for (let i = 0; i < changes.length; i++) {
      const key = sortKeys[i]!;
      const single = this.singleGroups.get(key);
      if (single !== undefined) markMatch(single, i, touched);
      if (this.prefixGroups.size <= PREFIX_SCAN_LIMIT) {
        for (const group of this.prefixGroups.values())
          if (key.startsWith(group.id)) markMatch(group, i, touched);
      } else {
        for (let length = 1; length <= key.length; length++) {
          const group = this.prefixGroups.get(key.slice(0, length));
          if (group !== undefined) markMatch(group, i, touched);
        }
      }
      for (const group of this.rangeGroups) if (inRange(group.range, key)) markMatch(group, i, touched);
    }
    for (const group of touched) {
      for (const watcher of group.watchers) {
        if (written.revision < watcher.nextRevision) continue;
        const batch = this.batchFor(group, watcher.variant, written);
        if (batch !== null) this.push(watcher, batch);
      }
      group.matched = [];
      group.batches.fill(undefined);
    }
  }

  /** After the store's state was replaced by a snapshot: every synced watcher catches up from history. */
  resync(source: WatchSource, previousRevision: number): void {
    this.source = source;
    for (const watcher of this.watchers.values()) {
      if (watcher.state !== 'synced') continue;
      watcher.group.watchers.delete(watcher);
      watcher.state = 'unsynced';
      watcher.nextRevision = Math.max(watcher.nextRevision, previousRevision + 1);
      if (watcher.nextRevision > source.revision) this.makeSynced(watcher);
      else watcher.signal();
    }
  }

  take(watcher: Watcher, maxResponses: number): WatchResponse[] {
    const out: WatchResponse[] = [];
    if (watcher.state === 'closed') return out;
    if (watcher.createdRevision !== undefined && maxResponses > 0) {
      out.push({ watchId: watcher.id, revision: watcher.createdRevision, events: [], created: true });
      watcher.createdRevision = undefined;
    }
    while (out.length < maxResponses) {
      if (watcher.queueHead < watcher.queue.length) {
        out.push(this.nextEventResponse(watcher));
        watcher.active = true;
        continue;
      }
      if (watcher.state === 'unsynced') {
        if (!this.catchUp(watcher)) break;
        continue;
      }
      if (watcher.state === 'canceled') {
        out.push(watcher.cancelResponse!);
        this.close(watcher);
        break;
      }
      if (watcher.progressPending) {
        out.push({ watchId: watcher.id, revision: this.source.revision, events: [] });
        watcher.progressPending = false;
        continue;
      }
      break;
    }
    if (!watcher.ready) watcher.signaled = false;
    return out;
  }

  close(watcher: Watcher): void {
    if (watcher.state === 'closed') return;
    watcher.group.watchers.delete(watcher);
    this.releaseGroup(watcher.group);
    this.watchers.delete(watcher.id);
    this.progressWatchers.delete(watcher);
    watcher.state = 'closed';
    watcher.progressPending = false;
    watcher.queue = [];
    watcher.queueHead = 0;
    watcher.queuedEvents = 0;
  }

  private requestProgress(watcher: Watcher): void {
    if (watcher.state === 'closed' || watcher.state === 'canceled') return;
    watcher.progressPending = true;
    watcher.signal();
  }

  private push(watcher: Watcher, batch: EventBatch): void {
    const events = batch.events.length;
    if (watcher.queuedEvents > 0 && watcher.queuedEvents + events > this.config.maxWatcherBufferEvents) {
      // Full: stop pushing; the consumer will read this revision and later ones from history.
      watcher.group.watchers.delete(watcher);
      watcher.state = 'unsynced';
      watcher.nextRevision = batch.revision;
      return;
    }
    watcher.queue.push(batch);
    watcher.queuedEvents += events;
    watcher.signal();
  }

  /** Merges queued batches into one response of at most maxEventsPerWatchResponse events (or one batch). */
  private nextEventResponse(watcher: Watcher): WatchResponse {
    const queue = watcher.queue;
    const first = watcher.queueHead;
    const cap = this.config.maxEventsPerWatchResponse;
    let count = queue[first]!.events.length;
    let end = first + 1;
    while (end < queue.length && count + queue[end]!.events.length <= cap)
      count += queue[end++]!.events.length;
    const events = end === first + 1 ? queue[first]!.events : mergedEvents(queue, first, end);
    let revision = queue[end - 1]!.revision;
    watcher.queueHead = end;
    watcher.queuedEvents -= count;
    if (end === queue.length) {
      queue.length = 0;
      watcher.queueHead = 0;
      if (watcher.state === 'synced') revision = Math.max(revision, this.source.revision);
    } else if (end > 64 && end * 2 > queue.length) {
      watcher.queue = queue.slice(end);
      watcher.queueHead = 0;
    }
    return { watchId: watcher.id, revision, events };
  }

  /**
   * Reads history for an unsynced watcher into its queue (up to the buffer bound and the scan budget).
   * Returns false when the scan budget ran out without finding anything (take() stops; still ready).
   */
  private catchUp(watcher: Watcher): boolean {
    const source = this.source;
    const compactRevision = source.compactRevision;
    // Events at the compact revision itself are kept, but not their previous versions.
    if (
      watcher.nextRevision < compactRevision ||
      (watcher.variant & PREV_KV && watcher.nextRevision === compactRevision && compactRevision > 0)
    ) {
      this.cancelCompacted(watcher);
      return true;
    }
    const last = Math.min(source.revision, watcher.nextRevision + this.config.maxCatchUpRevisions - 1);
    const range = watcher.group.range;
    const variant = watcher.variant;
    let revision = watcher.nextRevision;
    for (; revision <= last; revision++) {
      if (watcher.queuedEvents >= this.config.maxWatcherBufferEvents) break;
      const events: WatchEvent[] = [];
      const n = source.changeCount(revision);
      for (let i = 0; i < n; i++) {
        const kv = source.change(revision, i);
        if (!inRange(range, sortKey(kv.key))) continue;
        const event = historyEvent(kv, variant, source);
        if (event !== undefined) events.push(event);
      }
      if (events.length > 0) {
        watcher.queue.push({ revision, events });
        watcher.queuedEvents += events.length;
      }
    }
    watcher.nextRevision = revision;
    if (revision > source.revision) this.makeSynced(watcher);
    return watcher.queueHead < watcher.queue.length || watcher.state === 'synced';
  }

  private makeSynced(watcher: Watcher): void {
    watcher.state = 'synced';
    watcher.group.watchers.add(watcher);
  }

  private cancelCompacted(watcher: Watcher): void {
    const compactRevision = this.source.compactRevision;
    watcher.state = 'canceled';
    watcher.cancelResponse = {
      watchId: watcher.id,
      revision: this.source.revision,
      events: [],
      canceled: true,
      compactRevision,
      cancelReason:
        (watcher.nextRevision < compactRevision
          ? `revision ${watcher.nextRevision} was compacted (history starts at ${compactRevision}); `
          : `the previous versions (prevKv) of revision ${compactRevision}'s events were compacted; `) +
        're-read the keys and watch again from the revision of that read',
    };
  }

  private batchFor(group: WatchGroup, variant: number, written: RevisionChanges): EventBatch | null {
    const cached = group.batches[variant];
    if (cached !== undefined) return cached;
    const events: WatchEvent[] = [];
    for (const i of group.matched) {
      const kv = written.changes[i]!;
      const isDelete = kv.version === 0;
      if (isDelete ? variant & NO_DELETE : variant & NO_PUT) continue;
      const prevKv = variant & PREV_KV ? written.prevs[i] : undefined;
      const type = isDelete ? 'delete' : 'put';
      events.push(prevKv === undefined ? { type, kv } : { type, kv, prevKv });
    }
    const batch = events.length === 0 ? null : { revision: written.revision, events };
    group.batches[variant] = batch;
    return batch;
  }

  private groupFor(kind: GroupKind, range: SortKeyRange): WatchGroup {
    if (kind === 'range') {
      const id = JSON.stringify([range.low, range.high ?? null]);
      let group = this.rangeGroupsById.get(id);
      if (group === undefined) {
        group = new WatchGroup(id, kind, range);
        group.position = this.rangeGroups.length;
        this.rangeGroups.push(group);
        this.rangeGroupsById.set(id, group);
      }
      return group;
    }
    const groups = kind === 'single' ? this.singleGroups : this.prefixGroups;
    let group = groups.get(range.low);
    if (group === undefined) {
      group = new WatchGroup(range.low, kind, range);
      groups.set(range.low, group);
    }
    return group;
  }

  /** Forgets a group once no open watcher refers to it. */
  private releaseGroup(group: WatchGroup): void {
    group.members--;
    if (group.members > 0) return;
    if (group.kind === 'single') {
      this.singleGroups.delete(group.id);
    } else if (group.kind === 'prefix') {
      this.prefixGroups.delete(group.id);
    } else {
      this.rangeGroupsById.delete(group.id);
      const last = this.rangeGroups.pop()!;
      if (last !== group) {
        this.rangeGroups[group.position] = last;
        last.position = group.position;
      }
    }
  }
}

/**
 * The events of queue[first, end) as one list. Which batches lie between two batches of a queue is
 * decided by those two alone (a watcher's queue holds either batches pushed to its group and variant,
 * revision after revision, or batches it read from history, which are its own), so the list is reused
 * for any watcher merging the same run.
 */
function mergedEvents(queue: readonly EventBatch[], first: number, end: number): readonly WatchEvent[] {
  const head = queue[first]!;
  const last = queue[end - 1]!;
  if (head.merged !== undefined && head.merged.through === last) return head.merged.events;
  const events: WatchEvent[] = [];
  for (let b = first; b < end; b++) for (const event of queue[b]!.events) events.push(event);
  head.merged = { through: last, events };
  return events;
}

function markMatch(group: WatchGroup, i: number, touched: WatchGroup[]): void {
  if (group.watchers.size === 0) return;
  if (group.matched.length === 0) touched.push(group);
  group.matched.push(i);
}

function historyEvent(kv: KeyValue, variant: number, source: WatchSource): WatchEvent | undefined {
  const isDelete = kv.version === 0;
  if (isDelete ? variant & NO_DELETE : variant & NO_PUT) return undefined;
  const type = isDelete ? 'delete' : 'put';
  if (!(variant & PREV_KV)) return { type, kv };
  const prevKv = source.previousVersion(kv);
  return prevKv === undefined ? { type, kv } : { type, kv, prevKv };
}
