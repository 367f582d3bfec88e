// Simulated watch clients: each opens one watch on a member's store (a key, the clients' prefix, or
// every key; from now, or from a random revision that may be compacted or in the future), takes what
// the store signals is waiting (sometimes slowly, a few responses at a time, so the store's buffers
// overflow and it falls back to catching up from history), and records every response. When its member
// crashes the watch is re-opened there once it restarts, from the revision after the last one it was
// told about, as a client resumes; a removed member's watches move to another member. Everything is
// checked against the committed history when the run ends (watch-checker.ts).
import type { NodeId } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import type { KeySelector, KvStore, Watcher, WatchResponse } from '../../core/store/index.ts';
import { NO_RANGE_END, prefixRange } from '../../core/store/index.ts';
import { CLIENT_KEY_PREFIX } from './clients.ts';
import type { Member } from './member.ts';

export interface WatchOptions {
  /** Watches opened over the run. */
  readonly watches: number;
  /** Chance per tick that another watch opens. */
  readonly openRate: number;
  /** Chance per tick that a watch's consumer takes what is waiting. */
  readonly takeRate: number;
  /** Responses taken at a time; 0 = all that are waiting. */
  readonly takeMax: number;
  /** Chance per tick per watch of asking for a progress notification. */
  readonly progressRate: number;
}

/**
 * Deliberate damage to what one watch consumer records, once per run, to show the checker catches it:
 * an event left out, a response delivered twice, one revision's events split over two responses.
 */
export type WatchFault = 'dropEvent' | 'duplicateResponse' | 'splitRevision';
export const WATCH_FAULTS: readonly WatchFault[] = ['dropEvent', 'duplicateResponse', 'splitRevision'];

type WatchFilter = 'noPut' | 'noDelete';

/** One watch as opened on one member's store, until it was canceled, lost or the run ended. */
export interface WatchSession {
  readonly member: NodeId;
  /** As requested: 0 = from the next write. */
  readonly startRevision: number;
  readonly revisionAtOpen: number;
  readonly compactRevisionAtOpen: number;
  readonly responses: WatchResponse[];
  /** Its member crashed or was removed while it was open. */
  lost: boolean;
  /** The member's revision when the run ended and the session was drained, if it was open then. */
  finalRevision: number | null;
}

export interface RecordedWatch {
  readonly id: number;
  readonly selector: KeySelector;
  readonly prevKv: boolean;
  readonly filters: readonly WatchFilter[];
  readonly sessions: WatchSession[];
}

interface LiveWatch {
  readonly recorded: RecordedWatch;
  member: Member;
  incarnation: number;
  watcher: Watcher | null;
  /** The store signaled responses the consumer has not taken yet. */
  signaled: boolean;
  /** The revision the watch resumes from: one past the last revision it was told about. */
  resumeFrom: number;
  canceled: boolean;
}

/** Take() calls one final drain may need: each takes a response or scans a bounded stretch of history. */
const MAX_FINAL_TAKES = 100_000;

export class WatchWorkload {
  readonly watches: RecordedWatch[] = [];
  private readonly live: LiveWatch[] = [];
  private readonly random: SeededRandom;
  private readonly options: WatchOptions;
  private readonly keys: string[];
  private fault: WatchFault | undefined;
  private readonly trace: ((line: string) => void) | undefined;
  /** A violation of the store's signaling contract, found while the run went on. */
  signalViolation: string | null = null;

  constructor(
    random: SeededRandom,
    options: WatchOptions,
    keys: number,
    fault: WatchFault | undefined,
    trace?: (line: string) => void,
  ) {
    this.random = random;
    this.options = options;
    this.keys = Array.from({ length: keys }, (_, i) => `${CLIENT_KEY_PREFIX}${i}`);
    this.fault = fault;
    this.trace = trace;
  }

  /** Once per tick: open, resume, take and ask for progress. */
  tick(members: readonly Member[]): void {
    const up = members.filter((m) => m.isUp);
    if (
      this.watches.length < this.options.watches &&
      up.length > 0 &&
      this.random.chance(this.options.openRate)
    )
      this.open(this.random.pick(up));
    for (const watch of this.live) {
      if (watch.canceled) continue;
      if (!this.ensureOpen(watch, up)) continue;
      if (watch.signaled && this.random.chance(this.options.takeRate))
        this.take(watch, this.options.takeMax === 0 ? Number.POSITIVE_INFINITY : this.options.takeMax);
      if (this.random.chance(this.options.progressRate))
        watch.member.store!.watches.progress(watch.watcher!.id);
    }
  }

  /** The run is over and every member that remains is up: resume what was lost, then drain every watch to the end. */
  finish(members: readonly Member[]): void {
    const up = members.filter((m) => m.isUp);
    for (const watch of this.live) {
      if (watch.canceled || !this.ensureOpen(watch, up)) continue;
      const watcher = watch.watcher!;
      if (watcher.ready && !watch.signaled) {
        this.signalViolation ??= `watch ${watch.recorded.id} on ${watch.member.id} has responses waiting but never signaled them`;
      }
      const store = watch.member.store!;
      store.watches.progress(watcher.id);
      for (let takes = 0; watcher.ready && !watch.canceled; takes++) {
        if (takes === MAX_FINAL_TAKES)
          throw new Error(`watch ${watch.recorded.id} was still ready after ${MAX_FINAL_TAKES} takes`);
        this.take(watch, Number.POSITIVE_INFINITY);
      }
      const session = watch.recorded.sessions.at(-1)!;
      if (!watch.canceled) session.finalRevision = store.revision;
    }
  }

