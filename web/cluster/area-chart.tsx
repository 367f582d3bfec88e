// A small area chart of one figure over the shared time axis (write rate, commit latency): a
// picture of the last minutes, with the latest value and the peak written beside it.
import { useRef } from 'preact/hooks';
import { useWidth } from '../components/use-width.ts';
import { HISTORY_WINDOW_MS } from './cluster-history.ts';
import { tickLabel, timeAxis } from './time-axis.ts';

export interface ChartPoint {
  readonly at: number;
  readonly value: number;
}

const HEIGHT = 150;
const TOP = 10;
const BOTTOM = 20;
const LEFT = 52;

/** The smallest of 1, 2, 5 × 10^k at or above `value`, so the axis reads in round numbers. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

export function AreaChart(props: {
  points: readonly ChartPoint[];
  firstAt: number | undefined;
  now: number;
  color: string;
  label: string;
  format: (value: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const axis = timeAxis(props.firstAt, props.now, HISTORY_WINDOW_MS, LEFT, width - 6);
  const shown = props.points.filter((p) => p.at >= axis.from);
  const top = niceCeiling(Math.max(0, ...shown.map((p) => p.value)));
  const y = (value: number) => TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM);
  const base = y(0);
  // A gap in the samples (no member answered) breaks the line instead of bridging it.
  const runs: ChartPoint[][] = [];
  for (const p of shown) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (run === undefined || last === undefined || p.at - last.at > 5000) runs.push([p]);
    else run.push(p);
  }
  return (
    <div ref={box}>
      <svg class="chart" width={width} height={HEIGHT} role="img" aria-label={props.label}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={LEFT} x2={axis.right} y1={y(top * f)} y2={y(top * f)} stroke="#e6e9ef" />
            <text x={LEFT - 6} y={y(top * f) + 4} text-anchor="end">
              {props.format(top * f)}
            </text>
          </g>
        ))}
        {axis.ticks.map((t) => (
          <text key={t} x={axis.x(t)} y={HEIGHT - 4} text-anchor={t === axis.to ? 'end' : 'middle'}>
            {tickLabel(t, props.now)}
          </text>
        ))}
        {runs.map((run) => {
          const line = run.map((p) => `${axis.x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' L');
          const first = axis.x(run[0]!.at).toFixed(1);
          const last = axis.x(run[run.length - 1]!.at).toFixed(1);
          if (run.length === 1) {
            return <circle key={run[0]!.at} cx={first} cy={y(run[0]!.value)} r={2.5} fill={props.color} />;
          }
          return (
            <g key={run[0]!.at}>
              <path
                d={`M${first},${base} L${line} L${last},${base} Z`}
                fill={props.color}
                fill-opacity={0.15}
              />
              <path
                d={`M${line}`}
                fill="none"
                stroke={props.color}
                stroke-width={2}
                stroke-linejoin="round"
              />
            </g>
          );
        })}
      </svg>
    </div>
  );
}
