// core/ runs unchanged in Node, Deno, browsers and Workers, and the Raft core is deterministic:
// no runtime APIs, clocks, timers or randomness. core/tsconfig.json (no Node or DOM types) catches
// most of this at type-check time; this scan also catches what ECMAScript itself offers (Date,
// Math.random) and imports from outside core/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const forbidden: { pattern: RegExp; what: string }[] = [
  { pattern: /\bDeno\b/, what: 'Deno' },
  { pattern: /\b(window|document|navigator|localStorage|indexedDB|location)\b/, what: 'DOM globals' },
  {
    pattern: /\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\b/,
    what: 'timers',
  },
  { pattern: /\bDate\b/, what: 'Date (time is ticks, injected)' },
  { pattern: /\bMath\.random\b/, what: 'Math.random (randomness is injected)' },
  { pattern: /\bprocess\b/, what: 'process' },
  { pattern: /\b(performance|crypto|fetch|WebSocket|globalThis|require)\b/, what: 'runtime API' },
];

/** Blanks comments and string literals so that only code is scanned; import specifiers are kept apart. */
function codeOnly(source: string): string {
  return source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g,
    (m) => m.replace(/[^\n]/g, ' '),
  );
}

/** Specifiers of real import/export statements (a statement starts a line; strings and comments don't count). */
function importSpecifiers(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm))
    specs.push(m[1]!);
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) specs.push(m[1]!);
  return specs;
}

export function violations(file: string, source: string): string[] {
  const found: string[] = [];
  for (const spec of importSpecifiers(source)) {
    if (!(spec.startsWith('.') || spec === 'zod' || spec.startsWith('zod/'))) {
      found.push(`${file}: imports '${spec}' (core/ may import only core/ and zod)`);
    }
  }
  const lines = codeOnly(source).split('\n');
  lines.forEach((line, i) => {
    for (const { pattern, what } of forbidden) {
      if (pattern.test(line)) found.push(`${file}:${i + 1}: uses ${what}`);
    }
    if (/\bimport\s*\(/.test(line)) found.push(`${file}:${i + 1}: uses a dynamic import`);
  });
  return found;
}

function coreSources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) coreSources(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

describe('core/ purity', () => {
  it('no file in core/ uses a runtime API, a clock, a timer, randomness or a non-core import', () => {
    const files = coreSources('core');
    const found = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    assert.deepEqual(found, []);
  });

  it('the scan catches each kind of violation and ignores comments and strings', () => {
    const bad = [
      "import { readFile } from 'node:fs';",
      'const t = Date.now();',
      'const r = Math.random();',
      'setTimeout(() => {}, 1);',
      'const x = process.env.X;',
      'Deno.exit(1);',
      'document.title = "x";',
      "const m = await import('ws');",
    ];
    for (const line of bad) assert.notDeepEqual(violations('sample.ts', line), [], line);
    const ok = [
      "// Date.now() is not allowed here\nconst s = 'process';",
      "import { z } from 'zod';",
      'const message = "expected a value from \'node:fs\'";',
      "import {\n  a,\n  b,\n} from './local.ts';",
    ];
    for (const src of ok) assert.deepEqual(violations('sample.ts', src), [], src);
  });
});
