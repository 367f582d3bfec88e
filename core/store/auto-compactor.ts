// Automatic compaction, decided by the leader and proposed through the log like any compaction (so
// every member compacts at the same revision). Two modes, as etcd's --auto-compaction-mode:
// - revision: keep the last `retainRevisions` revisions, checked every checkIntervalMs;
// - periodic: keep the last `retainMs` of history; the revision current retainMs ago is found from
//   samples taken every retainMs/10 (so at most 11 are kept).

import type { CompactRequest } from './types.ts';

export type AutoCompactionConfig =
  | { readonly mode: 'revision'; readonly retainRevisions: number; readonly checkIntervalMs: number }
  | { readonly mode: 'periodic'; readonly retainMs: number };

interface Sample {
  readonly at: number;
  readonly revision: number;
}

export class AutoCompactor {
  private readonly config: AutoCompactionConfig;
  private lastCheckAt: number | undefined;
  private samples: Sample[] = [];

  constructor(config: AutoCompactionConfig) {
    const fields =
      config.mode === 'revision'
        ? { retainRevisions: config.retainRevisions, checkIntervalMs: config.checkIntervalMs }
        : { retainMs: config.retainMs };
    for (const [field, value] of Object.entries(fields)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new Error(`auto compaction ${field} must be a positive integer, got ${value}`);
      }
    }
    this.config = config;
  }

  /** A compaction to propose now, if one is due. Call it regularly while leader; `now` in ms. */
  due(now: number, revision: number, compactRevision: number): CompactRequest | undefined {
    const config = this.config;
    if (config.mode === 'revision') {
      if (this.lastCheckAt !== undefined && now - this.lastCheckAt < config.checkIntervalMs) return undefined;
      this.lastCheckAt = now;
      const target = revision - config.retainRevisions;
      return target > compactRevision ? { revision: target } : undefined;
    }
    const step = Math.max(1, Math.floor(config.retainMs / 10));
    const newest = this.samples[this.samples.length - 1];
    if (newest === undefined || now - newest.at >= step) this.samples.push({ at: now, revision });
    let target: number | undefined;
    while (this.samples.length > 0 && now - this.samples[0]!.at >= config.retainMs) {
      target = this.samples.shift()!.revision;
    }
    return target !== undefined && target > compactRevision ? { revision: target } : undefined;
  }
}
