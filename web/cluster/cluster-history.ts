// What the cluster view remembers of the last few minutes of status polls: each member's role over
// time (the timeline), leader changes and members going down or coming back (the event list), and
// the cluster's write rate and commit latency. Bounded by time and by count; pure, so tests feed
// it polls directly.
import type { StatusResponseJson } from '../../core/protocol/index.ts';

/** One member in one poll: its status, or why it did not answer. */
export type MemberReading =
  | { readonly id: string; readonly status: StatusResponseJson }
  | { readonly id: string; readonly unreachable: string };

export interface ClusterPoll {
  /** Wall-clock milliseconds when the answer came. */
  readonly at: number;
  readonly members: readonly MemberReading[];
}

export type MemberState = StatusResponseJson['role'] | 'learner' | 'unreachable';

/** A stretch of time over which a member kept one state (and, when reachable, one term). */
export interface StateSpan {
  readonly state: MemberState;
  readonly term: number | null;
  readonly from: number;
  readonly to: number;
}

export type ClusterEventKind = 'leaderElected' | 'leaderLost' | 'memberDown' | 'memberUp';

export interface ClusterEvent {
  readonly at: number;
  readonly kind: ClusterEventKind;
  readonly member: string;
  readonly term: number | null;
  readonly text: string;
  /** More about it (why a member is unreachable), for a tooltip. */
  readonly detail?: string;
}

export interface RatePoint {
  readonly at: number;
  /** Revisions per second since the previous poll: each write (put, delete, txn) makes one. */
  readonly writesPerSecond: number;
  /**
   * Mean submit-to-apply time of the writes the members took since the previous poll, from their
   * `writes` counters; null when none took a write (or none reports them).
   */
  readonly commitLatencyMs: number | null;
}

/** How far back the timeline and the chart reach. */
export const HISTORY_WINDOW_MS = 5 * 60_000;
/** Polls kept at most, whatever their spacing (one a second fills the window with 300). */
export const MAX_POLLS = 600;
/** Events kept at most, newest last. */
export const MAX_EVENTS = 200;

export class ClusterHistory {
  readonly #polls: ClusterPoll[] = [];
  readonly #events: ClusterEvent[] = [];
  readonly #lastAnswer = new Map<string, number>();
  /** The highest revision seen: revisions never go back, even when the member that had it dies. */
  #revision = 0;
  readonly #rates: RatePoint[] = [];

  record(poll: ClusterPoll): void {
    const previous = this.#polls[this.#polls.length - 1];
    if (previous !== undefined && poll.at < previous.at) {
      throw new Error(`ClusterHistory: poll at ${poll.at} is older than the previous one at ${previous.at}`);
    }
    this.#polls.push(poll);
    for (const reading of poll.members) if ('status' in reading) this.#lastAnswer.set(reading.id, poll.at);
    const answered = poll.members.some((m) => 'status' in m);
    const revision = Math.max(
      this.#revision,
      ...poll.members.map((m) => ('status' in m ? m.status.revision : 0)),
    );
    // With no member answering, the rate is unknown: a gap in the chart rather than a made-up zero.
    if (previous !== undefined && poll.at > previous.at && answered) {
      this.#rates.push({
        at: poll.at,
        writesPerSecond: ((revision - this.#revision) * 1000) / (poll.at - previous.at),
        commitLatencyMs: commitLatency(previous, poll),
      });
    }
    this.#revision = revision;
    if (previous !== undefined) this.#compare(previous, poll);
    this.#forgetBefore(poll.at - HISTORY_WINDOW_MS);
  }

  get polls(): readonly ClusterPoll[] {
    return this.#polls;
  }

  get latest(): ClusterPoll | undefined {
    return this.#polls[this.#polls.length - 1];
  }

  get events(): readonly ClusterEvent[] {
    return this.#events;
  }

  get rates(): readonly RatePoint[] {
    return this.#rates;
  }

