// For tests: a one-member cluster on Node in the test's own process, on a temporary data directory,
// started with `vane serve` flags, its log lines collected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RawServeOptions, resolveConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { type RunningMember, startMember } from '../start-member.ts';
import { nodeFileSystem, nodeProcessTable } from './fs.ts';
import { serveClientApi } from './http.ts';
import { createNodePeerNetwork } from './peer-socket.ts';

const LEAD_TIMEOUT_MS = 10_000;

export interface TestMember {
  readonly running: RunningMember;
  /** Every JSON log line the member wrote, in order. */
  readonly logLines: readonly string[];
  /** WAL fsyncs so far, as its /metrics reports them (vane_wal_fsync_seconds_count). */
  walFsyncs(): Promise<number>;
  /** Stops the member and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts member m1 of a one-member cluster (10 ms ticks) and waits until it leads. */
export async function startOneMemberCluster(flags: RawServeOptions = {}): Promise<TestMember> {
  const dir = mkdtempSync(join(tmpdir(), 'vane-member-'));
  const resolved = resolveConfig(
    {
      name: 'm1',
      'data-dir': dir,
      'cluster-secret': 'a secret of the one-member test cluster',
      'listen-client': '127.0.0.1:0',
      'listen-peer': '127.0.0.1:0',
      'initial-cluster': 'm1=ws://127.0.0.1:1',
      'tick-ms': '10',
      ...flags,
    },
    {},
  );
  if (!resolved.ok) throw new Error(`test member config: ${resolved.errors.join('; ')}`);
  const logLines: string[] = [];
  const running = await startMember(resolved.config, {
    runtime: 'node',
    fs: nodeFileSystem,
    processes: nodeProcessTable,
    network: createNodePeerNetwork(),
    serveClientApi,
    afterIo: setImmediate,
    randomSeed: () => 1,
    logger: createLogger({
      level: 'info',
      name: 'm1',
      destination: { write: (line) => logLines.push(line) },
    }),
  });
  const stop = async (): Promise<void> => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + LEAD_TIMEOUT_MS;
  while (!running.member.health().ok) {
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`the one-member cluster did not elect m1 within ${LEAD_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const walFsyncs = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${running.clientPort}/metrics`)).text();
    const count = /^vane_wal_fsync_seconds_count (\d+)$/m.exec(text)?.[1];
    if (count === undefined) throw new Error('the metrics do not list vane_wal_fsync_seconds_count');
    return Number(count);
  };
  return { running, logLines, walFsyncs, stop };
}
