// One key: its value and metadata, kept live; edit, delete (confirmed) and history. Saves and
// deletes are compare-and-swap against the revision the editor started from, so a concurrent
// change by someone else is a conflict that shows their newer value, never a silent overwrite.
import { useEffect, useState } from 'preact/hooks';
import type { KeyValue } from '../../client/index.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { navigate, routeHref } from '../router.ts';
import { useSession } from '../session.ts';
import { type CasOutcome, deleteIfUnchanged, saveIfUnchanged } from './cas.ts';
import { HistoryPanel } from './history-panel.tsx';
import { editableText, viewValue } from './json-text.ts';
import { DraftCheck, ValueView } from './value-view.tsx';

type Loaded =
  | { readonly state: 'loading' }
  | { readonly state: 'missing' }
  | { readonly state: 'present'; readonly kv: KeyValue };

interface Draft {
  /** The version the edit started from: the save compares against its modRevision. */
  readonly base: KeyValue;
  readonly text: string;
}

/** Someone else's write that stopped ours. */
interface Conflict {
  readonly action: 'save' | 'delete';
  readonly current: KeyValue | null;
}

export function KeyPanel({ keyName }: { keyName: string }) {
  const { client } = useSession();
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [showHistory, setShowHistory] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setLoaded({ state: 'loading' });
    setDraft(null);
    setConflict(null);
    setMessage(null);
    let stopped = false;
    // The watch keeps the shown value current; an open editor keeps its own base revision.
    const watch = client.watch({ key: keyName }, (batch) => {
      const event = batch.events[batch.events.length - 1];
      if (event === undefined || stopped) return;
      setLoaded(event.type === 'put' ? { state: 'present', kv: event.kv } : { state: 'missing' });
    });
    client.get(keyName).then(
      (kv) => {
        if (!stopped)
          setLoaded((now) =>
            now.state === 'loading' ? (kv === null ? { state: 'missing' } : { state: 'present', kv }) : now,
          );
      },
      (error: Error) =>
        !stopped && setMessage({ kind: 'error', text: `reading ${keyName} failed: ${error.message}` }),
    );
    return () => {
      stopped = true;
      watch.close();
    };
  }, [client, keyName]);

  const settle = (outcome: CasOutcome, action: Conflict['action'], done: string) => {
    if (outcome.ok) {
      setDraft(null);
      setConflict(null);
      setMessage({ kind: 'ok', text: `${done} at revision ${outcome.revision}.` });
    } else {
      setConflict({ action, current: outcome.current });
      setMessage(null);
    }
  };

  const save = async (base: KeyValue, text: string) => {
    setBusy(true);
    try {
      // Keep the stored style: one-line JSON stays one line after being edited pretty-printed.
      const compact = !base.value.includes('\n') && viewValue(text).kind === 'json';
      const value = compact ? JSON.stringify(JSON.parse(text)) : text;
      settle(await saveIfUnchanged(client, keyName, value, base.modRevision), 'save', 'Saved');
    } catch (error) {
      setMessage({ kind: 'error', text: `saving failed: ${(error as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  const remove = async (base: KeyValue) => {
    try {
      settle(await deleteIfUnchanged(client, keyName, base.modRevision), 'delete', 'Deleted');
    } catch (error) {
      setMessage({ kind: 'error', text: `deleting failed: ${(error as Error).message}` });
    }
  };

  const kv = loaded.state === 'present' ? loaded.kv : null;
  return (
    <section class="card" data-testid="key-panel">
      <header>
        <h2 class="mono" style={{ wordBreak: 'break-all' }}>
          {keyName}
        </h2>
        <span class="spacer" />
        {kv !== null && draft === null && (
          <>
            <button type="button" onClick={() => setShowHistory(!showHistory)}>
              {showHistory ? 'Hide history' : 'History'}
            </button>
            <button
              type="button"
              disabled={kv.valueEncoding === 'base64'}
              onClick={() => {
                setDraft({ base: kv, text: editableText(kv.value) });
                setMessage(null);
                setConflict(null);
              }}
            >
              Edit
            </button>
            <ConfirmButton confirm={`Delete ${keyName}`} onConfirm={() => remove(kv)}>
              Delete
            </ConfirmButton>
          </>
        )}
      </header>
      {message !== null && (
        <div class={`banner ${message.kind}`} role="status" data-testid="key-message">
          {message.text}
        </div>
      )}
      {conflict !== null && (
        <ConflictNotice
          keyName={keyName}
          conflict={conflict}
          onOverwrite={
            conflict.action === 'save' && conflict.current !== null && draft !== null
              ? () => {
                  const theirs = conflict.current!;
                  setDraft({ base: theirs, text: draft.text });
                  void save(theirs, draft.text);
                }
              : undefined
          }
          onDiscard={() => {
            setDraft(null);
            setConflict(null);
          }}
        />
      )}
      {loaded.state === 'loading' && <div class="empty">Loading…</div>}
      {loaded.state === 'missing' && draft === null && (
        <div class="empty">
          <p>There is no key {keyName} (any more).</p>
          <button type="button" onClick={() => navigate({ view: 'keys', key: null })}>
            Back to the keys
          </button>
        </div>
      )}
      {kv !== null && draft === null && (
        <>
          <Meta kv={kv} />
          <ValueView kv={kv} />
        </>
      )}
      {draft !== null && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void save(draft.base, draft.text);
          }}
        >
          <p class="small muted">
            Editing version {draft.base.version} (revision {draft.base.modRevision}). Saving checks that
            nobody changed the key since.
          </p>
          <textarea
            name="value"
            rows={Math.min(24, Math.max(6, draft.text.split('\n').length + 1))}
            value={draft.text}
            onInput={(e) => setDraft({ ...draft, text: e.currentTarget.value })}
            spellcheck={false}
          />
          <DraftCheck text={draft.text} />
          <div class="row">
            <button
              type="submit"
              class="primary"
              disabled={busy || viewValue(draft.text).kind === 'invalidJson'}
            >
              Save
            </button>
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setConflict(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
      {kv !== null && showHistory && draft === null && <HistoryPanel current={kv} />}
    </section>
  );
}

function Meta({ kv }: { kv: KeyValue }) {
  return (
    <div class="meta" data-testid="key-meta">
      <span>
        version <b>{kv.version}</b>
      </span>
      <span>
        modified at revision <b>{kv.modRevision}</b>
      </span>
      <span>
        created at revision <b>{kv.createRevision}</b>
      </span>
      <span>
        lease{' '}
        {kv.lease === 0 ? (
          <b>none</b>
        ) : (
          <a href={routeHref({ view: 'leases' })}>
            <b>{kv.lease}</b>
          </a>
        )}
      </span>
    </div>
  );
}

function ConflictNotice(props: {
  keyName: string;
  conflict: Conflict;
  onOverwrite: (() => void) | undefined;
  onDiscard: () => void;
}) {
  const { current, action } = props.conflict;
  const what = action === 'save' ? 'Your edit was not saved' : 'The key was not deleted';
  return (
    <div class="banner warn" role="alert" data-testid="conflict">
      <p style={{ margin: '0 0 0.5rem' }}>
        <b>Conflict:</b>{' '}
        {current === null
          ? `someone else deleted ${props.keyName} while you were working on it. ${what}.`
          : `someone else changed ${props.keyName} (now version ${current.version}, revision ${current.modRevision}) since you opened it. ${what}.`}
      </p>
      {current !== null && (
        <>
          <p class="small" style={{ margin: '0 0 0.25rem' }}>
            The newer value:
          </p>
          <pre class="value" data-testid="conflict-value">
            {current.valueEncoding === 'base64' ? current.value : editableText(current.value)}
          </pre>
        </>
      )}
      <div class="row" style={{ marginTop: '0.5rem' }}>
        {props.onOverwrite !== undefined && (
          <button type="button" class="danger" onClick={props.onOverwrite}>
            Overwrite with mine
          </button>
        )}
        <button type="button" onClick={props.onDiscard}>
          {action === 'save' ? 'Discard my edit' : 'Dismiss'}
        </button>
      </div>
    </div>
  );
}
