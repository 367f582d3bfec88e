// createClient({ transport }): a transport given as is stays the caller's; one the client builds from
// a factory hears the client's error reporting and is closed with the client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from './client.ts';
import type { ClientError } from './errors.ts';
import { FakeTransport, refused } from './fakes.test.ts';
import type { TransportHooks } from './transport.ts';

describe('createClient({ transport })', () => {
  it('builds its transport from a factory, passes it the error reporting, and closes it with the client', () => {
    const transport = new FakeTransport();
    let hooks: TransportHooks | undefined;
    const client = createClient({
      endpoints: ['http://a:1'],
      transport: (given) => {
        hooks = given;
        return transport;
      },
    });
    const errors: ClientError[] = [];
    client.on('error', (error) => errors.push(error));
    hooks?.onError(refused('unauthenticated', 'the token expired'));
    assert.deepStrictEqual(
      errors.map((error) => error.code),
      ['unauthenticated'],
    );
    assert.equal(client.status, transport.status);
    client.close();
    client.close();
    assert.equal(transport.closes, 1);
  });

  it('leaves a transport given as is open when it closes: its owner may share it', () => {
    const transport = new FakeTransport();
    const client = createClient({ endpoints: ['http://a:1'], transport });
    client.close();
    assert.equal(transport.closes, 0);
  });
});
