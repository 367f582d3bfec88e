import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../limits.ts';
import type { Message } from '../raft/types.ts';
import { handshakeFrame, message } from './arbitraries.test.ts';
import { ByteWriter } from './bytes.ts';
import { type DecodeError, isDecodeError } from './errors.ts';
import { decodeHandshakeFrame, encodeHandshakeFrame } from './handshake.ts';
import { decodePeerFrame, encodePeerFrame } from './peer.ts';

function expectError(result: unknown): DecodeError {
  assert.ok(isDecodeError(result), `expected a DecodeError, got ${JSON.stringify(result)}`);
  return result;
}

const heartbeat: Message = {
  type: 'heartbeat',
  from: 'a',
  to: 'b',
  term: 3,
  logTerm: 0,
  index: 0,
  entries: [],
  commit: 7,
  reject: false,
  rejectHint: 0,
};

function appendWith(entries: number, dataBytes: number): Message {
  const data = new Uint8Array(dataBytes).fill(7);
  return {
    type: 'append',
    from: 'member-1',
    to: 'member-2',
    term: 9,
    logTerm: 9,
    index: 100_000,
    commit: 99_990,
    reject: false,
    rejectHint: 0,
    entries: Array.from({ length: entries }, (_, i) => ({
      term: 9,
      index: 100_001 + i,
      type: 'normal',
      data,
    })),
  };
}

/** A frame written by hand, for inputs the encoder would never produce. */
function frame(write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter();
  for (const byte of [0x56, 0x50, 1, 1]) writer.u8(byte);
  write(writer);
  return writer.finish();
}

