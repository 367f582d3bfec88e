import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Results } from './report.ts';
import { formatFigure, LatencyRecorder, median, percentile } from './stats.ts';

test('percentile takes the nearest rank: p50 of 1..100 is 50, p99 is 99, p100 is the maximum', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('median of rounds ignores rounds that failed (NaN) and averages the middle pair', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([Number.NaN, 5, 1]), 3);
  assert.ok(Number.isNaN(median([])));
});

test('the latency recorder keeps every sample past its initial capacity', () => {
  const recorder = new LatencyRecorder();
  for (let i = 1; i <= 100_000; i++) recorder.record(i);
  assert.equal(recorder.count, 100_000);
  const { p50, p99, max } = recorder.summary();
  assert.equal(p50, 50_000);
  assert.equal(p99, 99_000);
  assert.equal(max, 100_000);
});

test('figures are printed with three significant digits and thousands grouped', () => {
  assert.equal(formatFigure(5312.4), '5,312');
  assert.equal(formatFigure(12.345), '12.3');
  assert.equal(formatFigure(0.7049), '0.70');
  assert.equal(formatFigure(Number.NaN), '—');
});

test('the table shows each side’s median, the ratio, a ✓ where Vane is better, and the spread', () => {
  const results = new Results();
  const rate = { id: 'put-rate', label: 'puts', unit: '/s', better: 'higher' as const };
  const p99 = { id: 'put-p99', label: 'puts, p99', unit: 'ms', better: 'lower' as const };
  for (const [round, vane, etcd] of [
    [1, 3000, 2000],
    [2, 2000, 1000],
    [3, 4000, 3000],
  ] as const) {
    results.record(rate, 'vane', 'WebSocket', round, vane);
    results.record(rate, 'etcd', 'gRPC', round, etcd);
    results.record(p99, 'vane', 'WebSocket', round, 20);
    results.record(p99, 'etcd', 'gRPC', round, 10);
  }
  const lines = results.table('t', 'WebSocket', 'gRPC').split('\n');
  const putsRow = lines.find((l) => l.startsWith('| puts (/s)'))!;
  assert.match(putsRow, /\| +3,000 \| +2,000 \| +1\.50 ✓ \| +2,000–4,000 \| +1,000–3,000 \|/);
  const p99Row = lines.find((l) => l.startsWith('| puts, p99'))!;
  assert.match(p99Row, /\| +20\.0 \| +10\.0 \| +2\.00 \|/);
  assert.equal(results.table('none', 'SDK', 'gRPC'), '');
  assert.match(results.table('one system', 'SDK', 'gRPC', true), /\| puts \(\/s\) +\| +— \| +2,000 \| +— \|/);
});
