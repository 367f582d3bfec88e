// Linearizable reads share ReadIndex rounds: every read that arrives while one round is out
// joins the next, so 128 concurrent reads cost two leader confirmations, not 128.
import { type VaneError, vaneError } from '../../core/errors.ts';
import type { RaftError, ReadState } from '../../core/raft/types.ts';

interface Waiter {
  readonly deadline: number;
  readonly resolve: (result: number | VaneError) => void;
}

interface Round {
  readonly context: string;
  readonly issuedAt: number;
  readonly waiters: Waiter[];
}

export interface ReadBatcherOptions {
  /** Ask Raft for a read index with this context. */
  readonly issue: (context: Uint8Array) => RaftError | undefined;
  /** A round unanswered for this long is issued again (its messages may have been dropped). */
  readonly retryMs: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class ReadBatcher {
  private queued: Waiter[] = [];
  private round: Round | null = null;
  /** Rounds answered by Raft, waiting for the member to apply up to their index. */
  private answered: { index: number; waiters: Waiter[] }[] = [];
  private sequence = 0;

  private readonly options: ReadBatcherOptions;

  constructor(options: ReadBatcherOptions) {
    this.options = options;
  }

  /** Resolves with an index; once applied, a read from local state is linearizable. */
  request(now: number, timeoutMs: number): Promise<number | VaneError> {
    return new Promise((resolve) => {
      this.queued.push({ deadline: now + timeoutMs, resolve });
      if (this.round === null) this.issue(now);
    });
  }

  onReadState(state: ReadState, applied: number, now: number): void {
    const round = this.round;
    if (round === null || fromUtf8.decode(state.context) !== round.context) return;
    this.round = null;
    if (state.index <= applied) for (const w of round.waiters) w.resolve(state.index);
    else this.answered.push({ index: state.index, waiters: round.waiters });
    if (this.queued.length > 0) this.issue(now);
  }

  onApplied(applied: number): void {
    if (this.answered.length === 0) return;
    const still: typeof this.answered = [];
    for (const a of this.answered) {
      if (a.index <= applied) for (const w of a.waiters) w.resolve(a.index);
      else still.push(a);
    }
    this.answered = still;
  }

  /** Called on every tick: times out expired reads and re-issues a round that got lost. */
  tick(now: number): void {
    const timedOut = (w: Waiter) => {
      if (w.deadline > now) return false;
      w.resolve(
        vaneError('timeout', 'linearizable read timed out waiting for the leader to confirm it; retry'),
      );
      return true;
    };
    this.queued = this.queued.filter((w) => !timedOut(w));
    for (const a of this.answered)
      a.waiters.splice(0, a.waiters.length, ...a.waiters.filter((w) => !timedOut(w)));
    this.answered = this.answered.filter((a) => a.waiters.length > 0);
    const round = this.round;
    if (round) {
      const live = round.waiters.filter((w) => !timedOut(w));
      if (live.length === 0 && this.queued.length === 0) this.round = null;
      else if (now - round.issuedAt >= this.options.retryMs) {
        this.round = null;
        this.queued = [...live, ...this.queued];
        this.issue(now);
      } else round.waiters.splice(0, round.waiters.length, ...live);
    } else if (this.queued.length > 0) this.issue(now);
  }

  /** Fails every pending read (the member is stopping). */
  failAll(error: VaneError): void {
    const all = [...this.queued, ...(this.round?.waiters ?? []), ...this.answered.flatMap((a) => a.waiters)];
    this.queued = [];
    this.round = null;
    this.answered = [];
    for (const w of all) w.resolve(error);
  }

  private issue(now: number): void {
    const context = `r${++this.sequence}`;
    const error = this.options.issue(utf8.encode(context));
    if (error) {
      // No leader yet (an election is running): keep the reads queued; tick() retries until their deadline.
      return;
    }
    this.round = { context, issuedAt: now, waiters: this.queued };
    this.queued = [];
  }
}
