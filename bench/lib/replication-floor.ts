// The floor under one put at a time on this machine: a client and three processes that do only
// what a replicated, durable write must (two loopback WebSocket hops there and back, a 300-byte
// append and fdatasync on each, the leader's overlapping its followers'), with no consensus, no
// encoding and no store (floor-member.mjs). Vane's and etcd's puts at 1 in flight compare to it.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { percentile } from './stats.ts';

const MEMBER = join(import.meta.dirname, 'floor-member.mjs');

export interface FloorLatency {
  readonly p50Ms: number;
  readonly p90Ms: number;
}

function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve(Number(port)));
    child.once('exit', (code) => reject(new Error(`a floor process exited (code ${code}) before listening`)));
  });
}

export async function probeReplicationFloor(dir: string, writes = 2000, warmup = 300): Promise<FloorLatency> {
  const workDir = join(dir, `floor-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const children: ChildProcess[] = [];
  const spawnMember = (role: string): ChildProcess => {
    const child = fork(MEMBER, [role, workDir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    return child;
  };
  let socket: WebSocket | undefined;
  try {
    const followerPorts = await Promise.all([spawnMember('follower'), spawnMember('follower')].map(portOf));
    const leader = spawnMember('leader');
    const leaderPort = portOf(leader);
    leader.send(followerPorts);
    socket = await new Promise<WebSocket>((resolve, reject) => {
      leaderPort.then((port) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }, reject);
    });
    const open = socket;
    const record = Buffer.alloc(300, 0x61);
    const times: number[] = [];
    for (let i = 0; i < warmup + writes; i++) {
      record.writeUInt32LE(i, 0);
      const started = performance.now();
      await new Promise<void>((resolve) => {
        open.once('message', () => resolve());
        open.send(record);
      });
      if (i >= warmup) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { p50Ms: percentile(times, 50), p90Ms: percentile(times, 90) };
  } finally {
    socket?.close();
    for (const child of children)
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  }
}
