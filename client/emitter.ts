// A set of listeners for one kind of event. A listener that throws is reported through `onThrow`
// and does not keep the others from hearing the event.

export class Listeners<T> {
  readonly #listeners = new Set<(event: T) => void>();
  readonly #onThrow: (error: unknown) => void;

  constructor(onThrow: (error: unknown) => void = reportAsync) {
    this.#onThrow = onThrow;
  }

  get size(): number {
    return this.#listeners.size;
  }

  /** Returns the function that removes the listener again. */
  add(listener: (event: T) => void): () => void {
    // A wrapper, so that adding the same function twice gives two independent subscriptions.
    const entry = (event: T): void => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onThrow(error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/** A listener's exception surfaces as an uncaught error (as from an event handler), not inside the SDK. */
function reportAsync(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
