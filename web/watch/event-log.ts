// The Watch view's list of events: newest first, capped; while paused, new events wait (also
// capped, the oldest dropped and counted) and join the list on resume. Filtering only hides.

export interface WatchEntry {
  /** Position in the stream, to key list items. */
  readonly seq: number;
  readonly revision: number;
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string | null;
  readonly prevValue: string | null;
  /** Wall-clock milliseconds when the event arrived. */
  readonly at: number;
}

export type NewWatchEntry = Omit<WatchEntry, 'seq'>;

export interface EventFilter {
  /** Shown when the key or the value contains it (case-insensitive); '' shows all. */
  readonly text: string;
  readonly puts: boolean;
  readonly deletes: boolean;
}

/** Events kept for display. */
export const MAX_SHOWN_EVENTS = 500;
/** Events that wait while paused; past this the oldest waiting ones are dropped. */
export const MAX_HELD_EVENTS = 5000;

export class EventLog {
  #shown: WatchEntry[] = [];
  #held: WatchEntry[] = [];
  #paused = false;
  #dropped = 0;
  #seq = 0;

  add(entries: readonly NewWatchEntry[]): void {
    const numbered = entries.map((entry) => ({ ...entry, seq: this.#seq++ }));
    if (this.#paused) {
      this.#held.push(...numbered);
      const excess = this.#held.length - MAX_HELD_EVENTS;
      if (excess > 0) {
        this.#held.splice(0, excess);
        this.#dropped += excess;
      }
    } else {
      this.#show(numbered);
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#show(this.#held);
    this.#held = [];
    this.#dropped = 0;
  }

  clear(): void {
    this.#shown = [];
    this.#held = [];
    this.#dropped = 0;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Events waiting for resume. */
  get heldCount(): number {
    return this.#held.length;
  }

  /** Events lost while paused because too many waited. */
  get droppedWhilePaused(): number {
    return this.#dropped;
  }

  /** The shown events that pass the filter, newest first. */
  visible(filter: EventFilter): WatchEntry[] {
    const text = filter.text.toLowerCase();
    const result: WatchEntry[] = [];
    for (let i = this.#shown.length - 1; i >= 0; i--) {
      const entry = this.#shown[i]!;
      if (entry.type === 'put' ? !filter.puts : !filter.deletes) continue;
      if (
        text !== '' &&
        !entry.key.toLowerCase().includes(text) &&
        !(entry.value ?? '').toLowerCase().includes(text)
      ) {
        continue;
      }
      result.push(entry);
    }
    return result;
  }

  #show(entries: readonly WatchEntry[]): void {
    this.#shown.push(...entries);
    if (this.#shown.length > MAX_SHOWN_EVENTS) this.#shown.splice(0, this.#shown.length - MAX_SHOWN_EVENTS);
  }
}
