import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type DiffLine, diffLines, MAX_DIFF_LINES } from './line-diff.ts';

const render = (lines: readonly DiffLine[]) =>
  lines.map((l) => `${l.kind === 'same' ? ' ' : l.kind === 'added' ? '+' : '-'}${l.text}`);

describe('diffLines', () => {
  test('shows a changed JSON field as one removed and one added line, with line numbers', () => {
    const before = '{\n  "theme": "light",\n  "beta": false\n}';
    const after = '{\n  "theme": "dark",\n  "beta": false\n}';
    const diff = diffLines(before, after);
    assert.ok(diff.ok);
    assert.deepEqual(render(diff.lines), [
      ' {',
      '-  "theme": "light",',
      '+  "theme": "dark",',
      '   "beta": false',
      ' }',
    ]);
    assert.equal(diff.added, 1);
    assert.equal(diff.removed, 1);
    assert.deepEqual(diff.lines[1], { kind: 'removed', text: '  "theme": "light",', oldLine: 2 });
    assert.deepEqual(diff.lines[2], { kind: 'added', text: '  "theme": "dark",', newLine: 2 });
  });

  test('identical values have no added or removed lines', () => {
    const diff = diffLines('a\nb', 'a\nb');
    assert.ok(diff.ok);
    assert.equal(diff.added + diff.removed, 0);
  });

  test('refuses, naming the limit, when too many lines changed to compare', () => {
    const many = (tag: string) =>
      Array.from({ length: MAX_DIFF_LINES + 1 }, (_, i) => `${tag}${i}`).join('\n');
    const diff = diffLines(many('a'), many('b'));
    assert.equal(diff.ok, false);
    assert.match(diff.ok ? '' : diff.reason, /limit is 2000/);
  });

  test('property: the old side of the diff is the old text, the new side the new text, and the shared lines are a longest common subsequence', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', ''), { maxLength: 12 }).map((l) => l.join('\n'));
    fc.assert(
      fc.property(text, text, (before, after) => {
        const diff = diffLines(before, after);
        assert.ok(diff.ok);
        const oldSide = diff.lines.filter((l) => l.kind !== 'added').map((l) => l.text);
        const newSide = diff.lines.filter((l) => l.kind !== 'removed').map((l) => l.text);
        assert.deepEqual(oldSide, before.split('\n'));
        assert.deepEqual(newSide, after.split('\n'));
        const shared = diff.lines.filter((l) => l.kind === 'same').length;
        assert.equal(shared, lcsLength(before.split('\n'), after.split('\n')));
      }),
    );
  });
});

/** The textbook recursion, as a reference. */
function lcsLength(a: string[], b: string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const id = `${i},${j}`;
    const known = memo.get(id);
    if (known !== undefined) return known;
    const value = a[i] === b[j] ? go(i + 1, j + 1) + 1 : Math.max(go(i + 1, j), go(i, j + 1));
    memo.set(id, value);
    return value;
  };
  return go(0, 0);
}