  /** Every member seen in the window, by id. */
  memberIds(): string[] {
    const ids = new Set<string>();
    for (const poll of this.#polls) for (const m of poll.members) ids.add(m.id);
    return [...ids].sort();
  }

  /** When the member last answered a poll (wall-clock ms), if it ever did. */
  lastAnswer(member: string): number | undefined {
    return this.#lastAnswer.get(member);
  }

  /** The member's states over the window, oldest first; a span ends where the next begins. */
  spans(member: string): StateSpan[] {
    const spans: StateSpan[] = [];
    for (const poll of this.#polls) {
      const reading = poll.members.find((m) => m.id === member);
      if (reading === undefined) continue;
      const state = stateOf(reading);
      const term = 'status' in reading ? reading.status.term : null;
      const last = spans[spans.length - 1];
      if (last !== undefined && last.state === state && last.term === term) {
        spans[spans.length - 1] = { ...last, to: poll.at };
      } else {
        if (last !== undefined) spans[spans.length - 1] = { ...last, to: poll.at };
        spans.push({ state, term, from: poll.at, to: poll.at });
      }
    }
    return spans;
  }

  #compare(before: ClusterPoll, after: ClusterPoll): void {
    const oldLeader = leaderOf(before);
    const newLeader = leaderOf(after);
    for (const reading of after.members) {
      const was = before.members.find((m) => m.id === reading.id);
      if (was === undefined) continue;
      const down = 'unreachable' in reading;
      if (down && !('unreachable' in was)) {
        this.#add(
          after.at,
          'memberDown',
          reading.id,
          null,
          `${reading.id} stopped answering`,
          reading.unreachable,
        );
      } else if (!down && 'unreachable' in was) {
        this.#add(after.at, 'memberUp', reading.id, reading.status.term, `${reading.id} answers again`);
      }
    }
    if (
      newLeader !== null &&
      (oldLeader === null || oldLeader.id !== newLeader.id || oldLeader.term !== newLeader.term)
    ) {
      this.#add(
        after.at,
        'leaderElected',
        newLeader.id,
        newLeader.term,
        `${newLeader.id} leads in term ${newLeader.term}`,
      );
    } else if (newLeader === null && oldLeader !== null) {
      this.#add(
        after.at,
        'leaderLost',
        oldLeader.id,
        oldLeader.term,
        `no leader: ${oldLeader.id} (term ${oldLeader.term}) is gone`,
      );
    }
  }

  #add(
    at: number,
    kind: ClusterEventKind,
    member: string,
    term: number | null,
    text: string,
    detail?: string,
  ): void {
    this.#events.push(
      detail === undefined ? { at, kind, member, term, text } : { at, kind, member, term, text, detail },
    );
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
  }

  #forgetBefore(cutoff: number): void {
    const dropPolls = Math.max(
      this.#polls.findIndex((p) => p.at >= cutoff),
      this.#polls.length - MAX_POLLS,
      0,
    );
    this.#polls.splice(0, dropPolls);
    const dropRates = this.#rates.findIndex((r) => r.at >= cutoff);
    this.#rates.splice(
      0,
      dropRates === -1 ? this.#rates.length : Math.max(dropRates, this.#rates.length - MAX_POLLS),
    );
  }
}

/** The mean latency of the writes applied between two polls, over every member that reports its writes. */
function commitLatency(before: ClusterPoll, after: ClusterPoll): number | null {
  let applied = 0;
  let latencyMs = 0;
  for (const reading of after.members) {
    const was = before.members.find((m) => m.id === reading.id);
    if (!('status' in reading) || was === undefined || !('status' in was)) continue;
    const now = reading.status.writes;
    const then = was.status.writes;
    // A restarted member counts from zero again: that interval says nothing about it.
    if (now === undefined || then === undefined || now.applied < then.applied) continue;
    applied += now.applied - then.applied;
    latencyMs += now.latencyMsTotal - then.latencyMsTotal;
  }
  return applied === 0 ? null : latencyMs / applied;
}

export function stateOf(reading: MemberReading): MemberState {
  if ('unreachable' in reading) return 'unreachable';
  return reading.status.isLearner ? 'learner' : reading.status.role;
}

/** The leader of a poll: the reachable member that says it leads, in the highest term. */
export function leaderOf(poll: ClusterPoll): { id: string; term: number; commit: number } | null {
  let leader: { id: string; term: number; commit: number } | null = null;
  for (const m of poll.members) {
    if ('status' in m && m.status.role === 'leader' && (leader === null || m.status.term > leader.term)) {
      leader = { id: m.id, term: m.status.term, commit: m.status.commit };
    }
  }
  return leader;
}
