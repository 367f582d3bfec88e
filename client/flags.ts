// Feature flags from the cluster, evaluated locally: a replica of flags/ and one of segments/, their
// documents validated by core/flags (the last valid document of a flag stays in use when a new one
// is refused), and typed evaluation that never throws: a flag that is missing, broken or of another
// type serves the caller's default and says why. A separate entry point from the SDK's main one,
// because validating documents takes zod, which an app that uses no flags should not download.
import {
  type EvaluationContext,
  type EvaluationErrorKind,
  type EvaluationReason,
  evaluateFlag,
  FLAG_KEY_PREFIX,
  type FlagDocument,
  type FlagEvaluation,
  flagKeyOf,
  type JsonObject,
  type JsonValue,
  parseFlagDocument,
  parseSegmentDocument,
  SEGMENT_KEY_PREFIX,
  type SegmentDocument,
  segmentKeyOf,
} from '../core/flags/index.ts';
import { Listeners } from './emitter.ts';
import { type ClientError, SchemaMismatchError, VaneClientError } from './errors.ts';
import type { ChangeSet, ClientStatus, KeyValue } from './types.ts';

export type FlagValueType = 'boolean' | 'string' | 'number' | 'object';

/** What a flag of each type resolves to; 'object' is any JSON object or array. */
export interface FlagValueTypes {
  readonly boolean: boolean;
  readonly string: string;
  readonly number: number;
  readonly object: JsonObject | readonly JsonValue[];
}

export type FlagErrorKind =
  | EvaluationErrorKind
  /** No flag document is stored under flags/<flagKey>. */
  | 'FLAG_NOT_FOUND'
  /** The variation served is not of the type asked for. */
  | 'TYPE_MISMATCH'
  /** The stored document was never valid (a refused update keeps the last valid one instead). */
  | 'PARSE_ERROR'
  /** Neither replica holds a state yet. */
  | 'NOT_READY';

export interface FlagResolution<V> {
  readonly flagKey: string;
  /** The variation's value, or the caller's default when errorKind is set. */
  readonly value: V;
  readonly variationId?: string;
  readonly variationIndex?: number;
  /** Evaluation's reason (kind 'ERROR' when errorKind is set). */
  readonly reason: EvaluationReason;
  readonly errorKind?: FlagErrorKind;
  readonly errorMessage?: string;
  /** The revision up to which both flags and segments are known. */
  readonly revision: number;
  /** True while the state is not confirmed by the cluster (from a cache, or being re-listed). */
  readonly stale: boolean;
}

/** The flags whose evaluation may have changed at one revision. */
export interface FlagsChange {
  readonly revision: number;
  /** Sorted; a changed segment names the flags whose rules test it. */
  readonly flagsChanged: readonly string[];
}

/** What flags need from a replica (client.replica(prefix) gives one). */
export interface ReplicaLike {
  readonly ready: Promise<void>;
  readonly isReady: boolean;
  readonly revision: number;
  readonly stale: boolean;
  getKv(key: string): KeyValue | undefined;
  entries(): Map<string, KeyValue>;
  subscribe(keyOrPrefix: string, listener: (change: ChangeSet) => void): () => void;
  close(): void;
}

/** What flags need from a client (a Client from createClient is one). */
export interface FlagsClient {
  readonly status: ClientStatus;
  replica(prefix: string): ReplicaLike;
  on(event: 'status', listener: (status: ClientStatus) => void): () => void;
  on(event: 'error', listener: (error: ClientError) => void): () => void;
}

/**
 * What the OpenFeature providers resolve flags from; FlagsReplica is one, and tests give their own.
 */
export interface FlagSource {
  readonly ready: Promise<void>;
  readonly isReady: boolean;
  readonly stale: boolean;
  readonly revision: number;
  readonly status: ClientStatus;
  resolve<T extends FlagValueType>(
    flagKey: string,
    type: T,
    defaultValue: FlagValueTypes[T],
    context?: EvaluationContext,
  ): FlagResolution<FlagValueTypes[T]>;
  onChange(listener: (change: FlagsChange) => void): () => void;
  onStatus(listener: (status: ClientStatus) => void): () => void;
  /** Broken documents (SchemaMismatchError) and refusals of the replicas' requests. */
  onError(listener: (error: ClientError) => void): () => void;
}

const ANONYMOUS: EvaluationContext = { key: '' };

export class FlagsReplica implements FlagSource {
  readonly ready: Promise<void>;
  readonly #client: FlagsClient;
  readonly #flagsReplica: ReplicaLike;
  readonly #segmentsReplica: ReplicaLike;
  /** The last valid document of each flag. */
  readonly #flags = new Map<string, FlagDocument>();
  readonly #segments = new Map<string, SegmentDocument>();
  /** Flags whose stored document was never valid, with why. */
  readonly #unparsable = new Map<string, string>();
  /** The stored key and modRevision each map entry was parsed from, so a document is parsed once. */
  readonly #parsedAt = new Map<string, number>();
  readonly #changes = new Listeners<FlagsChange>();
  readonly #errors = new Listeners<ClientError>();
  readonly #unsubscribe: (() => void)[] = [];
  #isReady = false;
  #closed = false;

