// Failover and waiting, as a user sees them: the next endpoint when one is down, a message naming
// every endpoint when none answers, "no leader" retried with a note on stderr, notLeader followed
// to the leader, and writes retried under one Idempotency-Key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiClient } from './api-client.ts';
import { header, refusedUrl, serveCanned, vane } from './testing.ts';

const rangeAnswer = {
  header,
  kvs: [{ key: 'greeting', value: 'hello', createRevision: 3, modRevision: 7, version: 2, lease: 0 }],
  more: false,
  count: 1,
};
const noLeader = {
  header,
  error: { code: 'noLeader', message: 'no leader was elected before the request timed out' },
};

describe('endpoint failover', () => {
  test('a refused first endpoint is skipped; the second answers', async () => {
    const down = await refusedUrl();
    const up = await serveCanned(() => ({ status: 200, body: rangeAnswer }));
    try {
      const result = await vane(['get', 'greeting', '--endpoints', `${down},${up.url}`]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'greeting = hello\n');
      assert.equal(result.stderr, '');
      assert.equal(up.requests.length, 1);
    } finally {
      await up.close();
    }
  });

  test('VANE_ENDPOINTS is used when --endpoints is absent', async () => {
    const up = await serveCanned(() => ({ status: 200, body: rangeAnswer }));
    try {
      const result = await vane(['get', 'greeting'], { env: { VANE_ENDPOINTS: up.url } });
      assert.equal(result.stdout, 'greeting = hello\n');
    } finally {
      await up.close();
    }
  });

  test('when no endpoint answers, the message names each one and why', async () => {
    const first = await refusedUrl();
    const second = await refusedUrl();
    const result = await vane(['put', 'k', 'v', '--endpoints', `${first},${second}`]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.ok(
      result.stderr.startsWith(
        `vane put: no member answered: ${first} (connection refused), ${second} (connection refused)\n`,
      ),
      result.stderr,
    );
    assert.match(result.stderr, /Is the cluster running\? \(`npm start` runs one locally/);
  });

  test('an HTTP server that is not a Vane member is named as such', async () => {
    const other = await serveCanned(() => ({ status: 404, body: 'Not Found' }));
    try {
      const result = await vane(['get', 'k', '--endpoints', other.url]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /answered HTTP 404 Not Found without a Vane error \(is it a Vane member\?\)/,
      );
    } finally {
      await other.close();
    }
  });

  test('"no leader" is retried, with a note on stderr saying what it waits for', async () => {
    let calls = 0;
    const member = await serveCanned(() =>
      ++calls <= 2 ? { status: 503, body: noLeader } : { status: 200, body: rangeAnswer },
    );
    try {
      const result = await vane(['get', 'greeting', '--endpoints', member.url]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'greeting = hello\n');
      assert.match(
        result.stderr,
        /^the cluster has no leader \(an election is running or a quorum is down\); waiting up to \d+(\.\d)?s more \(the read of 'greeting'\)\.\.\.\n$/,
      );
      assert.equal(member.requests.length, 3);
    } finally {
      await member.close();
    }
  });

  test('"no leader" until --timeout: gives up with the reason and the last answers', async () => {
    const member = await serveCanned(() => ({ status: 503, body: noLeader }));
    try {
      const result = await vane(['get', 'greeting', '--endpoints', member.url, '--timeout', '400ms']);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `vane get: gave up after [\\d.]+m?s: the cluster has no leader \\(an election is running or a quorum is down\\); ` +
            `last answers: ${member.url} \\(no leader\\) \\(raise --timeout to wait longer\\)`,
        ),
      );
    } finally {
      await member.close();
    }
  });

  test('a retried write carries the same Idempotency-Key each time', async () => {
    let calls = 0;
    const member = await serveCanned(() =>
      ++calls === 1 ? { status: 503, body: noLeader } : { status: 200, body: { header } },
    );
    try {
      const result = await vane(['put', 'k', 'v', '--endpoints', member.url]);
      assert.equal(result.code, 0, result.stderr);
      const keys = member.requests.map((r) => r.headers['idempotency-key']);
      assert.equal(keys.length, 2);
      assert.ok(typeof keys[0] === 'string' && keys[0].length > 0);
      assert.equal(keys[0], keys[1]);
      // A read carries none.
      await vane(['get', 'k', '--endpoints', member.url]);
      assert.equal(member.requests[2]!.headers['idempotency-key'], undefined);
    } finally {
      await member.close();
    }
  });

  test('a membership change refused with notLeader is sent to the leader it names', async () => {
    const members = {
      header,
      members: [{ id: 'm4', name: 'm4', peerUrls: ['ws://10.0.0.4:7380'], clientUrls: [], isLearner: true }],
    };
    const leader = await serveCanned(() => ({ status: 200, body: members }));
    const follower = await serveCanned(() => ({
      status: 421,
      body: {
        header,
        error: {
          code: 'notLeader',
          message: 'membership changes go to the leader, m1',
          details: { leader: 'm1', leaderUrl: leader.url },
        },
      },
    }));
    try {
      const result = await vane([
        'member',
        'add',
        'm4',
        '--peer-url',
        'ws://10.0.0.4:7380',
        '--endpoints',
        follower.url,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`${follower.url} is not the leader; asking the leader at ${leader.url}`),
      );
      assert.deepEqual(JSON.parse(leader.requests[0]!.body), {
        id: 'm4',
        peerUrl: 'ws://10.0.0.4:7380',
        learner: true,
      });
      assert.match(result.stdout, /^added m4 as a learner \(peer ws:\/\/10\.0\.0\.4:7380\)\n/);
      assert.match(result.stdout, new RegExp(`--join ${leader.url}`));
    } finally {
      await leader.close();
      await follower.close();
    }
  });

  test('a leader that was named but does not answer is waited out until the members elect another', async () => {
    const deadLeader = await refusedUrl();
    const members = { header, members: [] };
    let asked = 0;
    // The follower still names the dead leader twice, then (after an election) answers itself.
    const follower = await serveCanned(() =>
      ++asked <= 2
        ? {
            status: 421,
            body: {
              header,
              error: {
                code: 'notLeader',
                message: 'membership changes go to the leader, m3',
                details: { leader: 'm3', leaderUrl: deadLeader },
              },
            },
          }
        : { status: 200, body: members },
    );
    try {
      const result = await vane(['member', 'remove', 'm3', '--endpoints', follower.url, '--timeout', '10s']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /has no leader \(an election is running/);
      assert.equal(asked, 3);
    } finally {
      await follower.close();
    }
  });

  test('a request that takes long gets a note saying which member it waits for and for what', async () => {
    const slow = await serveCanned(() => ({ status: 200, body: rangeAnswer, delayMs: 300 }));
    const notes: string[] = [];
    try {
      const api = new ApiClient({
        endpoints: [slow.url],
        timeoutMs: 5_000,
        interrupt: new AbortController().signal,
        note: (line) => notes.push(line),
        slowNoteMs: 50,
      });
      const answer = await api.call({
        method: 'GET',
        path: '/v1/kv/greeting',
        what: "the read of 'greeting'",
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(notes, [`waiting for ${slow.url} to answer (the read of 'greeting')...`]);
    } finally {
      await slow.close();
    }
  });

  test('after a round of failures, the next round starts with another member (a hung one goes last)', async () => {
    const hung = await serveCanned(() => ({ status: 200, body: rangeAnswer, delayMs: 2_000 }));
    let calls = 0;
    const busy = await serveCanned(() =>
      ++calls === 1 ? { status: 503, body: noLeader } : { status: 200, body: rangeAnswer },
    );
    try {
      const api = new ApiClient({
        endpoints: [hung.url, busy.url],
        timeoutMs: 700,
        interrupt: new AbortController().signal,
        note: () => {},
        attemptTimeoutMs: 300,
      });
      const answer = await api.call({ method: 'GET', path: '/v1/kv/greeting', what: 'the read' });
      assert.equal(answer.endpoint, busy.url);
      assert.equal(hung.requests.length, 1);
    } finally {
      await hung.close();
      await busy.close();
    }
  });

  test('a member that stays busy is named when the wait ends', async () => {
    const busy = await serveCanned(() => ({
      status: 504,
      body: { header, error: { code: 'timeout', message: 'linearizable read timed out; retry' } },
    }));
    try {
      const result = await vane(['get', 'k', '--endpoints', busy.url, '--timeout', '300ms']);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(`gave up after [\\d.]+m?s: ${busy.url} answered: linearizable read timed out; retry;`),
      );
    } finally {
      await busy.close();
    }
  });

  test('Ctrl-C ends a wait at once with exit code 130', async () => {
    const member = await serveCanned(() => ({ status: 503, body: noLeader }));
    const interrupt = new AbortController();
    try {
      const pending = vane(['get', 'k', '--endpoints', member.url, '--timeout', '1m'], {
        interrupt: interrupt.signal,
      });
      while (member.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
      interrupt.abort();
      const result = await pending;
      assert.equal(result.code, 130);
      assert.match(result.stderr, /vane get: interrupted\n$/);
    } finally {
      await member.close();
    }
  });
});
