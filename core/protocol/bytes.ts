// A growable byte writer and a bounds-checked reader for the binary codecs. Numbers are unsigned
// LEB128 varints up to 2^53-1; strings and byte arrays are length-prefixed. The reader checks every
// length against the bytes left BEFORE allocating, and refuses non-canonical encodings (overlong
// varints, booleans other than 0/1), so every accepted input re-encodes to the same bytes.

import { decodeError, refuse } from './errors.ts';
import { loneSurrogateIndex } from './keys.ts';
import { decodeUtf8, encodeUtf8 } from './text.ts';

/** Bytes a varint takes at most: 8 × 7 bits covers 2^53-1. */
const MAX_VARINT_BYTES = 8;

export class ByteWriter {
  private buffer: Uint8Array;
  private position = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.position;
  }

  /** The bytes written. A view of the writer's buffer when little of it is unused, else a tight copy. */
  finish(): Uint8Array {
    const unused = this.buffer.length - this.position;
    return unused * 4 <= this.buffer.length
      ? this.buffer.subarray(0, this.position)
      : this.buffer.slice(0, this.position);
  }

  u8(value: number): void {
    if (this.position + 1 > this.buffer.length) this.grow(1);
    this.buffer[this.position++] = value;
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`ByteWriter.varint: ${value} is not an integer in [0, 2^53-1]`);
    }
    if (this.position + MAX_VARINT_BYTES > this.buffer.length) this.grow(MAX_VARINT_BYTES);
    const buffer = this.buffer;
    let position = this.position;
    let rest = value;
    if (rest < 0x80000000) {
      while (rest >= 0x80) {
        buffer[position++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
    } else {
      while (rest >= 0x80) {
        buffer[position++] = (rest % 0x80) | 0x80;
        rest = Math.floor(rest / 0x80);
      }
    }
    buffer[position++] = rest;
    this.position = position;
  }

  /** Bytes as they are, without a length. */
  raw(bytes: Uint8Array): void {
    if (this.position + bytes.length > this.buffer.length) this.grow(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** Length-prefixed bytes. */
  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** Length-prefixed UTF-8. A string with a lone surrogate has no UTF-8 form: that is a caller's bug. */
  string(text: string): void {
    const length = text.length;
    if (this.position + MAX_VARINT_BYTES + length > this.buffer.length) this.grow(MAX_VARINT_BYTES + length);
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.varint(length);
      const buffer = this.buffer;
      let position = this.position;
      for (let i = 0; i < length; i++) buffer[position++] = text.charCodeAt(i);
      this.position = position;
      return;
    }
    const surrogate = loneSurrogateIndex(text);
    if (surrogate >= 0) {
      throw new Error(
        `ByteWriter.string: lone surrogate at index ${surrogate}; the string has no UTF-8 form`,
      );
    }
    this.bytes(encodeUtf8(text));
  }

  private grow(needed: number): void {
    let capacity = this.buffer.length * 2;
    while (capacity < this.position + needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
  }
}

export class ByteReader {
  private readonly buffer: Uint8Array;
  private position = 0;

  /**
   * The input is copied once, and byte fields are views into that copy: one allocation per input
   * instead of one per field (small off-heap allocations dominate decoding otherwise). The caller
   * may reuse its buffer; decoded values keep the copy alive as long as they live.
   */
  constructor(bytes: Uint8Array) {
    this.buffer = new Uint8Array(bytes);
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  u8(field: string): number {
    if (this.position >= this.buffer.length) this.fail(this.position, `${field}: input ends`);
    return this.buffer[this.position++]!;
  }

  bool(field: string): boolean {
    const at = this.position;
    const value = this.u8(field);
    if (value > 1) this.fail(at, `${field}: boolean byte ${value} is neither 0 nor 1`);
    return value === 1;
  }

  varint(field: string): number {
    return this.readVarint(field, '');
  }

  /** A count of items that each take at least `minItemBytes`, checked against the bytes left. */
  count(field: string, minItemBytes: number, maximum = Number.MAX_SAFE_INTEGER): number {
    const at = this.position;
    const count = this.varint(field);
    if (count > maximum) this.fail(at, `${field}: count ${count} exceeds the maximum of ${maximum}`);
    if (count * minItemBytes > this.remaining) {
      this.fail(
        at,
        `${field}: count ${count} needs at least ${count * minItemBytes} bytes but ${this.remaining} are left`,
      );
    }
    return count;
  }

  /** Length-prefixed bytes, as a view into the reader's copy of the input. */
  bytes(field: string, maxLength = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.length(field, maxLength);
    const start = this.position;
    this.position += length;
    return this.buffer.subarray(start, this.position);
  }

  /** Length-prefixed UTF-8, which must be well-formed. */
  string(field: string, maxBytes = Number.MAX_SAFE_INTEGER): string {
    const at = this.position;
    const length = this.length(field, maxBytes);
    const buffer = this.buffer;
    const start = this.position;
    const end = start + length;
    let text = '';
    let ascii = length <= 64;
    for (let i = start; ascii && i < end; i++) {
      const byte = buffer[i]!;
      if (byte >= 0x80) ascii = false;
      else text += String.fromCharCode(byte);
    }
    if (!ascii) {
      const decoded = decodeUtf8(buffer.subarray(start, end));
      if (decoded === undefined) this.fail(at, `${field}: ${length} bytes are not valid UTF-8`);
      text = decoded;
    }
    this.position = end;
    return text;
  }

  /** The input must end here. */
  end(what: string): void {
    if (this.position !== this.buffer.length) {
      this.fail(this.position, `${this.buffer.length - this.position} trailing bytes after the ${what}`);
    }
  }

  /** Refuses the input: `what` is wrong at `offset`. */
  fail(offset: number, what: string): never {
    return refuse(decodeError('decodeError', '', `${what} at offset ${offset}`, { offset }));
  }

  private length(field: string, maximum: number): number {
    const at = this.position;
    const length = this.readVarint(field, ' length');
    if (length > this.remaining) {
      this.fail(at, `${field} length ${length} exceeds the ${this.remaining} bytes left`);
    }
    if (length > maximum) this.fail(at, `${field} length ${length} exceeds the maximum of ${maximum}`);
    return length;
  }

  /** `suffix` completes the field's name in a message, built only when the input is refused. */
  private readVarint(field: string, suffix: string): number {
    const buffer = this.buffer;
    const start = this.position;
    let position = start;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (position >= buffer.length)
        this.fail(start, `${field}${suffix}: varint runs past the end of the input`);
      const byte = buffer[position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) this.fail(start, `${field}${suffix}: varint has a redundant zero byte`);
        if (value > Number.MAX_SAFE_INTEGER) this.fail(start, `${field}${suffix}: varint exceeds 2^53-1`);
        this.position = position;
        return value;
      }
      scale *= 0x80;
    }
    return this.fail(start, `${field}${suffix}: varint is longer than ${MAX_VARINT_BYTES} bytes`);
  }
}
