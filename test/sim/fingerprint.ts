// A fast, deterministic 64-bit fingerprint (two FNV-style lanes with different offsets) for comparing
// entries, state machines and whole runs. Not cryptographic: it only has to tell honest states apart.

const PRIME = 0x01000193;

export class Fingerprint {
  private low = 0x811c9dc5;
  private high = 0x050c5d1f;

  addByte(byte: number): this {
    this.low = Math.imul(this.low ^ (byte & 0xff), PRIME) >>> 0;
    this.high = Math.imul(this.high ^ (byte & 0xff), PRIME ^ 0x5bd1e995) >>> 0;
    return this;
  }

  addBytes(bytes: Uint8Array): this {
    this.addNumber(bytes.length);
    for (const byte of bytes) this.addByte(byte);
    return this;
  }

  /** A 32-bit word, mixed in one step. */
  addWord(word: number): this {
    this.low = Math.imul(this.low ^ (word >>> 0), PRIME) >>> 0;
    this.low = (this.low ^ (this.low >>> 15)) >>> 0;
    this.high = Math.imul(this.high ^ (word >>> 0), PRIME ^ 0x5bd1e995) >>> 0;
    this.high = (this.high ^ (this.high >>> 13)) >>> 0;
    return this;
  }

  /** Integers up to 2^53; other numbers are refused rather than silently truncated. */
  addNumber(value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`fingerprint of a non-integer ${value}`);
    return this.addWord(value >>> 0).addWord(Math.floor(value / 4294967296) >>> 0);
  }

  addString(value: string): this {
    this.addNumber(value.length);
    for (let i = 0; i < value.length; i++) this.addWord(value.charCodeAt(i));
    return this;
  }

  hex(): string {
    return this.high.toString(16).padStart(8, '0') + this.low.toString(16).padStart(8, '0');
  }
}
