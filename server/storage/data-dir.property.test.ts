// Random sequences of saves, snapshots, restarts and power cuts (which keep a random prefix of
// the unsynced bytes) must always recover exactly what a model of the persisted log predicts:
// everything fsynced, plus the whole records among the unsynced bytes that reached the disk.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Entry, HardState, Snapshot } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import { type DataDir, openDataDir, type RecoveredState } from './data-dir.ts';
import { resolveLimits } from './limits.ts';
import { MemoryFileSystem } from './memory-fs.ts';
import { encodeRecords, type WalRecord } from './record.ts';
import { describeEntries, recordingLogger } from './testing.ts';

const limits = resolveLimits({ maxSegmentBytes: 400 });
const processes = { pid: 1, isAlive: () => false };

interface Model {
  snapshot: Snapshot | null;
  entries: Entry[];
  hardState: HardState;
}

function baseIndex(model: Model): number {
  return model.snapshot?.metadata.index ?? 0;
}

function lastIndex(model: Model): number {
  return model.entries.at(-1)?.index ?? baseIndex(model);
}

function termAt(model: Model, index: number): number {
  if (index === baseIndex(model)) return model.snapshot?.metadata.term ?? 0;
  return model.entries[index - baseIndex(model) - 1]!.term;
}

/** What one WAL record does to the persisted state, as Raft's MemoryStorage would see it. */
type Change =
  | { readonly kind: 'entry'; readonly entry: Entry }
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'installed' | 'taken'; readonly snapshot: Snapshot };

function apply(model: Model, change: Change): Model {
  switch (change.kind) {
    case 'entry': {
      const keep = change.entry.index - baseIndex(model) - 1;
      return { ...model, entries: [...model.entries.slice(0, keep), change.entry] };
    }
    case 'hardState':
      return { ...model, hardState: change.hardState };
    case 'installed':
      return { ...model, snapshot: change.snapshot, entries: [] };
    case 'taken': {
      const drop = change.snapshot.metadata.index - baseIndex(model);
      return { ...model, snapshot: change.snapshot, entries: model.entries.slice(drop) };
    }
  }
}

function recordOf(change: Change): WalRecord {
  switch (change.kind) {
    case 'entry':
      return { type: 'entry', entry: change.entry };
    case 'hardState':
      return { type: 'hardState', hardState: change.hardState };
    default:
      return {
        type: 'snapshotMarker',
        marker: {
          origin: change.kind,
          index: change.snapshot.metadata.index,
          term: change.snapshot.metadata.term,
        },
      };
  }
}

type Command =
  | {
      kind: 'append';
      back: number;
      count: number;
      newTerm: boolean;
      commit: number;
      vote: number;
      sync: boolean;
      size: number;
    }
  | { kind: 'take'; at: number }
  | { kind: 'install'; ahead: number; follow: number; interrupted: boolean; keep: number }
  | { kind: 'restart' }
  | { kind: 'crash'; keep: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat(3),
      count: fc.integer({ min: 1, max: 5 }),
      newTerm: fc.boolean(),
      commit: fc.nat(),
      vote: fc.nat(2),
      sync: fc.boolean(),
      size: fc.nat(40),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('take' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('install' as const),
      ahead: fc.integer({ min: 1, max: 4 }),
      follow: fc.nat(2),
      interrupted: fc.boolean(),
      keep: fc.nat(2000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), keep: fc.nat(2000) }) },
);

function assertRecovered(recovered: RecoveredState, model: Model, step: string): void {
  const commit = Math.max(model.hardState.commit, baseIndex(model));
  assert.deepEqual(recovered.hardState, { ...model.hardState, commit }, `hard state after ${step}`);
  assert.deepEqual(recovered.snapshot, model.snapshot, `snapshot after ${step}`);
  assert.deepEqual(
    describeEntries(recovered.entries),
    describeEntries(model.entries),
    `entries after ${step}`,
  );
}

