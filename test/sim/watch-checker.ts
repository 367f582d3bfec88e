// etcd's watch guarantees, checked on one recorded watch (all its sessions, as the client resumed it)
// against the committed history:
//   ordered     events arrive in revision order;
//   unique      no revision's events arrive twice;
//   reliable    no gap: every matching event between the start and the last revision a response
//               reported (a response's revision says everything up to it was delivered) arrived;
//   atomic      all the matching events of one revision arrive in one response;
//   correct     each event is the committed one (type, key, value, revisions, version, prevKv);
//   compaction  a watch from a compacted revision is canceled with the compact revision and delivers
//               nothing first; a cancellation names a compaction that happened and a revision the
//               watch still needed;
//   caught up   when the run ends, an open watch has reported its member's current revision.
import type { KeyValue, WatchEvent, WatchResponse } from '../../core/store/index.ts';
import type { CommittedHistory, HistoryEvent } from './committed-history.ts';
import { selects } from './committed-history.ts';
import type { RecordedWatch, WatchSession } from './watch-clients.ts';

export type WatchProperty =
  | 'ordered'
  | 'unique'
  | 'reliable'
  | 'atomic'
  | 'correct'
  | 'compaction'
  | 'caught up';

export interface WatchViolation {
  readonly property: WatchProperty;
  readonly message: string;
}

export interface WatchCheck {
  readonly violation: WatchViolation | null;
  /** Events compared with the committed history. */
  readonly events: number;
}

class Violation extends Error {
  readonly property: WatchProperty;

  constructor(property: WatchProperty, message: string) {
    super(message);
    this.property = property;
  }
}

function fail(property: WatchProperty, message: string): never {
  throw new Violation(property, message);
}

/** What the checker reads of the committed history (the simulation's, or one read back from a real cluster). */
export type WatchHistory = Pick<CommittedHistory, 'revision' | 'eventsAt' | 'wasCompactedAt'>;

export function checkWatch(history: WatchHistory, watch: RecordedWatch): WatchCheck {
  const checker = new WatchChecker(history, watch);
  try {
    checker.run();
    return { violation: null, events: checker.events };
  } catch (error) {
    if (!(error instanceof Violation)) throw error;
    const message = `watch ${watch.id} (${describeWatch(watch)}): ${error.message}`;
    return { violation: { property: error.property, message }, events: checker.events };
  }
}

function describeWatch(watch: RecordedWatch): string {
  const { key, rangeEnd } = watch.selector;
  const keys = rangeEnd === undefined ? key : `[${JSON.stringify(key)}, ${JSON.stringify(rangeEnd)})`;
  const options = [watch.prevKv ? 'prevKv' : '', ...watch.filters].filter((o) => o !== '');
  const sessions = watch.sessions.map((s) => `${s.member} from ${s.startRevision}`).join(', then ');
  return `${keys}${options.length > 0 ? ` ${options.join(' ')}` : ''}; ${sessions}`;
}

class WatchChecker {
  events = 0;
  private readonly history: WatchHistory;
  private readonly watch: RecordedWatch;
  /** The next revision the watch owes its client. */
  private position = 0;
  private readonly delivered = new Set<number>();
  /** Every revision with events anywhere in the watch's stream: a gap filled later is disorder, not loss. */
  private readonly everDelivered = new Set<number>();
  private canceled = false;

  constructor(history: WatchHistory, watch: RecordedWatch) {
    this.history = history;
    this.watch = watch;
    for (const session of watch.sessions)
      for (const response of session.responses)
        for (const event of response.events) this.everDelivered.add(event.kv.modRevision);
  }

  run(): void {
    this.watch.sessions.forEach((session, i) => {
      if (this.canceled) throw new Error(`watch ${this.watch.id} was re-opened after its cancellation`);
      this.checkSession(session, i === 0);
    });
  }

  private checkSession(session: WatchSession, first: boolean): void {
    const [created, ...rest] = session.responses;
    if (created === undefined || created.created !== true)
      fail('correct', `the first response on ${session.member} is not the created one`);
    if (first) {
      if (session.startRevision === 0 && created.revision !== session.revisionAtOpen) {
        fail('correct', `created at revision ${created.revision} on a store at ${session.revisionAtOpen}`);
      }
      this.position = session.startRevision > 0 ? session.startRevision : created.revision + 1;
    } else if (session.startRevision !== this.position) {
      throw new Error(`watch ${this.watch.id} resumed from ${session.startRevision}, not ${this.position}`);
    }
    const compactedAtOpen =
      session.startRevision > 0 && this.needsCompacted(session.startRevision, session.compactRevisionAtOpen);
    rest.forEach((response, i) => {
      if (response.created === true) fail('correct', `a second created response on ${session.member}`);
      if (response.canceled === true) {
        if (i !== rest.length - 1) fail('correct', 'responses after the cancellation');
        this.checkCancellation(response);
        return;
      }
      if (compactedAtOpen && response.events.length > 0) {
        fail(
          'compaction',
          `opened from revision ${session.startRevision} on ${session.member}, compacted at ` +
            `${session.compactRevisionAtOpen}, it delivered events instead of being canceled`,
        );
      }
      this.checkResponse(response);
    });
    if (compactedAtOpen && !this.canceled && !session.lost) {
      fail(
        'compaction',
        `opened from revision ${session.startRevision} on ${session.member}, compacted at ` +
          `${session.compactRevisionAtOpen}, it was never canceled`,
      );
    }
    if (session.finalRevision !== null && !this.canceled && this.position <= session.finalRevision) {
      fail(
        'caught up',
        `at the end it had reported up to revision ${this.position - 1}; its member is at ${session.finalRevision}`,
      );
    }
  }

