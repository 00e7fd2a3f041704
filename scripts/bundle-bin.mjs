// The build's second step (after tsc): each command-line entry as one file, bundled by esbuild
// from tsc's own output. Issue 19: on Node 20 most of a command's start-up was the ES module
// loader reading, resolving and linking its modules one by one (about 75 for the CLI's
// `start`, 190 for spec-guard with zod and yaml); a bundle is one file to read and link.
//
// - The bin, dist/src/cli/bin.cjs (package.json's `bin`), from dist/src/cli/main.js. It
//   bundles no package but commander. zod's schemas (the config's, the manifest's, the tool
//   runs') are a second bundle, schemas.bundle.js, run the first time a command needs one (a
//   manifest read, a config's mistake to word); the BullMQ worker and dispatcher stay in dist/,
//   imported from there by a cloud stage or a worker. The trace recorder
//   (CODEX_ORCHESTRATOR_TRACE) is bundled: it records a manifest write's text and never loads
//   the schema. So a valid run runs one bundle and no package.
// - The lane's tools, dist/src/harness/<tool>/bin.cjs (the npm scripts), from their cli.js. They
//   always need their packages (zod, yaml, diff, picomatch, commander), which are bundled;
//   only what a command may never reach stays outside (BullMQ and Redis, TypeScript, ts-morph,
//   ESLint, Playwright), with the BullMQ worker and dispatcher left in dist/.
//
// Each bin is a small CommonJS loader (`loader` below) and its bundle, bin.bundle.js: a classic script
// (CommonJS inside one function), because V8 can start a classic script from a code cache and,
// on Node 20, not an ES module. scripts/code-cache.mjs, the build's last step, trains the cache
// (bin.bundle.cache). What the bundle loads when needed goes through the loader's import():
// inside a script compiled from a cache, import() finds no module loader on Node 20.
//
// A module imported lazily (`import()`) stays lazy in a bundle: its code runs when reached.
// What a module left in dist/ shares with the bundle (limits, protocol keys, env names:
// constants and plain functions) is then loaded twice, harmless for values without identity.
// Each bundle sits next to its bin, and `import.meta.url` in it is the bin's URL, so it names
// the same directory as in the entry. Checks fail the build: a static import of a package (or
// of a module left in dist/) at a bundle's start, a module other than the entry that decides
// on its own whether it is the main module (in a bundle every module's import.meta.url is the
// bin's, so it would be), and an import to load when needed that did not go to the loader.
import { build } from 'esbuild';
import { parse } from 'acorn';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
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
    out: 'src/cli/bin.cjs',
    bundles: (name) => name === 'commander',
    fromDist: BULLMQ_MODULES,
    // zod's schemas: a second bundle, schemas.bundle.js, with its own code cache, run the first
    // time a command needs one (a manifest read, a config's mistake to word).
    chunk: { name: 'schemas', modules: ['src/config/schema.js', 'src/manifest/schema.js', 'src/run/tool-runs-schema.js'] },
  },
  ...['golden', 'spec-guard', 'diff-budget', 'docs-check', 'review'].map((tool) => ({
    entry: `src/harness/${tool}/cli.js`,
    out: `src/harness/${tool}/bin.cjs`,
    bundles: (name) => !NEVER_BUNDLED.includes(name),
    fromDist: BULLMQ_MODULES,
    chunk: null,
  })),
];

/**
 * What the bundle imports when a command needs it (a module left in dist/, a package not
 * bundled) is marked here and then loaded through the loader (\`__binImport\`): an \`import()\`
 * inside a script V8 compiled from a code cache finds no loader on Node 20.
 */
const LATER = '\0bin-import:';

const packageName = (path) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]);

