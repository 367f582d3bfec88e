// Disk faults under real member processes: a bit flipped in a WAL segment or a snapshot file is
// found when the member starts, which refuses to run on it, naming the file and byte offset; only
// what a crash can leave (a last record cut short, or whose sectors never reached the disk) is cut
// off. With its files put back the member rejoins and catches up, nothing lost.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster, waitFor } from './harness.ts';

const START_TIMEOUT_MS = 15_000;

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where each WAL record starts ([length u32][crc u32][type u8][payload]), in file order. */
function recordStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let offset = 0; offset + 8 <= bytes.length; offset += 8 + bytes.readUInt32LE(offset))
    starts.push(offset);
  return starts;
}

describe('disk faults in a member of a 3-member cluster of processes', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  let walDir: string;
  let snapDir: string;

  /** The newest file in `dir` with this extension. */
  const newest = (dir: string, extension: string): string =>
    join(
      dir,
      readdirSync(dir)
        .filter((name) => name.endsWith(extension))
        .sort()
        .at(-1)!,
    );

  /** Starts m3 on its damaged files and returns what it printed before it exited. */
  async function startRefused(): Promise<string> {
    const m3 = cluster.member('m3');
    const logged = readFileSync(m3.logFile, 'utf8').length;
    cluster.restart('m3');
    const child = m3.process!;
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (exitCode) => resolve(exitCode));
    });
    assert.notEqual(code, 0, 'm3 refused to start');
    // The log is piped through this process: wait for the last of it.
    return waitFor('m3 to log why it stopped', 5000, () => {
      const text = readFileSync(m3.logFile, 'utf8').slice(logged);
      return text.includes('could not start') ? text : undefined;
    });
  }

  /** Runs `damage` on a file while m3 is down, checks the refusal, then puts the file back. */
  async function withDamaged(path: string, damage: (bytes: Buffer) => Buffer, check: (said: string) => void) {
    const original = readFileSync(path);
    writeFileSync(path, damage(Buffer.from(original)));
    try {
      check(await startRefused());
      assert.notDeepEqual(readFileSync(path), original, 'a damaged file is left as it was found');
    } finally {
      writeFileSync(path, original);
    }
  }

  before(async () => {
    cluster = await TestCluster.start({
      name: 'disk-faults',
      size: 3,
      snapshotEntries: 40,
      snapshotCatchupEntries: 10,
    });
    await cluster.waitForLeader(START_TIMEOUT_MS);
    for (let i = 0; i < 100; i++)
      assert.equal((await cluster.put('m1', `disk/${i}`, `value ${i}`)).status, 200);
    const leaderApplied = (await cluster.status('m1')).applied;
    await waitFor('m3 to apply every write', 10_000, async () =>
      (await cluster.status('m3')).applied >= leaderApplied ? true : undefined,
    );
    await cluster.kill('m3', 'SIGTERM');
    walDir = join(cluster.member('m3').dataDir, 'wal');
    snapDir = join(cluster.member('m3').dataDir, 'snap');
  });

  after(async () => {
    await cluster?.stop();
  });

  it('refuses to start on a bit flipped in a WAL record, naming the segment and the record offset', async () => {
    const segment = newest(walDir, '.wal');
    const starts = recordStarts(readFileSync(segment));
    assert.ok(starts.length >= 4, `the segment has records to damage (${starts.length})`);
    const victim = starts[Math.floor(starts.length / 2)]!;
    await withDamaged(
      segment,
      (bytes) => {
        bytes[victim + 9]! ^= 0x04;
        return bytes;
      },
      (said) => {
        assert.match(
          said,
          new RegExp(`${escaped(segment)} is corrupt at byte offset ${victim}: record checksum mismatch`),
        );
        assert.doesNotMatch(said, /cut off a torn last record/);
      },
    );
  });

  it('refuses to start on a bit flipped in a snapshot file, naming the file and the checksum offset', async () => {
    const snapshot = newest(snapDir, '.snap');
    const size = readFileSync(snapshot).length;
    await withDamaged(
      snapshot,
      (bytes) => {
        bytes[Math.floor(size / 2)]! ^= 0x01;
        return bytes;
      },
      (said) =>
        assert.match(
          said,
          new RegExp(
            `${escaped(snapshot)} is corrupt at byte offset ${size - 4}: snapshot checksum mismatch`,
          ),
        ),
    );
  });

  it('refuses a bit flipped in the last record too: it was written whole, so it may have been acknowledged', async () => {
    const segment = newest(walDir, '.wal');
    const last = recordStarts(readFileSync(segment)).at(-1)!;
    await withDamaged(
      segment,
      (bytes) => {
        // The last byte, flipped so that it is not zero (a zero tail could pass for unwritten sectors).
        bytes[bytes.length - 1]! ^= bytes[bytes.length - 1] === 0x01 ? 0x02 : 0x01;
        return bytes;
      },
      (said) => {
        assert.match(
          said,
          new RegExp(`${escaped(segment)} is corrupt at byte offset ${last}: record checksum mismatch`),
        );
        assert.doesNotMatch(said, /cut off a torn last record/);
      },
    );
  });

  it('cuts off a last record whose sectors never reached the disk, and starts', async () => {
    const segment = newest(walDir, '.wal');
    const original = readFileSync(segment);
    // Space the file system gave the last write, which the crash left unwritten: zeros.
    writeFileSync(segment, Buffer.concat([original, Buffer.alloc(1024)]));
    cluster.restart('m3');
    await cluster.waitForLog(
      'm3',
      new RegExp(`"offset":${original.length}.*cut off a torn last record`),
      START_TIMEOUT_MS,
    );
    assert.deepEqual(
      readFileSync(segment).subarray(0, original.length),
      original,
      'every complete record kept',
    );
  });

  it('with its files intact again, rejoins and serves every write', async () => {
    await cluster.waitForLeader(START_TIMEOUT_MS);
    assert.equal((await cluster.put('m1', 'disk/after', 'after the faults')).status, 200);
    await waitFor('m3 to catch up', 10_000, async () => {
      const r = await cluster.get('m3', 'disk/after', '?serializable=true');
      return r.body.kvs?.[0]?.value === 'after the faults' ? true : undefined;
    });
    for (let i = 0; i < 100; i += 7) {
      const r = await cluster.get('m3', `disk/${i}`, '?serializable=true');
      assert.equal(r.body.kvs?.[0]?.value, `value ${i}`);
    }
  });
});
