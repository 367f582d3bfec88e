// A small binary writer/reader for snapshots: unsigned varints (LEB128, any safe integer), strings as
// UTF-8 with a length, bytes with a length, and a self-describing encoding of plain data (the stored
// responses of the dedup window). Reading past the end or meeting a malformed value throws
// SnapshotDecodeError with the offset, which restore() turns into a VaneError.

export class SnapshotDecodeError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.offset = offset;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class BinaryWriter {
  private buffer: Uint8Array;
  private length = 0;
  private readonly spill: ((chunk: Uint8Array) => void) | undefined;

  /**
   * With `spill`, the writer hands over its bytes whenever its buffer fills (and on flush()) instead
   * of growing: a stream of bounded memory, used to digest the state.
   */
  constructor(initialCapacity = 64 * 1024, spill?: (chunk: Uint8Array) => void) {
    this.buffer = new Uint8Array(initialCapacity);
    this.spill = spill;
  }

  /** Hands the buffered bytes to `spill`. */
  flush(): void {
    if (this.spill === undefined) throw new Error('flush() needs a spill target');
    if (this.length > 0) this.spill(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  get size(): number {
    return this.length;
  }

  /** Bytes the buffer can hold before it grows. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** The bytes written so far (a copy trimmed to size). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** A view of the bytes written so far, without copying; valid until the next write. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    const b = this.buffer;
    b[this.length++] = value & 0xff;
    b[this.length++] = (value >>> 8) & 0xff;
    b[this.length++] = (value >>> 16) & 0xff;
    b[this.length++] = (value >>> 24) & 0xff;
  }

  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`cannot encode ${value} as an unsigned varint`);
    this.reserve(8);
    const b = this.buffer;
    let p = this.length;
    let v = value;
    while (v > 0x7fffffff) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.length = p;
  }

  /** Bytes as they are, without a length. */
  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  bytes(value: Uint8Array): void {
    const n = value.length;
    this.uint(n);
    this.reserve(n);
    this.buffer.set(value, this.length);
    this.length += n;
  }

  /** UTF-8 with its length; ASCII (nearly every key) is copied in one pass without an encoder. */
  string(value: string): void {
    const n = value.length;
    const start = this.length;
    this.uint(n);
    this.reserve(n);
    const b = this.buffer;
    let p = this.length;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        this.length = start;
        this.bytes(encoder.encode(value));
        return;
      }
      b[p++] = c;
    }
    this.length = p;
  }

  /** Plain data: undefined, booleans, numbers, strings, Uint8Array, arrays and plain objects. */
  data(value: unknown): void {
    if (value === undefined) this.u8(DATA_UNDEFINED);
    else if (value === null) this.u8(DATA_NULL);
    else if (value === false) this.u8(DATA_FALSE);
    else if (value === true) this.u8(DATA_TRUE);
    else if (typeof value === 'number') {
      if (Number.isSafeInteger(value) && value >= 0) {
        this.u8(DATA_UINT);
        this.uint(value);
      } else if (Number.isSafeInteger(value)) {
        this.u8(DATA_NEGATIVE_INT);
        this.uint(-value);
      } else {
        this.u8(DATA_STRING_NUMBER);
        this.string(String(value));
      }
    } else if (typeof value === 'string') {
      this.u8(DATA_STRING);
      this.string(value);
    } else if (value instanceof Uint8Array) {
      this.u8(DATA_BYTES);
      this.bytes(value);
    } else if (Array.isArray(value)) {
      this.u8(DATA_ARRAY);
      this.uint(value.length);
      for (const item of value) this.data(item);
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      this.u8(DATA_OBJECT);
      this.uint(entries.length);
      for (const [k, v] of entries) {
        this.string(k);
        this.data(v);
      }
    } else {
      throw new Error(`cannot encode a ${typeof value} as snapshot data`);
    }
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    if (this.spill !== undefined) {
      this.flush();
      if (extra <= this.buffer.length) return;
    }
    // Large buffers grow by a quarter: a snapshot buffer sized from an estimate that fell a little
    // short should not end up twice the size it needs.
    const grow = (size: number): number => (size < LARGE_BUFFER_BYTES ? size * 2 : Math.ceil(size * 1.25));
    let capacity = grow(this.buffer.length);
    while (capacity < this.length + extra) capacity = grow(capacity);
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
}

const DATA_UNDEFINED = 0;
const DATA_NULL = 1;
const DATA_FALSE = 2;
const DATA_TRUE = 3;
const DATA_UINT = 4;
const DATA_NEGATIVE_INT = 5;
const DATA_STRING_NUMBER = 6;
const DATA_STRING = 7;
const DATA_BYTES = 8;
const DATA_ARRAY = 9;
const DATA_OBJECT = 10;

/** Buffers from this size on grow by a quarter instead of doubling. */
const LARGE_BUFFER_BYTES = 1024 * 1024;

/** Strings up to this many bytes are checked for ASCII and decoded without TextDecoder (faster per call). */
const MAX_SHORT_STRING = 256;

/** Nesting depth of plain data; deeper input is refused (txn responses nest at most maxTxnDepth). */
const MAX_DATA_DEPTH = 64;

export class BinaryReader {
  private readonly buffer: Uint8Array;
  offset: number;
  private readonly end: number;