/** Resolves the modules left in dist/ to their path from the bundle, and the packages not bundled to themselves. */
function placement(bundle, out) {
  const fromDist = [...bundle.fromDist, ...(bundle.chunk?.modules ?? [])].map(inDist);
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
        return { path: `${LATER}${path.startsWith('.') ? path : `./${path}`}`, external: true };
      });
      builder.onResolve({ filter: /^[^./]/ }, (args) => {
        // A builtin imported when needed goes through the loader too (an import() left in the bundle would fail).
        if (args.kind === 'dynamic-import' && isBuiltin(args.path)) return { path: `${LATER}${args.path}`, external: true };
        if (args.path.startsWith('node:') || bundle.bundles(packageName(args.path))) return undefined;
        return { path: args.kind === 'dynamic-import' ? `${LATER}${args.path}` : args.path, external: true };
      });
    },
  };
}

/**
 * zod's `locales` namespace (every language's error messages, about 370 KB of a 770 KB bundle)
 * is exported by its API and never used here: zod words its errors in English (its
 * classic schemas load `locales/en.js` themselves), and nothing of the project reads
 * `z.locales`. Bundled, the namespace holds English alone, so a bundle with zod reads,
 * compiles and caches half as much.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: resolve(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/** A module that may compare its own import.meta.url with the process's main script (either way round, or through isMain). */
const decidesIfMain = (source) =>
  /isMain\(import\.meta\.url\)/.test(source) || (source.includes('import.meta.url') && source.includes('process.argv[1]'));

/**
 * The bin users run (given its second bundle's modules): V8 compiles the bundle with the code cache the build trained, or from
 * source when V8 refuses the cache. It is CommonJS (.cjs): an ES module as the main script costs
 * Node 20 its ES module loader at every start (about 12 ms), which only a command that loads a
 * module when needed then pays.
 */
const loader = (chunks) => `#!/usr/bin/env node
// Written by scripts/bundle-bin.mjs: runs the bundle next to it (bin.bundle.js) as a classic
// script, with the V8 code cache the build trained on it (bin.bundle.cache), so a start does not
// parse and compile the bundle again; a second bundle (CHUNKS) runs the first time a command
// imports one of its modules, from its own cache. A cache V8 refuses (another Node, other V8
// flags) or a missing one costs only that compilation. CODEX_BIN_CODE_CACHE=write (the build)
// runs without the caches and writes them at exit; =extend (the build) reads them and writes
// them back with what this run compiled too; =none runs without them; =check says on stderr,
// for each bundle as it runs, whether its cache was used.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

// Each module of a second bundle: the bundle, and the name it exports the module under.
const CHUNKS = ${JSON.stringify(chunks)};
const mode = process.env.CODEX_BIN_CODE_CACHE;
// The bundle's import.meta.url: this file's.
const url = pathToFileURL(__filename).href;
const compiled = [];
const ran = new Map();

function run(name) {
  const code = join(__dirname, \`\${name}.bundle.js\`);
  const cacheFile = join(__dirname, \`\${name}.bundle.cache\`);
  let cachedData;
  if (mode !== 'write' && mode !== 'none') {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache: compiled from source.
    }
  }
  // The build writes each bundle as ASCII alone, so read as latin1 it is the same text, read in
  // one call and copied rather than decoded.
  const script = new vm.Script(readFileSync(code, 'latin1'), { filename: code, cachedData });
  if (mode === 'check') {
    const used = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
    process.stderr.write(\`code cache\${name === 'bin' ? '' : \` (\${name})\`}: \${used}\\n\`);
  }
  compiled.push({ script, cacheFile });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, require, bundle, code, __dirname, url, load);
  return bundle.exports;
}

// What a bundle loads when a command needs it: a module of a second bundle, or a module left in
// dist/ or a package not bundled, resolved from here, where the bundles sit.
function load(specifier) {
  const chunk = Object.hasOwn(CHUNKS, specifier) ? CHUNKS[specifier] : undefined;
  if (chunk) {
    if (!ran.has(chunk[0])) ran.set(chunk[0], run(chunk[0]));
    return Promise.resolve(ran.get(chunk[0])[chunk[1]]);
  }
  return import(specifier.startsWith('.') ? new URL(specifier, url).href : specifier);
}

if (mode === 'write' || mode === 'extend') {
  process.on('exit', () => {
    // Whole or not at all: another process may be starting from it.
    for (const { script, cacheFile } of compiled) {
      writeFileSync(\`\${cacheFile}.\${process.pid}.tmp\`, script.createCachedData());
      renameSync(\`\${cacheFile}.\${process.pid}.tmp\`, cacheFile);
    }
  });
}
run('bin');
`;

