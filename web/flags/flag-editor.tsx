// One flag: on/off, variations, individual targets, targeting rules and the default rule (a
// variation or a rollout with sliders), a preview for a typed context, and Save, which writes the
// whole document in one compare-and-swap txn against the revision the edit started from.
import { useEffect, useState } from 'preact/hooks';
import type { KeyValue } from '../../client/index.ts';
import { isVaneError } from '../../core/errors.ts';
import {
  decodeFlagDocument,
  type FlagDocument,
  flagStorageKey,
  parseFlagDocument,
  type SegmentLookup,
} from '../../core/flags/index.ts';
import { saveIfUnchanged } from '../keys/cas.ts';
import { useSession } from '../session.ts';
import { FlagPreview } from './flag-preview.tsx';
import { RulesEditor } from './rules-editor.tsx';
import { ServeEditor } from './serve-editor.tsx';
import { TargetsEditor } from './targets-editor.tsx';
import { VariationsEditor } from './variations-editor.tsx';

interface Draft {
  /** The stored version the edit started from; Save compares against its modRevision. */
  readonly base: KeyValue;
  readonly flag: FlagDocument;
  readonly dirty: boolean;
}

export function FlagEditor(props: { flagKey: string; kv: KeyValue; segments: SegmentLookup }) {
  const { client } = useSession();
  const stored = parseFlagDocument(props.kv.value, props.flagKey);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [invalidFields, setInvalidFields] = useState<ReadonlySet<string>>(new Set());
  const [outcome, setOutcome] = useState<
    | { kind: 'saved'; revision: number }
    | { kind: 'conflict'; current: KeyValue | null }
    | { kind: 'error'; text: string }
    | null
  >(null);
  const [busy, setBusy] = useState(false);

  // Follow the stored flag while nothing is edited; an edit in progress keeps its base revision.
  useEffect(() => {
    setDraft((current) => {
      if (current?.dirty) return current;
      return isVaneError(stored) ? null : { base: props.kv, flag: stored, dirty: false };
    });
  }, [props.kv]);
  useEffect(() => {
    setOutcome(null);
    setInvalidFields(new Set());
  }, [props.flagKey]);

  if (draft === null) {
    return (
      <section class="card">
        <header>
          <h2 class="mono">{props.flagKey}</h2>
        </header>
        <div class="banner error">
          The stored document is not a valid flag: {isVaneError(stored) ? stored.message : ''}. Fix it in the
          Keys view ({flagStorageKey(props.flagKey)}).
        </div>
      </section>
    );
  }

  const flag = draft.flag;
  const edit = (next: FlagDocument) => {
    setDraft({ ...draft, flag: next, dirty: true });
    setOutcome(null);
  };
  const markField = (field: string, valid: boolean) => {
    const next = new Set(invalidFields);
    if (valid) next.delete(field);
    else next.add(field);
    setInvalidFields(next);
  };
  const checked = decodeFlagDocument(flag, props.flagKey);
  const problem =
    invalidFields.size > 0
      ? 'a field holds text that is not valid (marked red)'
      : isVaneError(checked)
        ? checked.message
        : null;
  const changedElsewhere = draft.dirty && props.kv.modRevision !== draft.base.modRevision;

  const save = async (base: KeyValue) => {
    setBusy(true);
    try {
      const result = await saveIfUnchanged(
        client,
        flagStorageKey(props.flagKey),
        JSON.stringify(flag),
        base.modRevision,
      );
      if (result.ok) {
        setDraft({ base: { ...base, modRevision: result.revision }, flag, dirty: false });
        setOutcome({ kind: 'saved', revision: result.revision });
      } else setOutcome({ kind: 'conflict', current: result.current });
    } catch (error) {
      setOutcome({ kind: 'error', text: `saving failed: ${(error as Error).message}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" data-testid="flag-editor" style={{ display: 'grid', gap: '1rem' }}>
      <header style={{ marginBottom: 0 }}>
        <h2 class="mono">{props.flagKey}</h2>
        <label class="row" style={{ gap: '0.35rem' }}>
          <input
            type="checkbox"
            checked={flag.on}
            onChange={() => edit({ ...flag, on: !flag.on })}
            data-testid="flag-on"
          />
          <span class={`toggle ${flag.on ? 'on' : ''}`}>{flag.on ? 'ON' : 'OFF'}</span>
        </label>
        <span class="spacer" />
        <span class="muted small">
          version {draft.base.version} · revision {draft.base.modRevision}
        </span>
      </header>
      <label class="field">
        <span>Description</span>
        <input
          type="text"
          value={flag.description ?? ''}
          onInput={(e) => {
            const description = e.currentTarget.value;
            const { description: _old, ...rest } = flag;
            edit(description === '' ? rest : { ...rest, description });
          }}
        />
      </label>

      <VariationsEditor flag={flag} onChange={edit} markField={markField} invalid={invalidFields} />

      <div class="field">
        <span>When the flag is off, serve</span>
        <select
          value={flag.offVariation}
          onChange={(e) => edit({ ...flag, offVariation: e.currentTarget.value })}
        >
          {flag.variations.map((v) => (
            <option key={v.id} value={v.id}>
              {v.id}
            </option>
          ))}
        </select>
      </div>

      <TargetsEditor flag={flag} onChange={edit} />
      <RulesEditor flag={flag} onChange={edit} />

      <div class="field">
        <h3>Default rule</h3>
        <span>When the flag is on and no target or rule matches</span>
        <ServeEditor
          serve={flag.fallthrough}
          variations={flag.variations}
          onChange={(fallthrough) => edit({ ...flag, fallthrough })}
          testId="fallthrough"
        />
      </div>

      <div class="field">
        <h3>Preview</h3>
        <FlagPreview flag={isVaneError(checked) ? null : checked} segments={props.segments} />
      </div>

      {changedElsewhere && (
        <div class="banner warn">
          Someone else saved this flag (revision {props.kv.modRevision}) since you started editing; saving
          will report a conflict.
        </div>
      )}
      {outcome?.kind === 'saved' && (
        <div class="banner ok" data-testid="flag-saved">
          Saved in one txn at revision {outcome.revision}. Every replica of flags/ has it now.
        </div>
      )}
      {outcome?.kind === 'error' && <div class="banner error">{outcome.text}</div>}
      {outcome?.kind === 'conflict' && (
        <div class="banner warn" role="alert" data-testid="conflict">
          <b>Conflict:</b>{' '}
          {outcome.current === null
            ? 'someone else deleted this flag while you edited it.'
            : `someone else saved this flag (revision ${outcome.current.modRevision}) since you started editing.`}{' '}
          Your changes were not saved.
          <div class="row" style={{ marginTop: '0.5rem' }}>
            {outcome.current !== null && (
              <button type="button" class="danger" onClick={() => save(outcome.current!)}>
                Overwrite with mine
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                setDraft(null);
                setOutcome(null);
                const parsed = parseFlagDocument(props.kv.value, props.flagKey);
                if (!isVaneError(parsed)) setDraft({ base: props.kv, flag: parsed, dirty: false });
              }}
            >
              Load theirs (discard mine)
            </button>
          </div>
        </div>
      )}
      {problem !== null && draft.dirty && <div class="banner error">Cannot save: {problem}</div>}
      <div class="row">
        <button
          type="button"
          class="primary"
          disabled={!draft.dirty || problem !== null || busy}
          onClick={() => save(draft.base)}
          data-testid="save-flag"
        >
          Save
        </button>
        <button
          type="button"
          disabled={!draft.dirty}
          onClick={() => {
            if (!isVaneError(stored)) setDraft({ base: props.kv, flag: stored, dirty: false });
            setInvalidFields(new Set());
            setOutcome(null);
          }}
        >
          Discard changes
        </button>
        {draft.dirty && <span class="muted small">unsaved changes</span>}
      </div>
    </section>
  );
}