async function run(commands: readonly Command[]): Promise<void> {
  const fs = new MemoryFileSystem();
  const open = () => openDataDir({ dir: '/data', fs, processes, logger: recordingLogger(), limits });
  let dataDir: DataDir = (await open()).dataDir;
  /** What is fsynced, and the changes written since, each with its size in bytes on disk. */
  let durable: Model = { snapshot: null, entries: [], hardState: { term: 0, vote: null, commit: 0 } };
  let pending: { change: Change; bytes: number }[] = [];
  let term = 1;
  const live = (): Model => pending.reduce((model, { change }) => apply(model, change), durable);
  const persist = async (changes: Change[], sync: boolean, save: () => Promise<void>): Promise<void> => {
    await save();
    pending.push(
      ...changes.map((change) => ({ change, bytes: encodeRecords([recordOf(change)], limits).length })),
    );
    if (sync) {
      durable = live();
      pending = [];
    }
  };

  /** Cuts the power, keeping `keep` (modulo) of the unsynced bytes, and checks what the member recovers. */
  const crash = async (keep: number, label: string): Promise<DataDir> => {
    const unsynced: { path: string; bytes: number }[] = [];
    const random = createRandom(keep);
    fs.crash({
      bytesKept: (path, bytes) => {
        if (bytes > 0) unsynced.push({ path, bytes });
        return keep % (bytes + 1);
      },
      entryKept: () => random.chance(0.5),
    });
    assert.ok(
      unsynced.length <= 1,
      `only the last segment holds unsynced bytes: ${JSON.stringify(unsynced)}`,
    );
    const unsyncedBytes = unsynced[0]?.bytes ?? 0;
    const pendingBytes = pending.reduce((sum, p) => sum + p.bytes, 0);
    assert.ok(
      unsyncedBytes <= pendingBytes,
      `${unsyncedBytes} unsynced bytes, ${pendingBytes} written since the last sync`,
    );
    // Changes before the unsynced bytes were synced when a segment was closed; of the rest, those whose record fully survived.
    const survivingBytes = pendingBytes - unsyncedBytes + (keep % (unsyncedBytes + 1));
    let offset = 0;
    for (const p of pending) {
      offset += p.bytes;
      if (offset > survivingBytes) break;
      durable = apply(durable, p.change);
    }
    pending = [];
    const reopened = await open();
    assertRecovered(reopened.recovered, durable, label);
    durable = { ...durable, hardState: reopened.recovered.hardState };
    return reopened.dataDir;
  };

  for (const [step, cmd] of commands.entries()) {
    const model = live();
    const label = `step ${step} (${cmd.kind})`;
    switch (cmd.kind) {
      case 'append': {
        if (cmd.newTerm) term++;
        const floor = Math.max(model.hardState.commit, baseIndex(model)) + 1;
        const first = Math.max(floor, lastIndex(model) + 1 - cmd.back);
        const entries: Entry[] = [];
        for (let index = first; index < first + cmd.count; index++) {
          const data = Uint8Array.from({ length: cmd.size }, (_, i) => (index * 31 + i) & 0xff);
          entries.push({ index, term, type: index % 5 === 0 ? 'confChange' : 'normal', data });
        }
        const last = first + cmd.count - 1;
        const commit = model.hardState.commit + (cmd.commit % (last - model.hardState.commit + 1));
        const hardState: HardState = { term, vote: [null, 'a', 'b'][cmd.vote] ?? null, commit };
        const changes: Change[] = [
          ...entries.map((entry) => ({ kind: 'entry' as const, entry })),
          { kind: 'hardState', hardState },
        ];
        await persist(changes, cmd.sync, () => dataDir.save({ entries, hardState, mustSync: cmd.sync }));
        break;
      }
      case 'take': {
        const base = baseIndex(model);
        if (model.hardState.commit <= base) break;
        const index = base + 1 + (cmd.at % (model.hardState.commit - base));
        const snapshot = snapshotAt(index, termAt(model, index), step);
        await persist([{ kind: 'taken', snapshot }], true, () => dataDir.saveSnapshot(snapshot));
        break;
      }
      case 'install': {
        term++;
        const index = Math.max(model.hardState.commit, baseIndex(model)) + cmd.ahead;
        const snapshot = snapshotAt(index, term, step);
        const entries: Entry[] = [];
        for (let i = 1; i <= cmd.follow; i++)
          entries.push({ index: index + i, term, type: 'normal', data: new Uint8Array([i]) });
        const hardState: HardState = { term, vote: null, commit: index };
        const changes: Change[] = [
          { kind: 'installed', snapshot },
          ...entries.map((entry) => ({ kind: 'entry' as const, entry })),
          { kind: 'hardState', hardState },
        ];
        if (!cmd.interrupted) {
          await persist(changes, true, () => dataDir.save({ snapshot, entries, hardState }));
          break;
        }
        // Power fails while the batch is being written: its fsync never completes.
        fs.setFault((operation) => (operation === 'sync' ? new Error('power cut') : undefined));
        await assert.rejects(persist(changes, false, () => dataDir.save({ snapshot, entries, hardState })));
        fs.setFault(null);
        pending.push(
          ...changes.map((change) => ({ change, bytes: encodeRecords([recordOf(change)], limits).length })),
        );
        dataDir = await crash(cmd.keep, label);
        break;
      }
      case 'restart': {
        await dataDir.close();
        const reopened = await open();
        assertRecovered(reopened.recovered, model, label);
        dataDir = reopened.dataDir;
        break;
      }
      case 'crash':
        dataDir = await crash(cmd.keep, label);
        break;
    }
  }
  await dataDir.close();
  const final = await open();
  assertRecovered(final.recovered, live(), 'the final restart');
  await final.dataDir.close();
}

function snapshotAt(index: number, term: number, step: number): Snapshot {
  return {
    metadata: {
      index,
      term,
      confState: {
        voters: ['a', 'b'],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: step % 2 === 0,
      },
    },
    data: new TextEncoder().encode(`state at ${index}, written at step ${step}`),
  };
}

describe('data directory under random saves, snapshots and crashes', () => {
  it('recovers exactly the durable state after every crash and restart', async () => {
    const seed = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), run), {
      numRuns: 300,
      ...(seed === undefined ? {} : { seed }),
    });
  });
});