/**
 * esbuild's options for every bundle: a classic script, which V8 can cache compiled (an ES
 * module's cache needs a flag on Node 20), CommonJS inside a function the loader calls with
 * require and the bin's own URL; the text comes back to be checked and wrapped (write: false).
 */
const AS_SCRIPT = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { 'import.meta.url': '__binUrl' },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  write: false,
};

/** Writes `text` unless the file holds it already; runs `before` first when it writes. */
function writeChanged(path, text, before = () => {}) {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  before();
  writeWhole(path, text);
}

const digest = (text) => createHash('sha256').update(text).digest('hex');

// The digest of each bundle whose text passed checkText (parsing a bundle is most of this step),
// with the names of the checks: a build whose bundle comes out the same, checked the same way,
// does not parse it again. Written when every check passed.
const CHECKED = inDist('.bundles-checked.json');
const checkedBefore = (() => {
  try {
    return JSON.parse(readFileSync(CHECKED, 'utf8'));
  } catch {
    return {};
  }
})();
const checkedNow = {};
/** checkText, or nothing when this very text passed it before. */
function checkTextOnce(name, text) {
  const key = digest(`import(), ascii\n${text}`);
  checkedNow[name] = key;
  return checkedBefore[name] === key ? [] : checkText(text);
}

/** Writes a file whole or not at all (a process may be starting from it). */
function writeWhole(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * What a bundle's text must not hold, each as `<line>: <why>`: an import() expression (parsed, so
 * strings and comments do not count), and a character past ASCII where asciiOnly's escape would
 * not mean the same: anywhere but a comment, a string, a regular expression, a name or an untagged
 * template's text, or right after a backslash.
 */
