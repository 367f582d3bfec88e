// A FlagSource the provider tests drive by hand (a helper module, like client/fakes.test.ts): its
// readiness, staleness, status, resolutions, change events and errors are whatever the test sets.
import type { EvaluationContext } from '../../core/flags/types.ts';
import { Listeners } from '../emitter.ts';
import type { ClientError } from '../errors.ts';
import type { FlagResolution, FlagSource, FlagsChange, FlagValueType, FlagValueTypes } from '../flags.ts';
import type { ClientStatus } from '../types.ts';

/** What the source answers for one flag, whatever the type asked (a test of TYPE_MISMATCH sets that). */
export type Outcome = Omit<FlagResolution<unknown>, 'flagKey' | 'revision' | 'stale'>;

export class FakeSource implements FlagSource {
  readonly ready: Promise<void>;
  isReady = false;
  stale = false;
  revision = 0;
  status: ClientStatus = { state: 'live', revision: 0 };
  readonly outcomes = new Map<string, Outcome>();
  /** The contexts resolutions were asked for, in order. */
  readonly contexts: (EvaluationContext | undefined)[] = [];
  readonly #changes = new Listeners<FlagsChange>();
  readonly #statuses = new Listeners<ClientStatus>();
  readonly #errors = new Listeners<ClientError>();
  #resolveReady: () => void = () => {};
  #rejectReady: (error: Error) => void = () => {};

  constructor() {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  markReady(revision: number, stale = false): void {
    this.isReady = true;
    this.revision = revision;
    this.stale = stale;
    this.#resolveReady();
  }

  failReady(error: Error): void {
    this.#rejectReady(error);
  }

  resolve<T extends FlagValueType>(
    flagKey: string,
    _type: T,
    defaultValue: FlagValueTypes[T],
    context?: EvaluationContext,
  ): FlagResolution<FlagValueTypes[T]> {
    this.contexts.push(context);
    const outcome = this.outcomes.get(flagKey) ?? {
      value: defaultValue,
      reason: { kind: 'ERROR' as const },
      errorKind: 'FLAG_NOT_FOUND' as const,
      errorMessage: `no flag is stored at flags/${flagKey}`,
    };
    return { ...outcome, flagKey, revision: this.revision, stale: this.stale } as FlagResolution<
      FlagValueTypes[T]
    >;
  }

  onChange(listener: (change: FlagsChange) => void): () => void {
    return this.#changes.add(listener);
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    return this.#statuses.add(listener);
  }

  onError(listener: (error: ClientError) => void): () => void {
    return this.#errors.add(listener);
  }

  change(revision: number, flagsChanged: string[]): void {
    this.revision = revision;
    this.#changes.emit({ revision, flagsChanged });
  }

  setStatus(status: ClientStatus): void {
    this.status = status;
    this.#statuses.emit(status);
  }

  fail(error: ClientError): void {
    this.#errors.emit(error);
  }
}
