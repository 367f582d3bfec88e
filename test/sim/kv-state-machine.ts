// The replicated state machine the simulator runs on every member: a small key-value map with
// put and compare-and-swap, deduplicated by (client, sequence number) so that a proposal the network
// duplicated applies once. It sits behind SimStateMachine so that core/store can replace it.
import type { Entry } from '../../core/raft/types.ts';
import { Fingerprint } from './fingerprint.ts';
import type { KvInput, KvOutput } from './kv-model.ts';

/** A client's write as it travels through the log. */
export interface ClientWrite {
  readonly clientId: number;
  /** Increases with every operation of one client; a write with seq <= the last applied one is a duplicate. */
  readonly seq: number;
  readonly input: Extract<KvInput, { kind: 'put' | 'cas' }>;
}

export interface AppliedWrite {
  readonly clientId: number;
  readonly seq: number;
  readonly output: KvOutput;
}

export interface SimStateMachine {
  /** Applies one committed entry; returns the client write it carried, unless none or a duplicate. */
  apply(entry: Entry): AppliedWrite | null;
  read(key: string): string | null;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
  /** Equal on every member that applied the same entries. */
  hash(): string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeClientWrite(write: ClientWrite): Uint8Array {
  return encoder.encode(JSON.stringify(write));
}

function decodeClientWrite(data: Uint8Array): ClientWrite {
  const value: unknown = JSON.parse(decoder.decode(data));
  if (typeof value !== 'object' || value === null || !('clientId' in value) || !('input' in value)) {
    throw new Error(`entry data is not a client write: ${decoder.decode(data).slice(0, 80)}`);
  }
  return value as ClientWrite;
}

interface KvSnapshot {
  readonly values: [string, string][];
  readonly lastSeq: [number, number][];
}

export class KvStateMachine implements SimStateMachine {
  private values = new Map<string, string>();
  private lastSeq = new Map<number, number>();

  apply(entry: Entry): AppliedWrite | null {
    if (entry.type !== 'normal' || entry.data.length === 0) return null;
    const write = decodeClientWrite(entry.data);
    if (write.seq <= (this.lastSeq.get(write.clientId) ?? 0)) return null;
    this.lastSeq.set(write.clientId, write.seq);
    const { input } = write;
    if (input.kind === 'put') {
      this.values.set(input.key, input.value);
      return { clientId: write.clientId, seq: write.seq, output: { kind: 'put' } };
    }
    const succeeded = (this.values.get(input.key) ?? null) === input.expected;
    if (succeeded) this.values.set(input.key, input.value);
    return { clientId: write.clientId, seq: write.seq, output: { kind: 'cas', succeeded } };
  }

  read(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return encoder.encode(this.serialize());
  }

  /** Empty data is the state before the first entry: the snapshot a cluster is bootstrapped from. */
  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.values = new Map();
      this.lastSeq = new Map();
      return;
    }
    const parsed = JSON.parse(decoder.decode(data)) as KvSnapshot;
    this.values = new Map(parsed.values);
    this.lastSeq = new Map(parsed.lastSeq);
  }

  hash(): string {
    return new Fingerprint().addString(this.serialize()).hex();
  }

  /** Sorted, so that equal states serialize to equal bytes whatever order they were built in. */
  private serialize(): string {
    const snapshot: KvSnapshot = {
      values: [...this.values].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      lastSeq: [...this.lastSeq].sort((a, b) => a[0] - b[0]),
    };
    return JSON.stringify(snapshot);
  }
}
