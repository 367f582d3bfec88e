// The editing operations of the Flags view on a flag document: a new flag, rollout shares moved
// by a slider (the last share takes what the others leave, so the total stays 100%), switching
// between a fixed variation and a rollout, and clause values typed as text. Pure; the document is
// validated by core/flags when saved.
import {
  BUCKET_COUNT,
  type ClauseValue,
  type FlagDocument,
  type Rollout,
  type Serve,
  type Variation,
} from '../../core/flags/index.ts';

/** A flag as first created: off, serving false, with an on (true) variation ready to roll out. */
export function newFlag(key: string, salt: string): FlagDocument {
  return {
    key,
    salt,
    on: false,
    variations: [
      { id: 'off', name: 'Off', value: false },
      { id: 'on', name: 'On', value: true },
    ],
    offVariation: 'off',
    targets: [],
    rules: [],
    fallthrough: { variation: 'off' },
  };
}

/** A salt for a new flag: random, so that two flags' rollouts pick independent users. */
export function randomSalt(randomBytes: (count: number) => Uint8Array): string {
  return Array.from(randomBytes(8), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A share's weight as a percentage, to one decimal. */
export function percentOf(weight: number): number {
  return Math.round((weight / BUCKET_COUNT) * 1000) / 10;
}

/**
 * The rollout with share `index` set to `weight` (in 100000ths). Every share but the last is set
 * directly, within what the shares before the last leave free; the last takes the remainder.
 */
export function setShare(rollout: Rollout, index: number, weight: number): Rollout {
  const shares = rollout.variations;
  const last = shares.length - 1;
  if (index < 0 || index >= last)
    throw new Error(`setShare: share ${index} is not adjustable (of ${shares.length})`);
  const othersBefore = shares.reduce((sum, s, i) => (i === index || i === last ? sum : sum + s.weight), 0);
  const clamped = Math.max(0, Math.min(Math.round(weight), BUCKET_COUNT - othersBefore));
  const variations = shares.map((s, i) => (i === index ? { ...s, weight: clamped } : s));
  const rest = BUCKET_COUNT - variations.reduce((sum, s, i) => (i === last ? sum : sum + s.weight), 0);
  return { ...rollout, variations: variations.map((s, i) => (i === last ? { ...s, weight: rest } : s)) };
}

/** A rollout over every variation that starts where `serve` is: all on its variation. */
export function toRollout(serve: Serve, variations: readonly Variation[]): Serve {
  if (serve.rollout !== undefined) return serve;
  const served = serve.variation ?? variations[0]?.id;
  return {
    rollout: {
      variations: variations.map((v) => ({ variation: v.id, weight: v.id === served ? BUCKET_COUNT : 0 })),
    },
  };
}

/** A fixed variation instead of a rollout: the one with the largest share. */
export function toVariation(serve: Serve, variations: readonly Variation[]): Serve {
  if (serve.rollout === undefined) return serve;
  const largest = [...serve.rollout.variations].sort((a, b) => b.weight - a.weight)[0];
  return { variation: largest?.variation ?? variations[0]?.id ?? '' };
}

/**
 * Clause values from text: comma-separated; each is read as JSON when it is a number, a boolean
 * or a quoted string ("a,b" keeps its comma), and as plain text otherwise.
 */
export function parseClauseValues(text: string): ClauseValue[] {
  const parts: string[] = [];
  let part = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\') {
      part += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(part);
      part = '';
    } else part += c;
  }
  parts.push(part);
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(readScalar);
}

function readScalar(item: string): ClauseValue {
  try {
    const parsed: unknown = JSON.parse(item);
    if (typeof parsed === 'string' || typeof parsed === 'boolean') return parsed;
    if (typeof parsed === 'number' && Number.isFinite(parsed)) return parsed;
  } catch {
    // Not JSON: plain text.
  }
  return item;
}

/** The text that parseClauseValues reads back as `values`. */
export function formatClauseValues(values: readonly ClauseValue[]): string {
  return values
    .map((value) =>
      typeof value !== 'string' ||
      value.trim() !== value ||
      value === '' ||
      /[,"\\]/.test(value) ||
      readScalar(value) !== value
        ? JSON.stringify(value)
        : value,
    )
    .join(', ');
}

/** The document with variation `from` called `to`, and everything that served `from` serving `to`. */
export function renameVariation(flag: FlagDocument, from: string, to: string): FlagDocument {
  const id = (variation: string) => (variation === from ? to : variation);
  const serve = (s: Serve): Serve =>
    s.rollout === undefined
      ? { variation: id(s.variation ?? '') }
      : {
          rollout: {
            ...s.rollout,
            variations: s.rollout.variations.map((share) => ({ ...share, variation: id(share.variation) })),
          },
        };
  return {
    ...flag,
    variations: flag.variations.map((v) => ({ ...v, id: id(v.id) })),
    offVariation: id(flag.offVariation),
    targets: flag.targets.map((t) => ({ ...t, variation: id(t.variation) })),
    rules: flag.rules.map((rule) => ({ ...rule, serve: serve(rule.serve) })),
    fallthrough: serve(flag.fallthrough),
  };
}

/** The document with `variations` replaced, and the ids that referred to a removed one pointed elsewhere. */
export function withVariations(flag: FlagDocument, variations: readonly Variation[]): FlagDocument {
  const ids = new Set(variations.map((v) => v.id));
  const fallback = variations[0]?.id ?? '';
  const fix = (serve: Serve): Serve => {
    if (serve.variation !== undefined)
      return { variation: ids.has(serve.variation) ? serve.variation : fallback };
    if (serve.rollout === undefined) return serve;
    const kept = serve.rollout.variations.filter((s) => ids.has(s.variation));
    const added = variations
      .filter((v) => !kept.some((s) => s.variation === v.id))
      .map((v) => ({ variation: v.id, weight: 0 }));
    const shares = [...kept, ...added];
    const total = shares.reduce((sum, s) => sum + s.weight, 0);
    // A removed variation's share goes to the first remaining one, so the total stays 100%.
    const balanced = shares.map((s, i) => (i === 0 ? { ...s, weight: s.weight + BUCKET_COUNT - total } : s));
    return { rollout: { ...serve.rollout, variations: balanced } };
  };
  return {
    ...flag,
    variations,
    offVariation: ids.has(flag.offVariation) ? flag.offVariation : fallback,
    targets: flag.targets.filter((t) => ids.has(t.variation)),
    rules: flag.rules.map((rule) => ({ ...rule, serve: fix(rule.serve) })),
    fallthrough: fix(flag.fallthrough),
  };
}
