// What a rule or the default serves: one variation, or a percentage rollout edited with sliders
// (every share but the last has one; the last takes the rest, so the total is always 100%).
import type { Serve, Variation } from '../../core/flags/index.ts';
import { percentOf, setShare, toRollout, toVariation } from './flag-draft.ts';

/** Colours of the rollout bar's shares, in order. */
const SHARE_COLORS = ['#3457d5', '#138a52', '#d98a0b', '#7b5cd6', '#c93535', '#0e8fa3', '#8a6d3b'];

export function ServeEditor(props: {
  serve: Serve;
  variations: readonly Variation[];
  onChange: (serve: Serve) => void;
  testId: string;
}) {
  const { serve, variations } = props;
  const rollout = serve.rollout;
  return (
    <div class="rollout" data-testid={props.testId}>
      <div class="row">
        <label>
          <input
            type="radio"
            checked={rollout === undefined}
            onChange={() => props.onChange(toVariation(serve, variations))}
          />{' '}
          serve a variation
        </label>
        <label>
          <input
            type="radio"
            checked={rollout !== undefined}
            onChange={() => props.onChange(toRollout(serve, variations))}
          />{' '}
          percentage rollout
        </label>
      </div>
      {rollout === undefined ? (
        <select
          value={serve.variation}
          onChange={(e) => props.onChange({ variation: e.currentTarget.value })}
        >
          {variations.map((v) => (
            <option key={v.id} value={v.id}>
              {v.id}
              {v.name === undefined ? '' : ` (${v.name})`}
            </option>
          ))}
        </select>
      ) : (
        <>
          <div class="rollout-bar" title="who gets what">
            {rollout.variations.map((share, i) => (
              <div
                key={share.variation}
                style={{
                  width: `${percentOf(share.weight)}%`,
                  background: SHARE_COLORS[i % SHARE_COLORS.length],
                }}
              />
            ))}
          </div>
          {rollout.variations.map((share, i) => (
            <div class="rollout-row" key={share.variation}>
              <span class="mono">
                <span
                  class="dot"
                  style={{ background: SHARE_COLORS[i % SHARE_COLORS.length], borderRadius: '2px' }}
                />
                {share.variation}
              </span>
              {i < rollout.variations.length - 1 ? (
                <input
                  type="range"
                  min={0}
                  max={100_000}
                  step={100}
                  value={share.weight}
                  aria-label={`share of ${share.variation}`}
                  data-variation={share.variation}
                  onInput={(e) =>
                    props.onChange({ ...serve, rollout: setShare(rollout, i, Number(e.currentTarget.value)) })
                  }
                />
              ) : (
                <span class="muted small">the rest</span>
              )}
              <span class="mono" style={{ textAlign: 'right' }} data-share={share.variation}>
                {percentOf(share.weight)}%
              </span>
            </div>
          ))}
          <label class="small muted">
            bucket by attribute{' '}
            <input
              type="text"
              placeholder="key (default)"
              value={rollout.bucketBy ?? ''}
              onInput={(e) => {
                const bucketBy = e.currentTarget.value.trim();
                const { bucketBy: _old, ...rest } = rollout;
                props.onChange({ rollout: bucketBy === '' ? rest : { ...rest, bucketBy } });
              }}
              style={{ width: '10rem' }}
            />
          </label>
        </>
      )}
    </div>
  );
}
