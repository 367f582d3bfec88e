import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveLimits } from './limits.ts';
import { decodeRecordAt, encodeRecords, findValidRecordAfter, type WalRecord } from './record.ts';

const limits = resolveLimits();

const records: WalRecord[] = [
  { type: 'segmentHeader', seq: 7, firstIndex: 2 ** 40 },
  { type: 'entry', entry: { term: 3, index: 9, type: 'normal', data: new Uint8Array([1, 2, 3]) } },
  { type: 'entry', entry: { term: 2 ** 53 - 1, index: 1, type: 'confChange', data: new Uint8Array(0) } },
  { type: 'hardState', hardState: { term: 4, vote: 'member-ü', commit: 8 } },
  { type: 'hardState', hardState: { term: 0, vote: null, commit: 0 } },
  { type: 'snapshotMarker', marker: { origin: 'taken', index: 100, term: 4 } },
  { type: 'snapshotMarker', marker: { origin: 'installed', index: 2 ** 33, term: 5 } },
];

function decodeAll(bytes: Uint8Array): WalRecord[] {
  const decoded: WalRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const result = decodeRecordAt(bytes, offset, limits.maxRecordBytes);
    assert.ok(result.ok, `record at ${offset}`);
    decoded.push(result.record);
    offset = result.next;
  }
  return decoded;
}

describe('WAL records', () => {
  it('decode to what was encoded, for every record type', () => {
    assert.deepEqual(decodeAll(encodeRecords(records, limits)), records);
  });

  it('refuse to encode an entry over maxRecordBytes, naming the limit', () => {
    const small = resolveLimits({ maxRecordBytes: 64 });
    const entry = (size: number): WalRecord => ({
      type: 'entry',
      entry: { term: 1, index: 1, type: 'normal', data: new Uint8Array(size) },
    });
    assert.equal(encodeRecords([entry(64 - 26)], small).length, 64);
    assert.throws(
      () => encodeRecords([entry(64 - 25)], small),
      /a WAL entry record is 65 bytes, over the 64 bytes limit \(StorageLimits\.maxRecordBytes\)/,
    );
    assert.throws(
      () => encodeRecords([entry(30), entry(30)], resolveLimits({ maxRecordBytes: 64, maxSaveBytes: 100 })),
      /StorageLimits\.maxSaveBytes/,
    );
  });

  it('refuse a length over maxRecordBytes on read, before using it', () => {
    const bytes = encodeRecords(records.slice(1, 2), limits);
    new DataView(bytes.buffer).setUint32(0, 0xffffffff, true);
    const result = decodeRecordAt(bytes, 0, limits.maxRecordBytes);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'badLength');
  });

  it('report a truncated record, a checksum mismatch and an unknown type apart', () => {
    const bytes = encodeRecords(records.slice(1, 2), limits);
    const truncated = decodeRecordAt(bytes.subarray(0, bytes.length - 1), 0, limits.maxRecordBytes);
    assert.equal(!truncated.ok && truncated.reason, 'truncated');
    const header = decodeRecordAt(bytes.subarray(0, 5), 0, limits.maxRecordBytes);
    assert.equal(!header.ok && header.reason, 'truncated');

    const flipped = bytes.slice();
    flipped[12]! ^= 0x20;
    const checksum = decodeRecordAt(flipped, 0, limits.maxRecordBytes);
    assert.equal(!checksum.ok && checksum.reason, 'checksum');
    assert.equal(!checksum.ok && checksum.end, bytes.length);
  });

  it('detect a single flipped bit anywhere in a record', () => {
    const bytes = encodeRecords(records.slice(3, 4), limits);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(decodeRecordAt(flipped, 0, limits.maxRecordBytes).ok, false, `bit ${bit}`);
    }
  });

  it('find the next valid record after damage, and none in a torn tail', () => {
    const bytes = encodeRecords(records, limits);
    const second = decodeRecordAt(bytes, 0, limits.maxRecordBytes);
    assert.ok(second.ok);
    assert.equal(findValidRecordAfter(bytes, 0, limits.maxRecordBytes), second.next);
    const last = encodeRecords(records.slice(-1), limits).length;
    assert.equal(
      findValidRecordAfter(bytes.subarray(0, bytes.length - 1), bytes.length - last, limits.maxRecordBytes),
      -1,
    );
  });
});
