// A key's versions by revision, and a line diff between any two of them (JSON compared
// pretty-printed, so a changed field is one changed line).
import { useEffect, useState } from 'preact/hooks';
import type { KeyValue } from '../../client/index.ts';
import { useSession } from '../session.ts';
import { editableText } from './json-text.ts';
import { type KeyHistory, loadKeyHistory } from './key-history.ts';
import { diffLines } from './line-diff.ts';

export function HistoryPanel({ current }: { current: KeyValue }) {
  const { client } = useSession();
  const [history, setHistory] = useState<KeyHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The two versions compared, by modRevision: older on the left. */
  const [pair, setPair] = useState<{ left: number; right: number } | null>(null);

  useEffect(() => {
    let stopped = false;
    setError(null);
    loadKeyHistory(client, current).then(
      (loaded) => {
        if (stopped) return;
        setHistory(loaded);
        const [newest, previous] = loaded.versions;
        setPair({ left: (previous ?? newest!).modRevision, right: newest!.modRevision });
      },
      (failure: Error) => !stopped && setError(failure.message),
    );
    return () => {
      stopped = true;
    };
  }, [client, current]);

  if (error !== null) return <div class="banner error">Reading the history failed: {error}</div>;
  if (history === null || pair === null) return <div class="empty">Reading the history…</div>;
  const version = (modRevision: number) => history.versions.find((v) => v.modRevision === modRevision)!;
  const left = version(pair.left);
  const right = version(pair.right);
  const diff = diffLines(editableText(left.value), editableText(right.value));
  return (
    <div data-testid="history" style={{ marginTop: '1rem', display: 'grid', gap: '0.75rem' }}>
      <h3>History</h3>
      <ul class="history">
        {history.versions.map((v) => (
          <li key={v.modRevision}>
            <label title="compare from">
              <input
                type="radio"
                name="left"
                checked={pair.left === v.modRevision}
                onChange={() => setPair({ ...pair, left: v.modRevision })}
              />{' '}
              A
            </label>
            <label title="compare to">
              <input
                type="radio"
                name="right"
                checked={pair.right === v.modRevision}
                onChange={() => setPair({ ...pair, right: v.modRevision })}
              />{' '}
              B
            </label>
            <span class="mono">revision {v.modRevision}</span>
            <span class="muted">version {v.version}</span>
            <span
              class="muted mono"
              style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
            >
              {v.value.slice(0, 80)}
            </span>
          </li>
        ))}
      </ul>
      <p class="muted small">
        {history.end === 'created' && 'That is every version since the key was created.'}
        {history.end === 'compacted' && 'Older versions were compacted away.'}
        {history.end === 'limit' && `Only the newest ${history.versions.length} versions are shown.`}
      </p>
      <div>
        <p class="small">
          A: revision {left.modRevision} → B: revision {right.modRevision}
          {diff.ok && (
            <span class="muted">
              {' '}
              · {diff.removed} line{diff.removed === 1 ? '' : 's'} removed, {diff.added} added
            </span>
          )}
        </p>
        {diff.ok ? (
          <div class="diff" data-testid="diff">
            {diff.lines.map((line, i) => (
              // Lines carry no identity beyond their place in this diff.
              <div key={i} class={line.kind}>
                {line.text === '' ? ' ' : line.text}
              </div>
            ))}
          </div>
        ) : (
          <div class="banner warn">{diff.reason}</div>
        )}
      </div>
    </div>
  );
}
