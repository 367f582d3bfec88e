// Writes in flight on this member. Each carries a request id that the store deduplicates, so a
// proposal lost to a leader change can be proposed again without ever applying twice.
import { type VaneError, vaneError } from '../../core/errors.ts';
import type { RaftError } from '../../core/raft/types.ts';
import type { CommandResponse } from '../../core/store/types.ts';

type Result = CommandResponse | VaneError;

interface Pending {
  readonly data: Uint8Array;
  readonly deadline: number;
  lastProposedAt: number;
  lastError: RaftError | undefined;
  readonly resolvers: ((result: Result) => void)[];
}

export interface ProposalTrackerOptions {
  readonly propose: (data: Uint8Array) => RaftError | undefined;
  /** A proposal not applied after this long is proposed again (same request id). */
  readonly retryMs: number;
  /** Writes waiting at once on this member; past it new writes are refused. */
  readonly maxPending: number;
  /** How each write ended, for metrics. */
  readonly onOutcome?: (outcome: 'applied' | 'timedOut' | 'failed') => void;
}

export class ProposalTracker {
  private readonly pending = new Map<string, Pending>();

  private readonly options: ProposalTrackerOptions;

  constructor(options: ProposalTrackerOptions) {
    this.options = options;
  }

  get size(): number {
    return this.pending.size;
  }

  submit(requestId: string, data: Uint8Array, now: number, timeoutMs: number): Promise<Result> {
    return new Promise((resolve) => {
      const existing = this.pending.get(requestId);
      if (existing) {
        existing.resolvers.push(resolve);
        return;
      }
      if (this.pending.size >= this.options.maxPending) {
        resolve(
          vaneError(
            'unavailable',
            `this member has ${this.pending.size} writes in flight (the limit); retry shortly`,
            {
              limit: this.options.maxPending,
            },
          ),
        );
        return;
      }
      const entry: Pending = {
        data,
        deadline: now + timeoutMs,
        lastProposedAt: now,
        lastError: undefined,
        resolvers: [resolve],
      };
      this.pending.set(requestId, entry);
      entry.lastError = this.options.propose(data);
    });
  }

  /** The entry carrying this request id was applied (on this member, by whoever proposed it). */
  applied(requestId: string, result: Result): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    this.pending.delete(requestId);
    this.options.onOutcome?.('code' in result ? 'failed' : 'applied');
    for (const resolve of entry.resolvers) resolve(result);
  }

  tick(now: number): void {
    for (const [requestId, entry] of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(requestId);
        this.options.onOutcome?.('timedOut');
        const error = timeoutError(entry.lastError);
        for (const resolve of entry.resolvers) resolve(error);
      } else if (now - entry.lastProposedAt >= this.options.retryMs || entry.lastError !== undefined) {
        entry.lastProposedAt = now;
        entry.lastError = this.options.propose(entry.data);
      }
    }
  }

  /** Proposes every pending write again now, e.g. to a newly elected leader. */
  retryAll(now: number): void {
    for (const entry of this.pending.values()) {
      entry.lastProposedAt = now;
      entry.lastError = this.options.propose(entry.data);
    }
  }

  failAll(error: VaneError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const entry of all) for (const resolve of entry.resolvers) resolve(error);
  }
}

function timeoutError(last: RaftError | undefined): VaneError {
  switch (last?.code) {
    case 'noLeader':
      return vaneError(
        'noLeader',
        'no leader was elected before the request timed out; the cluster may have lost its quorum',
      );
    case 'uncommittedLimit':
      return vaneError(
        'unavailable',
        'the leader is refusing writes: too much data is waiting to be committed; retry',
      );
    case 'transferInProgress':
      return vaneError(
        'unavailable',
        'leadership was being transferred for the whole request timeout; retry',
      );
    default:
      return vaneError(
        'timeout',
        'the write was not applied within the request timeout; it may still be applied (retry with the same request id to be safe)',
      );
  }
}
