import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVaneError, type VaneError } from '../errors.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import type { StoreConfig } from './config.ts';
import { prefixEnd } from './keys.ts';
import { KvStore } from './store.ts';
import type {
  Command,
  CommandEnvelope,
  CommandResponse,
  DeleteRangeResponse,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  TxnResponse,
} from './types.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array): string => new TextDecoder().decode(value);

class Harness {
  readonly store: KvStore;
  index = 0;

  constructor(config: Partial<StoreConfig> = {}) {
    this.store = new KvStore(config);
  }

  send(envelope: CommandEnvelope): CommandResponse | VaneError {
    return this.store.apply(++this.index, envelope);
  }

  run(command: Command): CommandResponse | VaneError {
    return this.send({ command });
  }

  ok<T extends CommandResponse>(command: Command): T {
    const response = this.run(command);
    if (isVaneError(response)) throw new Error(`${response.code}: ${response.message}`);
    return response as T;
  }

  fail(command: Command): VaneError {
    const response = this.run(command);
    assert.ok(isVaneError(response), `expected an error, got ${JSON.stringify(response)}`);
    return response;
  }

  put(key: string, value = 'v', extra: Partial<{ lease: number; prevKv: boolean }> = {}): PutResponse {
    return this.ok({ op: 'put', request: { key, value: bytes(value), ...extra } });
  }

  read(request: RangeRequest): RangeResponse {
    const response = this.store.range(request);
    if (isVaneError(response)) throw new Error(`${response.code}: ${response.message}`);
    return response;
  }

  keys(request: RangeRequest): string[] {
    return this.read(request).kvs.map((kv) => kv.key);
  }

  grant(ttl: number, id?: number): number {
    return this.ok<{ revision: number; id: number; ttl: number }>({
      op: 'leaseGrant',
      request: id === undefined ? { ttl } : { ttl, id },
    }).id;
  }
}

const ALL: RangeRequest = { key: '\0', rangeEnd: '\0' };

