// Stand-ins for the Workers runtime in unit tests that run on Node: Durable Object storage in
// memory (with its per-call key limit) and a hibernatable socket that records what it was sent.
import type { EdgeStorage, WorkerdSocket } from './workers-runtime.ts';

export class MemoryStorage implements EdgeStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | null = null;
  /** Fails every write from now on (a storage outage). */
  failWrites = false;

  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.data.get(key)) as T | undefined;
  }

  async list<T>(options: { readonly prefix: string }): Promise<Map<string, T>> {
    const keys = [...this.data.keys()].filter((key) => key.startsWith(options.prefix)).sort();
    return new Map(keys.map((key) => [key, structuredClone(this.data.get(key)) as T]));
  }

  async put(entries: Record<string, unknown>): Promise<void> {
    const keys = Object.keys(entries);
    if (keys.length > 128) throw new Error(`put of ${keys.length} keys: storage takes at most 128 per call`);
    if (this.failWrites) throw new Error('storage unavailable');
    for (const key of keys) this.data.set(key, structuredClone(entries[key]));
  }

  async delete(keys: string[]): Promise<number> {
    if (keys.length > 128)
      throw new Error(`delete of ${keys.length} keys: storage takes at most 128 per call`);
    let deleted = 0;
    for (const key of keys) if (this.data.delete(key)) deleted++;
    return deleted;
  }

  async setAlarm(scheduledTime: number): Promise<void> {
    this.alarm = scheduledTime;
  }
}

export class RecordingSocket implements WorkerdSocket {
  readyState = 1;
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  #attachment: unknown = null;

  send(message: string): void {
    this.sent.push(message);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  accept(): void {}

  addEventListener(): void {}

  serializeAttachment(value: unknown): void {
    const text = JSON.stringify(value);
    if (text.length > 2048)
      throw new Error(`attachment of ${text.length} bytes: the runtime takes at most 2048`);
    this.#attachment = structuredClone(value);
  }

  deserializeAttachment(): unknown {
    return structuredClone(this.#attachment);
  }

  /** Every message sent, parsed; and forgets them. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary protocol JSON
  take(): any[] {
    return this.sent.splice(0).map((text) => JSON.parse(text));
  }
}
