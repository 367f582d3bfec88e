// The committed history of a real cluster, read back when the run is over: a watch on every key from
// revision 1, with prevKv, on each member in turn (a chaos run never compacts, so every revision is
// still there). Every member must hold the same history, revision by revision, and no revision may
// be missing: that is what "every member applies the same entries in the same order" looks like from
// outside. The first member's copy is what the checks compare the clients' answers and every
// watcher's stream against (the simulation builds the same thing from its applied log).
import { WebSocket } from 'ws';
import { decodeWatchServerMessage, isDecodeError } from '../../../core/protocol/index.ts';
import { NO_RANGE_END, type WatchEvent } from '../../../core/store/index.ts';
import type { HistoryEvent } from '../../sim/committed-history.ts';
import type { WatchHistory } from '../../sim/watch-checker.ts';
import type { Endpoint } from './kv-clients.ts';

const decoder = new TextDecoder();
/** How often the reader asks for progress, to learn it has everything up to the revision it wants. */
const PROGRESS_EVERY_MS = 250;

/** A put event's place in the history. */
export interface WriteRecord {
  readonly revision: number;
  readonly key: string;
}

export class ObservedHistory implements WatchHistory {
  /** Events by revision; revision 0 has none. */
  readonly #revisions: HistoryEvent[][] = [[]];
  /** Every put, by key and value: values are unique per write, so this finds the write that made one. */
  readonly #puts = new Map<string, WriteRecord>();
  /** Puts of a key and value already seen: a write applied twice. */
  readonly duplicates: string[] = [];
  /** Per key, its values as of each revision that changed it (null = deleted), in revision order. */
  readonly #versions = new Map<string, { revision: number; value: string | null }[]>();

  get revision(): number {
    return this.#revisions.length - 1;
  }

  eventsAt(revision: number): readonly HistoryEvent[] {
    const events = this.#revisions[revision];
    if (events === undefined)
      throw new Error(`revision ${revision} is beyond the history (${this.revision})`);
    return events;
  }

  /** A chaos run never compacts. */
  wasCompactedAt(): boolean {
    return false;
  }

