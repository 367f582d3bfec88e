// Simulated clients: each runs one operation at a time (put, linearizable get through ReadIndex, or
// compare-and-swap) against a member it picks, and records what it saw for the linearizability
// check. A write whose reply never came (timeout, crashed or removed member) is resolved from the
// applied log at the end, as etcd's robustness tests patch their histories from the WAL: if some
// member applied it, it happened, with that outcome, by the time it was first applied; if none did,
// nobody observed it and it is left out. So are refused writes and unanswered reads.

import type { NodeId, RaftError } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import { InvariantViolation } from './invariants.ts';
import type { KvInput, KvOperation, KvOutput } from './kv-model.ts';
import type { AppliedWrite } from './kv-state-machine.ts';
import { encodeClientWrite } from './kv-state-machine.ts';
import type { Member } from './member.ts';

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** Chance per tick that an idle client starts its next operation. */
  readonly opRate: number;
  /** Operations the core accepted (refused ones do not count). */
  readonly maxOps: number;
  /** Time units after which a client gives up waiting. */
  readonly opTimeout: number;
}

interface PendingOperation {
  readonly seq: number;
  readonly input: KvInput;
  readonly call: number;
  readonly member: NodeId;
  readonly incarnation: number;
  readonly deadline: number;
}

interface SimClient {
  readonly id: number;
  seq: number;
  pending: PendingOperation | null;
  /** The last value this client saw per key: what its compare-and-swaps expect. */
  readonly lastSeen: Map<string, string | null>;
}

export interface WorkloadStats {
  issued: number;
  succeeded: number;
  /** Writes whose client never heard back, found in the applied log. */
  unknownApplied: number;
  /** Writes whose client never heard back and that no member applied. */
  unknownNeverApplied: number;
  refused: number;
  unanswered: number;
}

export class ClientWorkload {
  readonly history: KvOperation[] = [];
  readonly stats: WorkloadStats = {
    issued: 0,
    succeeded: 0,
    unknownApplied: 0,
    unknownNeverApplied: 0,
    refused: 0,
    unanswered: 0,
  };
  private readonly clients: SimClient[];
  private readonly keys: string[];
  private readonly random: SeededRandom;
  private readonly options: WorkloadOptions;
  /** Orders every call and return: the history's logical time. */
  private clock = 0;
  /** Writes the core refused, as "client.seq": applying one of them later would be a bug. */
  private readonly refusedWrites = new Set<string>();
  private readonly trace: ((line: string) => void) | undefined;
  /** The first application of every client write, by "client.seq", with its outcome and logical time. */
  private readonly appliedWrites = new Map<string, { output: KvOutput; at: number }>();
  /** Writes whose client gave up waiting, resolved against appliedWrites when the run ends. */
  private readonly unanswered: { clientId: number; seq: number; input: KvInput; call: number }[] = [];

  constructor(random: SeededRandom, options: WorkloadOptions, trace?: (line: string) => void) {
    this.random = random;
    this.options = options;
    this.trace = trace;
    // Client id 0 is reserved for the liveness probe.
    this.clients = Array.from({ length: options.clients }, (_, i) => ({
      id: i + 1,
      seq: 0,
      pending: null,
      lastSeen: new Map(),
    }));
    this.keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  }

  /** Idle clients may start an operation on a random member that is up. */
  tick(now: number, members: readonly Member[]): void {
    const up = members.filter((m) => m.isUp);
    for (const client of this.clients) {
      if (
        client.pending !== null ||
        up.length === 0 ||
        this.stats.issued - this.stats.refused >= this.options.maxOps
      )
        continue;
      if (!this.random.chance(this.options.opRate)) continue;
      this.issue(client, this.random.pick(up), now);
    }
  }

  private nextInput(client: SimClient): KvInput {
    const key = this.random.pick(this.keys);
    const value = `c${client.id}.${client.seq}`;
    const roll = this.random.int(10);
    if (roll < 4) return { kind: 'put', key, value };
    if (roll < 7) return { kind: 'get', key };
    return { kind: 'cas', key, expected: client.lastSeen.get(key) ?? null, value };
  }