describe('KvStore keys and revisions', () => {
  it('gives each write one revision and tracks create/mod revision and version per key', () => {
    const h = new Harness();
    assert.equal(h.put('a').revision, 1);
    assert.equal(h.put('b').revision, 2);
    assert.equal(h.put('a', 'v2').revision, 3);
    const [a] = h.read({ key: 'a' }).kvs;
    assert.deepEqual(a, {
      key: 'a',
      value: bytes('v2'),
      createRevision: 1,
      modRevision: 3,
      version: 2,
      lease: 0,
    });
    h.ok({ op: 'deleteRange', request: { key: 'a' } });
    h.put('a', 'v3');
    assert.deepEqual(h.read({ key: 'a' }).kvs[0], {
      key: 'a',
      value: bytes('v3'),
      createRevision: 5,
      modRevision: 5,
      version: 1,
      lease: 0,
    });
  });

  it('takes no revision for a write that changes nothing', () => {
    const h = new Harness();
    h.put('a');
    const deleted = h.ok<DeleteRangeResponse>({ op: 'deleteRange', request: { key: 'zzz' } });
    assert.deepEqual(deleted, { revision: 1, deleted: 0 });
    assert.equal(h.store.revision, 1);
  });

  it('orders keys by UTF-8 bytes, not UTF-16 code units', () => {
    const h = new Harness();
    for (const key of ['\u{1F600}', '\uFFFD', 'z', 'é', 'a\u0000', 'a']) h.put(key);
    assert.deepEqual(h.keys(ALL), ['a', 'a\u0000', 'z', 'é', '\uFFFD', '\u{1F600}']);
    assert.deepEqual(h.keys({ key: '\uE000', rangeEnd: '\0' }), ['\uFFFD', '\u{1F600}']);
  });

  it('reads a key, a range, a prefix, with limit, count only and keys only', () => {
    const h = new Harness();
    for (const key of ['app/a', 'app/b', 'app/c', 'apq', 'b']) h.put(key, key.toUpperCase());
    assert.deepEqual(h.keys({ key: 'app/', rangeEnd: prefixEnd('app/') }), ['app/a', 'app/b', 'app/c']);
    assert.deepEqual(h.keys({ key: 'app/b', rangeEnd: 'b' }), ['app/b', 'app/c', 'apq']);
    const limited = h.read({ key: 'app/', rangeEnd: prefixEnd('app/'), limit: 2 });
    assert.deepEqual([limited.kvs.length, limited.count, limited.more], [2, 3, true]);
    const counted = h.read({ key: 'a', rangeEnd: '\0', countOnly: true });
    assert.deepEqual([counted.kvs.length, counted.count, counted.more], [0, 5, false]);
    const keysOnly = h.read({ key: 'b', keysOnly: true });
    assert.deepEqual(keysOnly.kvs[0]!.value, new Uint8Array(0));
    assert.equal(keysOnly.kvs[0]!.version, 1);
    assert.deepEqual(h.read({ key: 'missing' }), { revision: 5, kvs: [], more: false, count: 0 });
  });

  it('reads at a past revision until it is compacted, and refuses future revisions', () => {
    const h = new Harness();
    h.put('k', 'one');
    h.put('k', 'two');
    h.put('other');
    h.ok({ op: 'deleteRange', request: { key: 'k' } });
    assert.equal(text(h.read({ key: 'k', revision: 1 }).kvs[0]!.value), 'one');
    assert.equal(text(h.read({ key: 'k', revision: 3 }).kvs[0]!.value), 'two');
    assert.deepEqual(h.read({ key: 'k', revision: 4 }).kvs, []);
    assert.equal(h.read({ key: 'k', revision: 1 }).revision, 4, 'a past read reports the current revision');
    const future = h.store.range({ key: 'k', revision: 5 });
    assert.ok(isVaneError(future) && future.code === 'futureRevision');
    h.ok({ op: 'compact', request: { revision: 3 } });
    assert.equal(
      text(h.read({ key: 'k', revision: 3 }).kvs[0]!.value),
      'two',
      'the compact revision stays readable',
    );
    const gone = h.store.range({ key: 'k', revision: 2 });
    assert.ok(isVaneError(gone));
    assert.equal(gone.code, 'compacted');
    assert.deepEqual(gone.details, { compactRevision: 3 });
  });

  it('refuses oversized keys and values naming the limit, and malformed keys', () => {
    const h = new Harness({ limits: { ...DEFAULT_LIMITS, maxKeyBytes: 8, maxValueBytes: 4 } });
    const longKey = h.fail({ op: 'put', request: { key: 'ééééé', value: bytes('') } });
    assert.equal(longKey.code, 'keyTooLarge');
    assert.match(longKey.message, /10 bytes, over the 8 bytes key limit/);
    const bigValue = h.fail({ op: 'put', request: { key: 'k', value: bytes('12345') } });
    assert.equal(bigValue.code, 'valueTooLarge');
    assert.deepEqual(bigValue.details, { limit: 4, actual: 5 });
    assert.equal(h.fail({ op: 'put', request: { key: '', value: bytes('') } }).code, 'invalidRequest');
    assert.match(
      h.fail({ op: 'put', request: { key: '\uD800x', value: bytes('') } }).message,
      /lone UTF-16 surrogate/,
    );
    assert.equal(h.store.revision, 0);
  });

  it('returns the previous value on request, and can keep the value or the lease', () => {
    const h = new Harness();
    const lease = h.grant(60);
    h.put('k', 'old', { lease });
    const replaced = h.put('k', 'new', { prevKv: true });
    assert.equal(text(replaced.prevKv!.value), 'old');
    assert.equal(h.read({ key: 'k' }).kvs[0]!.lease, 0, 'a put without a lease detaches the key');
    h.put('k', 'leased', { lease });
    h.ok({ op: 'put', request: { key: 'k', value: new Uint8Array(0), ignoreValue: true } });
    assert.deepEqual(
      [text(h.read({ key: 'k' }).kvs[0]!.value), h.read({ key: 'k' }).kvs[0]!.lease],
      ['leased', 0],
    );
    h.ok({ op: 'put', request: { key: 'k', value: bytes('x'), lease } });
    h.ok({ op: 'put', request: { key: 'k', value: bytes('y'), ignoreLease: true } });
    assert.equal(h.read({ key: 'k' }).kvs[0]!.lease, lease);
    assert.equal(
      h.fail({ op: 'put', request: { key: 'nope', value: new Uint8Array(0), ignoreValue: true } }).code,
      'keyNotFound',
    );
    assert.equal(
      h.fail({ op: 'put', request: { key: 'k', value: bytes('x'), ignoreValue: true } }).code,
      'invalidRequest',
    );
    assert.equal(
      h.fail({ op: 'put', request: { key: 'k', value: bytes('x'), lease: 999 } }).code,
      'leaseNotFound',
    );
  });

  it('deletes a range, returning what it deleted on request', () => {
    const h = new Harness();
    for (const key of ['a', 'b', 'c']) h.put(key);
    const response = h.ok<DeleteRangeResponse>({
      op: 'deleteRange',
      request: { key: 'a', rangeEnd: 'c', prevKv: true },
    });
    assert.equal(response.deleted, 2);
    assert.deepEqual(
      response.prevKvs!.map((kv) => kv.key),
      ['a', 'b'],
    );
    assert.deepEqual(h.keys(ALL), ['c']);
    assert.equal(h.store.revision, 4, 'one revision for the whole delete');
  });

  it('refuses a malformed committed command with an error instead of throwing', () => {
    const h = new Harness();
    const malformed = [
      { op: 'put', request: null },
      { op: 'nope', request: {} },
      { op: 'txn', request: { compare: [], success: [{ put: null }], failure: [] } },
      { op: 'txn', request: { compare: [null], success: [], failure: [] } },
      { op: 'txn', request: { compare: [], success: 'x', failure: [] } },
      { op: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingMs: -5, renewIndex: 1 }] },
      { op: 'compact', request: {} },
      { op: 'leaseGrant', request: { id: 3 } },
      { op: 'leaseKeepAlive', request: { id: 'x' } },
    ];
    for (const command of malformed) {
      const response = h.run(command as unknown as Command);
      assert.ok(isVaneError(response) && response.code === 'invalidRequest', JSON.stringify(command));
    }
    assert.equal(h.store.revision, 0);
  });

  it('requires apply indexes to increase and records non-store entries', () => {
    const h = new Harness();
    h.put('a');
    assert.throws(
      () => h.store.apply(1, { command: { op: 'put', request: { key: 'b', value: bytes('') } } }),
      /applied once, in order/,
    );
    h.store.markApplied(5);
    assert.equal(h.store.appliedIndex, 5);
  });
});