function checkText(text) {
  const problems = [];
  const escapable = [];
  const tagged = new Set();
  const visit = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    if (node.type === 'ImportExpression')
      problems.push(`${node.loc.start.line}: an import() left in the bundle would fail from a code cache: import a string literal`);
    if (node.type === 'TaggedTemplateExpression') node.quasi.quasis.forEach((q) => tagged.add(q));
    if (
      node.type === 'Literal' ||
      node.type === 'Identifier' ||
      node.type === 'PrivateIdentifier' ||
      (node.type === 'TemplateElement' && !tagged.has(node))
    )
      escapable.push([node.start, node.end]);
    for (const [key, value] of Object.entries(node)) if (key !== 'loc') visit(value);
  };
  visit(
    parse(text, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      locations: true,
      allowHashBang: true,
      onComment: (_block, _text, start, end) => escapable.push([start, end]),
    }),
  );
  for (const match of text.matchAll(NOT_ASCII)) {
    const inside = escapable.some(([start, end]) => match.index >= start && match.index < end);
    if (inside && text[match.index - 1] !== '\\') continue;
    const line = text.slice(0, match.index).split('\n').length;
    problems.push(
      `${line}: a character past ASCII that an escape would change (${JSON.stringify(match[0])}): write it as \\u${match[0].charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return problems;
}

const NOT_ASCII = /[^\x00-\x7f]/g;

/**
 * A bundle as ASCII alone. V8 holds a script whose text has a single character past ASCII as two
 * bytes per character, and the bin reads its bundle at every start: the 351 KB bundle was 702 KB
 * of heap, and the start's collections came sooner. esbuild escapes such characters in strings
 * and names (its charset is ascii), not in the comments it keeps nor in a regular expression;
 * there, as in an untagged template's text, `\u2026` means what the character means (checkText
 * proves each is in such a place). One escape per UTF-16 unit: a pair for a character past U+FFFF
 * reads the same in a string and in a regular expression, with or without its u flag.
 */
const asciiOnly = (text) => text.replace(NOT_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A bundle's text as the loader runs it: a function of CommonJS's names, the bin's URL and its import(). */
const wrap = (text) => `(function (exports, require, module, __filename, __dirname, __binUrl, __binImport) {\n${text}\n})\n`;

const failures = [];
for (const bundle of BUNDLES) {
  const bin = inDist(bundle.out);
  const out = resolve(dirname(bin), 'bin.bundle.js');
  // esbuild prints its own errors (file, line, what): no stack trace after them.
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [inDist(bundle.entry)],
    outfile: out,
    plugins: [placement(bundle, out), zodEnglishOnly],
    ...AS_SCRIPT,
  }).catch(() => process.exit(1));
  const name = relative(ROOT, out).split('\\').join('/');
  const eager = result.metafile.outputs[name]?.imports.filter((i) => i.kind !== 'dynamic-import' && !isBuiltin(i.path));
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
  let later = 0;
  const text = result.outputFiles[0].text
    .replace(/^#!.*\n/, '')
    // The specifier as esbuild wrote it (a string literal's text, kept as it is).
    .replaceAll(/\bimport\("\\0bin-import:([^"]+)"\)/g, (_, specifier) => {
      later += 1;
      return `__binImport("${specifier}")`;
    });
  const marked = result.metafile.outputs[name].imports.filter((i) => i.kind === 'dynamic-import' && i.path.startsWith(LATER)).length;
  if (later !== marked || text.includes(LATER) || text.includes('\\0bin-import:'))
    failures.push(`${name}: ${marked} import(s) to load when needed, ${later} handed to the loader: each must go through it`);
  for (const problem of checkTextOnce(name, text)) failures.push(`${name}:${problem}`);
  rmSync(resolve(dirname(bin), 'bin.js'), { force: true }); // the bin of builds before bin.cjs
  // A bundle that changed loses its cache first (V8 checks only a cache's length against the
  // source it is given), and the bin its record of what its caches were trained on.
  const dropCache = (cache) => {
    rmSync(resolve(dirname(bin), cache), { force: true });
    rmSync(resolve(dirname(bin), 'bin.bundle.trained'), { force: true });
  };
  writeChanged(out, wrap(asciiOnly(text)), () => dropCache('bin.bundle.cache'));
  const chunks = {};
  if (bundle.chunk) {
    const { name: chunkName, modules } = bundle.chunk;
    const chunkOut = resolve(dirname(bin), `${chunkName}.bundle.js`);
    const chunkResult = await build({
      absWorkingDir: ROOT,
      stdin: { contents: modules.map((m, k) => `export * as m${k} from ${JSON.stringify(inDist(m))};`).join('\n'), resolveDir: DIST, loader: 'js' },
      outfile: chunkOut,
      plugins: [zodEnglishOnly],
      ...AS_SCRIPT,
    }).catch(() => process.exit(1));
    const chunkFile = relative(ROOT, chunkOut).split('\\').join('/');
    const loads = chunkResult.metafile.outputs[chunkFile].imports.filter((i) => !isBuiltin(i.path));
    if (loads.length > 0) failures.push(`${chunkFile} would load ${loads.map((i) => i.path).join(', ')}: a second bundle holds all it needs`);
    const chunkText = chunkResult.outputFiles[0].text;
    for (const problem of checkTextOnce(chunkFile, chunkText)) failures.push(`${chunkFile}:${problem}`);
    writeChanged(chunkOut, wrap(asciiOnly(chunkText)), () => dropCache(`${chunkName}.bundle.cache`));
    modules.forEach((m, k) => {
      const path = relative(dirname(bin), inDist(m));
      chunks[path.startsWith('.') ? path : `./${path}`] = [chunkName, `m${k}`];
    });
  }
  writeChanged(bin, loader(chunks));
}

for (const line of failures) process.stderr.write(`bundle-bin: ${line}\n`);
if (failures.length > 0) {
  rmSync(CHECKED, { force: true });
  process.exit(1);
}
writeWhole(CHECKED, `${JSON.stringify(checkedNow, null, 2)}\n`);
