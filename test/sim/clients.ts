// Simulated clients: each runs one operation at a time (put, linearizable get through ReadIndex,
// compare-and-swap, delete of a key, or a clear that deletes every key in one revision) against a
// member it picks, and records what it saw for the linearizability check. Writes carry a request id
// (client id and sequence number); a write whose reply does not come in time (timeout, crashed or
// removed member) is retried with the same request id on a member that is up, a few times, as a real
// client would: the store's deduplication must answer a retry with the first outcome and never apply
// it twice. A write that is never answered is resolved from the applied log at the end, as etcd's
// robustness tests patch their histories from the WAL: if some member applied it, it happened, with
// that outcome, by the time it was first applied; if none did, nobody observed it and it is left out.
// So are refused writes and unanswered reads.

import type { VaneError } from '../../core/errors.ts';
import { encodeCommand } from '../../core/protocol/index.ts';
import type { NodeId, RaftError } from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import type { Command, CommandResponse, KeyValue } from '../../core/store/index.ts';
import { prefixRange } from '../../core/store/index.ts';
import { InvariantViolation } from './invariants.ts';
import type { KvInput, KvOperation, KvOutput } from './kv-model.ts';
import { describeOutput } from './kv-model.ts';
import type { Member } from './member.ts';
import type { AppliedCommand } from './store-state-machine.ts';

/** Every client key starts with it, so a clear is one delete of this prefix. */
export const CLIENT_KEY_PREFIX = 'k';
const CLIENT_KEYS = prefixRange(CLIENT_KEY_PREFIX);
/** Attempts of one write, the first included. */
const MAX_WRITE_ATTEMPTS = 3;

export interface WorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** Chance per tick that an idle client starts its next operation. */
  readonly opRate: number;
  /** Operations the core accepted (refused ones do not count). */
  readonly maxOps: number;
  /** Time units after which a client gives up waiting (and retries a write). */
  readonly opTimeout: number;
}

/** What a client asks: one key's operation, or a clear of every client key. */
type ClientRequest = KvInput | { readonly kind: 'clear' };

