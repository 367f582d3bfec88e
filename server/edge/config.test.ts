// The edge's configuration from wrangler vars: what is required, what is defaulted, and bad values
// named so an operator can fix them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EdgeEnv, readEdgeConfig } from './config.ts';
import { DEFAULT_EDGE_LIMITS } from './limits.ts';

const objects = { idFromName: () => ({}), get: () => ({ fetch: async () => new Response() }) };
const env = (vars: Partial<EdgeEnv>): EdgeEnv => ({ PREFIX_OBJECTS: objects, ...vars });

describe('readEdgeConfig', () => {
  it('reads endpoints, token, prefixes and limits, defaulting the rest', () => {
    const config = readEdgeConfig(
      env({
        VANE_CLUSTER_ENDPOINTS: 'https://a.example.com, https://b.example.com',
        VANE_EDGE_TOKEN: 'secret',
        VANE_EDGE_PREFIXES: 'flags/,config/',
        VANE_EDGE_LIMITS: { historyChangeSets: 50 },
      }),
    );
    assert.deepEqual(config.clusterEndpoints, ['https://a.example.com', 'https://b.example.com']);
    assert.equal(config.edgeToken, 'secret');
    assert.deepEqual(config.prefixes, ['flags/', 'config/']);
    assert.equal(config.allowOrigin, '*');
    assert.deepEqual(config.limits, { ...DEFAULT_EDGE_LIMITS, historyChangeSets: 50 });
    assert.equal(
      readEdgeConfig(env({ VANE_CLUSTER_ENDPOINTS: 'http://x', VANE_EDGE_LIMITS: '{"fenceWaitMs":10}' }))
        .limits.fenceWaitMs,
      10,
    );
  });

  it('names what is missing or wrong', () => {
    assert.throws(() => readEdgeConfig(env({})), /VANE_CLUSTER_ENDPOINTS is not set/);
    assert.throws(
      () => readEdgeConfig(env({ VANE_CLUSTER_ENDPOINTS: 'cluster:7379' })),
      /'cluster:7379' is not an http\(s\) URL/,
    );
    const base = { VANE_CLUSTER_ENDPOINTS: 'http://x' };
    assert.throws(
      () => readEdgeConfig(env({ ...base, VANE_EDGE_LIMITS: { historyChangeSet: 5 } })),
      /historyChangeSet is not a limit/,
    );
    assert.throws(
      () => readEdgeConfig(env({ ...base, VANE_EDGE_LIMITS: { fenceWaitMs: -1 } })),
      /positive integer/,
    );
    assert.throws(() => readEdgeConfig(env({ ...base, VANE_EDGE_LIMITS: 'nope' })), /not a JSON object/);
  });
});
