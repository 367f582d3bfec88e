// Targeting rules, tried in order: conditions (attribute, operator, values; all must hold) and
// what the rule serves.
import { useState } from 'preact/hooks';
import { type Clause, OPERATORS, type Operator, type Rule, type Serve } from '../../core/flags/index.ts';
import { formatClauseValues, parseClauseValues } from './flag-draft.ts';
import type { SectionProps } from './section-props.ts';
import { ServeEditor } from './serve-editor.tsx';

export function RulesEditor({ flag, onChange }: SectionProps) {
  const setRule = (index: number, rule: Rule) =>
    onChange({ ...flag, rules: flag.rules.map((r, i) => (i === index ? rule : r)) });
  const move = (index: number, by: number) => {
    const rules = [...flag.rules];
    const [rule] = rules.splice(index, 1);
    rules.splice(index + by, 0, rule!);
    onChange({ ...flag, rules });
  };
  return (
    <div class="field">
      <h3>Targeting rules</h3>
      <span>Tried in order; the first whose conditions all hold decides</span>
      {flag.rules.map((rule, index) => (
        // Rules have no required id; their position is their identity while editing.
        <div class="rule" key={index} data-testid={`rule-${index}`}>
          <div class="row">
            <b>Rule {index + 1}</b>
            <input
              placeholder="description"
              style={{ flex: 1 }}
              value={rule.description ?? ''}
              onInput={(e) => {
                const description = e.currentTarget.value;
                const { description: _old, ...rest } = rule;
                setRule(index, description === '' ? rest : { ...rest, description });
              }}
            />
            <button type="button" disabled={index === 0} onClick={() => move(index, -1)} title="move up">
              ↑
            </button>
            <button
              type="button"
              disabled={index === flag.rules.length - 1}
              onClick={() => move(index, 1)}
              title="move down"
            >
              ↓
            </button>
            <button
              type="button"
              onClick={() => onChange({ ...flag, rules: flag.rules.filter((_, i) => i !== index) })}
            >
              Remove rule
            </button>
          </div>
          {rule.clauses.map((clause, c) => (
            <ClauseRow
              key={c}
              clause={clause}
              onChange={(next) =>
                setRule(index, { ...rule, clauses: rule.clauses.map((x, i) => (i === c ? next : x)) })
              }
              onRemove={() => setRule(index, { ...rule, clauses: rule.clauses.filter((_, i) => i !== c) })}
            />
          ))}
          <div>
            <button
              type="button"
              onClick={() =>
                setRule(index, {
                  ...rule,
                  clauses: [...rule.clauses, { attribute: '', op: 'equals', values: [] }],
                })
              }
            >
              Add condition
            </button>
          </div>
          <span class="small muted">then serve</span>
          <ServeEditor
            serve={rule.serve}
            variations={flag.variations}
            onChange={(serve: Serve) => setRule(index, { ...rule, serve })}
            testId={`rule-${index}-serve`}
          />
        </div>
      ))}
      <div>
        <button
          type="button"
          onClick={() =>
            onChange({
              ...flag,
              rules: [
                ...flag.rules,
                {
                  clauses: [{ attribute: 'plan', op: 'in', values: [] }],
                  serve: { variation: flag.variations[0]!.id },
                },
              ],
            })
          }
        >
          Add rule
        </button>
      </div>
    </div>
  );
}

function ClauseRow(props: { clause: Clause; onChange: (clause: Clause) => void; onRemove: () => void }) {
  const { clause } = props;
  const [valuesText, setValuesText] = useState(formatClauseValues(clause.values));
  const segment = clause.op === 'segmentMatch';
  return (
    <div class="clause">
      <input
        class="mono"
        placeholder={segment ? '(segments)' : 'attribute'}
        disabled={segment}
        value={clause.attribute ?? ''}
        onInput={(e) => props.onChange({ ...clause, attribute: e.currentTarget.value })}
      />
      <select
        value={clause.negate === true ? `not ${clause.op}` : clause.op}
        onChange={(e) => {
          const chosen = e.currentTarget.value;
          const negate = chosen.startsWith('not ');
          const op = (negate ? chosen.slice(4) : chosen) as Operator;
          const { attribute, negate: _n, ...rest } = clause;
          const base = op === 'segmentMatch' ? { ...rest, op } : { ...rest, op, attribute: attribute ?? '' };
          props.onChange(negate ? { ...base, negate: true } : base);
        }}
      >
        {OPERATORS.flatMap((op) => [op, `not ${op}`]).map((op) => (
          <option key={op} value={op}>
            {op}
          </option>
        ))}
      </select>
      <input
        class="mono"
        placeholder={
          segment ? 'segment keys, comma-separated' : 'values, comma-separated: pro, 42, true, "quoted"'
        }
        value={valuesText}
        onInput={(e) => {
          setValuesText(e.currentTarget.value);
          props.onChange({ ...clause, values: parseClauseValues(e.currentTarget.value) });
        }}
      />
      <button type="button" onClick={props.onRemove}>
        ×
      </button>
    </div>
  );
}
