// The Cluster view: every member's Raft state and health, a timeline of roles and elections, and
// the cluster's write rate and commit latency, all live from one status poll a second.
import { formatAgo, formatClock, formatDuration, formatMilliseconds, formatRate } from '../format.ts';
import { AreaChart } from './area-chart.tsx';
import { type ClusterHistory, leaderOf, type MemberReading, stateOf } from './cluster-history.ts';
import { STATE_COLORS, Timeline } from './timeline.tsx';
import type { ClusterHistoryState } from './use-cluster-history.ts';

/** A member this many committed entries behind the leader is shown as lagging. */
const LAG_WARNING_ENTRIES = 100;
/** The write rate shown in the summary averages the polls of this long. */
const RATE_AVERAGE_MS = 5000;

/** `cluster`: the polls so far, kept by the app so that the timeline spans time spent in other views. */
export function ClusterView({ cluster }: { cluster: ClusterHistoryState }) {
  const { history, error } = cluster;
  const now = Date.now();
  const latest = history.latest;
  return (
    <>
      {error !== null && (
        <div class="banner error" role="alert">
          {error.code === 'unreachable'
            ? `No member of the cluster answers (${error.message}).`
            : `The cluster refused the status request (${error.message}).`}
          {latest !== undefined && ' Below is what it said last.'}
        </div>
      )}
      {latest === undefined ? (
        <div class="card empty">
          {error === null ? 'Asking the cluster for its status…' : 'No status yet.'}
        </div>
      ) : (
        <div class={error === null ? 'cluster' : 'cluster stale'}>
          <Summary history={history} now={now} />
          <Members history={history} now={now} />
          <section class="card">
            <header>
              <h2>Roles and elections</h2>
              <span class="spacer" />
              <Legend />
            </header>
            <Timeline history={history} now={now} live={error === null} />
            <Events history={history} />
          </section>
          <div class="grid-2">
            <section class="card">
              <header>
                <h2>Writes per second</h2>
                <span class="spacer" />
                <span class="muted small">revisions created, cluster-wide</span>
              </header>
              <AreaChart
                points={history.rates.map((r) => ({ at: r.at, value: r.writesPerSecond }))}
                firstAt={history.polls[0]?.at}
                now={now}
                color="var(--accent)"
                label="writes per second"
                format={formatRate}
              />
            </section>
            <section class="card">
              <header>
                <h2>Commit latency</h2>
                <span class="spacer" />
                <span class="muted small">mean submit-to-apply time of each second's writes</span>
              </header>
              <AreaChart
                points={history.rates.flatMap((r) =>
                  r.commitLatencyMs === null ? [] : [{ at: r.at, value: r.commitLatencyMs }],
                )}
                firstAt={history.polls[0]?.at}
                now={now}
                color="var(--leader)"
                label="commit latency in milliseconds"
                format={formatMilliseconds}
              />
            </section>
          </div>
        </div>
      )}
    </>
  );
}

