// Each member's role over the last minutes as a lane of coloured stretches, with a marker where a
// new leader took over: elections and failovers are seen at a glance, live.
import { useRef } from 'preact/hooks';
import { useWidth } from '../components/use-width.ts';
import { type ClusterHistory, HISTORY_WINDOW_MS, type MemberState } from './cluster-history.ts';
import { tickLabel, timeAxis } from './time-axis.ts';

export const STATE_COLORS: Record<MemberState, string> = {
  leader: 'var(--leader)',
  follower: 'var(--follower)',
  candidate: 'var(--candidate)',
  preCandidate: 'var(--candidate)',
  learner: 'var(--learner)',
  unreachable: 'var(--down)',
};

const LANE_HEIGHT = 26;
const LANE_GAP = 8;
const LABEL_WIDTH = 56;
const TOP = 22;
const AXIS_HEIGHT = 18;

/**
 * `live`: the last poll is current, so each member's newest stretch runs on to now; otherwise the
 * lanes stop where the answers stopped.
 */
export function Timeline({ history, now, live }: { history: ClusterHistory; now: number; live: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const members = history.memberIds();
  const axis = timeAxis(history.polls[0]?.at, now, HISTORY_WINDOW_MS, LABEL_WIDTH, width - 8);
  const height = TOP + members.length * (LANE_HEIGHT + LANE_GAP) + AXIS_HEIGHT;
  const elections = history.events.filter((e) => e.kind === 'leaderElected' && e.at >= axis.from);
  return (
    <div ref={box}>
      <svg class="timeline" width={width} height={height} role="img" aria-label="member roles over time">
        {axis.ticks.map((t) => (
          <g key={t}>
            <line x1={axis.x(t)} x2={axis.x(t)} y1={TOP - 4} y2={height - AXIS_HEIGHT} stroke="#e6e9ef" />
            <text x={axis.x(t)} y={height - 4} text-anchor={t === axis.to ? 'end' : 'middle'}>
              {tickLabel(t, now)}
            </text>
          </g>
        ))}
        {members.map((id, lane) => {
          const y = TOP + lane * (LANE_HEIGHT + LANE_GAP);
          return (
            <g key={id} data-member={id}>
              <text class="lane-label" x={0} y={y + LANE_HEIGHT / 2 + 4}>
                {id}
              </text>
              <rect
                x={axis.left}
                y={y}
                width={axis.right - axis.left}
                height={LANE_HEIGHT}
                rx={4}
                fill="#f1f3f7"
              />
              {history.spans(id).map((span) => {
                const x1 = axis.x(span.from);
                const ongoing = live && span.to === history.latest?.at;
                const x2 = Math.max(axis.x(ongoing ? now : span.to), x1 + 2);
                return (
                  <g key={span.from}>
                    <rect
                      x={x1}
                      y={y}
                      width={x2 - x1}
                      height={LANE_HEIGHT}
                      fill={STATE_COLORS[span.state]}
                      rx={2}
                    >
                      <title>
                        {id}: {span.state}
                        {span.term === null ? '' : ` in term ${span.term}`}
                      </title>
                    </rect>
                    {span.state === 'leader' && x2 - x1 > 70 && (
                      <text x={x1 + 6} y={y + LANE_HEIGHT / 2 + 4} style={{ fill: '#fff', fontWeight: 600 }}>
                        leader · term {span.term}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
          );
        })}
        {elections.map((e) => (
          <g key={`${e.at}-${e.member}`}>
            <line
              x1={axis.x(e.at)}
              x2={axis.x(e.at)}
              y1={TOP - 6}
              y2={height - AXIS_HEIGHT}
              stroke="var(--text)"
              stroke-dasharray="3 3"
            />
            <text x={axis.x(e.at)} y={TOP - 9} text-anchor="middle" style={{ fill: 'var(--text)' }}>
              {e.member} · t{e.term}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
