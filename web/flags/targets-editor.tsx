// Individual targets: context keys that get a variation before any rule is looked at.
import type { SectionProps } from './section-props.ts';

export function TargetsEditor({ flag, onChange }: SectionProps) {
  return (
    <div class="field">
      <h3>Individual targets</h3>
      <span>Context keys that get a variation before any rule is looked at</span>
      {flag.targets.map((target, index) => (
        <div class="row" key={`${target.variation}-${index}`}>
          <select
            value={target.variation}
            onChange={(e) =>
              onChange({
                ...flag,
                targets: flag.targets.map((t, i) =>
                  i === index ? { ...t, variation: e.currentTarget.value } : t,
                ),
              })
            }
          >
            {flag.variations.map((v) => (
              <option key={v.id} value={v.id}>
                {v.id}
              </option>
            ))}
          </select>
          <input
            class="mono"
            style={{ flex: 1 }}
            placeholder="user-1, user-2"
            value={target.keys.join(', ')}
            onInput={(e) => {
              const keys = e.currentTarget.value
                .split(',')
                .map((k) => k.trim())
                .filter((k) => k !== '');
              onChange({ ...flag, targets: flag.targets.map((t, i) => (i === index ? { ...t, keys } : t)) });
            }}
          />
          <button
            type="button"
            onClick={() => onChange({ ...flag, targets: flag.targets.filter((_, i) => i !== index) })}
          >
            Remove
          </button>
        </div>
      ))}
      <div>
        <button
          type="button"
          onClick={() =>
            onChange({ ...flag, targets: [...flag.targets, { variation: flag.variations[0]!.id, keys: [] }] })
          }
        >
          Add target
        </button>
      </div>
    </div>
  );
}