describe('KvStore txns', () => {
  const cas = (key: string, version: number, value: string): Command => ({
    op: 'txn',
    request: {
      compare: [{ key, target: 'version', result: 'equal', value: version }],
      success: [{ put: { key, value: bytes(value) } }],
      failure: [{ range: { key } }],
    },
  });

  it('compare-and-swap: success runs the success list, failure the failure list', () => {
    const h = new Harness();
    h.put('k', 'a');
    const won = h.ok<TxnResponse>(cas('k', 1, 'b'));
    assert.equal(won.succeeded, true);
    assert.equal(won.revision, 2);
    const lost = h.ok<TxnResponse>(cas('k', 1, 'c'));
    assert.equal(lost.succeeded, false);
    const read = (lost.responses[0] as { range: RangeResponse }).range;
    assert.equal(text(read.kvs[0]!.value), 'b');
    assert.equal(h.store.revision, 2, 'a txn that only reads takes no revision');
  });

  it('compares value, version, create and mod revision and lease with = != < >', () => {
    const h = new Harness();
    const lease = h.grant(60);
    h.put('other');
    h.put('k', 'm', { lease });
    const holds = (compare: Extract<Command, { op: 'txn' }>['request']['compare'][number]): boolean =>
      h.ok<TxnResponse>({ op: 'txn', request: { compare: [compare], success: [], failure: [] } }).succeeded;
    assert.ok(holds({ key: 'k', target: 'value', result: 'equal', value: bytes('m') }));
    assert.ok(holds({ key: 'k', target: 'value', result: 'greater', value: bytes('l') }));
    assert.ok(holds({ key: 'k', target: 'value', result: 'less', value: bytes('mm') }));
    assert.ok(holds({ key: 'k', target: 'value', result: 'notEqual', value: bytes('x') }));
    assert.ok(holds({ key: 'k', target: 'version', result: 'equal', value: 1 }));
    assert.ok(holds({ key: 'k', target: 'createRevision', result: 'equal', value: 2 }));
    assert.ok(holds({ key: 'k', target: 'modRevision', result: 'greater', value: 1 }));
    assert.ok(holds({ key: 'k', target: 'lease', result: 'equal', value: lease }));
    // A missing key: numbers compare as 0, a value compare fails.
    assert.ok(holds({ key: 'missing', target: 'version', result: 'equal', value: 0 }));
    assert.ok(!holds({ key: 'missing', target: 'value', result: 'notEqual', value: bytes('x') }));
    // A range compare must hold for every key in the range.
    assert.ok(holds({ key: 'k', rangeEnd: 'p', target: 'version', result: 'greater', value: 0 }));
    assert.ok(!holds({ key: 'a', rangeEnd: '\0', target: 'modRevision', result: 'greater', value: 1 }));
  });

  it('runs nested txns, and reads inside a txn see its earlier writes', () => {
    const h = new Harness();
    const response = h.ok<TxnResponse>({
      op: 'txn',
      request: {
        compare: [],
        success: [
          { put: { key: 'a', value: bytes('1') } },
          { range: { key: 'a' } },
          {
            txn: {
              compare: [{ key: 'a', target: 'version', result: 'equal', value: 0 }],
              success: [{ put: { key: 'b', value: bytes('decided before the txn ran') } }],
              failure: [],
            },
          },
        ],
        failure: [],
      },
    });
    const inner = (response.responses[1] as { range: RangeResponse }).range;
    assert.equal(inner.kvs[0]?.key, 'a');
    assert.equal(
      (response.responses[2] as { txn: TxnResponse }).txn.succeeded,
      true,
      'compares are decided up front',
    );
    assert.deepEqual(h.keys(ALL), ['a', 'b']);
    assert.equal(h.store.revision, 1);
  });

  it('refuses a txn that writes a key twice on one path, but allows it on exclusive branches', () => {
    const h = new Harness();
    const twice = h.fail({
      op: 'txn',
      request: {
        compare: [],
        success: [{ put: { key: 'k', value: bytes('') } }, { deleteRange: { key: 'a', rangeEnd: 'z' } }],
        failure: [],
      },
    });
    assert.equal(twice.code, 'duplicateKey');
    assert.match(twice.message, /'k'/);
    const exclusive = h.run({
      op: 'txn',
      request: {
        compare: [],
        success: [{ put: { key: 'k', value: bytes('') } }],
        failure: [{ put: { key: 'k', value: bytes('') } }],
      },
    });
    assert.ok(!isVaneError(exclusive));
  });

  it('refuses more than 128 operations, naming the limit, and too deep nesting', () => {
    const h = new Harness();
    const put = (i: number): RequestOp => ({ put: { key: `k${i}`, value: bytes('') } });
    const ok = h.run({
      op: 'txn',
      request: { compare: [], success: Array.from({ length: 128 }, (_, i) => put(i)), failure: [] },
    });
    assert.ok(!isVaneError(ok));
    const tooMany = h.fail({
      op: 'txn',
      request: {
        compare: [{ key: 'x', target: 'version', result: 'equal', value: 0 }],
        success: Array.from({ length: 128 }, (_, i) => put(i)),
        failure: [],
      },
    });
    assert.equal(tooMany.code, 'tooManyOperations');
    assert.match(tooMany.message, /at most 128 operations/);
    let deep: RequestOp = { put: { key: 'x', value: bytes('') } };
    for (let i = 0; i < 9; i++) deep = { txn: { compare: [], success: [deep], failure: [] } };
    assert.match(
      h.fail({ op: 'txn', request: { compare: [], success: [deep], failure: [] } }).message,
      /nested more than 8 deep/,
    );
  });

  it('changes nothing when any op on the taken path is refused', () => {
    const h = new Harness();
    h.put('k', 'before');
    const hash = h.store.hash();
    const refused = h.fail({
      op: 'txn',
      request: {
        compare: [],
        success: [
          { put: { key: 'k', value: bytes('after') } },
          { deleteRange: { key: 'x' } },
          { put: { key: 'z', value: bytes(''), lease: 42 } },
        ],
        failure: [],
      },
    });
    assert.equal(refused.code, 'leaseNotFound');
    assert.equal(h.store.hash(), hash);
    assert.equal(h.store.revision, 1);
    const badRead = h.fail({
      op: 'txn',
      request: {
        compare: [],
        success: [{ put: { key: 'k', value: bytes('after') } }, { range: { key: 'k', revision: 9 } }],
        failure: [],
      },
    });
    assert.equal(badRead.code, 'futureRevision');
    assert.equal(h.store.hash(), hash);
  });
});

