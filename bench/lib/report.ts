// What one run measured: every sample of every figure (with the machine's load when it was taken),
// the tables printed at the end, and the JSON file under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { SystemName } from './clusters.ts';
import { type Better, formatFigure, median } from './stats.ts';

export interface Sample {
  readonly round: number;
  readonly value: number;
  /** One-minute load average when the sample was taken (the machine is shared). */
  readonly load: number;
}

export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  /** Samples by `${system} ${path}`, e.g. 'vane HTTP', 'etcd gRPC'. */
  readonly samples: Record<string, Sample[]>;
}

export class Results {
  readonly figures = new Map<string, Figure>();
  readonly failures: string[] = [];
  readonly notes: string[] = [];

  record(
    figure: { id: string; label: string; unit: string; better: Better },
    system: SystemName,
    path: string,
    round: number,
    value: number,
  ): void {
    let entry = this.figures.get(figure.id);
    if (entry === undefined) {
      entry = { ...figure, samples: {} };
      this.figures.set(figure.id, entry);
    }
    const key = `${system} ${path}`;
    const samples = entry.samples[key] ?? [];
    samples.push({ round, value, load: loadavg()[0]! });
    entry.samples[key] = samples;
  }

  /**
   * One table: each figure measured through both paths, Vane's median, etcd's, their ratio and
   * spread; `oneSided` also lists figures only one system has (a run of one system).
   */
  table(title: string, vanePath: string, etcdPath: string, oneSided = false): string {
    const rows: string[][] = [
      ['figure', `Vane ${vanePath}`, `etcd ${etcdPath}`, 'Vane/etcd', 'Vane spread', 'etcd spread', 'load'],
    ];
    for (const figure of this.figures.values()) {
      const vane = figure.samples[`vane ${vanePath}`];
      const etcd = figure.samples[`etcd ${etcdPath}`];
      if (oneSided ? vane === undefined && etcd === undefined : vane === undefined || etcd === undefined)
        continue;
      const v = median((vane ?? []).map((s) => s.value));
      const e = median((etcd ?? []).map((s) => s.value));
      const ratio = v / e;
      const wins = figure.better === 'higher' ? ratio >= 1 : ratio <= 1;
      const loads = [...(vane ?? []), ...(etcd ?? [])].map((s) => s.load);
      rows.push([
        `${figure.label} (${figure.unit})`,
        formatFigure(v),
        formatFigure(e),
        Number.isFinite(ratio) ? `${ratio.toFixed(2)}${wins ? ' ✓' : ''}` : '—',
        spread(vane ?? []),
        spread(etcd ?? []),
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
      ]);
    }
    if (rows.length === 1) return '';
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
    const line = (r: string[]): string =>
      `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
    const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
    return [`### ${title}`, '', line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
  }

  write(dir: string, run: Record<string, unknown>): string {
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '');
    const file = join(dir, `${stamp}.json`);
    const body = {
      ...run,
      machine: machine(),
      figures: [...this.figures.values()],
      failures: this.failures,
      notes: this.notes,
    };
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
    return file;
  }
}

function spread(samples: readonly Sample[]): string {
  const values = samples.map((s) => s.value).filter((v) => Number.isFinite(v));
  if (values.length === 0) return '—';
  if (values.length === 1) return formatFigure(values[0]!);
  return `${formatFigure(Math.min(...values))}–${formatFigure(Math.max(...values))}`;
}

export function machine(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeMemoryGiB: +(freemem() / 2 ** 30).toFixed(1),
    kernel: release(),
    node: process.version,
  };
}
