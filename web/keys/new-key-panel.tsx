// Creating a key: a name and a value (JSON checked), written only if the key does not exist yet,
// so that a key someone else just created is reported with its value instead of overwritten.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useSession } from '../session.ts';
import { createIfAbsent } from './cas.ts';
import { editableText, viewValue } from './json-text.ts';
import { DraftCheck } from './value-view.tsx';

export function NewKeyPanel({ prefix, onDone }: { prefix: string; onDone: (key: string | null) => void }) {
  const { client } = useSession();
  const [key, setKey] = useState(prefix);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<{ text: string; existing?: string } | null>(null);
  const keyField = useRef<HTMLInputElement>(null);
  useEffect(() => keyField.current?.focus(), []);
  return (
    <section class="card" data-testid="new-key">
      <header>
        <h2>New key</h2>
      </header>
      <form
        style={{ display: 'grid', gap: '0.6rem' }}
        onSubmit={async (event) => {
          event.preventDefault();
          try {
            const outcome = await createIfAbsent(client, key, text);
            if (outcome.ok) onDone(key);
            else
              setProblem({
                text: `${key} already exists (someone may have just created it); it was not changed.`,
                ...(outcome.current === null ? {} : { existing: editableText(outcome.current.value) }),
              });
          } catch (failure) {
            setProblem({ text: `creating ${key} failed: ${(failure as Error).message}` });
          }
        }}
      >
        <label class="field">
          <span>Key</span>
          <input
            ref={keyField}
            name="key"
            class="mono"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Value (JSON is checked; anything else is stored as text)</span>
          <textarea
            name="value"
            rows={8}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            spellcheck={false}
          />
        </label>
        <DraftCheck text={text} />
        {problem !== null && (
          <div class="banner warn" role="alert" data-testid="conflict">
            {problem.text}
            {problem.existing !== undefined && <pre class="value">{problem.existing}</pre>}
          </div>
        )}
        <div class="row">
          <button
            type="submit"
            class="primary"
            disabled={key === '' || viewValue(text).kind === 'invalidJson'}
          >
            Create
          </button>
          <button type="button" onClick={() => onDone(null)}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
