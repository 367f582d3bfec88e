import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientError } from './errors.ts';
import { FakeTransport, header, ManualClock, refused, settle } from './fakes.test.ts';
import { Lease } from './lease.ts';

function hold(ttl: number, options: { keepAlive?: boolean; requestTimeoutMs?: number } = {}) {
  const transport = new FakeTransport();
  const clock = new ManualClock();
  const errors: ClientError[] = [];
  const lease = new Lease(7, ttl, clock.now(), options.keepAlive ?? true, {
    transport,
    clock,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    reportError: (error) => errors.push(error),
  });
  const lostAt: number[] = [];
  lease.on('lost', () => lostAt.push(clock.now()));
  return { transport, clock, errors, lease, lostAt };
}

describe('Lease', () => {
  it('keeps itself alive every ttl/3; each acknowledgement moves the deadline to its send time + ttl', async () => {
    const { transport, clock, lease, lostAt } = hold(3);
    assert.equal(lease.deadline, 3000);
    await clock.advance(999);
    assert.equal(transport.requests.length, 0);
    await clock.advance(1);
    const first = transport.next('leaseKeepAlive');
    assert.deepStrictEqual(first.body, { id: 7 });
    assert.equal(first.options.timeoutMs, 2000, 'no longer than the time left before the deadline');
    await clock.advance(200);
    first.resolve({ header: header(5), body: { id: 7, ttl: 3 } });
    await settle();
    assert.equal(lease.deadline, 4000, 'sent at 1000, not answered at 1200');
    await clock.advance(999);
    assert.equal(transport.requests.length, 0);
    await clock.advance(1);
    transport.next('leaseKeepAlive').resolve({ header: header(6), body: { id: 7, ttl: 3 } });
    // Answered keepalives hold it indefinitely: one per second for a minute.
    for (let i = 0; i < 60; i++) {
      await clock.advance(1000);
      transport.next('leaseKeepAlive').resolve({ header: header(7 + i), body: { id: 7, ttl: 3 } });
    }
    await settle();
    assert.deepStrictEqual(lostAt, []);
    assert.equal(lease.isLost, false);
  });

  it('fires lost exactly at the deadline when no keepalive is acknowledged, and stops keeping alive', async () => {
    const { transport, clock, lease, lostAt } = hold(3);
    await clock.advance(1000);
    transport.next('leaseKeepAlive');
    await clock.advance(1999);
    assert.deepStrictEqual(lostAt, []);
    await clock.advance(1);
    assert.deepStrictEqual(lostAt, [3000]);
    assert.equal(lease.isLost, true);
    await clock.advance(10_000);
    assert.equal(transport.requests.length, 0);
    await assert.rejects(lease.keepAliveOnce(), { code: 'leaseLost' });
  });

  it('tries a failed keepalive again before the deadline, and is saved by a late success', async () => {
    const { transport, clock, lease, lostAt, errors } = hold(3);
    await clock.advance(1000);
    transport.next('leaseKeepAlive').reject(refused('unavailable', 'member stopping'));
    await settle();
    assert.equal(errors[0]?.message, 'member stopping');
    await clock.advance(500);
    transport.next('leaseKeepAlive').resolve({ header: header(9), body: { id: 7, ttl: 3 } });
    await settle();
    assert.equal(lease.deadline, 4500);
    await clock.advance(2000);
    assert.deepStrictEqual(lostAt, []);
  });

  it('is lost at once when the server no longer knows it', async () => {
    const notFound = hold(3);
    await notFound.clock.advance(1000);
    notFound.transport.next('leaseKeepAlive').reject(refused('leaseNotFound'));
    await settle();
    assert.deepStrictEqual(notFound.lostAt, [1000]);
    const zero = hold(3);
    await zero.clock.advance(1000);
    zero.transport.next('leaseKeepAlive').resolve({ header: header(2), body: { id: 7, ttl: 0 } });
    await settle();
    assert.deepStrictEqual(zero.lostAt, [1000]);
  });

  it('revoke() ends it on the server, without a lost event; release() just stops the heartbeats', async () => {
    const revoked = hold(3);
    const revoking = revoked.lease.revoke();
    const request = revoked.transport.next('leaseRevoke');
    assert.equal(request.body.id, 7);
    assert.equal(typeof request.body.requestId, 'string');
    request.resolve({ header: header(3), body: {} });
    await revoking;
    await revoked.clock.advance(10_000);
    assert.deepStrictEqual(revoked.lostAt, []);
    assert.equal(revoked.transport.requests.length, 0);
    const released = hold(3);
    released.lease.release();
    await released.clock.advance(10_000);
    assert.deepStrictEqual(released.lostAt, []);
    assert.equal(released.transport.requests.length, 0);
  });

  it('without keepAlive, it is lost at its TTL unless kept alive by hand', async () => {
    const { transport, clock, lease, lostAt } = hold(2, { keepAlive: false });
    await clock.advance(1500);
    assert.equal(transport.requests.length, 0);
    const once = lease.keepAliveOnce();
    transport.next('leaseKeepAlive').resolve({ header: header(2), body: { id: 7, ttl: 2 } });
    assert.equal(await once, 2);
    await clock.advance(1999);
    assert.deepStrictEqual(lostAt, []);
    await clock.advance(1);
    assert.deepStrictEqual(lostAt, [3500]);
  });
});
