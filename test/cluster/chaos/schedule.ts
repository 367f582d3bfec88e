// The fault schedule of a chaos run, drawn from its seed alone, so that a failing seed replays the same
// faults in the same order with the same targets and durations (the processes' timing still differs
// from run to run). One fault at a time, each healed before a pause of about a second (1 s ± 200 ms,
// as etcd's robustness tests space theirs) and the next. The first faults are every kind once, in a
// seeded order, so that even a short run meets each of them; after that kinds come by weight.
// Targets are member slots (0 = the first founding member); a slot keeps its number when its member
// is replaced. "The leader" is a target too, resolved when the fault begins.
import type { SeededRandom } from '../../../core/random.ts';
import { createRandom } from '../../../core/random.ts';

export type FaultKind =
  /** The members split in two sides (one of them a minority of 1 or 2) that hear nothing from each other. */
  | 'partition'
  /** Frames from one side to the other are dropped; the other direction still flows. */
  | 'oneWayPartition'
  /** The leader cut off from every peer: both ways, or only what it sends, or only what it hears. */
  | 'isolateLeader'
  /** Each frame on a member's links (or on every link) dropped with some chance. */
  | 'lossyLinks'
  /** Each frame on a member's links (or on every link) delayed, with jitter. */
  | 'slowLinks'
  /** kill -9, then a restart on the same data directory. */
  | 'kill'
  /** SIGSTOP, then SIGCONT: the process keeps its sockets and resumes as if nothing happened. */
  | 'pause'
  /** A member removed (killed first, as a failed machine) and a new one with an empty data directory added. */
  | 'replaceMember';

export const FAULT_KINDS: readonly FaultKind[] = [
  'partition',
  'oneWayPartition',
  'isolateLeader',
  'lossyLinks',
  'slowLinks',
  'kill',
  'pause',
  'replaceMember',
];

/** Relative frequency once every kind has had its turn. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  partition: 3,
  oneWayPartition: 3,
  isolateLeader: 3,
  lossyLinks: 2,
  slowLinks: 2,
  kill: 4,
  pause: 3,
  replaceMember: 1,
};

/** Whom a fault hits: member slots, or the leader when the fault begins. */
export type FaultTarget =
  | { readonly kind: 'slots'; readonly slots: readonly number[] }
  | { readonly kind: 'leader' };

/** Which directions of a cut are dropped, seen from the target side. */
export type CutDirection = 'both' | 'outbound' | 'inbound';

export interface FaultPlan {
  /** 1 for the first fault of the run. */
  readonly index: number;
  readonly kind: FaultKind;
  /** For partitions, the minority side; for link faults, empty = every link. */
  readonly target: FaultTarget;
  readonly direction: CutDirection;
  /** How long the fault lasts before it is healed (for a replacement: unused, it runs to the end). */
  readonly durationMs: number;
  /** Quiet time after the previous fault healed and the cluster has a leader again. */
  readonly gapMs: number;
  readonly dropRate: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  /** A replacement's new member has an id that sorts before the founders' (so it dials them), not after. */
  readonly successorSortsFirst: boolean;
}

export interface ScheduleOptions {
  readonly members: number;
}

/** An endless, seed-determined sequence of faults. */
export class FaultSchedule {
  readonly #random: SeededRandom;
  readonly #members: number;
  readonly #firstRound: FaultKind[];
  #index = 0;

  constructor(seed: number, options: ScheduleOptions) {
    if (options.members < 3) throw new Error(`a chaos run needs at least 3 members, got ${options.members}`);
    this.#random = createRandom(seed);
    this.#members = options.members;
    this.#firstRound = shuffle(this.#random, [...FAULT_KINDS]);
  }