  private issue(client: SimClient, member: Member, now: number): void {
    client.seq++;
    this.stats.issued++;
    const input = this.nextInput(client);
    const op: PendingOperation = {
      seq: client.seq,
      input,
      call: this.clock++,
      member: member.id,
      incarnation: member.incarnation,
      deadline: now + this.options.opTimeout,
    };
    client.pending = op;
    this.trace?.(`client ${client.id} -> ${member.id}: ${describeInput(input)}`);
    const onRefused = (error: RaftError): void => {
      if (client.pending !== op) return;
      if (input.kind !== 'get') this.refusedWrites.add(`${client.id}.${op.seq}`);
      this.trace?.(`client ${client.id}: refused (${error.code})`);
      this.stats.refused++;
      client.pending = null;
    };
    if (input.kind === 'get') {
      member.enqueue({
        kind: 'read',
        context: `r${client.id}.${op.seq}`,
        key: input.key,
        onRefused,
        onServed: (value) => {
          if (client.pending === op) this.complete(client, { kind: 'get', value });
        },
      });
      return;
    }
    member.enqueue({
      kind: 'propose',
      data: encodeClientWrite({ clientId: client.id, seq: op.seq, input }),
      onRefused,
    });
  }

  private complete(client: SimClient, output: KvOutput): void {
    const op = client.pending!;
    client.pending = null;
    this.stats.succeeded++;
    this.history.push({ clientId: client.id, input: op.input, call: op.call, return: this.clock++, output });
    if (output.kind === 'get') client.lastSeen.set(op.input.key, output.value);
    else if (op.input.kind !== 'get' && (output.kind === 'put' || output.succeeded)) {
      client.lastSeen.set(op.input.key, op.input.value);
    }
    this.trace?.(`client ${client.id} <- ${describeOutput(output)}`);
  }

  /** A member applied a client write; the client that sent it there learns the outcome. */
  applied(member: Member, write: AppliedWrite): void {
    if (this.refusedWrites.has(`${write.clientId}.${write.seq}`)) {
      throw new InvariantViolation(
        'refused proposals never apply',
        `write ${write.seq} of client ${write.clientId} was refused by the core, yet ${member.id} applied it`,
      );
    }
    const key = `${write.clientId}.${write.seq}`;
    if (!this.appliedWrites.has(key)) this.appliedWrites.set(key, { output: write.output, at: this.clock++ });
    const client = this.clients[write.clientId - 1];
    const op = client?.pending;
    if (op === undefined || op === null || op.seq !== write.seq) return;
    if (op.member !== member.id || op.incarnation !== member.incarnation) return;
    this.complete(client!, write.output);
  }

  /** Operations waiting on a member that crashed or was removed will never hear back. */
  memberLost(member: NodeId): void {
    for (const client of this.clients) if (client.pending?.member === member) this.abandon(client);
  }

  expire(now: number): void {
    for (const client of this.clients)
      if (client.pending !== null && client.pending.deadline <= now) this.abandon(client);
  }

  /** The run is over: abandon what is pending, then resolve every unanswered write from the applied log. */
  finish(): void {
    for (const client of this.clients) if (client.pending !== null) this.abandon(client);
    for (const write of this.unanswered) {
      const applied = this.appliedWrites.get(`${write.clientId}.${write.seq}`);
      if (applied === undefined) {
        this.stats.unknownNeverApplied++;
        continue;
      }
      this.stats.unknownApplied++;
      const { clientId, input, call } = write;
      this.history.push({ clientId, input, call, return: applied.at, output: applied.output });
    }
    this.unanswered.length = 0;
  }

  private abandon(client: SimClient): void {
    const op = client.pending!;
    client.pending = null;
    if (op.input.kind === 'get') {
      this.stats.unanswered++;
      return;
    }
    this.unanswered.push({ clientId: client.id, seq: op.seq, input: op.input, call: op.call });
    // The write may or may not have happened: the key's value is no longer known to this client.
    client.lastSeen.delete(op.input.key);
  }
}

export function describeInput(input: KvInput): string {
  switch (input.kind) {
    case 'put':
      return `put ${input.key}=${input.value}`;
    case 'get':
      return `get ${input.key}`;
    case 'cas':
      return `cas ${input.key}: ${input.expected ?? 'absent'} -> ${input.value}`;
  }
}

function describeOutput(output: KvOutput): string {
  switch (output.kind) {
    case 'put':
      return 'ok';
    case 'get':
      return output.value ?? 'absent';
    case 'cas':
      return output.succeeded ? 'swapped' : 'unchanged';
  }
}
