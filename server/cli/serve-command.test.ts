// serve: flags and VANE_* variables become the member's configuration; every problem is listed at
// once; the member runs until Ctrl-C and is then stopped. (The member itself is a fake here; the
// end-to-end tests start real ones.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MemberConfig } from '../config.ts';
import type { CliDeps } from './command.ts';
import { vane } from './testing.ts';

/** A member that stops by itself with `stopsWith` (a reason) when that resolves. */
function fakeMember(
  onStart: (config: MemberConfig) => void = () => {},
  stopsWith: Promise<string> = new Promise(() => {}),
): CliDeps & { stopped: number } {
  const deps = {
    stopped: 0,
    async startNodeMember(config: MemberConfig) {
      onStart(config);
      return {
        clientPort: config.listenClient.port,
        peerPort: config.listenPeer.port,
        stopped: stopsWith,
        stop: async () => {
          deps.stopped++;
        },
      };
    },
  };
  return deps;
}

describe('vane serve', () => {
  test('flags win over environment variables; the member runs until Ctrl-C, then stops', async () => {
    const interrupt = new AbortController();
    let started: MemberConfig | undefined;
    const deps = fakeMember((config) => {
      started = config;
      interrupt.abort();
    });
    const result = await vane(
      [
        'serve',
        '--name',
        'm1',
        '--data-dir',
        '/tmp/m1',
        '--listen-client',
        '127.0.0.1:8379',
        '--initial-cluster',
        'm1=ws://127.0.0.1:8380,m2=ws://127.0.0.1:8480',
        '--election-ticks',
        '20',
      ],
      {
        deps,
        interrupt: interrupt.signal,
        env: { VANE_CLUSTER_SECRET: 'from-the-environment', VANE_NAME: 'ignored', VANE_TICK_MS: '50' },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(deps.stopped, 1);
    assert.ok(started !== undefined);
    assert.equal(started.name, 'm1');
    assert.equal(started.dataDir, '/tmp/m1');
    assert.equal(started.clusterSecret, 'from-the-environment');
    assert.deepEqual(started.listenClient, { host: '127.0.0.1', port: 8379 });
    assert.equal(started.advertiseClientUrl, 'http://127.0.0.1:8379');
    assert.equal(started.advertisePeerUrl, 'ws://127.0.0.1:8380');
    assert.deepEqual([...started.initialCluster.keys()], ['m1', 'm2']);
    assert.equal(started.tickMs, 50);
    assert.equal(started.electionTicks, 20);
  });

  test('every configuration problem is listed, and no member starts', async () => {
    const deps = fakeMember(() => assert.fail('the member must not start'));
    const result = await vane(['serve', '--listen-peer', 'nowhere', '--heartbeat-ticks', '0'], { deps });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^vane serve: --name: is required \(--name or VANE_NAME\)\n/);
    assert.match(result.stderr, /--cluster-secret: is required \(--cluster-secret or VANE_CLUSTER_SECRET\)/);
    assert.match(result.stderr, /--listen-peer: expected host:port, got 'nowhere'/);
    assert.match(result.stderr, /\(see `vane serve --help`\)/);
  });

  test('a member that stops by itself ends serve with its reason (exit 1)', async () => {
    const deps = fakeMember(() => {}, Promise.resolve('removed from the cluster'));
    const result = await vane(['serve', '--name', 'm3'], {
      deps,
      env: { VANE_CLUSTER_SECRET: 'long enough for a cluster' },
    });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'vane serve: member m3 stopped: removed from the cluster\n');
    assert.equal(deps.stopped, 1);
  });

  test('a member that cannot start is reported with its reason (exit 1)', async () => {
    const deps: CliDeps = {
      startNodeMember: () =>
        Promise.reject(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7379')),
    };
    const result = await vane(['serve', '--name', 'm1'], {
      deps,
      env: { VANE_CLUSTER_SECRET: 'long enough for a cluster' },
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'vane serve: member m1 could not start: listen EADDRINUSE: address already in use 127.0.0.1:7379\n',
    );
  });
});