  constructor(buffer: Uint8Array, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.offset = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(message: string): never {
    throw new SnapshotDecodeError(message, this.offset);
  }

  u8(): number {
    if (this.offset >= this.end) this.fail('unexpected end of data');
    return this.buffer[this.offset++]!;
  }

  u32(): number {
    if (this.offset + 4 > this.end) this.fail('unexpected end of data');
    const b = this.buffer;
    const o = this.offset;
    this.offset += 4;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  uint(): number {
    const o = this.offset;
    if (o < this.end && this.buffer[o]! < 0x80) {
      this.offset = o + 1;
      return this.buffer[o]!;
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail('varint exceeds the safe integer range');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  /** A length that must fit in what is left (each counted item takes at least `minItemBytes`). */
  count(minItemBytes = 1): number {
    const n = this.uint();
    if (n * minItemBytes > this.remaining)
      this.fail(`count ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }

  /** Length-prefixed bytes, as a view of the input (no copy). */
  bytes(): Uint8Array {
    const n = this.count();
    const start = this.offset;
    this.offset = start + n;
    return this.buffer.subarray(start, start + n);
  }

  string(): string {
    const n = this.count();
    const start = this.offset;
    const end = start + n;
    const b = this.buffer;
    this.offset = end;
    if (n <= MAX_SHORT_STRING) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (b[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
    }
    try {
      return decoder.decode(b.subarray(start, end));
    } catch {
      this.offset = start;
      return this.fail('string is not valid UTF-8');
    }
  }

  /** Whether the bytes at the offset repeat bytes [start, end) read before. */
  private repeats(start: number, end: number): boolean {
    const n = end - start;
    if (this.offset + n > this.end) return false;
    const b = this.buffer;
    const at = this.offset;
    for (let i = 0; i < n; i++) if (b[at + i] !== b[start + i]) return false;
    return true;
  }

  data(depth = 0): unknown {
    if (depth > MAX_DATA_DEPTH) this.fail(`data nested deeper than ${MAX_DATA_DEPTH}`);
    const tag = this.u8();
    switch (tag) {
      case DATA_UNDEFINED:
        return undefined;
      case DATA_NULL:
        return null;
      case DATA_FALSE:
        return false;
      case DATA_TRUE:
        return true;
      case DATA_UINT:
        return this.uint();
      case DATA_NEGATIVE_INT:
        return -this.uint();
      case DATA_STRING_NUMBER: {
        const text = this.string();
        const value = Number(text);
        if (String(value) !== text) this.fail(`'${text}' is not a number`);
        return value;
      }
      case DATA_STRING:
        return this.string();
      case DATA_BYTES:
        return this.bytes();
      case DATA_ARRAY: {
        const n = this.count();
        const out: unknown[] = [];
        let previousStart = 0;
        let previousEnd = 0;
        let previous: unknown;
        for (let i = 0; i < n; i++) {
          // The encoding is self-delimiting, so an item whose bytes start with a copy of the item
          // before is that item again: it is shared, not decoded (a txn of many puts answers each
          // alike, and the dedup window keeps such responses).
          if (previousEnd > previousStart && this.repeats(previousStart, previousEnd)) {
            this.offset += previousEnd - previousStart;
            out.push(previous);
            continue;
          }
          const start = this.offset;
          const item = this.data(depth + 1);
          out.push(item);
          const shareable = typeof item === 'object' && item !== null;
          previousStart = start;
          previousEnd = shareable ? this.offset : start;
          previous = item;
        }
        return out;
      }
      case DATA_OBJECT: {
        const n = this.count(2);
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.string();
          if (key === '__proto__') this.fail('object key __proto__ is not allowed');
          out[key] = this.data(depth + 1);
        }
        return out;
      }
      default:
        return this.fail(`unknown data tag ${tag}`);
    }
  }
}
