// watch: events printed as they happen, history from --rev, resumption after a lost connection
// without gaps or repeats, and a clear end when the history it needs was compacted.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { refusedUrl, type ServedMember, serveFakeMember, vane } from './testing.ts';

let served: ServedMember;
beforeEach(async () => {
  served = await serveFakeMember();
});
afterEach(async () => {
  await served.close();
});

/** Runs `vane watch` until `lines` event lines are printed; `whenWatching` runs once the watch is created. */
async function watchUntil(argv: string[], lines: number, whenWatching: () => Promise<void> = async () => {}) {
  const interrupt = new AbortController();
  let printed = 0;
  let started = false;
  return vane(['watch', ...argv], {
    interrupt: interrupt.signal,
    onOut: (text) => {
      printed += text.split('\n').length - 1;
      if (printed >= lines) interrupt.abort();
    },
    onErr: (text) => {
      if (!started && text.startsWith('watching ')) {
        started = true;
        void whenWatching();
      }
    },
  });
}

describe('watch', () => {
  test('prints puts and deletes as they happen, failing over from an endpoint that is down', async () => {
    const down = await refusedUrl();
    const result = await watchUntil(
      ['config/', '--prefix', '--prev-kv', '--endpoints', `${down},${served.url}`],
      3,
      async () => {
        await vane(['put', 'config/a', '1', '--endpoints', served.url]);
        await vane(['put', 'other', 'x', '--endpoints', served.url]);
        await vane(['put', 'config/a', '2', '--endpoints', served.url]);
        await vane(['del', 'config/a', '--endpoints', served.url]);
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      '[rev 1] PUT config/a = 1\n[rev 3] PUT config/a = 2 (was: 1)\n[rev 4] DELETE config/a (was: 2)\n',
    );
    assert.match(result.stderr, /^watching every key under 'config\/' from revision 1 \(Ctrl-C stops\)\n$/);
  });

  test('--rev replays the history first; --json prints each watch message as a line', async () => {
    await vane(['put', 'k', 'a', '--endpoints', served.url]);
    await vane(['put', 'k', 'b', '--endpoints', served.url]);
    const text = await watchUntil(['k', '--rev', '1', '--endpoints', served.url], 2);
    assert.equal(text.stdout, '[rev 1] PUT k = a\n[rev 2] PUT k = b\n');
    const json = await watchUntil(['k', '--rev', '2', '--json', '--endpoints', served.url], 2);
    const messages = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { created?: boolean; events: unknown[] });
    assert.equal(messages[0]!.created, true);
    assert.equal(messages.flatMap((m) => m.events).length, 1);
  });

  test('a watch from a compacted revision ends with the oldest revision left to start from', async () => {
    await vane(['put', 'k', 'a', '--endpoints', served.url]);
    await vane(['put', 'k', 'b', '--endpoints', served.url]);
    await vane(['compact', '2', '--endpoints', served.url]);
    const result = await watchUntil(['k', '--rev', '1', '--endpoints', served.url], 1);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /the history it needs was compacted \(the oldest revision left is 2\); watch again with --rev 2/,
    );
  });

  test('gives up when no member can be reached for --timeout, naming each', async () => {
    const down = await refusedUrl();
    const result = await vane(['watch', 'k', '--endpoints', down, '--timeout', '300ms']);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`vane watch: no member answered: ${down} \\(connection refused\\)`),
    );
  });
});

describe('watch resumption', () => {
  test('after a lost connection it resumes from the revision after the last event printed', async () => {
    const creates: { startRevision?: number }[] = [];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const response = (revision: number, extra: object) => ({
      v: 1,
      type: 'watchResponse',
      header: { revision, member: 'm1', raftTerm: 1 },
      watchId: 0,
      events: [],
      ...extra,
    });
    const put = (key: string, value: string, revision: number) => ({
      type: 'put',
      kv: { key, value, createRevision: revision, modRevision: revision, version: 1, lease: 0 },
    });
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        const create = JSON.parse(String(data)) as { startRevision?: number };
        creates.push(create);
        if (creates.length === 1) {
          ws.send(JSON.stringify(response(5, { created: true })));
          ws.send(JSON.stringify(response(6, { events: [put('k', 'six', 6)] })));
          ws.close(1001, 'member is shutting down');
        } else {
          ws.send(JSON.stringify(response(6, { created: true })));
          ws.send(JSON.stringify(response(7, { events: [put('k', 'seven', 7)] })));
        }
      });
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await watchUntil(['k', '--endpoints', url], 2);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '[rev 6] PUT k = six\n[rev 7] PUT k = seven\n');
      assert.equal(creates[0]!.startRevision, undefined);
      assert.equal(creates[1]!.startRevision, 7);
      assert.match(
        result.stderr,
        /lost the connection to .* \(closed with code 1001: member is shutting down\); resuming from revision 7\.\.\./,
      );
      assert.match(result.stderr, /resumed on .* from revision 7/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