  constructor(client: FlagsClient) {
    this.#client = client;
    this.#flagsReplica = client.replica(FLAG_KEY_PREFIX);
    this.#segmentsReplica = client.replica(SEGMENT_KEY_PREFIX);
    this.#unsubscribe.push(
      this.#flagsReplica.subscribe(FLAG_KEY_PREFIX, (change) => this.#flagsChanged(change)),
      this.#segmentsReplica.subscribe(SEGMENT_KEY_PREFIX, (change) => this.#segmentsChanged(change)),
      client.on('error', (error) => {
        // Refusals that keep the replicas from listing (the rest are other parts of the client's).
        if (error.code === 'unauthenticated' || error.code === 'permissionDenied') this.#errors.emit(error);
      }),
    );
    this.ready = Promise.all([this.#flagsReplica.ready, this.#segmentsReplica.ready]).then(() => {
      if (this.#closed) throw new VaneClientError('closed', 'the flags replica was closed');
      this.#syncAll();
      this.#isReady = true;
    });
    this.ready.catch(() => {});
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  /** The revision up to which both flags/ and segments/ are known. */
  get revision(): number {
    return Math.min(this.#flagsReplica.revision, this.#segmentsReplica.revision);
  }

  get stale(): boolean {
    return this.#flagsReplica.stale || this.#segmentsReplica.stale;
  }

  get status(): ClientStatus {
    return this.#client.status;
  }

  /** The keys of the flags with a valid document, sorted. */
  flagKeys(): string[] {
    return [...this.#flags.keys()].sort();
  }

  /** The flag's last valid document. */
  document(flagKey: string): FlagDocument | undefined {
    return this.#flags.get(flagKey);
  }

  /** core/flags' evaluation of the flag for `context`, or undefined when the flag has no valid document. */
  evaluate(flagKey: string, context: EvaluationContext = ANONYMOUS): FlagEvaluation | undefined {
    const flag = this.#flags.get(flagKey);
    return flag === undefined ? undefined : evaluateFlag(flag, context, { segments: this.#segments });
  }

  boolean(flagKey: string, defaultValue: boolean, context?: EvaluationContext): boolean {
    return this.resolve(flagKey, 'boolean', defaultValue, context).value;
  }

  string(flagKey: string, defaultValue: string, context?: EvaluationContext): string {
    return this.resolve(flagKey, 'string', defaultValue, context).value;
  }

  number(flagKey: string, defaultValue: number, context?: EvaluationContext): number {
    return this.resolve(flagKey, 'number', defaultValue, context).value;
  }

  object(
    flagKey: string,
    defaultValue: FlagValueTypes['object'],
    context?: EvaluationContext,
  ): FlagValueTypes['object'] {
    return this.resolve(flagKey, 'object', defaultValue, context).value;
  }

  /** The flag's value of `type` for `context`, with its variation and reason; never throws. */
  resolve<T extends FlagValueType>(
    flagKey: string,
    type: T,
    defaultValue: FlagValueTypes[T],
    context: EvaluationContext = ANONYMOUS,
  ): FlagResolution<FlagValueTypes[T]> {
    const base = { flagKey, revision: this.revision, stale: this.stale };
    const failed = (errorKind: FlagErrorKind, errorMessage: string): FlagResolution<FlagValueTypes[T]> => ({
      ...base,
      value: defaultValue,
      reason: { kind: 'ERROR', errorMessage },
      errorKind,
      errorMessage,
    });
    if (!this.#isReady) return failed('NOT_READY', 'the flags are not loaded yet (await flags.ready)');
    const evaluation = this.evaluate(flagKey, context);
    if (evaluation === undefined) {
      const why = this.#unparsable.get(flagKey);
      return why === undefined
        ? failed('FLAG_NOT_FOUND', `no flag is stored at ${FLAG_KEY_PREFIX}${flagKey}`)
        : failed('PARSE_ERROR', why);
    }
    if (evaluation.value === undefined) {
      const message = evaluation.reason.errorMessage ?? evaluation.reason.errorKind;
      return { ...failed(evaluation.reason.errorKind, message), reason: evaluation.reason };
    }
    if (!hasType(evaluation.value, type)) {
      return failed(
        'TYPE_MISMATCH',
        `flag ${flagKey} served variation "${evaluation.variationId}", whose value is not a ${type}`,
      );
    }
    return {
      ...base,
      value: evaluation.value,
      variationId: evaluation.variationId,
      variationIndex: evaluation.variationIndex,
      reason: evaluation.reason,
    };
  }

  /** Hears, after ready, which flags changed at each revision. */
  onChange(listener: (change: FlagsChange) => void): () => void {
    return this.#changes.add(listener);
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    return this.#client.on('status', listener);
  }

  onError(listener: (error: ClientError) => void): () => void {
    return this.#errors.add(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#flagsReplica.close();
    this.#segmentsReplica.close();
    this.#changes.clear();
    this.#errors.clear();
  }

  // ---- keeping the documents ----

  /** Brings every document in line with the replicas (idempotent: unchanged documents are not parsed again). */
  #syncAll(): void {
    for (const kv of this.#segmentsReplica.entries().values()) this.#syncSegment(kv.key);
    for (const kv of this.#flagsReplica.entries().values()) this.#syncFlag(kv.key);
  }

  #flagsChanged(change: ChangeSet): void {
    const changed = new Set<string>();
    for (const { key } of change.changes) {
      const flagKey = this.#syncFlag(key);
      if (flagKey !== undefined) changed.add(flagKey);
    }
    this.#emit(change.revision, changed);
  }

  #segmentsChanged(change: ChangeSet): void {
    const segmentKeys = new Set<string>();
    for (const { key } of change.changes) {
      const segmentKey = this.#syncSegment(key);
      if (segmentKey !== undefined) segmentKeys.add(segmentKey);
    }
    const changed = new Set<string>();
    for (const [flagKey, flag] of this.#flags) {
      if (testedSegments(flag).some((segmentKey) => segmentKeys.has(segmentKey))) changed.add(flagKey);
    }
    this.#emit(change.revision, changed);
  }

  #emit(revision: number, flagsChanged: ReadonlySet<string>): void {
    if (!this.#isReady || this.#closed || flagsChanged.size === 0) return;
    this.#changes.emit({ revision, flagsChanged: [...flagsChanged].sort() });
  }

  /** The flag key whose effective document changed, if it did. */
  #syncFlag(storageKey: string): string | undefined {
    const flagKey = flagKeyOf(storageKey);
    if (flagKey === undefined) return undefined;
    const kv = this.#flagsReplica.getKv(storageKey);
    if (kv === undefined) {
      this.#parsedAt.delete(storageKey);
      const had = this.#flags.delete(flagKey);
      return this.#unparsable.delete(flagKey) || had ? flagKey : undefined;
    }
    if (this.#parsedAt.get(storageKey) === kv.modRevision) return undefined;
    this.#parsedAt.set(storageKey, kv.modRevision);
    const parsed = kv.valueEncoding === 'base64' ? notText() : parseFlagDocument(kv.value, flagKey);
    if ('code' in parsed) {
      this.#refused(kv, parsed.message);
      if (this.#flags.has(flagKey)) return undefined;
      this.#unparsable.set(flagKey, parsed.message);
      return flagKey;
    }
    this.#flags.set(flagKey, parsed);
    this.#unparsable.delete(flagKey);
    return flagKey;
  }

  /** The segment key whose document changed, if it did. */
  #syncSegment(storageKey: string): string | undefined {
    const segmentKey = segmentKeyOf(storageKey);
    if (segmentKey === undefined) return undefined;
    const kv = this.#segmentsReplica.getKv(storageKey);
    if (kv === undefined) {
      this.#parsedAt.delete(storageKey);
      return this.#segments.delete(segmentKey) ? segmentKey : undefined;
    }
    if (this.#parsedAt.get(storageKey) === kv.modRevision) return undefined;
    this.#parsedAt.set(storageKey, kv.modRevision);
    const parsed = kv.valueEncoding === 'base64' ? notText() : parseSegmentDocument(kv.value, segmentKey);
    if ('code' in parsed) {
      this.#refused(kv, parsed.message);
      return undefined;
    }
    this.#segments.set(segmentKey, parsed);
    return segmentKey;
  }

  #refused(kv: KeyValue, message: string): void {
    this.#errors.emit(new SchemaMismatchError(kv.key, kv.modRevision, [{ message, path: [] }]));
  }
}

/** A replica of flags/ and segments/ on `client`, evaluated locally. */
export function flagsReplica(client: FlagsClient): FlagsReplica {
  return new FlagsReplica(client);
}

function notText(): { readonly code: 'decodeError'; readonly message: string } {
  return { code: 'decodeError', message: 'the stored document is not UTF-8 text' };
}

function hasType<T extends FlagValueType>(value: JsonValue, type: T): value is FlagValueTypes[T] & JsonValue {
  return type === 'object' ? typeof value === 'object' && value !== null : typeof value === type;
}

/** The segments a flag's rules test (segmentMatch clauses). */
function testedSegments(flag: FlagDocument): string[] {
  const keys: string[] = [];
  for (const rule of flag.rules) {
    for (const clause of rule.clauses) {
      if (clause.op !== 'segmentMatch') continue;
      for (const value of clause.values) if (typeof value === 'string') keys.push(value);
    }
  }
  return keys;
}
