import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CommandEnvelope, TxnRequest } from '../store/types.ts';
import { commandEnvelope } from './arbitraries.test.ts';
import { decodeCommand, encodeCommand, MAX_COMMAND_TXN_DEPTH } from './command.ts';
import { type DecodeError, isDecodeError } from './errors.ts';

function expectError(result: unknown): DecodeError {
  assert.ok(isDecodeError(result), `expected a DecodeError, got ${JSON.stringify(result)}`);
  return result;
}

const put: CommandEnvelope = {
  command: { op: 'put', request: { key: 'config/app', value: new Uint8Array(256).fill(0x61) } },
};

function nestedTxn(depth: number): TxnRequest {
  let txn: TxnRequest = { compare: [], success: [], failure: [] };
  for (let i = 1; i < depth; i++) txn = { compare: [], success: [{ txn }], failure: [] };
  return txn;
}

/** The same value with every object's keys in reverse order. */
function withReversedKeys<T>(value: T): T {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(withReversedKeys) as T;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([name, field]) => [name, withReversedKeys(field)])) as T;
}

describe('command codec', () => {
  it('decodes every encoded command back to the same command', () => {
    fc.assert(
      fc.property(commandEnvelope, (envelope) => {
        assert.deepStrictEqual(decodeCommand(encodeCommand(envelope)), envelope);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: equal commands encode to equal bytes, whatever their field order', () => {
    fc.assert(
      fc.property(commandEnvelope, (envelope) => {
        assert.deepStrictEqual(encodeCommand(withReversedKeys(envelope)), encodeCommand(envelope));
      }),
      { numRuns: 200 },
    );
  });

  it('treats absent, zero and false options as the same command', () => {
    const bare: CommandEnvelope = {
      command: { op: 'put', request: { key: 'k', value: new Uint8Array([1]) } },
    };
    const zeros: CommandEnvelope = {
      command: {
        op: 'put',
        request: { key: 'k', value: new Uint8Array([1]), lease: 0, prevKv: false, ignoreLease: false },
      },
    };
    assert.deepStrictEqual(encodeCommand(zeros), encodeCommand(bare));
    assert.deepStrictEqual(decodeCommand(encodeCommand(zeros)), bare);
  });

  it('keeps a conditional revoke on renewIndex 0 apart from an unconditional one', () => {
    const conditional: CommandEnvelope = {
      command: { op: 'leaseRevoke', request: { id: 5, renewIndex: 0 } },
    };
    const unconditional: CommandEnvelope = { command: { op: 'leaseRevoke', request: { id: 5 } } };
    assert.deepStrictEqual(decodeCommand(encodeCommand(conditional)), conditional);
    assert.deepStrictEqual(decodeCommand(encodeCommand(unconditional)), unconditional);
    assert.notDeepStrictEqual(encodeCommand(conditional), encodeCommand(unconditional));
  });

  it('encodes a put of a 256-byte value compactly', () => {
    const bytes = encodeCommand(put);
    assert.ok(bytes.length < 275, `${bytes.length} bytes`);
    // A UUID request id (what clients use) costs its 16 bytes; any other id its text.
    const withUuid: CommandEnvelope = { ...put, requestId: '7f3c1e2a-5b4d-4c8e-9a61-0d2f3b4c5d6e' };
    assert.equal(encodeCommand(withUuid).length, bytes.length + 16);
    assert.deepStrictEqual(decodeCommand(encodeCommand(withUuid)), withUuid);
    const upperCase: CommandEnvelope = { ...put, requestId: '7F3C1E2A-5B4D-4C8E-9A61-0D2F3B4C5D6E' };
    assert.equal(encodeCommand(upperCase).length, bytes.length + 37);
    assert.deepStrictEqual(decodeCommand(encodeCommand(upperCase)), upperCase);
  });

  it(`encodes txns nested up to ${MAX_COMMAND_TXN_DEPTH} deep and refuses deeper ones on both sides`, () => {
    const deepest: CommandEnvelope = { command: { op: 'txn', request: nestedTxn(MAX_COMMAND_TXN_DEPTH) } };
    assert.deepStrictEqual(decodeCommand(encodeCommand(deepest)), deepest);
    const tooDeep: CommandEnvelope = {
      command: { op: 'txn', request: nestedTxn(MAX_COMMAND_TXN_DEPTH + 1) },
    };
    assert.throws(() => encodeCommand(tooDeep), /deeper than 64/);
    // Hand-made bytes for a txn nested 10,000 deep: refused, not a stack overflow.
    const hostile = [1, 3];
    for (let i = 0; i < 10_000; i++) hostile.push(0, 1, 4);
    hostile.push(0, 0, 0);
    const error = expectError(decodeCommand(new Uint8Array(hostile)));
    assert.match(error.message, /^command: txns nest deeper than 64 levels at offset \d+$/);
  });

  const malformed: { name: string; input: number[]; code: DecodeError['code']; message: string }[] = [
    {
      name: 'empty data',
      input: [],
      code: 'decodeError',
      message: 'command: version: input ends at offset 0',
    },
    {
      name: 'a newer codec version',
      input: [2, 1],
      code: 'unsupportedVersion',
      message: 'command: command codec version 2 is not supported; this member reads version 1',
    },
    {
      name: 'an unknown op',
      input: [1, 9],
      code: 'decodeError',
      message: 'command: unknown command op byte 0x9 at offset 1',
    },
    {
      name: 'a UUID request id sent as text (not canonical)',
      input: [1, 0x84, 36, ...new TextEncoder().encode('7f3c1e2a-5b4d-4c8e-9a61-0d2f3b4c5d6e'), 5],
      code: 'decodeError',
      message: 'command: requestId is a UUID sent as text (UUIDs are encoded as 16 bytes) at offset 2',
    },
    {
      name: 'unknown put flags',
      input: [1, 1, 0x40, 1, 0x6b, 0],
      code: 'decodeError',
      message: 'command: unknown flag bits 0x40 at offset 2',
    },
    {
      name: 'a lease flagged present but zero (not canonical)',
      input: [1, 1, 16, 1, 0x6b, 0, 0],
      code: 'decodeError',
      message: 'command: lease is 0 but flagged as present (0 is encoded as absent) at offset 6',
    },
    {
      name: 'a value longer than the data',
      input: [1, 1, 0, 1, 0x6b, 50, 1, 2],
      code: 'decodeError',
      message: 'command: value length 50 exceeds the 2 bytes left at offset 5',
    },
    {
      name: 'trailing bytes',
      input: [1, 4, 5, 0],
      code: 'decodeError',
      message: 'command: 1 trailing bytes after the compact command at offset 3',
    },
    {
      name: 'an unknown op inside a txn',
      input: [1, 3, 0, 1, 7, 0, 0, 0],
      code: 'decodeError',
      message: 'command: success[0]: unknown op tag 7 at offset 4',
    },
    {
      name: 'an unknown compare target',
      input: [1, 3, 1, 7, 1, 0x6b, 0, 0, 0],
      code: 'decodeError',
      message: 'command: compare byte 0x7 names no known target and result at offset 3',
    },
  ];
  for (const { name, input, code, message } of malformed) {
    it(`refuses ${name}`, () => {
      const error = expectError(decodeCommand(new Uint8Array(input)));
      assert.equal(error.code, code);
      assert.equal(error.message, message);
    });
  }
});