interface PendingOperation {
  readonly seq: number;
  readonly request: ClientRequest;
  readonly call: number;
  attempts: number;
  /** Where the current attempt went; null while a write waits to be retried. */
  member: NodeId | null;
  incarnation: number;
  deadline: number;
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
  /** Attempts after the first of some write. */
  retries: number;
  /** Writes whose client never heard back, found in the applied log. */
  unknownApplied: number;
  /** Writes whose client never heard back and that no member applied. */
  unknownNeverApplied: number;
  refused: number;
  unanswered: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function clientRequestId(clientId: number, seq: number): string {
  return `c${clientId}.${seq}`;
}

export class ClientWorkload {
  readonly history: KvOperation[] = [];
  readonly stats: WorkloadStats = {
    issued: 0,
    succeeded: 0,
    retries: 0,
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
  /** Writes the core refused at their only attempt: applying one of them later would be a bug. */
  private readonly refusedWrites = new Set<string>();
  private readonly trace: ((line: string) => void) | undefined;
  /** Every write sent, by request id. */
  private readonly writes = new Map<string, { client: SimClient; op: PendingOperation }>();
  /** The first application of every client write, by request id, with its outcome and logical time. */
  private readonly appliedWrites = new Map<string, { response: CommandResponse; at: number }>();
  /** Writes whose client gave up, resolved against appliedWrites when the run ends. */
  private readonly unanswered: { clientId: number; op: PendingOperation }[] = [];

  constructor(random: SeededRandom, options: WorkloadOptions, trace?: (line: string) => void) {
    this.random = random;
    this.options = options;
    this.trace = trace;
    this.clients = Array.from({ length: options.clients }, (_, i) => ({
      id: i + 1,
      seq: 0,
      pending: null,
      lastSeen: new Map(),
    }));
    this.keys = Array.from({ length: options.keys }, (_, i) => `${CLIENT_KEY_PREFIX}${i}`);
  }

  /** Writes waiting for a retry go to a member that is up; idle clients may start an operation. */
  tick(now: number, members: readonly Member[]): void {
    const up = members.filter((m) => m.isUp);
    if (up.length === 0) return;
    for (const client of this.clients) {
      const op = client.pending;
      if (op !== null) {
        if (op.member === null) {
          this.stats.retries++;
          this.trace?.(`client ${client.id} retries ${clientRequestId(client.id, op.seq)}`);
          this.send(client, op, this.random.pick(up), now);
        }
        continue;
      }
      if (this.stats.issued - this.stats.refused >= this.options.maxOps) continue;
      if (!this.random.chance(this.options.opRate)) continue;
      this.issue(client, this.random.pick(up), now);
    }
  }

  private nextRequest(client: SimClient): ClientRequest {
    const key = this.random.pick(this.keys);
    const value = `c${client.id}.${client.seq}`;
    const roll = this.random.int(20);
    if (roll < 7) return { kind: 'put', key, value };
    if (roll < 13) return { kind: 'get', key };
    if (roll < 17) return { kind: 'cas', key, expected: client.lastSeen.get(key) ?? null, value };
    if (roll < 19) return { kind: 'delete', key };
    return { kind: 'clear' };
  }

  private issue(client: SimClient, member: Member, now: number): void {
    client.seq++;
    this.stats.issued++;
    const op: PendingOperation = {
      seq: client.seq,
      request: this.nextRequest(client),
      call: this.clock++,
      attempts: 0,
      member: null,
      incarnation: 0,
      deadline: 0,
    };
    client.pending = op;
    if (op.request.kind !== 'get') this.writes.set(clientRequestId(client.id, op.seq), { client, op });
    this.send(client, op, member, now);
  }

  private send(client: SimClient, op: PendingOperation, member: Member, now: number): void {
    const attempt = ++op.attempts;
    op.member = member.id;
    op.incarnation = member.incarnation;
    op.deadline = now + this.options.opTimeout;
    const { request } = op;
    this.trace?.(`client ${client.id} -> ${member.id}: ${describeRequest(request)}`);
    const onRefused = (error: RaftError): void => {
      if (client.pending !== op || op.attempts !== attempt) return;
      this.trace?.(`client ${client.id}: refused (${error.code})`);
      if (attempt > 1) {
        // An earlier attempt may still apply: the outcome is unknown.
        this.abandon(client);
        return;
      }
      if (request.kind !== 'get') this.refusedWrites.add(clientRequestId(client.id, op.seq));
      this.stats.refused++;
      client.pending = null;
    };
    if (request.kind === 'get') {
      member.enqueue({
        kind: 'read',
        context: `r${client.id}.${op.seq}`,
        key: request.key,
        onRefused,
        onServed: (value) => {
          if (client.pending === op) this.complete(client, [{ kind: 'get', value }]);
        },
      });
      return;
    }
    const data = encodeCommand({
      requestId: clientRequestId(client.id, op.seq),
      command: this.command(request),
    });
    member.enqueue({ kind: 'propose', data, onRefused });
  }

  private command(request: Exclude<ClientRequest, { kind: 'get' }>): Command {
    switch (request.kind) {
      case 'put':
        return { op: 'put', request: { key: request.key, value: encoder.encode(request.value) } };
      case 'cas': {
        const { key, expected } = request;
        return {
          op: 'txn',
          request: {
            compare: [
              expected === null
                ? { key, target: 'version', result: 'equal', value: 0 }
                : { key, target: 'value', result: 'equal', value: encoder.encode(expected) },
            ],
            success: [{ put: { key, value: encoder.encode(request.value) } }],
            failure: [],
          },
        };
      }
      case 'delete':
        return { op: 'deleteRange', request: { key: request.key, prevKv: true } };
      case 'clear':
        return { op: 'deleteRange', request: { ...CLIENT_KEYS, prevKv: true } };
    }
  }

  /** What the store's answer means to the client, per key (a clear answers for every key). */
  private outputs(
    request: ClientRequest,
    response: CommandResponse | VaneError,
    requestId: string,
  ): KvOutput[] {
    if ('code' in response)
      throw new Error(`client write ${requestId} failed: ${response.code}: ${response.message}`);
    const previous = (key: string, prevKvs: readonly KeyValue[] | undefined): string | null => {
      const kv = prevKvs?.find((p) => p.key === key);
      return kv === undefined ? null : decoder.decode(kv.value);
    };
    switch (request.kind) {
      case 'put':
        return [{ kind: 'put' }];
      case 'cas':
        if (!('succeeded' in response))
          throw new Error(`write ${requestId}: a txn answered without succeeded`);
        return [{ kind: 'cas', succeeded: response.succeeded }];
      case 'delete':
      case 'clear': {
        if (!('deleted' in response))
          throw new Error(`write ${requestId}: a delete answered without deleted`);
        const keys = request.kind === 'delete' ? [request.key] : this.keys;
        return keys.map((key) => ({ kind: 'delete', previous: previous(key, response.prevKvs) }));
      }
      case 'get':
        throw new Error('a get is not a write');
    }
  }

  /** The operation as the per-key model sees it: a clear is one delete per client key. */
  private inputs(request: ClientRequest): KvInput[] {
    return request.kind === 'clear' ? this.keys.map((key) => ({ kind: 'delete', key })) : [request];
  }

  private complete(client: SimClient, outputs: readonly KvOutput[]): void {
    const op = client.pending!;
    client.pending = null;
    this.stats.succeeded++;
    const ret = this.clock++;
    this.inputs(op.request).forEach((input, i) => {
      const output = outputs[i]!;
      this.history.push({ clientId: client.id, input, call: op.call, return: ret, output });
      if (output.kind === 'get') client.lastSeen.set(input.key, output.value);
      else if (output.kind === 'delete') client.lastSeen.set(input.key, null);
      else if (input.kind !== 'get' && input.kind !== 'delete' && (output.kind === 'put' || output.succeeded))
        client.lastSeen.set(input.key, input.value);
    });
    this.trace?.(`client ${client.id} <- ${outputs.map(describeOutput).join(', ')}`);
  }

  /** A member applied a command; the client whose current attempt went there learns the outcome. */
  applied(member: Member, applied: AppliedCommand): void {
    const requestId = applied.envelope.requestId;
    const write = requestId === undefined ? undefined : this.writes.get(requestId);
    if (requestId === undefined || write === undefined) return;
    if (this.refusedWrites.has(requestId)) {
      throw new InvariantViolation(
        'refused proposals never apply',
        `write ${requestId} was refused by the core, yet ${member.id} applied it`,
      );
    }
    const { response } = applied;
    if ('code' in response)
      throw new Error(`client write ${requestId} failed: ${response.code}: ${response.message}`);
    if (!this.appliedWrites.has(requestId)) this.appliedWrites.set(requestId, { response, at: this.clock++ });
    const { client, op } = write;
    if (client.pending !== op || op.member !== member.id || op.incarnation !== member.incarnation) return;
    this.complete(client, this.outputs(op.request, response, requestId));
  }

  /** Operations waiting on a member that crashed or was removed will never hear back. */
  memberLost(member: NodeId): void {
    for (const client of this.clients) if (client.pending?.member === member) this.giveUp(client);
  }

  expire(now: number): void {
    for (const client of this.clients) {
      const op = client.pending;
      if (op !== null && op.member !== null && op.deadline <= now) this.giveUp(client);
    }
  }

  /** The run is over: abandon what is pending, then resolve every unanswered write from the applied log. */
  finish(): void {
    for (const client of this.clients) if (client.pending !== null) this.abandon(client);
    for (const { clientId, op } of this.unanswered) {
      const requestId = clientRequestId(clientId, op.seq);
      const applied = this.appliedWrites.get(requestId);
      if (applied === undefined) {
        this.stats.unknownNeverApplied++;
        continue;
      }
      this.stats.unknownApplied++;
      const outputs = this.outputs(op.request, applied.response, requestId);
      this.inputs(op.request).forEach((input, i) => {
        this.history.push({ clientId, input, call: op.call, return: applied.at, output: outputs[i] });
      });
    }
    this.unanswered.length = 0;
  }

  /** A write is retried while it has attempts left; a read is abandoned. */
  private giveUp(client: SimClient): void {
    const op = client.pending!;
    if (op.request.kind !== 'get' && op.attempts < MAX_WRITE_ATTEMPTS) op.member = null;
    else this.abandon(client);
  }

  private abandon(client: SimClient): void {
    const op = client.pending!;
    client.pending = null;
    if (op.request.kind === 'get') {
      this.stats.unanswered++;
      return;
    }
    this.unanswered.push({ clientId: client.id, op });
    // The write may or may not have happened: the keys' values are no longer known to this client.
    for (const input of this.inputs(op.request)) client.lastSeen.delete(input.key);
  }
}

function describeRequest(request: ClientRequest): string {
  switch (request.kind) {
    case 'put':
      return `put ${request.key}=${request.value}`;
    case 'get':
      return `get ${request.key}`;
    case 'cas':
      return `cas ${request.key}: ${request.expected ?? 'absent'} -> ${request.value}`;
    case 'delete':
      return `delete ${request.key}`;
    case 'clear':
      return `clear ${CLIENT_KEY_PREFIX}*`;
  }
}
