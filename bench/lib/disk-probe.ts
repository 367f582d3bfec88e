// What the disk under test-output/ was doing: the latency of a small write plus fdatasync, the
// operation every acknowledged write waits for in both systems. Taken before and after the run,
// so a reader can tell a quiet disk from one shared with other work.
import { closeSync, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './stats.ts';

export interface DiskLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function probeFsync(dir: string, count = 200): DiskLatency {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `fsync-probe-${process.pid}`);
  const fd = openSync(file, 'w');
  const record = new Uint8Array(300).fill(0x61);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}
