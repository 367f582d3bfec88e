// The Flags view: every flag from a live replica of flags/ (the SDK's list-then-watch copy, as an
// application would hold it), a form for a new one, and the selected flag's editor.
import { useEffect, useState } from 'preact/hooks';
import type { KeyValue, Replica } from '../../client/index.ts';
import { isVaneError } from '../../core/errors.ts';
import {
  FLAG_KEY_PREFIX,
  type FlagDocument,
  flagKeyOf,
  flagStorageKey,
  isDocumentKey,
  parseFlagDocument,
  parseSegmentDocument,
  SEGMENT_KEY_PREFIX,
  type SegmentDocument,
  type SegmentLookup,
  segmentKeyOf,
} from '../../core/flags/index.ts';
import { createIfAbsent } from '../keys/cas.ts';
import { navigate, routeHref } from '../router.ts';
import { useSession } from '../session.ts';
import { newFlag, percentOf, randomSalt } from './flag-draft.ts';
import { FlagEditor } from './flag-editor.tsx';

/** A replica's entries, re-read whenever it changes; null until it is ready. */
function useReplicaEntries(prefix: string): ReadonlyMap<string, KeyValue> | null {
  const { client } = useSession();
  const [entries, setEntries] = useState<ReadonlyMap<string, KeyValue> | null>(null);
  useEffect(() => {
    setEntries(null);
    const replica: Replica = client.replica(prefix);
    let stopped = false;
    const unsubscribe = replica.subscribe(prefix, () => setEntries(replica.entries()));
    replica.ready.then(() => !stopped && setEntries(replica.entries()));
    return () => {
      stopped = true;
      unsubscribe();
      replica.close();
    };
  }, [client, prefix]);
  return entries;
}

export function FlagsView({ selected }: { selected: string | null }) {
  const flags = useReplicaEntries(FLAG_KEY_PREFIX);
  const segmentEntries = useReplicaEntries(SEGMENT_KEY_PREFIX);
  const segments: SegmentLookup = new Map(
    [...(segmentEntries ?? new Map<string, KeyValue>()).values()].flatMap(
      (kv): [string, SegmentDocument][] => {
        const key = segmentKeyOf(kv.key);
        const parsed = key === undefined ? undefined : parseSegmentDocument(kv.value, key);
        return key === undefined || parsed === undefined || isVaneError(parsed) ? [] : [[key, parsed]];
      },
    ),
  );
  const selectedKv = selected === null ? undefined : flags?.get(flagStorageKey(selected));
  return (
    <div class="split">
      <section class="card">
        <header>
          <h2>Flags</h2>
          <span class="spacer" />
          <span class="muted small">{flags === null ? 'loading…' : `${flags.size} live`}</span>
        </header>
        {flags !== null && <FlagList flags={flags} selected={selected} />}
        <NewFlagForm />
      </section>
      {selected === null ? (
        <section class="card empty">Pick a flag, or create one.</section>
      ) : flags === null ? (
        <section class="card empty">Loading…</section>
      ) : selectedKv === undefined ? (
        <section class="card empty">There is no flag {selected} (any more).</section>
      ) : (
        <FlagEditor key={selected} flagKey={selected} kv={selectedKv} segments={segments} />
      )}
    </div>
  );
}

function FlagList({ flags, selected }: { flags: ReadonlyMap<string, KeyValue>; selected: string | null }) {
  const rows = [...flags.values()]
    .flatMap((kv) => {
      const key = flagKeyOf(kv.key);
      return key === undefined ? [] : [{ key, parsed: parseFlagDocument(kv.value, key) }];
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  if (rows.length === 0) return <div class="empty">No flags yet.</div>;
  return (
    <ul class="flag-list" data-testid="flag-list">
      {rows.map(({ key, parsed }) => (
        <li key={key} class={key === selected ? 'selected' : ''} data-flag={key}>
          <a
            href={routeHref({ view: 'flags', flag: key })}
            style={{ color: 'inherit', textDecoration: 'none', flex: 1 }}
          >
            <div class="mono">{key}</div>
            <div class="muted small">{isVaneError(parsed) ? 'invalid document' : summary(parsed)}</div>
          </a>
          {!isVaneError(parsed) && (
            <span class={`toggle ${parsed.on ? 'on' : ''}`}>{parsed.on ? 'ON' : 'OFF'}</span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** One line on what a flag serves by default: '30% on, 70% off' or 'serves off'. */
function summary(flag: FlagDocument): string {
  if (!flag.on) return `off: serves ${flag.offVariation}`;
  const rules =
    flag.rules.length === 0 ? '' : ` · ${flag.rules.length} rule${flag.rules.length === 1 ? '' : 's'}`;
  const rollout = flag.fallthrough.rollout;
  if (rollout === undefined) return `serves ${flag.fallthrough.variation}${rules}`;
  return `${rollout.variations
    .filter((s) => s.weight > 0)
    .map((s) => `${percentOf(s.weight)}% ${s.variation}`)
    .join(', ')}${rules}`;
}

function NewFlagForm() {
  const { client } = useSession();
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="row"
      style={{ marginTop: '0.8rem' }}
      onSubmit={async (event) => {
        event.preventDefault();
        if (!isDocumentKey(key)) {
          setProblem(
            "a flag key starts with a letter or digit and holds only letters, digits, '.', '_' and '-'",
          );
          return;
        }
        const flag = newFlag(
          key,
          randomSalt((n) => crypto.getRandomValues(new Uint8Array(n))),
        );
        try {
          const outcome = await createIfAbsent(client, flagStorageKey(key), JSON.stringify(flag));
          if (outcome.ok) {
            setKey('');
            setProblem(null);
            navigate({ view: 'flags', flag: key });
          } else setProblem(`a flag ${key} exists already`);
        } catch (error) {
          setProblem(`creating ${key} failed: ${(error as Error).message}`);
        }
      }}
    >
      <input
        class="mono"
        placeholder="new-flag-key"
        aria-label="new flag key"
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        style={{ flex: 1 }}
      />
      <button type="submit" disabled={key === ''}>
        New flag
      </button>
      {problem !== null && (
        <div class="banner error small" style={{ width: '100%' }}>
          {problem}
        </div>
      )}
    </form>
  );
}