  private open(member: Member): void {
    const store = member.store!;
    const random = this.random;
    const roll = random.int(4);
    const selector: KeySelector =
      roll < 2
        ? { key: random.pick(this.keys) }
        : roll === 2
          ? prefixRange(CLIENT_KEY_PREFIX)
          : { key: NO_RANGE_END, rangeEnd: NO_RANGE_END };
    const filterRoll = random.int(8);
    const recorded: RecordedWatch = {
      id: this.watches.length + 1,
      selector,
      prevKv: random.chance(0.3),
      filters: filterRoll === 0 ? ['noPut'] : filterRoll === 1 ? ['noDelete'] : [],
      sessions: [],
    };
    // From now; from a revision that is surely compacted (when any is); or from anywhere up to a little ahead.
    const startRoll = random.int(5);
    const start =
      startRoll < 2
        ? 0
        : startRoll === 2 && store.compactRevision > 1
          ? random.int(store.compactRevision - 1) + 1
          : 1 + random.int(store.revision + 3);
    this.watches.push(recorded);
    const watch: LiveWatch = {
      recorded,
      member,
      incarnation: member.incarnation,
      watcher: null,
      signaled: false,
      resumeFrom: start,
      canceled: false,
    };
    this.live.push(watch);
    this.startSession(watch, start);
  }

  /** Whether the watch has an open session, after re-opening it if its member came back or moved it if removed. */
  private ensureOpen(watch: LiveWatch, up: readonly Member[]): boolean {
    const { member } = watch;
    if (watch.watcher !== null) {
      if (member.isUp && member.incarnation === watch.incarnation) return true;
      watch.recorded.sessions.at(-1)!.lost = true;
      watch.watcher = null;
      watch.signaled = false;
    }
    if (member.state === 'removed') {
      if (up.length === 0) return false;
      watch.member = this.random.pick(up);
    } else if (!member.isUp) {
      return false;
    }
    watch.incarnation = watch.member.incarnation;
    this.startSession(watch, watch.resumeFrom);
    return !watch.canceled;
  }

  private startSession(watch: LiveWatch, start: number): void {
    const { member, recorded } = watch;
    const store: KvStore = member.store!;
    const session: WatchSession = {
      member: member.id,
      startRevision: start,
      revisionAtOpen: store.revision,
      compactRevisionAtOpen: store.compactRevision,
      responses: [],
      lost: false,
      finalRevision: null,
    };
    recorded.sessions.push(session);
    const { selector } = recorded;
    const watcher = store.watch(
      {
        ...selector,
        ...(start > 0 ? { startRevision: start } : {}),
        ...(recorded.prevKv ? { prevKv: true } : {}),
        ...(recorded.filters.length > 0 ? { filters: recorded.filters } : {}),
      },
      () => {
        if (watch.watcher === watcher) watch.signaled = true;
      },
    );
    if ('code' in watcher) throw new Error(`opening watch ${recorded.id} failed: ${watcher.message}`);
    watch.watcher = watcher;
    this.trace?.(
      `watch ${recorded.id} opens on ${member.id} from ${start === 0 ? 'now' : `revision ${start}`} ` +
        `(store at ${session.revisionAtOpen}, compacted at ${session.compactRevisionAtOpen})`,
    );
    // The created response comes at once, as over the wire; the rest when the consumer takes it.
    this.take(watch, Number.POSITIVE_INFINITY);
  }

  private take(watch: LiveWatch, max: number): void {
    const watcher = watch.watcher!;
    const session = watch.recorded.sessions.at(-1)!;
    for (const response of this.damage(watcher.take(max))) {
      session.responses.push(response);
      if (response.created === true) {
        if (session.startRevision === 0) watch.resumeFrom = response.revision + 1;
      } else if (response.canceled === true) {
        watch.canceled = true;
        this.trace?.(`watch ${watch.recorded.id} canceled: ${response.cancelReason ?? ''}`);
      } else {
        const last = response.events.at(-1)?.kv.modRevision ?? 0;
        watch.resumeFrom = Math.max(watch.resumeFrom, response.revision + 1, last + 1);
      }
    }
    watch.signaled = watcher.ready;
  }

  /** The deliberate fault, if one is switched on and not yet spent. */
  private damage(responses: WatchResponse[]): WatchResponse[] {
    const fault = this.fault;
    if (fault === undefined) return responses;
    const out: WatchResponse[] = [];
    for (const response of responses) {
      const events = response.events;
      if (this.fault === 'dropEvent' && events.length > 0) {
        out.push({ ...response, events: events.slice(0, -1) });
        this.fault = undefined;
      } else if (this.fault === 'duplicateResponse' && events.length > 0) {
        out.push(response, response);
        this.fault = undefined;
      } else if (
        this.fault === 'splitRevision' &&
        events.length > 1 &&
        events[0]!.kv.modRevision === events[1]!.kv.modRevision
      ) {
        out.push({ ...response, events: events.slice(0, 1) }, { ...response, events: events.slice(1) });
        this.fault = undefined;
      } else {
        out.push(response);
      }
    }
    return out;
  }
}
