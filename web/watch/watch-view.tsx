// The Watch view: a live stream of the events under a prefix (from now, or replayed from a past
// revision), each with its revision; pause holds new events back, the filter only hides.
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatClock } from '../format.ts';
import { useSession } from '../session.ts';
import { type EventFilter, EventLog, MAX_SHOWN_EVENTS } from './event-log.ts';

/** Characters of a value shown in a row (the full value is in its tooltip). */
const VALUE_PREVIEW = 200;

interface WatchTarget {
  readonly prefix: string;
  /** 0: from the next write. */
  readonly startRevision: number;
}

export function WatchView() {
  const { client } = useSession();
  const log = useRef(new EventLog()).current;
  const [, setVersion] = useState(0);
  const rerender = () => setVersion((v) => v + 1);
  const [target, setTarget] = useState<WatchTarget | null>({ prefix: '', startRevision: 0 });
  const [draftPrefix, setDraftPrefix] = useState('');
  const [draftStart, setDraftStart] = useState('');
  const [filter, setFilter] = useState<EventFilter>({ text: '', puts: true, deletes: true });
  const [problem, setProblem] = useState<string | null>(null);
  const [lastRevision, setLastRevision] = useState<number | null>(null);

  useEffect(() => {
    if (target === null) return;
    setProblem(null);
    const watch = client.watch(
      {
        key: target.prefix,
        prefix: true,
        prevKv: true,
        ...(target.startRevision > 0 ? { startRevision: target.startRevision } : {}),
      },
      (batch) => {
        const at = Date.now();
        log.add(
          batch.events.map((event) => ({
            revision: batch.revision,
            type: event.type,
            key: event.kv.key,
            value: event.type === 'put' ? event.kv.value : null,
            prevValue: event.prevKv?.value ?? null,
            at,
          })),
        );
        setLastRevision(batch.revision);
        rerender();
      },
      {
        onCompacted: (compactRevision) =>
          setProblem(
            `Revision ${target.startRevision} is compacted: history starts at ${compactRevision + 1}. Watch from there or from now.`,
          ),
        onError: (error) => setProblem(`The watch ended: ${error.message}`),
      },
    );
    return () => watch.close();
  }, [client, target, log]);

  const visible = log.visible(filter);

  const start = (event: Event) => {
    event.preventDefault();
    const startRevision = draftStart.trim() === '' ? 0 : Number(draftStart);
    if (!Number.isSafeInteger(startRevision) || startRevision < 0) {
      setProblem(`'${draftStart}' is not a revision (a whole number, or empty for "from now")`);
      return;
    }
    log.clear();
    setLastRevision(null);
    setTarget({ prefix: draftPrefix, startRevision });
  };

  return (
    <section class="card">
      <header>
        <h2>Watch</h2>
        <span class="spacer" />
        <span class="muted small">
          {target === null
            ? 'stopped'
            : `watching ${target.prefix === '' ? 'every key' : `keys under ${target.prefix}`}${
                target.startRevision > 0 ? ` from revision ${target.startRevision}` : ''
              }`}
          {lastRevision !== null && ` · last event at revision ${lastRevision}`}
        </span>
      </header>
      <form class="row" onSubmit={start} style={{ marginBottom: '0.6rem' }}>
        <input
          type="text"
          placeholder="prefix ('' = every key)"
          aria-label="prefix to watch"
          value={draftPrefix}
          onInput={(e) => setDraftPrefix(e.currentTarget.value)}
          class="mono"
          style={{ width: '18rem' }}
        />
        <input
          type="text"
          inputMode="numeric"
          placeholder="from revision (empty: now)"
          aria-label="start revision"
          value={draftStart}
          onInput={(e) => setDraftStart(e.currentTarget.value)}
          style={{ width: '15rem' }}
        />
        <button type="submit" class="primary">
          Watch
        </button>
        <button type="button" disabled={target === null} onClick={() => setTarget(null)}>
          Stop
        </button>
        <span class="spacer" style={{ flex: 1 }} />
        <button
          type="button"
          data-testid="pause"
          onClick={() => {
            if (log.paused) log.resume();
            else log.pause();
            rerender();
          }}
        >
          {log.paused ? `Resume (${log.heldCount} waiting)` : 'Pause'}
        </button>
        <button
          type="button"
          onClick={() => {
            log.clear();
            rerender();
          }}
        >
          Clear
        </button>
      </form>
      <div class="row" style={{ marginBottom: '0.6rem' }}>
        <input
          type="search"
          placeholder="filter by key or value"
          aria-label="filter"
          value={filter.text}
          onInput={(e) => setFilter({ ...filter, text: e.currentTarget.value })}
          style={{ flex: 1 }}
        />
        <label>
          <input
            type="checkbox"
            checked={filter.puts}
            onChange={() => setFilter({ ...filter, puts: !filter.puts })}
          />{' '}
          puts
        </label>
        <label>
          <input
            type="checkbox"
            checked={filter.deletes}
            onChange={() => setFilter({ ...filter, deletes: !filter.deletes })}
          />{' '}
          deletes
        </label>
      </div>
      {problem !== null && <div class="banner error">{problem}</div>}
      {log.paused && log.droppedWhilePaused > 0 && (
        <div class="banner warn">
          {log.droppedWhilePaused} events were dropped while paused (too many waited).
        </div>
      )}
      <div class="stream" data-testid="events">
        {visible.length === 0 ? (
          <div class="empty">
            {target === null
              ? 'Not watching.'
              : 'Waiting for events… write something (or replay from a revision).'}
          </div>
        ) : (
          visible.map((e) => (
            <div class="event" key={e.seq} data-revision={e.revision}>
              <span class="muted">{formatClock(e.at)}</span>
              <span>rev {e.revision}</span>
              <span class={`type-${e.type}`}>{e.type}</span>
              <span
                style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
                title={e.key}
              >
                {e.key}
              </span>
              <span class="value" title={e.value ?? `was: ${e.prevValue ?? ''}`}>
                {e.type === 'put'
                  ? (e.value ?? '').slice(0, VALUE_PREVIEW)
                  : e.prevValue === null
                    ? ''
                    : `was ${e.prevValue.slice(0, VALUE_PREVIEW)}`}
              </span>
            </div>
          ))
        )}
      </div>
      <p class="muted small">
        The newest {MAX_SHOWN_EVENTS} events are kept; a txn's events share one revision.
      </p>
    </section>
  );
}
