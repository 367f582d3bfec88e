import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registration } from './discovery.ts';
import type { ClientError } from './errors.ts';
import { FakeTransport, header, ManualClock, refused, settle } from './fakes.test.ts';
import { Lease } from './lease.ts';

function registration(refuseAfter = Number.POSITIVE_INFINITY) {
  const transport = new FakeTransport();
  const clock = new ManualClock();
  const errors: ClientError[] = [];
  const granted: Lease[] = [];
  const puts: [string, unknown, number][] = [];
  const context = {
    grantLease: async (ttl: number) => {
      if (granted.length >= refuseAfter) throw refused('permissionDenied', "'api' may not grant leases");
      const lease = new Lease(100 + granted.length, ttl, clock.now(), true, {
        transport,
        clock,
        requestTimeoutMs: 10_000,
        reportError: (error: ClientError) => errors.push(error),
      });
      granted.push(lease);
      return lease;
    },
    put: async (key: string, value: unknown, lease: Lease) => {
      puts.push([key, value, lease.id]);
    },
    reportError: (error: ClientError) => errors.push(error),
    clock,
    random: () => 0.5,
  };
  const reg = new Registration('services/api/a', { ttl: 3, value: 'http://a' }, context);
  return { transport, clock, errors, granted, puts, reg };
}

describe('Registration', () => {
  it('writes the instance under a kept-alive lease', async () => {
    const { reg, puts, granted, transport, clock } = registration();
    await reg.registered;
    assert.deepStrictEqual(puts, [['services/api/a', 'http://a', 100]]);
    assert.equal(reg.lease, granted[0]);
    await clock.advance(1000);
    assert.equal(transport.next('leaseKeepAlive').body.id, 100);
  });

  it('registers again under a new lease when its lease is lost while the process lives on', async () => {
    const { reg, puts, clock } = registration();
    await reg.registered;
    const lost: number[] = [];
    reg.on('lost', () => lost.push(clock.now()));
    // No keepalive is ever answered (the cluster is out of reach): lost at the 3 s deadline.
    await clock.advance(3000);
    assert.deepStrictEqual(lost, [3000]);
    // Then again after a jittered backoff (0.5 * 200 ms).
    await clock.advance(100);
    await settle();
    assert.deepStrictEqual(puts, [
      ['services/api/a', 'http://a', 100],
      ['services/api/a', 'http://a', 101],
    ]);
    assert.equal(reg.lease?.id, 101);
  });

  it('stops registering again once the cluster refuses its credentials, reporting why', async () => {
    const { reg, clock, errors, granted } = registration(1);
    await reg.registered;
    await clock.advance(3100);
    assert.deepStrictEqual(
      errors.map((error) => error.code),
      ['permissionDenied'],
    );
    await clock.advance(60_000);
    assert.equal(granted.length, 1);
    assert.equal(errors.length, 1, 'no retry loop');
  });

  it('close() revokes the lease; release() only stops the heartbeats', async () => {
    const closing = registration();
    await closing.reg.registered;
    const closed = closing.reg.close();
    closing.transport.next('leaseRevoke').resolve({ header: header(5), body: {} });
    await closed;
    await closing.clock.advance(10_000);
    assert.equal(closing.transport.requests.length, 0);
    const releasing = registration();
    await releasing.reg.registered;
    releasing.reg.release();
    await releasing.clock.advance(10_000);
    assert.equal(releasing.transport.requests.length, 0, 'no keepalive, no revoke');
    assert.equal(releasing.granted.length, 1, 'and no registering again');
  });
});
