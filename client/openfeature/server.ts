// The OpenFeature provider for servers (@openfeature/server-sdk): flags resolve from a live replica
// evaluated in this process (promises, as the server SDK's interface asks, already settled).
// It mirrors web.ts; the two differ only in the SDK they implement (sync vs async resolution).
//
//   const flags = flagsReplica(client);
//   await OpenFeature.setProviderAndWait(new VaneServerProvider(flags));
import {
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { FlagSource } from '../flags.ts';
import { type ProviderSignal, ProviderSignals, type VaneProviderOptions } from './events.ts';
import { resolveFlag } from './resolution.ts';

export class VaneServerProvider implements Provider {
  readonly metadata = { name: 'vane' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly #source: FlagSource;
  readonly #signals: ProviderSignals;

  /** The provider does not own `source`: closing the provider leaves it open. */
  constructor(source: FlagSource, options: VaneProviderOptions = {}) {
    this.#source = source;
    this.#signals = new ProviderSignals(source, (signal) => this.#emit(signal), options.defer);
  }

  initialize(): Promise<void> {
    return this.#signals.initialize();
  }

  async onClose(): Promise<void> {
    this.#signals.close();
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(resolveFlag(this.#source, flagKey, 'boolean', defaultValue, context));
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(resolveFlag(this.#source, flagKey, 'string', defaultValue, context));
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(resolveFlag(this.#source, flagKey, 'number', defaultValue, context));
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    // An object flag may serve any JSON object or array; the app's T is its own promise about which.
    return Promise.resolve(
      resolveFlag(this.#source, flagKey, 'object', defaultValue as never, context) as ResolutionDetails<T>,
    );
  }

  #emit(signal: ProviderSignal): void {
    switch (signal.kind) {
      case 'ready':
        this.events.emit(ProviderEvents.Ready, { message: signal.message });
        return;
      case 'stale':
        this.events.emit(ProviderEvents.Stale, { message: signal.message });
        return;
      case 'error':
        this.events.emit(ProviderEvents.Error, { message: signal.message });
        return;
      case 'changed':
        this.events.emit(ProviderEvents.ConfigurationChanged, {
          flagsChanged: [...signal.change.flagsChanged],
          metadata: { revision: signal.change.revision },
        });
        return;
    }
  }
}
