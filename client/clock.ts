// Time as the SDK needs it: a monotonic now() and one-shot timers. Tests pass a manual clock.

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `task` after `ms`; the returned function cancels it. */
  after(ms: number, task: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after: (ms, task) => {
    const timer = setTimeout(task, ms);
    return () => clearTimeout(timer);
  },
};
