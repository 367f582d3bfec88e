// The Keys view: the keys under a prefix as a tree (kept current by a watch of the prefix) beside
// the selected key, or the form that creates one.
import { useEffect, useState } from 'preact/hooks';
import { navigate } from '../router.ts';
import { KeyBrowser } from './key-browser.tsx';
import { KeyPanel } from './key-panel.tsx';
import { NewKeyPanel } from './new-key-panel.tsx';

export function KeysView({ selected }: { selected: string | null }) {
  const [creating, setCreating] = useState(false);
  // Opening a key (in the tree, or by a link) leaves the new-key form.
  useEffect(() => setCreating(false), [selected]);
  return (
    <div class="split">
      <KeyBrowser selected={selected} onNew={() => setCreating(true)} />
      {creating ? (
        <NewKeyPanel
          prefix={selected === null ? '' : selected.slice(0, selected.lastIndexOf('/') + 1)}
          onDone={(key) => {
            setCreating(false);
            if (key !== null) navigate({ view: 'keys', key });
          }}
        />
      ) : selected === null ? (
        <section class="card empty">Pick a key on the left, or create one.</section>
      ) : (
        <KeyPanel key={selected} keyName={selected} />
      )}
    </div>
  );
}
