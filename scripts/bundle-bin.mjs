// The build's second step (after tsc): the `codex-orchestrator` bin as one file,
// dist/src/cli/bin.js, bundled by esbuild from tsc's own output (dist/src/cli/main.js and what
// it imports). Issue 19: on Node 20 most of the CLI's start-up was the ES module loader
// reading, resolving and linking about 75 files one by one (`start` on a one-stage pipeline);
// the bundle is one file, so a command costs one read and one link.
//
// It still loads only what a command needs:
// - a module the CLI imports lazily (`import()` inside a command's action) is bundled as a
//   lazily evaluated part: its code runs only when the command reaches it;
// - the modules that bring a heavy package (zod's schemas, the BullMQ worker and dispatcher,
//   the trace recorder) are not bundled: the bin imports them lazily from dist/, where tsc put
//   them, with their packages (LAZY_FROM_DIST). What they share with the bundle (constants and
//   plain functions: limits, protocol keys, env names) is then loaded twice, which is harmless
//   for values without identity; none of them defines a class or symbol the bundle checks.
// - no package but commander is bundled, and the bundle imports none at its start: the check
//   after the build fails it when a static import of a package (or of a module left in dist/)
//   would load it at every start.
//
// The bin sits next to main.js, so `import.meta.url` means the same directory in both (the
// CLI finds its package.json and jsonc-parser from there).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(ROOT, 'dist');
const ENTRY = resolve(DIST, 'src/cli/main.js');
const BIN = resolve(DIST, 'src/cli/bin.js');

/** Modules reached only through `import()` that bring a heavy package: imported from dist/ when needed. */
const LAZY_FROM_DIST = [
  'src/config/schema.js',
  'src/manifest/schema.js',
  'src/run/tool-runs-schema.js',
  'src/cloud/worker.js',
  'src/cloud/dispatch-executor.js',
  'src/harness/trace/file-trace.js',
].map((path) => resolve(DIST, path));

/** The one package in the bundle: the command-line parser every command needs. */
const BUNDLED_PACKAGES = ['commander'];

const lazyFromDist = {
  name: 'lazy-from-dist',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!LAZY_FROM_DIST.includes(target)) return undefined;
      if (args.kind !== 'dynamic-import') {
        return {
          errors: [
            { text: `${relative(DIST, target)} is left in dist/ for lazy loading, but ${relative(DIST, args.importer)} imports it statically` },
          ],
        };
      }
      const path = relative(dirname(BIN), target);
      return { path: path.startsWith('.') ? path : `./${path}`, external: true };
    });
    // Every package but the bundled ones stays a package (node_modules), imported where the code imports it.
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return undefined;
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.includes(name) ? undefined : { path: args.path, external: true };
    });
  },
};

// esbuild prints its own errors (file, line, what): no stack trace after them.
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: [ENTRY],
  outfile: BIN,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [lazyFromDist],
  // commander is CommonJS: its require() calls of Node's modules need a require in an ES module.
  banner: { js: "import { createRequire as __binRequire } from 'node:module';\nconst require = __binRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
}).catch(() => process.exit(1));

// What the bin imports at its start must be Node's own modules only.
const eager = result.metafile.outputs[relative(ROOT, BIN).split('\\').join('/')]?.imports.filter(
  (i) => i.kind === 'import-statement' && !i.path.startsWith('node:'),
);
if (eager === undefined) throw new Error(`bundle-bin: esbuild reported no output for ${BIN}`);
if (eager.length > 0) {
  process.stderr.write(
    `bundle-bin: the bin would load ${eager.map((i) => i.path).join(', ')} at every start: import it inside the command that needs it\n`,
  );
  process.exit(1);
}
const source = readFileSync(BIN, 'utf8');
if (!source.startsWith('#!/usr/bin/env node\n')) {
  process.stderr.write('bundle-bin: the bin lost its #! line\n');
  process.exit(1);
}
