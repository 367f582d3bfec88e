// The browser entry point outside a browser (no Web Locks here, so no shared connection): replicas
// in memory when there is no IndexedDB, and a connect timeout no shorter than Chromium's throttling
// of repeated WebSocket connects allows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BROWSER_MIN_CONNECT_TIMEOUT_MS, createClient } from './browser.ts';
import { FakeNetwork, ManualClock, sequence } from './fakes.test.ts';

describe('client/browser.ts createClient', () => {
  it(`waits at least ${BROWSER_MIN_CONNECT_TIMEOUT_MS} ms for a socket to open, whatever connectTimeoutMs says`, async () => {
    const network = new FakeNetwork();
    const clock = new ManualClock();
    const client = createClient({
      endpoints: ['http://a:1', 'http://b:2'],
      webSocket: network.WebSocket,
      connectTimeoutMs: 1000,
      clock,
      random: sequence(0, 0),
    });
    await clock.advance(BROWSER_MIN_CONNECT_TIMEOUT_MS - 1);
    assert.equal(network.sockets.length, 1, 'the first attempt is still given its chance');
    await clock.advance(1);
    assert.equal(network.sockets.length, 2);
    assert.equal(network.last.url, 'ws://b:2/v1/watch');
    client.close();
  });
});
