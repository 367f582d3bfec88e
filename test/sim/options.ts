// Swarm testing: every seed picks its own cluster, workload and fault rates, so that across seeds
// some runs are calm, some hammer one fault, and some mix them all.

import type { UnsafeBugs } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import type { StoreConfig } from '../../core/store/index.ts';
import type { WorkloadOptions } from './clients.ts';
import type { NetworkFaults } from './network.ts';
import type { WatchOptions } from './watch-clients.ts';

export interface SimOptions {
  readonly clusterSize: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** Time units per Raft tick: messages and fsyncs take units, so they land between ticks. */
  readonly unitsPerTick: number;
  readonly safetyTicks: number;
  /** After faults heal, a leader must commit and every member apply within this many ticks. */
  readonly livenessTicks: number;
  readonly network: NetworkFaults;
  /** Per tick, while the network is whole. */
  readonly partitionRate: number;
  /** Per tick, while it is partitioned. */
  readonly healRate: number;
  /** Per member per tick. */
  readonly crashRate: number;
  /** Per tick: crashes aimed at the leader make leaders short-lived and their logs diverge (figure 8). */
  readonly leaderCrashRate: number;
  /** Per member per tick; a pause lasts up to three election timeouts. */
  readonly pauseRate: number;
  /** Per crashed member per tick. */
  readonly restartRate: number;
  /** Chance that a crash tears the first unsynced record it cuts. */
  readonly tornWriteRate: number;
  readonly fsyncMin: number;
  readonly fsyncMax: number;
  readonly workload: WorkloadOptions;
  readonly watches: WatchOptions;
  /** Per tick: a compaction of the store's history to a random retained revision, through the log. */
  readonly compactRate: number;
  /** The store's watch buffers, small for some seeds so that watchers overflow and catch up from history. */
  readonly store: Pick<
    StoreConfig,
    'maxWatcherBufferEvents' | 'maxEventsPerWatchResponse' | 'maxCatchUpRevisions'
  >;
  /** Per tick. */
  readonly confChangeRate: number;
  readonly transferRate: number;
  /** A member snapshots once it applied this many entries past its last snapshot; 0 = never. */
  readonly snapshotEvery: number;
  /** Entries kept before the snapshot index when compacting (for slow followers). */
  readonly snapshotRetain: number;
  /** Members ever created, counting those added later. */
  readonly maxMembers: number;
  readonly maxInflightMsgs: number;
  readonly maxSizePerMsg: number;
  readonly unsafeBugs?: UnsafeBugs;
}

/** Each fault is switched on for about half the seeds; when on, its rate is drawn from its range. */
function sometimes(random: SeededRandom, low: number, high: number): number {
  return random.chance(0.5) ? low + random.float() * (high - low) : 0;
}

function between(random: SeededRandom, low: number, high: number): number {
  return low + random.int(high - low + 1);
}

export function chooseOptions(random: SeededRandom, unsafeBugs?: UnsafeBugs): SimOptions {
  const unitsPerTick = 10;
  const electionTick = 10;
  const clusterSize = random.pick([1, 3, 3, 3, 5, 5]);
  const minDelay = between(random, 1, 4);
  const options: SimOptions = {
    clusterSize,
    preVote: random.chance(0.5),
    checkQuorum: random.chance(0.5),
    electionTick,
    heartbeatTick: 1,
    unitsPerTick,
    safetyTicks: between(random, 180, 320),
    livenessTicks: 40 * electionTick,
    network: {
      dropRate: sometimes(random, 0.01, 0.2),
      duplicateRate: sometimes(random, 0.01, 0.2),
      minDelay,
      // Up to a few ticks: reorders heartbeats and appends, still well inside an election timeout.
      maxDelay: minDelay + (random.chance(0.5) ? between(random, 0, 5) : between(random, 5, 40)),
    },
    partitionRate: sometimes(random, 0.005, 0.05),
    healRate: 0.02 + random.float() * 0.1,
    crashRate: sometimes(random, 0.001, 0.01),
    leaderCrashRate: sometimes(random, 0.005, 0.04),
    pauseRate: sometimes(random, 0.001, 0.01),
    restartRate: 0.02 + random.float() * 0.2,
    tornWriteRate: random.float(),
    fsyncMin: 0,
    fsyncMax: random.chance(0.5) ? between(random, 1, 10) : between(random, 10, 30),
    workload: {
      clients: between(random, 2, 5),
      keys: between(random, 1, 4),
      opRate: 0.3 + random.float() * 0.6,
      maxOps: 400,
      opTimeout: 3 * electionTick * unitsPerTick,
    },
    confChangeRate: clusterSize === 1 && random.chance(0.5) ? 0 : sometimes(random, 0.005, 0.03),
    transferRate: sometimes(random, 0.005, 0.03),
    snapshotEvery: random.chance(0.7) ? between(random, 3, 40) : 0,
    snapshotRetain: random.chance(0.5) ? 0 : between(random, 1, 10),
    maxMembers: 9,
    maxInflightMsgs: random.pick([1, 4, 256]),
    maxSizePerMsg: random.pick([1, 512, 64 * 1024]),
    watches: {
      watches: between(random, 0, 6),
      openRate: 0.02 + random.float() * 0.1,
      takeRate: random.chance(0.5) ? 1 : 0.05 + random.float() * 0.5,
      takeMax: random.pick([0, 0, 1, 3]),
      progressRate: sometimes(random, 0.01, 0.1),
    },
    compactRate: sometimes(random, 0.01, 0.08),
    store: {
      maxWatcherBufferEvents: random.pick([1, 4, 1024]),
      maxEventsPerWatchResponse: random.pick([1, 3, 1000]),
      maxCatchUpRevisions: random.pick([1, 5, 10_000]),
    },
  };
  return unsafeBugs === undefined ? options : { ...options, unsafeBugs };
}

export function describeOptions(options: SimOptions): string {
  const n = options.network;
  const percent = (rate: number): string => `${Math.round(rate * 1000) / 10}%`;
  return [
    `members=${options.clusterSize}`,
    `preVote=${options.preVote}`,
    `checkQuorum=${options.checkQuorum}`,
    `drop=${percent(n.dropRate)}`,
    `dup=${percent(n.duplicateRate)}`,
    `delay=${n.minDelay}-${n.maxDelay}`,
    `partition=${percent(options.partitionRate)}`,
    `crash=${percent(options.crashRate)}`,
    `leaderCrash=${percent(options.leaderCrashRate)}`,
    `pause=${percent(options.pauseRate)}`,
    `fsync=0-${options.fsyncMax}`,
    `clients=${options.workload.clients}`,
    `keys=${options.workload.keys}`,
    `confChange=${percent(options.confChangeRate)}`,
    `transfer=${percent(options.transferRate)}`,
    `snapshotEvery=${options.snapshotEvery}`,
    `watches=${options.watches.watches}`,
    `takeRate=${percent(options.watches.takeRate)}`,
    `compact=${percent(options.compactRate)}`,
    `watchBuffer=${options.store.maxWatcherBufferEvents}`,
  ].join(' ');
}
