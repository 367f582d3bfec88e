// The leader's view of one follower: how far its log matches (match), what to send next (next),
// and how to send: probe (one message per heartbeat until the match point is found), replicate
// (pipelined, bounded by Inflights) or snapshot (waiting for a snapshot to be installed).
import type { ProgressState } from './api.ts';
import type { Inflights } from './inflights.ts';
import { invariant } from './raft-error.ts';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state, the index of the snapshot sent. */
  pendingSnapshot = 0;
  /** In probe state, a probe was sent and we wait for its answer (or a heartbeat response). */
  probeSent = false;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive: boolean;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, inflights: Inflights, isLearner: boolean, recentActive: boolean) {
    this.next = next;
    this.inflights = inflights;
    this.isLearner = isLearner;
    this.recentActive = recentActive;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Starts over at the beginning of a term: unknown match, probe from `next`. */
  restart(next: number): void {
    this.resetState('probe');
    this.match = 0;
    this.next = next;
    this.recentActive = false;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot was installed (or at least sent): probe right after it.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** The follower acknowledged entries up to `index`. Returns false if that was old news. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * The follower rejected an append after `rejected`; `matchHint` is the highest index that may
   * still match. Returns false if the rejection is stale (reordered).
   */
  maybeDecreaseTo(rejected: number, matchHint: number): boolean {
    // The follower acknowledged `match` already: a rejection at or below it is stale.
    if (rejected <= this.match) return false;
    if (this.state === 'replicate') {
      this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
      return true;
    }
    // Probes go one at a time, so a rejection of anything but the last probe is stale.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Sending is paused: a probe is outstanding, the pipeline is full, or a snapshot is on its way. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Bookkeeping after an append message with `count` entries of `bytes` payload went out. */
  sentEntries(count: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next += count;
        this.inflights.add(this.next - 1, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      invariant(false, () => 'sending entries to a follower in snapshot state');
    }
    invariant(this.match < this.next, () => `progress match ${this.match} is not below next ${this.next}`);
  }

  clone(): Progress {
    const copy = new Progress(this.next, this.inflights.clone(), this.isLearner, this.recentActive);
    copy.match = this.match;
    copy.state = this.state;
    copy.pendingSnapshot = this.pendingSnapshot;
    copy.probeSent = this.probeSent;
    return copy;
  }
}
