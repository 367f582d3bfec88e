// The target of the fuzz suites: real members in this process (startMember with the Node adapters:
// WAL on disk, Raft, peer transport, the client API on a real HTTP server), founded as a cluster of
// three voters of which two run here. The third voter, FAKE_VOTER, is never started: a fuzzer
// holding the cluster secret can speak as it, which is how hostile frames reach Raft.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isVaneError } from '../../core/errors.ts';
import { KvStore } from '../../core/store/index.ts';
import { nodeFileSystem, nodeProcessTable } from '../../server/adapters/node/fs.ts';
import { serveClientApi } from '../../server/adapters/node/http.ts';
import { type RunningMember, startMember } from '../../server/adapters/start-member.ts';
import { type RawServeOptions, resolveConfig } from '../../server/config.ts';
import { createLogger } from '../../server/log.ts';
import { freePort, waitFor } from '../cluster/harness.ts';
import { InjectableNetwork } from './injectable-network.ts';

export const CLUSTER_ID = 'fuzz';
export const CLUSTER_SECRET = 'a secret only the fuzzed cluster and its fuzzer know';
/** A founding voter that is never started; the fuzzer may authenticate as it. */
export const FAKE_VOTER = 'a';
/** Log lines kept per member (at least; the oldest are dropped), so a long run does not grow without bound. */
const MAX_LOG_LINES = 50_000;

const ROOT = resolve(import.meta.dirname, '../..');

/** A member's log lines, as pino wrote them (JSON text), newest last. */
export class LogTail {
  readonly #lines: string[] = [];
  #dropped = 0;

  write(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > 2 * MAX_LOG_LINES) {
      this.#lines.splice(0, MAX_LOG_LINES);
      this.#dropped += MAX_LOG_LINES;
    }
  }

  /** A position to read from later with since(). */
  mark(): number {
    return this.#dropped + this.#lines.length;
  }

  /** Lines written since `mark` that contain `text`, parsed. */
  since(mark: number, text: string): Record<string, unknown>[] {
    const start = Math.max(0, mark - this.#dropped);
    return this.#lines
      .slice(start)
      .filter((line) => line.includes(text))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface FuzzMember {
  readonly id: string;
  readonly running: RunningMember;
  readonly network: InjectableNetwork;
  readonly clientUrl: string;
  readonly log: LogTail;
  /** Why the member stopped by itself, if it did (a crash the fuzz must not cause). */
  stoppedBecause: string | null;
}

export interface FuzzClusterOptions {
  /** Extra `vane serve` flags for every member, e.g. { 'max-request-bytes': '65536' }. */
  readonly flags?: RawServeOptions;
}

export class FuzzCluster {
  readonly members: readonly FuzzMember[];
  readonly #dir: string;

  private constructor(members: FuzzMember[], dir: string) {
    this.members = members;
    this.#dir = dir;
  }

  static async start(name: string, options: FuzzClusterOptions = {}): Promise<FuzzCluster> {
    const dir = join(ROOT, 'test-output', 'fuzz', `${name}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const ids = ['m1', 'm2'];
    const peerPorts = new Map<string, number>();
    for (const id of ids) peerPorts.set(id, await freePort());
    const initialCluster = [
      `${FAKE_VOTER}=ws://127.0.0.1:1`,
      ...ids.map((id) => `${id}=ws://127.0.0.1:${peerPorts.get(id)}`),
    ].join(',');
    const members = await Promise.all(
      ids.map(async (id): Promise<FuzzMember> => {
        const resolved = resolveConfig(
          {
            name: id,
            'data-dir': join(dir, id),
            'cluster-id': CLUSTER_ID,
            'cluster-secret': CLUSTER_SECRET,
            'listen-client': '127.0.0.1:0',
            'listen-peer': `127.0.0.1:${peerPorts.get(id)}`,
            'initial-cluster': initialCluster,
            'tick-ms': '20',
            'election-ticks': '15',
            ...options.flags,
          },
          {},
        );
        if (!resolved.ok) throw new Error(`fuzz cluster config: ${resolved.errors.join('; ')}`);
        const log = new LogTail();
        const network = new InjectableNetwork();
        const running = await startMember(resolved.config, {
          runtime: `node ${process.version}`,
          fs: nodeFileSystem,
          processes: nodeProcessTable,
          network,
          serveClientApi,
          randomSeed: () => ids.indexOf(id) + 1,
          logger: createLogger({
            level: 'debug',
            name: id,
            destination: { write: (line) => log.write(line) },
          }),
        });
        const member: FuzzMember = {
          id,
          running,
          network,
          clientUrl: `http://127.0.0.1:${running.clientPort}`,
          log,
          stoppedBecause: null,
        };
        void running.stopped.then((reason) => {
          member.stoppedBecause = reason;
        });
        return member;
      }),
    );
    const cluster = new FuzzCluster(members, dir);
    await cluster.leader();
    return cluster;
  }

  member(id: string): FuzzMember {
    const member = this.members.find((m) => m.id === id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  /** The member both running members follow, once they agree and are healthy. */
  leader(): Promise<FuzzMember> {
    return waitFor('a leader both running members follow', 10_000, () => {
      const leaders = new Set(this.members.map((m) => m.running.member.status().leader));
      const healthy = this.members.every((m) => m.running.member.health().ok);
      const [leader] = leaders;
      return leaders.size === 1 && healthy && leader != null && leader !== FAKE_VOTER
        ? this.member(leader)
        : undefined;
    });
  }

  /** Each member's store hash (core/store KvStore.hash), read through a linearizable snapshot. */
  async storeHashes(): Promise<Record<string, string>> {
    const hashes: Record<string, string> = {};
    for (const member of this.members) {
      const bytes = await member.running.member.snapshot();
      if (isVaneError(bytes)) throw new Error(`${member.id} snapshot: ${bytes.message}`);
      const store = KvStore.restore(bytes);
      if (isVaneError(store)) throw new Error(`${member.id} snapshot does not restore: ${store.message}`);
      hashes[member.id] = store.hash();
    }
    return hashes;
  }

  /** Members that stopped by themselves, with the reason; empty while all run. */
  crashed(): string[] {
    return this.members.filter((m) => m.stoppedBecause !== null).map((m) => `${m.id}: ${m.stoppedBecause}`);
  }

  /** Some history for the fuzz to leave alone: keys, overwrites, a delete, a compaction. */
  async seed(): Promise<void> {
    const url = this.members[0]!.clientUrl;
    const call = async (method: string, path: string, body?: unknown): Promise<void> => {
      const response = await fetch(`${url}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok)
        throw new Error(`seed ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    };
    for (let i = 0; i < 8; i++) await call('PUT', `/v1/kv/app%2Fflag-${i}`, { value: `v${i}` });
    await call('PUT', '/v1/kv/app%2Fflag-0', { value: 'changed' });
    await call('DELETE', '/v1/kv/app%2Fflag-7');
    await call('POST', '/v1/compact', { revision: 3 });
    await call('PUT', '/v1/kv/bin', { value: 'AAECAw==', encoding: 'base64' });
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.running.stop()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
