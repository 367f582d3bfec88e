// A value as the Keys view shows it: JSON pretty-printed with a "valid JSON" mark, broken JSON with
// where it breaks, text as it is, and bytes that are not text as base64 with their size.
import type { KeyValue } from '../../client/index.ts';
import { viewValue } from './json-text.ts';

export function ValueView({ kv }: { kv: KeyValue }) {
  if (kv.valueEncoding === 'base64') {
    const bytes = Math.floor((kv.value.length * 3) / 4) - (kv.value.match(/=+$/)?.[0].length ?? 0);
    return (
      <>
        <p class="muted small">Binary value, {bytes} bytes, shown as base64 (not editable here).</p>
        <pre class="value">{kv.value}</pre>
      </>
    );
  }
  const view = viewValue(kv.value);
  return (
    <>
      <p class="small">
        {view.kind === 'json' && <span style={{ color: 'var(--leader)' }}>✓ valid JSON</span>}
        {view.kind === 'invalidJson' && (
          <span style={{ color: 'var(--down)' }}>
            ✗ not valid JSON: {view.message} (line {view.line}, column {view.column})
          </span>
        )}
        {view.kind === 'text' && <span class="muted">text, {kv.value.length} characters</span>}
      </p>
      <pre class="value" data-testid="value">
        {view.kind === 'json' ? view.pretty : kv.value}
      </pre>
    </>
  );
}

/** Where typed text stands as a value: what a save would store, or why it cannot be saved. */
export function DraftCheck({ text }: { text: string }) {
  const view = viewValue(text);
  if (view.kind === 'invalidJson') {
    return (
      <p class="small" style={{ color: 'var(--down)' }} data-testid="draft-error">
        ✗ {view.message} at line {view.line}, column {view.column}. Fix it to save (or make it plain text).
      </p>
    );
  }
  return <p class="small muted">{view.kind === 'json' ? '✓ valid JSON' : 'saved as plain text'}</p>;
}
