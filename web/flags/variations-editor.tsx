// The flag's variations: id, name and JSON value each; adding one, removing one (what served it
// moves to another), renaming one (what served it follows).
import { useState } from 'preact/hooks';
import type { Variation } from '../../core/flags/index.ts';
import { renameVariation, withVariations } from './flag-draft.ts';
import type { FieldCheck, SectionProps } from './section-props.ts';

export function VariationsEditor({ flag, onChange, markField, invalid }: SectionProps & FieldCheck) {
  const replace = (index: number, variation: Variation) =>
    onChange({ ...flag, variations: flag.variations.map((v, i) => (i === index ? variation : v)) });
  return (
    <div class="field">
      <h3>Variations</h3>
      <table>
        <thead>
          <tr>
            <th>id</th>
            <th>name</th>
            <th>value (JSON)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {flag.variations.map((variation, index) => (
            <tr key={variation.id}>
              <td>
                <input
                  class="mono"
                  value={variation.id}
                  onChange={(e) =>
                    onChange(renameVariation(flag, variation.id, e.currentTarget.value.trim()))
                  }
                  style={{ width: '8rem' }}
                />
              </td>
              <td>
                <input
                  value={variation.name ?? ''}
                  onInput={(e) => {
                    const name = e.currentTarget.value;
                    const { name: _old, ...rest } = variation;
                    replace(index, name === '' ? rest : { ...rest, name });
                  }}
                />
              </td>
              <td>
                <JsonField
                  value={variation.value}
                  field={`variation-${variation.id}`}
                  invalid={invalid.has(`variation-${variation.id}`)}
                  markField={markField}
                  onValue={(value) => replace(index, { ...variation, value })}
                />
              </td>
              <td>
                <button
                  type="button"
                  disabled={flag.variations.length <= 1}
                  onClick={() =>
                    onChange(
                      withVariations(
                        flag,
                        flag.variations.filter((_, i) => i !== index),
                      ),
                    )
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div>
        <button
          type="button"
          onClick={() => {
            const id = freshId(
              flag.variations.map((v) => v.id),
              'variation',
            );
            onChange(withVariations(flag, [...flag.variations, { id, value: id }]));
          }}
        >
          Add variation
        </button>
      </div>
    </div>
  );
}

function JsonField(props: {
  value: unknown;
  field: string;
  invalid: boolean;
  markField: (field: string, valid: boolean) => void;
  onValue: (value: Variation['value']) => void;
}) {
  const [text, setText] = useState(JSON.stringify(props.value));
  return (
    <input
      class="mono"
      value={text}
      style={{ width: '100%', borderColor: props.invalid ? 'var(--down)' : undefined }}
      title={props.invalid ? 'not valid JSON: strings need double quotes, e.g. "blue"' : undefined}
      onInput={(e) => {
        const next = e.currentTarget.value;
        setText(next);
        try {
          props.onValue(JSON.parse(next) as Variation['value']);
          props.markField(props.field, true);
        } catch {
          props.markField(props.field, false);
        }
      }}
    />
  );
}

function freshId(taken: readonly string[], stem: string): string {
  for (let n = taken.length + 1; ; n++) if (!taken.includes(`${stem}-${n}`)) return `${stem}-${n}`;
}