describe('KvStore compaction', () => {
  it('drops history below the compact revision, keeping the state at it', () => {
    const h = new Harness();
    h.put('k', '1');
    h.put('gone');
    h.put('k', '2');
    h.ok({ op: 'deleteRange', request: { key: 'gone' } });
    h.put('k', '3');
    const before = h.store.sizeBytes;
    h.ok({ op: 'compact', request: { revision: 5 } });
    assert.ok(h.store.sizeBytes < before, 'space is freed');
    assert.equal(h.store.keyCount, 1, 'a key deleted before the compact revision leaves the index');
    assert.equal(text(h.read({ key: 'k', revision: 5 }).kvs[0]!.value), '3');
    assert.equal(h.fail({ op: 'compact', request: { revision: 5 } }).code, 'compacted');
    assert.equal(h.fail({ op: 'compact', request: { revision: 6 } }).code, 'futureRevision');
  });
});

describe('KvStore quota', () => {
  it('refuses writes past the quota with a clear error, stays readable and deletable, and recovers', () => {
    const h = new Harness({ quotaBytes: 2000 });
    let written = 0;
    for (; written < 100; written++) {
      const r = h.run({ op: 'put', request: { key: `k${written}`, value: new Uint8Array(100) } });
      if (isVaneError(r)) {
        assert.equal(r.code, 'quotaExceeded');
        assert.match(r.message, /holds 1\.\d+ KiB of its 1\.95 KiB quota/);
        assert.match(r.message, /delete keys or compact history/);
        assert.equal(r.details?.quotaBytes, 2000);
        break;
      }
    }
    assert.ok(written > 5 && written < 100, `filled after ${written} puts`);
    assert.equal(h.read({ key: 'k', rangeEnd: '\0', countOnly: true }).count, written);
    assert.equal(h.fail({ op: 'leaseGrant', request: { ttl: 10 } }).code, 'quotaExceeded');
    const deleted = h.run({ op: 'deleteRange', request: { key: 'k', rangeEnd: '\0' } });
    assert.ok(!isVaneError(deleted), 'deletes still work when full');
    assert.ok(
      isVaneError(h.run({ op: 'put', request: { key: 'again', value: new Uint8Array(100) } })),
      'history still holds the space until compaction',
    );
    h.ok({ op: 'compact', request: { revision: h.store.revision } });
    assert.ok(
      !isVaneError(h.run({ op: 'put', request: { key: 'again', value: new Uint8Array(100) } })),
      'no manual disarm',
    );
  });
});

