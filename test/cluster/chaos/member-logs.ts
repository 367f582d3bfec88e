// What the members' own logs (pino JSON lines) must show after a chaos run: at most one member
// became leader in any term (Raft's election safety, seen from outside), and nothing was logged at
// error level or above (a request handler that threw, a write-ahead log that failed).
export interface MemberLog {
  readonly member: string;
  readonly text: string;
}

/** pino's numeric level for error. */
const ERROR_LEVEL = 50;
/** Error lines quoted per member; the rest are counted. */
const MAX_QUOTED_ERRORS = 3;

interface LogLine {
  readonly level?: unknown;
  readonly msg?: unknown;
  readonly term?: unknown;
  readonly id?: unknown;
}

function parse(line: string): LogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return null;
  }
}

/** The failures the logs show; empty if none. */
export function checkMemberLogs(logs: readonly MemberLog[]): string[] {
  const failures: string[] = [];
  const leadersByTerm = new Map<number, Set<string>>();
  for (const { member, text } of logs) {
    const errors: string[] = [];
    for (const raw of text.split('\n')) {
      const line = parse(raw);
      if (line === null) continue;
      if (typeof line.level === 'number' && line.level >= ERROR_LEVEL) errors.push(raw);
      if (line.msg === 'became leader' && typeof line.term === 'number') {
        const leaders = leadersByTerm.get(line.term) ?? new Set<string>();
        leaders.add(typeof line.id === 'string' ? line.id : member);
        leadersByTerm.set(line.term, leaders);
      }
    }
    if (errors.length > 0) {
      const more =
        errors.length > MAX_QUOTED_ERRORS ? ` (and ${errors.length - MAX_QUOTED_ERRORS} more)` : '';
      failures.push(
        `${member} logged ${errors.length} error${errors.length === 1 ? '' : 's'}${more}:\n    ${errors.slice(0, MAX_QUOTED_ERRORS).join('\n    ')}`,
      );
    }
  }
  for (const [term, leaders] of [...leadersByTerm].sort(([a], [b]) => a - b)) {
    if (leaders.size > 1)
      failures.push(`term ${term} had ${leaders.size} leaders: ${[...leaders].sort().join(', ')}`);
  }
  return failures;
}

/** How many terms had a leader: elections won over the run. */
export function countLeaderTerms(logs: readonly MemberLog[]): number {
  const terms = new Set<number>();
  for (const { text } of logs) {
    for (const raw of text.split('\n')) {
      const line = parse(raw);
      if (line?.msg === 'became leader' && typeof line.term === 'number') terms.add(line.term);
    }
  }
  return terms.size;
}
