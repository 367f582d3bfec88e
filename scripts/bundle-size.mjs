// The SDK's size as a browser downloads it: each entry point bundled with its dependencies by
// esbuild, minified, then gzipped (level 9), with what takes the room (by package or folder).
// The goal for the main browser entry (client/browser.ts) is 25 KB min+gzip.
// Usage: node scripts/bundle-size.mjs [--json] [--check]   (--check exits 1 when an entry passes its goal)
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const KB = 1024;
const ENTRIES = [
  { name: 'browser', path: 'client/browser.ts', goalKb: 25, about: 'the SDK for browsers (main entry)' },
  { name: 'flags', path: 'client/flags.ts', about: 'flag replica + local evaluation (imports zod)' },
  {
    name: 'openfeature-web',
    path: 'client/openfeature/web.ts',
    about: 'web provider (with @openfeature/web-sdk)',
  },
];

/** Bundles `path`, minified; `external` packages are left out (to measure the size without them). */
async function bundle(path, external = []) {
  const result = await build({
    entryPoints: [path],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    external,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, inputs: output.inputs };
}

/** node_modules/<pkg>/... → the package; our files → their top folder (client/, core/flags/, ...). */
function ownerOf(input) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) return match[1];
  const parts = input.split('/');
  return parts[0] === 'core' ? `${parts[0]}/${parts[1]}` : parts[0];
}

function shares(inputs) {
  const byOwner = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const owner = ownerOf(input);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
  }
  return [...byOwner.entries()].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
}

const report = [];
for (const entry of ENTRIES) {
  const full = await bundle(entry.path);
  const owners = shares(full.inputs);
  const withoutZod = owners.some(([owner]) => owner === 'zod')
    ? await bundle(entry.path, ['zod'])
    : undefined;
  report.push({
    ...entry,
    minBytes: full.minBytes,
    gzipBytes: full.gzipBytes,
    gzipBytesWithoutZod: withoutZod?.gzipBytes,
    owners: owners.map(([owner, bytes]) => ({ owner, minBytes: bytes })),
    largestFiles: Object.entries(full.inputs)
      .map(([file, { bytesInOutput }]) => ({ file, minBytes: bytesInOutput }))
      .sort((a, b) => b.minBytes - a.minBytes)
      .slice(0, 6),
  });
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  for (const entry of report) {
    const goal = entry.goalKb === undefined ? '' : ` (goal ${entry.goalKb} KB)`;
    console.log(
      `${entry.path} — ${entry.about}: ${(entry.minBytes / KB).toFixed(1)} KB min, ${(entry.gzipBytes / KB).toFixed(1)} KB min+gzip${goal}`,
    );
    if (entry.gzipBytesWithoutZod !== undefined) {
      console.log(`  without zod: ${(entry.gzipBytesWithoutZod / KB).toFixed(1)} KB min+gzip`);
    }
    for (const { owner, minBytes } of entry.owners) {
      const percent = ((100 * minBytes) / entry.minBytes).toFixed(0).padStart(3);
      console.log(`  ${percent}%  ${(minBytes / KB).toFixed(1).padStart(6)} KB min  ${owner}`);
    }
    const files = entry.largestFiles.map(({ file, minBytes }) => `${file} ${(minBytes / KB).toFixed(1)}`);
    console.log(`  largest files (KB min): ${files.join(', ')}`);
  }
}

const over = report.filter((entry) => entry.goalKb !== undefined && entry.gzipBytes > entry.goalKb * KB);
if (process.argv.includes('--check') && over.length > 0) {
  for (const entry of over) console.error(`${entry.path} is over its ${entry.goalKb} KB goal`);
  process.exit(1);
}
