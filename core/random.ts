import type { Random } from './raft/types.ts';

/**
 * A small, fast, seedable generator (sfc32, seeded through splitmix32) so that one seed
 * reproduces a whole run. Not for cryptography.
 */
export interface SeededRandom extends Random {
  /** A uniformly distributed 32-bit unsigned integer. */
  uint32(): number;
  /** A float in [0, 1). */
  float(): number;
  /** True with the given probability. */
  chance(probability: number): boolean;
  /** An element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new generator whose stream depends only on this one's next output. */
  fork(): SeededRandom;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): SeededRandom {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const uint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  const float = (): number => uint32() / 4294967296;
  const random: SeededRandom = {
    uint32,
    float,
    int(maxExclusive: number): number {
      if (!(maxExclusive >= 1)) throw new RangeError(`int(max) needs max >= 1, got ${maxExclusive}`);
      return Math.floor(float() * maxExclusive);
    },
    chance: (probability: number): boolean => float() < probability,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() from an empty array');
      return items[Math.floor(float() * items.length)]!;
    },
    fork: (): SeededRandom => createRandom(uint32()),
  };
  return random;
}
