// The build's second step (after tsc): each command-line entry as one file, bundled by esbuild
// from tsc's own output. Issue 19: on Node 20 most of a command's start-up was the ES module
// loader reading, resolving and linking its modules one by one (about 75 for the CLI's
// `start`, 190 for spec-guard with zod and yaml); a bundle is one file to read and link.
//
// - The bin, dist/src/cli/bin.js (package.json's `bin`), from dist/src/cli/main.js. It
//   bundles no package but commander, and leaves in dist/ the modules that bring a heavy
//   package (zod's schemas, the BullMQ worker and dispatcher): it imports them from there
//   when a command needs them. The trace recorder (CODEX_ORCHESTRATOR_TRACE) is bundled: it
//   records a manifest write's text and never loads the schema. So a valid run loads one file of the project
//   and no package, and zod only words a config's mistake.
// - The lane's tools, dist/src/harness/<tool>/bin.js (the npm scripts), from their cli.js. They
//   always need their packages (zod, yaml, diff, picomatch, commander), which are bundled;
//   only what a command may never reach stays outside (BullMQ and Redis, TypeScript, ts-morph,
//   ESLint, Playwright), with the BullMQ worker and dispatcher left in dist/.
//
// A module imported lazily (`import()`) stays lazy in a bundle: its code runs when reached.
// What a module left in dist/ shares with the bundle (limits, protocol keys, env names:
// constants and plain functions) is then loaded twice, harmless for values without identity.
// Each bundle sits next to its entry, so `import.meta.url` names the same directory in both.
// Two checks fail the build: a static import of a package (or of a module left in dist/) at a
// bundle's start, and a module other than the entry that decides on its own whether it is the
// main module (in a bundle every module's import.meta.url is the bundle's, so it would be).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(ROOT, 'dist');
const inDist = (path) => resolve(DIST, path);

const BULLMQ_MODULES = ['src/cloud/worker.js', 'src/cloud/dispatch-executor.js'];
const NEVER_BUNDLED = ['bullmq', 'ioredis', 'typescript', 'ts-morph', 'eslint', 'playwright-core'];

const BUNDLES = [
  {
    entry: 'src/cli/main.js',
    out: 'src/cli/bin.js',
    bundles: (name) => name === 'commander',
    fromDist: ['src/config/schema.js', 'src/manifest/schema.js', 'src/run/tool-runs-schema.js', ...BULLMQ_MODULES],
  },
  ...['golden', 'spec-guard', 'diff-budget', 'docs-check', 'review'].map((tool) => ({
    entry: `src/harness/${tool}/cli.js`,
    out: `src/harness/${tool}/bin.js`,
    bundles: (name) => !NEVER_BUNDLED.includes(name),
    fromDist: BULLMQ_MODULES,
  })),
];

const packageName = (path) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]);

/** Resolves the modules left in dist/ to their path from the bundle, and the packages not bundled to themselves. */
function placement(bundle) {
  const out = inDist(bundle.out);
  const fromDist = bundle.fromDist.map(inDist);
  return {
    name: 'placement',
    setup(builder) {
      builder.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        if (!fromDist.includes(target)) return undefined;
        if (args.kind !== 'dynamic-import') {
          return {
            errors: [
              {
                text: `${relative(DIST, target)} is left in dist/ to be loaded when needed, but ${relative(DIST, args.importer)} imports it statically`,
              },
            ],
          };
        }
        const path = relative(dirname(out), target);
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
      builder.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || bundle.bundles(packageName(args.path))) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

/** A module that may compare its own import.meta.url with the process's main script (either way round, or through isMain). */
const decidesIfMain = (source) =>
  /isMain\(import\.meta\.url\)/.test(source) || (source.includes('import.meta.url') && source.includes('process.argv[1]'));

const failures = [];
for (const bundle of BUNDLES) {
  const out = inDist(bundle.out);
  // esbuild prints its own errors (file, line, what): no stack trace after them.
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [inDist(bundle.entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [placement(bundle)],
    // Bundled CommonJS packages (commander, yaml, …) call require(): an ES module needs one made for it.
    banner: { js: "import { createRequire as __binRequire } from 'node:module';\nconst require = __binRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  }).catch(() => process.exit(1));
  const name = relative(ROOT, out).split('\\').join('/');
  const eager = result.metafile.outputs[name]?.imports.filter((i) => i.kind === 'import-statement' && !i.path.startsWith('node:'));
  if (eager === undefined) throw new Error(`bundle-bin: esbuild reported no output for ${name}`);
  if (eager.length > 0)
    failures.push(`${name} would load ${eager.map((i) => i.path).join(', ')} at every start: import it inside the command that needs it`);
  const guards = Object.keys(result.metafile.inputs).filter(
    (input) =>
      !input.includes('node_modules/') && resolve(ROOT, input) !== inDist(bundle.entry) && decidesIfMain(readFileSync(resolve(ROOT, input), 'utf8')),
  );
  if (guards.length > 0)
    failures.push(
      `${name} holds ${guards.join(', ')}, which decide(s) whether they are the main module: in a bundle they always would be; give them an entry of their own`,
    );
  if (!readFileSync(out, 'utf8').startsWith('#!/usr/bin/env node\n') && bundle.entry === 'src/cli/main.js') failures.push(`${name} lost its #! line`);
}
for (const line of failures) process.stderr.write(`bundle-bin: ${line}\n`);
if (failures.length > 0) process.exit(1);