describe('peer frame codec', () => {
  it('decodes every encoded batch of messages back to the same messages', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 4 }), (messages) => {
        assert.deepStrictEqual(decodePeerFrame(encodePeerFrame(messages)), messages);
      }),
      { numRuns: 400 },
    );
  });

  it('decodes handshake frames back to the same frames', () => {
    fc.assert(
      fc.property(handshakeFrame, (handshake) => {
        assert.deepStrictEqual(decodeHandshakeFrame(encodeHandshakeFrame(handshake)), handshake);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps terms and indexes up to 2^53-1 exact', () => {
    const big = { ...heartbeat, term: Number.MAX_SAFE_INTEGER, commit: 2 ** 53 - 2, index: 2 ** 35 + 1 };
    assert.deepStrictEqual(decodePeerFrame(encodePeerFrame([big])), [big]);
  });

  it('decodes from a Node Buffer at an offset, and the result does not change when the buffer is reused', () => {
    const encoded = encodePeerFrame([appendWith(2, 5)]);
    const pool = Buffer.alloc(encoded.length + 10);
    pool.set(encoded, 3);
    const decoded = decodePeerFrame(pool.subarray(3, 3 + encoded.length));
    pool.fill(0);
    assert.deepStrictEqual(decoded, [appendWith(2, 5)]);
  });

  it('refuses a frame larger than maxPeerFrameBytes, naming the limit', () => {
    const encoded = encodePeerFrame([appendWith(4, 1000)]);
    const error = expectError(decodePeerFrame(encoded, { ...DEFAULT_LIMITS, maxPeerFrameBytes: 2048 }));
    assert.equal(error.code, 'requestTooLarge');
    assert.equal(
      error.message,
      `peer frame: frame is ${encoded.length} bytes; the limit is 2 KiB (maxPeerFrameBytes)`,
    );
    assert.ok(
      Array.isArray(decodePeerFrame(encoded, { ...DEFAULT_LIMITS, maxPeerFrameBytes: encoded.length })),
    );
  });

  it('refuses an encoder bug (a lone surrogate in a member id) loudly instead of sending garbage', () => {
    assert.throws(() => encodePeerFrame([{ ...heartbeat, from: 'a\ud800' }]), /lone surrogate/);
  });

  const valid = encodePeerFrame([heartbeat, heartbeat]);
  const malformed: { name: string; input: Uint8Array; code: DecodeError['code']; message: string }[] = [
    {
      name: 'empty input',
      input: new Uint8Array(0),
      code: 'decodeError',
      message: 'peer frame: frame is 0 bytes, shorter than its 4-byte header at offset 0',
    },
    {
      name: 'wrong magic',
      input: new Uint8Array([0x47, 0x45, 0x54, 0x20, 0x2f]),
      code: 'decodeError',
      message: 'peer frame: frame does not start with the Vane peer magic "VP" (got 0x47 0x45) at offset 0',
    },
    {
      name: 'a newer version',
      input: new Uint8Array([0x56, 0x50, 2, 1, 0]),
      code: 'unsupportedVersion',
      message: 'peer frame: frame version 2 is not supported; this member speaks version 1',
    },
    {
      name: 'a handshake frame where messages were expected',
      input: encodeHandshakeFrame({ kind: 'accept' }),
      code: 'decodeError',
      message: 'peer frame: expected a messages frame, got a accept frame at offset 3',
    },
    {
      name: 'unknown message type tag',
      input: frame((w) => {
        w.varint(1);
        w.u8(99);
        for (let i = 0; i < 9; i++) w.u8(0);
      }),
      code: 'decodeError',
      message: 'peer frame: message 1 of 1: unknown message type tag 99 at offset 5',
    },
    {
      name: 'more messages announced than bytes could hold',
      input: frame((w) => w.varint(1_000_000)),
      code: 'decodeError',
      message:
        'peer frame: message count: count 1000000 needs at least 10000000 bytes but 0 are left at offset 4',
    },
    {
      name: 'trailing bytes',
      input: new Uint8Array([...valid, 0]),
      code: 'decodeError',
      message: `peer frame: 1 trailing bytes after the last message at offset ${valid.length}`,
    },
    {
      name: 'truncated mid-message',
      input: valid.subarray(0, valid.length - 3),
      code: 'decodeError',
      message: `peer frame: message 2 of 2: commit: varint runs past the end of the input at offset ${valid.length - 3}`,
    },
    {
      name: 'unknown flag bits',
      input: frame((w) => {
        w.varint(1);
        w.u8(8);
        w.u8(0x40);
        for (let i = 0; i < 8; i++) w.u8(0);
      }),
      code: 'decodeError',
      message: 'peer frame: message 1 of 1: unknown flag bits 0x40 at offset 6',
    },
    {
      name: 'an overlong varint (not canonical)',
      input: frame((w) => {
        w.varint(1);
        w.u8(8);
        w.u8(0);
        w.string('a');
        w.string('b');
        w.u8(0x83);
        w.u8(0x00);
        for (let i = 0; i < 6; i++) w.u8(0);
      }),
      code: 'decodeError',
      message: 'peer frame: message 1 of 1: term: varint has a redundant zero byte at offset 11',
    },
    {
      name: 'a number beyond 2^53-1',
      input: frame((w) => {
        w.varint(1);
        w.u8(8);
        w.u8(0);
        w.string('a');
        w.string('b');
        for (let i = 0; i < 7; i++) w.u8(0xff);
        w.u8(0x7f);
      }),
      code: 'decodeError',
      message: 'peer frame: message 1 of 1: term: varint exceeds 2^53-1 at offset 11',
    },
    {
      name: 'a member id that is not UTF-8',
      input: frame((w) => {
        w.varint(1);
        w.u8(8);
        w.u8(0);
        w.u8(2);
        w.u8(0xc3);
        w.u8(0x28);
        for (let i = 0; i < 8; i++) w.u8(0);
      }),
      code: 'decodeError',
      message: 'peer frame: message 1 of 1: from: 2 bytes are not valid UTF-8 at offset 7',
    },
  ];
  for (const { name, input, code, message: expected } of malformed) {
    it(`refuses ${name} with a message saying what and where`, () => {
      const error = expectError(decodePeerFrame(input));
      assert.equal(error.code, code);
      assert.equal(error.message, expected);
    });
  }

  it("names the message and entry whose data length runs past the frame's end", () => {
    const writer = new ByteWriter();
    for (const byte of [0x56, 0x50, 1, 1]) writer.u8(byte);
    writer.varint(5);
    const head = encodePeerFrame([heartbeat]).subarray(5);
    writer.raw(head);
    writer.u8(8);
    writer.u8(0);
    writer.string('a');
    writer.string('b');
    for (let i = 0; i < 5; i++) writer.varint(1);
    writer.varint(17);
    for (let i = 0; i < 16; i++) {
      writer.varint(1);
      writer.varint(i);
      writer.u8(0);
      writer.bytes(new Uint8Array([i]));
    }
    writer.varint(1);
    writer.varint(16);
    writer.u8(0);
    const lengthOffset = writer.length;
    writer.varint(9_999_999);
    for (let i = 0; i < 40; i++) writer.u8(0);
    const error = expectError(decodePeerFrame(writer.finish()));
    assert.equal(
      error.message,
      `peer frame: message 2 of 5: entry 17: data length 9999999 exceeds the 40 bytes left at offset ${lengthOffset}`,
    );
    assert.equal(error.where, 'peer frame: message 2 of 5: entry 17');
  });

  it('refuses malformed handshake frames', () => {
    const hello = encodeHandshakeFrame({
      kind: 'hello',
      clusterId: 'c',
      memberId: 'm',
      nonce: new Uint8Array(80),
    });
    assert.equal(
      expectError(decodeHandshakeFrame(hello)).message,
      'handshake frame: nonce length 80 exceeds the maximum of 64 at offset 8',
    );
    assert.equal(
      expectError(decodeHandshakeFrame(encodePeerFrame([]))).message,
      'handshake frame: expected a handshake frame, got a messages frame at offset 3',
    );
    const accept = encodeHandshakeFrame({ kind: 'accept' });
    assert.equal(
      expectError(decodeHandshakeFrame(new Uint8Array([...accept, 1]))).message,
      'handshake frame: 1 trailing bytes after the accept frame at offset 4',
    );
  });

  it('encodes and decodes append batches quickly (64 entries of 256 bytes per message)', () => {
    const batch = [appendWith(64, 256)];
    for (let i = 0; i < 500; i++) decodePeerFrame(encodePeerFrame(batch)); // let the JIT compile it first
    const rounds = 2000;
    const started = performance.now();
    let frameBytes = 0;
    for (let i = 0; i < rounds; i++) {
      const encoded = encodePeerFrame(batch);
      frameBytes = encoded.length;
      const decoded = decodePeerFrame(encoded);
      assert.ok(Array.isArray(decoded));
    }
    const seconds = (performance.now() - started) / 1000;
    const perSecond = Math.round(rounds / seconds);
    console.log(
      `peer codec: ${perSecond} append messages/s encoded+decoded (${frameBytes} bytes each, ` +
        `${((perSecond * frameBytes) / 1e6).toFixed(0)} MB/s, ${perSecond * 64} entries/s)`,
    );
    // Far below what it does (tens of thousands per second): only a gross regression trips this.
    assert.ok(perSecond > 1000, `only ${perSecond} messages/s`);
  });
});