  next(): FaultPlan {
    const random = this.#random;
    const kind = this.#firstRound.shift() ?? weightedKind(random);
    const minority = Math.floor((this.#members - 1) / 2);
    const plan = {
      index: ++this.#index,
      kind,
      gapMs: 800 + random.int(401),
      durationMs: 1000 + random.int(3001),
      direction: 'both' as CutDirection,
      target: { kind: 'slots', slots: [] } as FaultTarget,
      dropRate: 0,
      delayMs: 0,
      jitterMs: 0,
      successorSortsFirst: false,
    };
    switch (kind) {
      case 'partition':
        return { ...plan, target: this.#slots(1 + random.int(minority)) };
      case 'oneWayPartition':
        return {
          ...plan,
          target: this.#slots(1 + random.int(minority)),
          direction: random.chance(0.5) ? 'outbound' : 'inbound',
        };
      case 'isolateLeader':
        return {
          ...plan,
          target: { kind: 'leader' },
          direction: random.pick(['both', 'outbound', 'inbound']),
        };
      case 'lossyLinks':
        return { ...plan, target: this.#oneOrEvery(), dropRate: (20 + random.int(41)) / 100 };
      case 'slowLinks': {
        const delayMs = 50 + random.int(151);
        return { ...plan, target: this.#oneOrEvery(), delayMs, jitterMs: Math.floor(delayMs / 2) };
      }
      case 'kill':
      case 'pause':
        // Down for 0.5 to 3.5 s: from under one election timeout to several.
        return { ...plan, target: this.#slotOrLeader(), durationMs: 500 + random.int(3001) };
      case 'replaceMember':
        return {
          ...plan,
          target: this.#slotOrLeader(),
          durationMs: 0,
          successorSortsFirst: random.chance(0.5),
        };
    }
  }

  #slots(count: number): FaultTarget {
    return {
      kind: 'slots',
      slots: shuffle(this.#random, range(this.#members))
        .slice(0, count)
        .sort((a, b) => a - b),
    };
  }

  #oneOrEvery(): FaultTarget {
    return this.#random.chance(0.3) ? { kind: 'slots', slots: [] } : this.#slots(1);
  }

  #slotOrLeader(): FaultTarget {
    return this.#random.chance(0.4) ? { kind: 'leader' } : this.#slots(1);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function shuffle<T>(random: SeededRandom, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function weightedKind(random: SeededRandom): FaultKind {
  const total = FAULT_KINDS.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  let roll = random.int(total);
  for (const kind of FAULT_KINDS) {
    roll -= WEIGHTS[kind];
    if (roll < 0) return kind;
  }
  throw new Error('weightedKind: the weights do not add up');
}

/** "partition [m2] | rest, both ways, 2.3 s" — with member names for the slots. */
export function describePlan(plan: FaultPlan, names: readonly string[]): string {
  const who =
    plan.target.kind === 'leader'
      ? 'the leader'
      : plan.target.slots.length === 0
        ? 'every link'
        : plan.target.slots.map((slot) => names[slot] ?? `slot ${slot}`).join(',');
  const seconds = `${(plan.durationMs / 1000).toFixed(1)} s`;
  switch (plan.kind) {
    case 'partition':
      return `partition [${who}] | the rest, both ways, for ${seconds}`;
    case 'oneWayPartition':
      return `one-way partition: [${who}] ${plan.direction === 'outbound' ? 'cannot send to' : 'cannot hear'} the rest, for ${seconds}`;
    case 'isolateLeader':
      return `isolate the leader (${plan.direction === 'both' ? 'both ways' : `${plan.direction} only`}) for ${seconds}`;
    case 'lossyLinks':
      return `drop ${Math.round(plan.dropRate * 100)}% of frames on ${who === 'every link' ? who : `${who}'s links`} for ${seconds}`;
    case 'slowLinks':
      return `delay frames ${plan.delayMs} ± ${plan.jitterMs} ms on ${who === 'every link' ? who : `${who}'s links`} for ${seconds}`;
    case 'kill':
      return `kill -9 ${who}, restart after ${seconds}`;
    case 'pause':
      return `SIGSTOP ${who}, SIGCONT after ${seconds}`;
    case 'replaceMember':
      return `replace ${who} with a new member whose id sorts ${plan.successorSortsFirst ? 'before' : 'after'} the founders' (empty data directory)`;
  }
}
