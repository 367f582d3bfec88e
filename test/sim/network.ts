// The simulated peer network: every message gets its own delay (so messages reorder), may be
// dropped or duplicated, and is lost while a partition blocks its link, at send or at delivery.

import type { Message, NodeId } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';

export interface NetworkFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  /** Delay in time units, uniformly in [minDelay, maxDelay]. */
  readonly minDelay: number;
  readonly maxDelay: number;
}

export const HEALTHY_NETWORK: NetworkFaults = { dropRate: 0, duplicateRate: 0, minDelay: 1, maxDelay: 3 };

/** Messages in flight at once; beyond it new messages are dropped, like a full send queue. */
export const MAX_MESSAGES_IN_FLIGHT = 20_000;

interface InFlight {
  readonly deliverAt: number;
  /** Breaks ties between messages due at the same time, in send order. */
  readonly sequence: number;
  readonly message: Message;
}

export type LostReason = 'dropped' | 'partitioned' | 'queueFull';

export class SimNetwork {
  private faults: NetworkFaults;
  private inFlight: InFlight[] = [];
  private sequence = 0;
  /** Blocked directed links, as "from>to". */
  private blocked = new Set<string>();
  private readonly random: SeededRandom;
  private readonly onLost: (message: Message, reason: LostReason) => void;
  sent = 0;
  lost = 0;
  duplicated = 0;

  constructor(
    random: SeededRandom,
    faults: NetworkFaults,
    onLost: (message: Message, reason: LostReason) => void,
  ) {
    this.random = random;
    this.faults = faults;
    this.onLost = onLost;
  }

  setFaults(faults: NetworkFaults): void {
    if (faults.minDelay < 0 || faults.maxDelay < faults.minDelay) {
      throw new Error(`network delay range [${faults.minDelay}, ${faults.maxDelay}] is empty`);
    }
    this.faults = faults;
  }

  /** Blocks every link from a member of `from` to a member of `to`. */
  block(from: readonly NodeId[], to: readonly NodeId[]): void {
    for (const a of from) for (const b of to) if (a !== b) this.blocked.add(`${a}>${b}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  isPartitioned(): boolean {
    return this.blocked.size > 0;
  }

  private linkBlocked(message: Message): boolean {
    return this.blocked.has(`${message.from}>${message.to}`);
  }

  send(message: Message, now: number): void {
    this.sent++;
    if (this.linkBlocked(message)) {
      this.lose(message, 'partitioned');
      return;
    }
    if (this.random.chance(this.faults.dropRate)) {
      this.lose(message, 'dropped');
      return;
    }
    const copies = this.random.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (this.inFlight.length >= MAX_MESSAGES_IN_FLIGHT) {
        this.lose(message, 'queueFull');
        return;
      }
      const spread = this.faults.maxDelay - this.faults.minDelay + 1;
      const deliverAt = now + this.faults.minDelay + this.random.int(spread);
      this.inFlight.push({ deliverAt, sequence: this.sequence++, message });
    }
  }

  private lose(message: Message, reason: LostReason): void {
    this.lost++;
    this.onLost(message, reason);
  }

  /** Messages due by `now`, in delivery order; those whose link is now blocked are lost instead. */
  deliverDue(now: number): Message[] {
    const due: InFlight[] = [];
    const waiting: InFlight[] = [];
    for (const item of this.inFlight) (item.deliverAt <= now ? due : waiting).push(item);
    if (due.length === 0) return [];
    this.inFlight = waiting;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.sequence - b.sequence);
    const delivered: Message[] = [];
    for (const item of due) {
      if (this.linkBlocked(item.message)) this.lose(item.message, 'partitioned');
      else delivered.push(item.message);
    }
    return delivered;
  }

  inFlightCount(): number {
    return this.inFlight.length;
  }
}
