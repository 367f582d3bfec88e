// A destructive action in two clicks: the first arms it and says what will happen, the second does it.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function ConfirmButton(props: {
  /** What the first click shows, e.g. 'Delete'. */
  children: ComponentChildren;
  /** The armed button's text, saying what the second click does, e.g. 'Delete flags/beta'. */
  confirm: string;
  onConfirm: () => void | Promise<void>;
  disabled?: boolean;
}) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!armed) {
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setArmed(true)}>
        {props.children}
      </button>
    );
  }
  return (
    <span class="row">
      <button
        type="button"
        class="danger armed"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setArmed(false);
          }
        }}
      >
        {props.confirm}
      </button>
      <button type="button" disabled={busy} onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}