function Summary({ history, now }: { history: ClusterHistory; now: number }) {
  const latest = history.latest!;
  const leader = leaderOf(latest);
  const reachable = latest.members.filter((m) => 'status' in m);
  const healthy = latest.members.filter((m) => healthOf(m, leader?.commit ?? null).level === 'ok').length;
  const revision = Math.max(0, ...reachable.map((m) => ('status' in m ? m.status.revision : 0)));
  const recent = history.rates.filter((r) => r.at > now - RATE_AVERAGE_MS);
  const rate = mean(recent.map((r) => r.writesPerSecond));
  const latency = mean(recent.flatMap((r) => (r.commitLatencyMs === null ? [] : [r.commitLatencyMs])));
  const lastElection = [...history.events].reverse().find((e) => e.kind === 'leaderElected');
  return (
    <section class="stats">
      <div class="card stat" data-testid="leader">
        <div class="label">Leader</div>
        <div class="value" style={{ color: leader === null ? 'var(--down)' : 'var(--leader)' }}>
          {leader === null ? 'none' : leader.id}
        </div>
        <div class="detail">
          {leader === null
            ? 'an election is under way or a quorum is lost'
            : `term ${leader.term}${lastElection === undefined ? '' : ` · since ${formatClock(lastElection.at)}`}`}
        </div>
      </div>
      <div class="card stat" data-testid="revision">
        <div class="label">Revision</div>
        <div class="value">{revision}</div>
        <div class="detail">one per write, cluster-wide</div>
      </div>
      <div class="card stat">
        <div class="label">Write rate</div>
        <div class="value">{rate === null ? '—' : `${formatRate(rate)}/s`}</div>
        <div class="detail">
          last {RATE_AVERAGE_MS / 1000} s
          {latency === null ? '' : ` · commit latency ${formatMilliseconds(latency)}`}
        </div>
      </div>
      <div class="card stat">
        <div class="label">Members healthy</div>
        <div
          class="value"
          style={{ color: healthy === latest.members.length ? undefined : 'var(--candidate)' }}
        >
          {healthy} / {latest.members.length}
        </div>
        <div class="detail">
          {reachable.length === latest.members.length
            ? 'all answering'
            : `${latest.members.length - reachable.length} not answering`}
        </div>
      </div>
    </section>
  );
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

type HealthLevel = 'ok' | 'warn' | 'bad';

/**
 * Health as an operator reads it: answering, knowing a leader, keeping up with the log, and healthy
 * by its own /health (which also checks that the leader was heard from lately).
 */
export function healthOf(
  reading: MemberReading,
  leaderCommit: number | null,
): { level: HealthLevel; text: string } {
  if ('unreachable' in reading) return { level: 'bad', text: 'not answering' };
  const s = reading.status;
  if (s.role === 'candidate' || s.role === 'preCandidate') return { level: 'warn', text: 'campaigning' };
  if (s.leader === null) return { level: 'warn', text: 'no leader known' };
  const lag = lagOf(reading, leaderCommit);
  if (lag !== null && lag > LAG_WARNING_ENTRIES) return { level: 'warn', text: `${lag} entries behind` };
  if (s.healthy === false) return { level: 'warn', text: 'unhealthy (see its /health)' };
  return { level: 'ok', text: 'healthy' };
}

function lagOf(reading: MemberReading, leaderCommit: number | null): number | null {
  if (!('status' in reading) || leaderCommit === null) return null;
  return Math.max(0, leaderCommit - reading.status.applied);
}

/** When a follower last heard from the leader (by its own account); for one that is down, when it last answered. */
function lastContact(reading: MemberReading, answeredAt: number | undefined, now: number): string {
  const answered = answeredAt === undefined ? 'never answered' : `answered ${formatAgo(answeredAt, now)}`;
  if ('unreachable' in reading) return answered;
  const s = reading.status;
  if (s.role === 'leader') return 'is the leader';
  if (s.leaderContactMs === undefined) return answered;
  return `heard the leader ${formatDuration(s.leaderContactMs)} ago`;
}

function Members({ history, now }: { history: ClusterHistory; now: number }) {
  const latest = history.latest!;
  const leader = leaderOf(latest);
  return (
    <section class="card">
      <header>
        <h2>Members</h2>
        <span class="spacer" />
        <span class="muted small">lag: entries the leader committed that the member has not applied yet</span>
      </header>
      <table data-testid="members">
        <thead>
          <tr>
            <th>Member</th>
            <th>Role</th>
            <th class="num">Term</th>
            <th class="num">Commit</th>
            <th class="num">Applied</th>
            <th class="num">Revision</th>
            <th class="num">Lag</th>
            <th>Health</th>
            <th>Last contact</th>
          </tr>
        </thead>
        <tbody>
          {latest.members.map((reading) => {
            const state = stateOf(reading);
            const health = healthOf(reading, leader?.commit ?? null);
            const lag = lagOf(reading, leader?.commit ?? null);
            const s = 'status' in reading ? reading.status : null;
            return (
              <tr key={reading.id} data-member={reading.id} data-role={state}>
                <td>
                  <b>{reading.id}</b>
                </td>
                <td>
                  <span class={`badge ${state}`}>{state}</span>
                </td>
                <td class="num">{s?.term ?? '—'}</td>
                <td class="num">{s?.commit ?? '—'}</td>
                <td class="num">{s?.applied ?? '—'}</td>
                <td class="num">{s?.revision ?? '—'}</td>
                <td class="num">{lag ?? '—'}</td>
                <td title={'unreachable' in reading ? reading.unreachable : undefined}>
                  <span class={`dot ${health.level === 'ok' ? '' : health.level}`} />
                  {health.text}
                </td>
                <td class="muted">{lastContact(reading, history.lastAnswer(reading.id), now)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Legend() {
  const shown = ['leader', 'follower', 'candidate', 'learner', 'unreachable'] as const;
  return (
    <div class="legend">
      {shown.map((state) => (
        <span key={state} style={{ '--swatch': STATE_COLORS[state] }}>
          {state}
        </span>
      ))}
    </div>
  );
}

function Events({ history }: { history: ClusterHistory }) {
  const events = [...history.events].reverse();
  if (events.length === 0) return <div class="empty">No leader change or outage since this page opened.</div>;
  return (
    <ul class="events" data-testid="events">
      {events.map((e) => (
        <li key={`${e.at}-${e.kind}-${e.member}`} title={e.detail}>
          <time>{formatClock(e.at)}</time>
          <span class={`dot ${e.kind === 'leaderElected' || e.kind === 'memberUp' ? '' : 'bad'}`} />
          <span>{e.text}</span>
        </li>
      ))}
    </ul>
  );
}
