// Builds another checkout of this project (a base ref for `golden diff --base`, the bench's
// baseline commit) by transpiling each compiled source on its own, without type checking:
// that commit's types were checked when it landed, and what the harness needs from it is its
// JavaScript. About a tenth of a `tsc -p` (one program, every type) on 2 cores.
//
// The sources are isolatedModules-clean (`tsc --isolatedModules` passes), so each file's
// output is what `tsc` emits for it. An older commit that is not (a type re-exported without
// `type`) would fail to link: `buildTree` imports the modules the harness needs and, if that
// fails, builds the tree with `tsc` after all.
import { runTracked as run } from './children.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type * as TS from 'typescript';

/** Which of the compiled sources to transpile: those under these directories of the tree (every one when absent; none when empty). */
export type TranspileOptions = { under?: string[] };

/** Transpiles every file tsconfig.json of `tree` compiles (or those `under` some directories) into its outDir; returns how many. */
export async function transpileTree(tree: string, which: TranspileOptions = {}): Promise<number> {
  // Loaded here, not at the top: the tools that import this module (golden, review, bench) need
  // it only when they build another checkout. Required, not imported: an ES module import of
  // this CommonJS package first scans its 9 MB for its exports.
  const ts = createRequire(import.meta.url)('typescript') as typeof TS;
  const configPath = join(tree, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(`${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, ' ')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, tree, undefined, configPath);
  const options = parsed.options;
  const outDir = options.outDir ?? join(tree, 'dist');
  const rootDir = options.rootDir ?? tree;
  const base: TS.CompilerOptions = { ...options, noEmit: false, declaration: false, incremental: false, composite: false };
  // NodeNext decides each file's format from package.json's "type", which transpileModule
  // cannot see (it would emit CommonJS): say it per file, as tsc would decide it.
  const packageType = await readFile(join(tree, 'package.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { type?: string }).type,
    () => undefined,
  );
  const esm: TS.CompilerOptions = { ...base, module: ts.ModuleKind.ES2022 };
  const cjs: TS.CompilerOptions = { ...base, module: ts.ModuleKind.CommonJS };
  const formatOf = (file: string) => (file.endsWith('.mts') ? esm : file.endsWith('.cts') ? cjs : packageType === 'module' ? esm : cjs);
  // Every file read at once, transpiled one by one, and written at once (the reads and writes
  // one after another had the process waiting on the disk for a sixth of the build).
  const wanted = which.under?.map((dir) => resolve(tree, dir) + sep);
  const files = parsed.fileNames.filter((file) => !file.endsWith('.d.ts') && (!wanted || wanted.some((dir) => resolve(file).startsWith(dir))));
  const sources = await Promise.all(files.map((file) => readFile(file, 'utf8')));
  const outputs = files.map((file, i) => {
    const out = ts.transpileModule(sources[i]!, { compilerOptions: formatOf(file), fileName: file, reportDiagnostics: false });
    const target = join(outDir, relative(rootDir, file)).replace(/\.(m|c)?ts$/, (_, k: string | undefined) => `.${k ?? ''}js`);
    return { target, out };
  });
  await Promise.all([...new Set(outputs.map(({ target }) => dirname(target)))].map((dir) => mkdir(dir, { recursive: true })));
  await Promise.all(
    outputs.flatMap(({ target, out }) => [
      writeFile(target, out.outputText),
      ...(out.sourceMapText === undefined ? [] : [writeFile(`${target}.map`, out.sourceMapText)]),
    ]),
  );
  return files.length;
}

/**
 * Builds `tree` (a checkout with node_modules reachable): transpiled, then checked by linking
 * `entries` (paths under the tree, e.g. dist/src/harness/golden/cli.js's modules) in a child
 * Node without running them; on a link failure, `tsc -p` (which emits despite type errors).
 * Says which build it used.
 */
export async function buildTree(tree: string, tsc: string, entries: string[], options: TranspileOptions = {}): Promise<'transpiled' | 'tsc'> {
  const urls = entries.map((entry) => new URL(`file://${resolve(tree, entry)}`).href);
  // Linking a module graph checks every named import against its exports; `import()` of a
  // module that only defines things runs nothing. The entries must be such modules.
  const probe = `for (const u of ${JSON.stringify(urls)}) await import(u);`;
  try {
    await transpileTree(tree, options);
    await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: tree });
    return 'transpiled';
  } catch {
    // Not transpilable (no tsconfig.json, a config it cannot read) or not linking: tsc says why.
    await run(process.execPath, [tsc, '-p', join(tree, 'tsconfig.json')], { cwd: tree, maxBuffer: 64 * 1024 * 1024 }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`does not build: ${(error.stdout ?? '').split('\n').slice(0, 5).join(' ')}`);
      },
    );
    return 'tsc';
  }
}
