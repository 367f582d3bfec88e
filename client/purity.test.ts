// The SDK runs unchanged in browsers, Deno and Workers: its code (tests aside, in client/ and its
// folders) may use no Node API and import nothing but its own files, leaf core/ files (or core/
// types), and zod types: the browser bundle stays small because the server's zod schemas are not in
// it. The few exceptions are named below, each with its reason.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';

const CLIENT = import.meta.dirname;
const ROOT = dirname(CLIENT);

/** An import of one file by another, named as the importing file (relative to client/) and the specifier. */
const EXCEPTIONS: readonly { readonly file: string; readonly from: string }[] = [
  // Flag documents are validated with core/flags' zod schemas; flags.ts is an entry point of its own
  // (not re-exported by index.ts or browser.ts), so an app without flags downloads neither.
  { file: 'flags.ts', from: '../core/flags/index.ts' },
];

interface ImportStatement {
  readonly from: string;
  /** `import type` / `export type`: erased, so nothing is loaded. */
  readonly typeOnly: boolean;
}

/** Every `import … from`, `export … from` and bare `import '…'` of a source file. */
function importsOf(path: string): ImportStatement[] {
  const text = readFileSync(path, 'utf8');
  const found: ImportStatement[] = [];
  for (const [, typeOnly, from] of text.matchAll(
    /^(?:import|export)\s+(type\s+)?[^;'"]*?from\s+'([^']+)'/gms,
  )) {
    found.push({ from: from!, typeOnly: typeOnly !== undefined });
  }
  for (const [, from] of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ from: from!, typeOnly: false });
  return found;
}

/** A file that loads no other module when it runs (its imports, if any, are of types only). */
function isLeaf(path: string): boolean {
  return importsOf(path).every((statement) => statement.typeOnly);
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const sources = sourcesUnder(CLIENT);
const inside = (path: string, folder: string): boolean => path.startsWith(`${join(ROOT, folder)}${sep}`);

/** Why `file` may not import `statement`, or undefined when it may. */
function refusal(file: string, statement: ImportStatement): string | undefined {
  const name = relative(CLIENT, file);
  const { from, typeOnly } = statement;
  if (EXCEPTIONS.some((exception) => exception.file === name && exception.from === from)) return undefined;
  if (from.startsWith('.')) {
    const target = join(dirname(file), from);
    if (inside(target, 'client')) return undefined;
    if (inside(target, 'core')) {
      return typeOnly || isLeaf(target)
        ? undefined
        : 'a core/ file that loads others (import its types only)';
    }
    return 'a file outside client/ and core/';
  }
  if (from === 'zod') return typeOnly ? undefined : 'zod at run time (import its types only)';
  if (from === 'idb-keyval' && name === 'idb-storage.ts') return undefined;
  if (from.startsWith('@openfeature/') && name.startsWith(`openfeature${sep}`)) return undefined;
  return 'a package the SDK does not ship';
}

describe('client/ purity', () => {
  it('scans every source file of client/ and its folders', () => {
    const names = sources.map((path) => relative(CLIENT, path));
    assert.ok(names.includes('index.ts') && names.includes(join('openfeature', 'web.ts')), names.join(', '));
  });

  it('counts re-exports as imports: a core index that only re-exports is not a leaf', () => {
    assert.equal(isLeaf(join(ROOT, 'core/flags/index.ts')), false);
    assert.equal(isLeaf(join(ROOT, 'core/flags/openfeature.ts')), true, 'it imports types only');
    assert.equal(
      refusal(join(CLIENT, 'index.ts'), { from: '../core/flags/index.ts', typeOnly: false }),
      'a core/ file that loads others (import its types only)',
    );
  });

  it('imports only its own files, leaf core/ files and types, and the packages it ships', () => {
    for (const file of sources) {
      for (const statement of importsOf(file)) {
        const why = refusal(file, statement);
        assert.equal(
          why,
          undefined,
          `${relative(ROOT, file)} imports '${statement.from}'${statement.typeOnly ? ' (types)' : ''}: ${why}`,
        );
      }
    }
  });

  it('uses no Node globals', () => {
    for (const file of sources) {
      const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
      for (const banned of [
        /\bprocess\./,
        /\bBuffer\b/,
        /\brequire\(/,
        /\bsetImmediate\b/,
        /\b__dirname\b/,
      ]) {
        assert.ok(!banned.test(code), `${relative(ROOT, file)} uses ${banned.source}`);
      }
    }
  });
});