  /** Whether a watch that needs `revision` next must be canceled once the store is compacted at `compactRevision`. */
  private needsCompacted(revision: number, compactRevision: number): boolean {
    return (
      revision < compactRevision || (this.watch.prevKv && compactRevision > 0 && revision === compactRevision)
    );
  }

  private checkCancellation(response: WatchResponse): void {
    const compactRevision = response.compactRevision;
    if (compactRevision === undefined)
      fail('correct', `canceled without a compact revision: ${response.cancelReason}`);
    if (!this.history.wasCompactedAt(compactRevision))
      fail('compaction', `canceled as compacted at ${compactRevision}, but no compaction to it was applied`);
    if (!this.needsCompacted(this.position, compactRevision)) {
      fail(
        'compaction',
        `canceled as compacted at ${compactRevision}, but the revision it needed next (${this.position}) is retained`,
      );
    }
    this.canceled = true;
  }

  private checkResponse(response: WatchResponse): void {
    const events = response.events;
    for (let i = 0; i < events.length; ) {
      const revision = events[i]!.kv.modRevision;
      let end = i + 1;
      while (end < events.length && events[end]!.kv.modRevision === revision) end++;
      this.checkRevision(revision, events.slice(i, end));
      i = end;
    }
    const claim = response.revision;
    if (claim > this.history.revision) {
      fail('correct', `a response reports revision ${claim}, beyond the committed ${this.history.revision}`);
    }
    if (events.length > 0 && claim < this.position - 1) {
      fail(
        'ordered',
        `a response reports revision ${claim}, below its own events (up to ${this.position - 1})`,
      );
    }
    this.expectNothingBefore(claim + 1, `a response reported revision ${claim}`);
    this.position = Math.max(this.position, claim + 1);
  }

  private checkRevision(revision: number, delivered: readonly WatchEvent[]): void {
    if (revision < this.position) {
      if (this.delivered.has(revision)) fail('unique', `revision ${revision}'s events arrived twice`);
      fail('ordered', `revision ${revision}'s events arrived after revision ${this.position - 1}`);
    }
    if (revision > this.history.revision)
      fail('correct', `an event at revision ${revision}, beyond the committed ${this.history.revision}`);
    this.expectNothingBefore(revision, `revision ${revision}'s events arrived`);
    const expected = this.matching(revision);
    if (
      delivered.length < expected.length &&
      delivered.every((event, i) => sameEvent(event, expected[i]!, this.watch.prevKv))
    ) {
      fail(
        'atomic',
        `revision ${revision} has ${expected.length} matching events; one response held ${delivered.length}`,
      );
    }
    if (
      delivered.length !== expected.length ||
      delivered.some((e, i) => !sameEvent(e, expected[i]!, this.watch.prevKv))
    ) {
      fail(
        'correct',
        `revision ${revision}: got ${delivered.map(describeEvent).join(', ')}; committed: ${expected.map(describeEvent).join(', ') || 'nothing that matches'}`,
      );
    }
    this.events += delivered.length;
    this.delivered.add(revision);
    this.position = revision + 1;
  }

  /** No matching event may sit between the position and `end` (exclusive). */
  private expectNothingBefore(end: number, why: string): void {
    for (let revision = this.position; revision < end && revision <= this.history.revision; revision++) {
      const missed = this.matching(revision);
      if (missed.length === 0) continue;
      const events = missed.map(describeEvent).join(', ');
      if (this.everDelivered.has(revision)) fail('ordered', `${why} before revision ${revision} (${events})`);
      fail('reliable', `${why}, yet revision ${revision} (${events}) never did`);
    }
  }

  private matching(revision: number): HistoryEvent[] {
    const { selector, filters } = this.watch;
    return this.history
      .eventsAt(revision)
      .filter(
        (event) =>
          selects(selector, event.kv.key) &&
          !(event.type === 'put' && filters.includes('noPut')) &&
          !(event.type === 'delete' && filters.includes('noDelete')),
      );
  }
}

function sameKeyValue(a: KeyValue, b: KeyValue): boolean {
  return (
    a.key === b.key &&
    a.createRevision === b.createRevision &&
    a.modRevision === b.modRevision &&
    a.version === b.version &&
    a.lease === b.lease &&
    a.value.length === b.value.length &&
    a.value.every((byte, i) => byte === b.value[i])
  );
}

function sameEvent(event: WatchEvent, committed: HistoryEvent, prevKv: boolean): boolean {
  if (event.type !== committed.type || !sameKeyValue(event.kv, committed.kv)) return false;
  const expectedPrev = prevKv ? committed.prevKv : undefined;
  if (event.prevKv === undefined || expectedPrev === undefined) return event.prevKv === expectedPrev;
  return sameKeyValue(event.prevKv, expectedPrev);
}

const decoder = new TextDecoder();

function describeEvent(event: WatchEvent | HistoryEvent): string {
  const { kv } = event;
  return event.type === 'delete'
    ? `delete ${kv.key}@${kv.modRevision}`
    : `put ${kv.key}=${decoder.decode(kv.value)}@${kv.modRevision} v${kv.version}`;
}

/** One response on one line, for failure reports. */
export function describeResponse(response: WatchResponse): string {
  if (response.created === true) return `created at ${response.revision}`;
  if (response.canceled === true)
    return `canceled (compacted at ${response.compactRevision}) at ${response.revision}`;
  const events = response.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`);
  return `${events.length === 0 ? 'progress' : events.join(', ')} -> ${response.revision}`;
}
