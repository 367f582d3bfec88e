// A line diff between two versions of a value (longest common subsequence), for the key history's
// "compare two revisions". Values are at most a few MiB, so the table is bounded: past
// MAX_DIFF_LINES changed lines on either side the diff is refused with a reason instead.

export type DiffLine =
  | { readonly kind: 'same'; readonly text: string; readonly oldLine: number; readonly newLine: number }
  | { readonly kind: 'removed'; readonly text: string; readonly oldLine: number }
  | { readonly kind: 'added'; readonly text: string; readonly newLine: number };

export type LineDiff =
  | {
      readonly ok: true;
      readonly lines: readonly DiffLine[];
      readonly added: number;
      readonly removed: number;
    }
  | { readonly ok: false; readonly reason: string };

/** Lines between the common head and tail that the table may hold on each side. */
export const MAX_DIFF_LINES = 2000;

export function diffLines(oldText: string, newText: string): LineDiff {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  if (n > MAX_DIFF_LINES || m > MAX_DIFF_LINES) {
    return {
      ok: false,
      reason: `too many changed lines to compare (${n} and ${m}; the limit is ${MAX_DIFF_LINES} a side)`,
    };
  }
  // lcs[i * (m + 1) + j]: length of the longest common subsequence of a[head+i..] and b[head+j..].
  const width = m + 1;
  const lcs = new Uint16Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[head + i] === b[head + j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  const same = (i: number, j: number) =>
    lines.push({ kind: 'same', text: a[i]!, oldLine: i + 1, newLine: j + 1 });
  for (let k = 0; k < head; k++) same(k, k);
  let i = 0;
  let j = 0;
  let added = 0;
  let removed = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) {
      same(head + i, head + j);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      // Removals before additions, as diff tools show them.
      lines.push({ kind: 'removed', text: a[head + i]!, oldLine: head + i + 1 });
      removed++;
      i++;
    } else {
      lines.push({ kind: 'added', text: b[head + j]!, newLine: head + j + 1 });
      added++;
      j++;
    }
  }
  for (let k = 0; k < tail; k++) same(a.length - tail + k, b.length - tail + k);
  return { ok: true, lines, added, removed };
}