  /** Revisions up to the last one with no event at all (each write makes at least one). */
  missingRevisions(): number[] {
    const missing: number[] = [];
    for (let revision = 1; revision <= this.revision; revision++) {
      if (this.#revisions[revision]!.length === 0) missing.push(revision);
    }
    return missing;
  }

  /** Where the put of `value` to `key` is, if it happened. */
  findPut(key: string, value: string): WriteRecord | undefined {
    return this.#puts.get(`${key}\n${value}`);
  }

  /** The key's value as of `revision` (null if absent then). */
  valueAt(key: string, revision: number): string | null {
    const versions = this.#versions.get(key) ?? [];
    let value: string | null = null;
    for (const version of versions) {
      if (version.revision > revision) break;
      value = version.value;
    }
    return value;
  }

  /** Every key's value at the end. */
  finalState(): Map<string, string> {
    const state = new Map<string, string>();
    for (const [key, versions] of this.#versions) {
      const last = versions.at(-1)!.value;
      if (last !== null) state.set(key, last);
    }
    return state;
  }

  /** One revision's events, as text that is equal exactly when the events are. */
  describeRevision(revision: number): string {
    return this.eventsAt(revision).map(describeEvent).join('; ');
  }

  /** @internal */
  add(event: WatchEvent): void {
    const { kv } = event;
    const revision = kv.modRevision;
    if (revision < this.revision) {
      throw new Error(`the history watch delivered revision ${revision} after ${this.revision}`);
    }
    while (this.revision < revision) this.#revisions.push([]);
    this.#revisions[revision]!.push({ type: event.type, kv, prevKv: event.prevKv });
    const value = event.type === 'put' ? decoder.decode(kv.value) : null;
    let versions = this.#versions.get(kv.key);
    if (versions === undefined) {
      versions = [];
      this.#versions.set(kv.key, versions);
    }
    versions.push({ revision, value });
    if (value === null) return;
    const id = `${kv.key}\n${value}`;
    const earlier = this.#puts.get(id);
    if (earlier !== undefined) {
      this.duplicates.push(
        `${kv.key}=${value} was written at revision ${earlier.revision} and again at ${revision}`,
      );
    } else {
      this.#puts.set(id, { revision, key: kv.key });
    }
  }

  /** @internal Revisions past the last event up to `revision` (writes that made no event do not exist here). */
  extendTo(revision: number): void {
    while (this.revision < revision) this.#revisions.push([]);
  }
}

function describeKeyValue(kv: WatchEvent['kv']): string {
  return `${kv.key}=${decoder.decode(kv.value)} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`;
}

function describeEvent(event: HistoryEvent): string {
  const prev = event.prevKv === undefined ? '' : ` (was ${describeKeyValue(event.prevKv)})`;
  return `${event.type} ${describeKeyValue(event.kv)}${prev}`;
}

/** Reads `member`'s whole history up to `revision`, or says why it could not. */
export function readHistory(
  member: Endpoint,
  revision: number,
  timeoutMs: number,
): Promise<ObservedHistory | string> {
  const history = new ObservedHistory();
  return new Promise((resolve) => {
    const socket = new WebSocket(`${member.url.replace(/^http/, 'ws')}/v1/watch`, {
      perMessageDeflate: false,
    });
    let settled = false;
    const finish = (result: ObservedHistory | string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(progress);
      socket.terminate();
      resolve(result);
    };
    const deadline = setTimeout(
      () =>
        finish(
          `${member.name}: the history up to revision ${revision} did not arrive within ${timeoutMs} ms (got to ${history.revision})`,
        ),
      timeoutMs,
    );
    const progress = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ v: 1, type: 'progress' }));
    }, PROGRESS_EVERY_MS);
    socket.on('open', () =>
      socket.send(
        JSON.stringify({
          v: 1,
          type: 'watchCreate',
          watchId: 1,
          key: NO_RANGE_END,
          rangeEnd: NO_RANGE_END,
          startRevision: 1,
          prevKv: true,
        }),
      ),
    );
    socket.on('message', (data) => {
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        return finish(`${member.name}: a history message is not JSON`);
      }
      const message = decodeWatchServerMessage(json);
      if (isDecodeError(message))
        return finish(`${member.name}: a history message did not decode: ${message.message}`);
      if (message.type === 'error')
        return finish(`${member.name}: the history watch was refused: ${message.error.message}`);
      if (message.type !== 'watchResponse')
        return finish(`${member.name}: an answer to a request never made`);
      const response = message.response;
      if (response.canceled === true)
        return finish(`${member.name}: the history watch was canceled: ${response.cancelReason}`);
      try {
        for (const event of response.events) history.add(event);
      } catch (error) {
        return finish(`${member.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (response.created !== true && response.revision >= revision) {
        history.extendTo(revision);
        finish(history);
      }
    });
    socket.on('error', (error) => finish(`${member.name}: the history watch failed: ${error.message}`));
    socket.on('close', () =>
      finish(`${member.name}: the history watch closed at revision ${history.revision}`),
    );
  });
}

/** The first revision at which two members' histories differ, described; null if they are equal. */
export function compareHistories(
  a: ObservedHistory,
  aName: string,
  b: ObservedHistory,
  bName: string,
): string | null {
  const last = Math.max(a.revision, b.revision);
  for (let revision = 1; revision <= last; revision++) {
    const left = revision <= a.revision ? a.describeRevision(revision) : '(beyond its history)';
    const right = revision <= b.revision ? b.describeRevision(revision) : '(beyond its history)';
    if (left !== right) {
      return `members disagree at revision ${revision}: ${aName} has ${left || 'nothing'}; ${bName} has ${right || 'nothing'}`;
    }
  }
  return null;
}