describe('KvStore request deduplication', () => {
  it('answers a retried request id with the original response and applies it once', () => {
    const h = new Harness();
    const first = h.send({
      requestId: 'req-1',
      command: { op: 'put', request: { key: 'k', value: bytes('a') } },
    });
    h.put('k', 'b');
    const retry = h.send({
      requestId: 'req-1',
      command: { op: 'put', request: { key: 'k', value: bytes('a') } },
    });
    assert.deepEqual(retry, first);
    assert.equal(
      text(h.read({ key: 'k' }).kvs[0]!.value),
      'b',
      'the retry did not overwrite the later write',
    );
    assert.equal(h.store.revision, 2);
  });

  it('forgets the oldest ids beyond the window, and does not remember refusals', () => {
    const h = new Harness({ dedupWindow: 2 });
    const put = (id: string): CommandResponse | VaneError =>
      h.send({ requestId: id, command: { op: 'put', request: { key: 'k', value: bytes(id) } } });
    put('a');
    put('b');
    put('c');
    assert.equal((put('a') as PutResponse).revision, 4, "'a' left the window, so it applies again");
    assert.equal((put('c') as PutResponse).revision, 3, "'c' is still remembered");
    const refused = h.send({
      requestId: 'r',
      command: { op: 'put', request: { key: 'k', value: bytes(''), lease: 5 } },
    });
    assert.ok(isVaneError(refused));
    h.grant(60, 5);
    assert.ok(
      !isVaneError(
        h.send({ requestId: 'r', command: { op: 'put', request: { key: 'k', value: bytes(''), lease: 5 } } }),
      ),
    );
  });

  it('keeps the dedup window across snapshot and restore', () => {
    const h = new Harness();
    const first = h.send({
      requestId: 'x',
      command: { op: 'put', request: { key: 'k', value: bytes('a') } },
    });
    const restored = KvStore.restore(h.store.snapshot());
    assert.ok(restored instanceof KvStore);
    assert.deepEqual(
      restored.apply(2, { requestId: 'x', command: { op: 'put', request: { key: 'k', value: bytes('a') } } }),
      first,
    );
    assert.equal(restored.revision, 1);
    assert.ok(
      isVaneError(
        h.send({ requestId: 'y'.repeat(300), command: { op: 'compact', request: { revision: 1 } } }),
      ),
    );
  });
});

