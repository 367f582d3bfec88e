import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInitialCluster, resolveConfig } from './config.ts';

const secret = { VANE_CLUSTER_SECRET: 'sixteen-chars-ok' };

describe('member configuration', () => {
  it('fills in defaults and derives advertised URLs from the listen addresses', () => {
    const result = resolveConfig({ name: 'm1' }, secret);
    assert.ok(result.ok);
    assert.equal(result.config.advertiseClientUrl, 'http://127.0.0.1:7379');
    assert.equal(result.config.advertisePeerUrl, 'ws://127.0.0.1:7380');
    assert.equal(result.config.dataDir, './m1.vane');
    assert.equal(result.config.electionTicks, 10);
    assert.equal(result.config.autoCompactMinutes, 0);
  });

  it('takes flags over VANE_* variables', () => {
    const result = resolveConfig(
      { name: 'm1', 'tick-ms': '50' },
      { ...secret, VANE_TICK_MS: '20', VANE_NAME: 'x' },
    );
    assert.ok(result.ok);
    assert.equal(result.config.name, 'm1');
    assert.equal(result.config.tickMs, 50);
  });

  it('lists every problem at once, each naming its flag', () => {
    const result = resolveConfig(
      { 'listen-client': 'nowhere', 'heartbeat-ticks': '0' },
      { VANE_CLUSTER_SECRET: 'short' },
    );
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [
      '--name: is required (--name or VANE_NAME)',
      '--cluster-secret: must be at least 16 characters',
      "--listen-client: expected host:port, got 'nowhere'",
      '--heartbeat-ticks: must be positive',
    ]);
  });

  it('checks the initial cluster: this member listed, no duplicates, URLs, not with --join', () => {
    assert.deepEqual(resolveConfig({ name: 'm9', 'initial-cluster': 'm1=ws://h:1' }, secret), {
      ok: false,
      errors: ["--initial-cluster: does not list this member 'm9'"],
    });
    assert.equal(parseInitialCluster('m1=ws://h:1,m1=ws://h:2'), "member 'm1' is listed twice");
    assert.equal(parseInitialCluster('m1=h:1'), "member 'm1': 'h:1' is not a ws:// or http:// URL");
    const both = resolveConfig({ name: 'm1', 'initial-cluster': 'm1=ws://h:1', join: 'http://h:2' }, secret);
    assert.ok(!both.ok && both.errors.includes('--initial-cluster and --join exclude each other'));
  });
});