describe('KvStore leases', () => {
  it('grants with a TTL raised to the minimum, an id picked or given, and refuses duplicates and huge TTLs', () => {
    const h = new Harness({ minLeaseTtlSeconds: 5 });
    assert.deepEqual(h.ok({ op: 'leaseGrant', request: { ttl: 1 } }), { revision: 0, id: 1, ttl: 5 });
    assert.deepEqual(h.ok({ op: 'leaseGrant', request: { ttl: 30, id: 2 } }), {
      revision: 0,
      id: 2,
      ttl: 30,
    });
    assert.equal(h.grant(10), 3, 'picked ids skip taken ones');
    assert.equal(h.fail({ op: 'leaseGrant', request: { ttl: 10, id: 2 } }).code, 'leaseExists');
    const huge = h.fail({ op: 'leaseGrant', request: { ttl: DEFAULT_LIMITS.maxLeaseTtlSeconds + 1 } });
    assert.equal(huge.code, 'leaseTtlTooLarge');
  });

  it('revoking deletes the attached keys in one revision', () => {
    const h = new Harness();
    const lease = h.grant(60);
    h.put('b', 'v', { lease });
    h.put('a', 'v', { lease });
    h.put('c');
    h.ok({ op: 'leaseRevoke', request: { id: lease } });
    assert.deepEqual(h.keys(ALL), ['c']);
    assert.equal(h.store.revision, 4);
    assert.equal(h.fail({ op: 'leaseRevoke', request: { id: lease } }).code, 'leaseNotFound');
    assert.equal(h.fail({ op: 'put', request: { key: 'd', value: bytes(''), lease } }).code, 'leaseNotFound');
  });

  it('reports time to live with keys and lists leases', () => {
    const h = new Harness();
    const lease = h.grant(60);
    h.put('k2', 'v', { lease });
    h.put('k1', 'v', { lease });
    assert.deepEqual(h.store.leaseTimeToLive({ id: lease, keys: true }), {
      revision: 2,
      id: lease,
      ttl: 60,
      grantedTtl: 60,
      keys: ['k1', 'k2'],
    });
    assert.equal(
      h.store.leaseTimeToLive({ id: lease }, 12_001).ttl,
      13,
      'the leader’s live figure, rounded up',
    );
    assert.equal(h.store.leaseTimeToLive({ id: 99 }).ttl, -1);
    h.grant(5, 7);
    assert.deepEqual(h.store.leaseList().leases, [
      { id: lease, ttl: 60 },
      { id: 7, ttl: 5 },
    ]);
  });

  it('keepalive restores the full TTL; a checkpoint measured before it is ignored', () => {
    const h = new Harness();
    const lease = h.grant(10); // renewIndex 1
    h.ok({ op: 'leaseCheckpoint', checkpoints: [{ id: lease, remainingMs: 4000, renewIndex: 1 }] });
    assert.equal(h.store.leaseTimeToLive({ id: lease }).ttl, 4);
    h.ok({ op: 'leaseKeepAlive', request: { id: lease } }); // renewIndex 3
    assert.equal(h.store.leaseTimeToLive({ id: lease }).ttl, 10);
    h.ok({ op: 'leaseCheckpoint', checkpoints: [{ id: lease, remainingMs: 1000, renewIndex: 1 }] });
    assert.equal(h.store.leaseTimeToLive({ id: lease }).ttl, 10, 'stale checkpoint ignored');
    assert.equal(h.fail({ op: 'leaseKeepAlive', request: { id: 99 } }).code, 'leaseNotFound');
  });

  it('an expiry revoke decided before a keepalive is a no-op once the keepalive applied', () => {
    const h = new Harness();
    const lease = h.grant(10); // renewIndex 1
    h.put('k', 'v', { lease });
    h.ok({ op: 'leaseKeepAlive', request: { id: lease } });
    h.ok({ op: 'leaseRevoke', request: { id: lease, renewIndex: 1 } });
    assert.deepEqual(h.keys(ALL), ['k'], 'the keepalive won');
    h.ok({ op: 'leaseRevoke', request: { id: lease, renewIndex: 3 } });
    assert.deepEqual(h.keys(ALL), []);
  });
});

describe('KvStore snapshots and hash', () => {
  function sample(): Harness {
    const h = new Harness();
    const lease = h.grant(30);
    h.put('a', '1', { lease });
    h.put('b', '2');
    h.put('a', '3', { lease });
    h.ok({ op: 'deleteRange', request: { key: 'b' } });
    h.ok({ op: 'compact', request: { revision: 2 } });
    return h;
  }

  it('restores the same state, hash and applied index', () => {
    const h = sample();
    const restored = KvStore.restore(h.store.snapshot());
    assert.ok(restored instanceof KvStore);
    assert.equal(restored.hash(), h.store.hash());
    assert.equal(restored.appliedIndex, h.store.appliedIndex);
    assert.deepEqual(restored.range({ key: 'a', revision: 2 }), h.store.range({ key: 'a', revision: 2 }));
    assert.deepEqual(
      restored.leaseTimeToLive({ id: 1, keys: true }),
      h.store.leaseTimeToLive({ id: 1, keys: true }),
    );
  });

  it('hash changes with any value, revision or lease change', () => {
    const a = sample();
    const b = sample();
    assert.equal(a.store.hash(), b.store.hash());
    b.put('a', '4');
    assert.notEqual(a.store.hash(), b.store.hash());
    const c = sample();
    c.ok({ op: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingMs: 5, renewIndex: 1 }] });
    assert.notEqual(a.store.hash(), c.store.hash());
  });

  it('names the problem with a damaged, truncated or foreign snapshot', () => {
    const bytesOf = sample().store.snapshot();
    const flipped = bytesOf.slice();
    flipped[20]! ^= 0x40;
    const damaged = KvStore.restore(flipped);
    assert.ok(isVaneError(damaged) && damaged.code === 'decodeError');
    assert.match(damaged.message, /checksum does not match/);
    const truncated = KvStore.restore(bytesOf.subarray(0, bytesOf.length - 10));
    assert.ok(isVaneError(truncated) && /checksum/.test(truncated.message));
    const foreign = KvStore.restore(bytes('{"not":"a snapshot"}'));
    assert.ok(isVaneError(foreign) && /not a store snapshot/.test(foreign.message));
    assert.ok(isVaneError(KvStore.restore(new Uint8Array(3))));
  });

  it('skips its own checksum when the caller verified one over the bytes, but still refuses malformed ones', () => {
    const h = sample();
    const bytesOf = h.store.snapshot();
    const wrongChecksum = bytesOf.slice();
    wrongChecksum[wrongChecksum.length - 1]! ^= 0x01;
    assert.ok(isVaneError(KvStore.restore(wrongChecksum)), 'checked by default');
    const trusted = KvStore.restore(wrongChecksum, {}, { checksumVerified: true });
    assert.ok(trusted instanceof KvStore);
    assert.equal(trusted.hash(), h.store.hash());
    const cut = bytesOf.slice(0, bytesOf.length - 12);
    const malformed = KvStore.restore(cut, {}, { checksumVerified: true });
    assert.ok(isVaneError(malformed) && malformed.code === 'decodeError', JSON.stringify(malformed));
  });

  it('refuses to install a snapshot older than what was applied', () => {
    const old = sample().store.snapshot();
    const h = sample();
    h.put('newer');
    const refused = h.store.installSnapshot(old);
    assert.ok(isVaneError(refused) && /older than the applied index/.test(refused.message));
  });
});
