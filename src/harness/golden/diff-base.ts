// `golden diff --base <ref>`: replays the corpus with the code at <ref> (its files written
// out into a temporary directory and built there, src/harness/build/checkout.ts) and with the
// working tree, and shows what changed per scenario — the reviewer's view of a phase.
import { checkoutCommit } from '../build/checkout.js';
import { killTracked, runTracked as run } from '../build/children.js';
import { buildTree } from '../build/transpile-tree.js';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError, errorMessage } from '../../errors.js';
import { BUILD_STAMP } from '../fresh-dist.js';
import { compareOutputs, type FileDifference } from './compare.js';
import { readTree } from './files.js';
import { replayScenario } from './replay.js';
import { listScenarios, loadScenario } from './scenario.js';


/**
 * A scenario's difference. `error`: the working tree cannot replay it. `baseError`: only the
 * base cannot (a scenario newer than the base's code): every output it has now is added.
 */
export type ScenarioDiff = { name: string; differences: FileDifference[]; error: string | null; baseError?: string };

/** Writes every scenario's replay outputs under `<out>/<scenario>/` (what a base ref is asked to do). */
export async function replayCorpusTo(corpus: string, out: string): Promise<void> {
  for (const name of await listScenarios(corpus)) {
    const dir = join(out, name);
    try {
      const loaded = await loadScenario(corpus, name);
      const replay = await replayScenario(loaded.scenario, loaded.transcript);
      for (const [file, data] of replay.outputs) {
        await mkdir(dirname(join(dir, 'outputs', file)), { recursive: true });
        await writeFile(join(dir, 'outputs', file), data);
      }
    } catch (error) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'error.txt'), error instanceof Error ? error.message : String(error));
    }
  }
}

async function readReplayDir(dir: string): Promise<{ outputs: Map<string, Buffer>; error: string | null }> {
  if (existsSync(join(dir, 'error.txt'))) return { outputs: new Map(), error: await readFile(join(dir, 'error.txt'), 'utf8') };
  return { outputs: await readTree(join(dir, 'outputs')), error: null };
}

/** Modules of the base that define things and run nothing: linking them checks its build. */
const BASE_ENTRIES = ['dist/src/cli/run-cli.js', 'dist/src/harness/golden/replay.js'];

export async function diffAgainstBase(options: { repo: string; corpus: string; base: string; log: (line: string) => void }): Promise<ScenarioDiff[]> {
  const { repo, corpus, base, log } = options;
  let sha: string;
  try {
    sha = (await run('git', ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { cwd: repo })).stdout.trim();
  } catch {
    throw new InputError(`--base: '${base}' does not name a commit in ${repo}`);
  }
  const work = await mkdtemp(join(tmpdir(), 'golden-base-'));
  const tree = join(work, 'tree');
  // Stopped (Ctrl-C, a CI job cancelled), the finally below would not run: the base's tree,
  // megabytes, would stay in the temporary directory. The children that write into it (git
  // archive, tar, tsc, the base's replay) are ended first, then it is removed, then the
  // signal's own exit, whatever the removal met.
  const onSignal = (signal: NodeJS.Signals) => {
    killTracked();
    try {
      rmSync(work, { recursive: true, force: true, maxRetries: 20, retryDelay: 25 });
    } catch (error) {
      process.stderr.write(`golden diff: stopped by ${signal}; could not remove ${work}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}\n`);
    }
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, onSignal);
  try {
    log(`golden diff: building ${base} (${sha.slice(0, 12)}) in a temporary directory`);
    await mkdir(tree);
    await checkoutCommit(repo, sha, tree);
    await symlink(join(repo, 'node_modules'), join(tree, 'node_modules'), 'dir');
    // Transpiled file by file (its types were checked when it landed), only src/ (what the
    // replay runs); `tsc` if that does not link.
    const how = await buildTree(tree, join(repo, 'node_modules/typescript/bin/tsc'), BASE_ENTRIES, { under: ['src'] }).catch((error: Error) => {
      throw new Error(`the code at ${base} ${error.message}`);
    });
    if (how === 'tsc') log(`golden diff: ${base} did not link transpiled file by file: built with tsc`);
    // The build's stamp, as `npm run build` writes it: the base's tools check it (fresh-dist.ts).
    writeFileSync(join(tree, 'dist', BUILD_STAMP), `${new Date().toISOString()}\n`);
    const baseCli = join(tree, 'dist/src/harness/golden/cli.js');
    if (!existsSync(baseCli)) throw new InputError(`--base: the code at '${base}' has no golden replay (dist/src/harness/golden/cli.js)`);
    // Side by side: the base replays in a process of its own while this one replays the working
    // tree (each took about 2.5 s of the review's 8 s, one after the other).
    log(`golden diff: replaying the corpus with ${base} and with the working tree, side by side`);
    const baseOut = join(work, 'base');
    const headOut = join(work, 'head');
    const replays = await Promise.allSettled([replayAtBase({ baseCli, tree, corpus, out: baseOut, work, base, log }), replayCorpusTo(corpus, headOut)]);
    for (const replay of replays) if (replay.status === 'rejected') throw replay.reason;
    const results: ScenarioDiff[] = [];
    for (const name of await listScenarios(corpus)) {
      const before = await readReplayDir(join(baseOut, name));
      const after = await readReplayDir(join(headOut, name));
      if (after.error !== null) results.push({ name, differences: [], error: after.error });
      else if (before.error !== null)
        results.push({ name, differences: compareOutputs(new Map(), after.outputs), error: null, baseError: `at ${base}: ${before.error}` });
      else results.push({ name, differences: compareOutputs(before.outputs, after.outputs), error: null });
    }
    return results;
  } finally {
    for (const signal of signals) process.removeListener(signal, onSignal);
    await rm(work, { recursive: true, force: true });
  }
}

/** How long the base's replay of the whole corpus may take (it takes seconds), then of one scenario. */
export const BASE_REPLAY_LIMIT_MS = { corpus: 60_000, scenario: 10_000 };

/**
 * The base's code replays the corpus. It is old code, and a scenario made for newer code may
 * make it wait forever (a cloud scenario's Redis URL, which the base tries to reach): the
 * corpus is replayed at once within a limit, and when that limit is hit, scenario by scenario
 * within a limit each, so one that never ends is reported as such and the others still diff.
 */
async function replayAtBase(options: { baseCli: string; tree: string; corpus: string; out: string; work: string; base: string; log: (line: string) => void }) {
  const { baseCli, tree, corpus, out, work, base, log } = options;
  const replay = (from: string, to: string, timeout: number) =>
    run(process.execPath, [baseCli, 'replay', '--corpus', from, '--out', to], { cwd: tree, maxBuffer: 64 * 1024 * 1024, timeout, killSignal: 'SIGKILL' });
  try {
    await replay(corpus, out, BASE_REPLAY_LIMIT_MS.corpus);
    return;
  } catch (error) {
    if (!(error as { killed?: boolean }).killed) throw baseReplayFailure(base, error);
    log(`golden diff: the replay at ${base} did not finish within ${BASE_REPLAY_LIMIT_MS.corpus / 1000} s; replaying scenario by scenario`);
  }
  await rm(out, { recursive: true, force: true });
  for (const name of await listScenarios(corpus)) {
    const single = join(work, 'single', name);
    await mkdir(single, { recursive: true });
    await cp(join(corpus, name), join(single, name), { recursive: true });
    try {
      await replay(single, out, BASE_REPLAY_LIMIT_MS.scenario);
    } catch (error) {
      if (!(error as { killed?: boolean }).killed) throw baseReplayFailure(base, error);
      await mkdir(join(out, name), { recursive: true });
      await writeFile(join(out, name, 'error.txt'), `the replay did not finish within ${BASE_REPLAY_LIMIT_MS.scenario / 1000} s`);
      log(`golden diff: ${name}: the replay at ${base} did not finish within ${BASE_REPLAY_LIMIT_MS.scenario / 1000} s`);
    }
  }
}

/**
 * The base's replay process failed: one line, never its stack. A package the base needs and
 * this checkout does not install (the base shares this checkout's node_modules) is named.
 */
export function baseReplayFailure(base: string, error: unknown): Error {
  const { stderr, code } = error as { stderr?: string; code?: unknown };
  const text = typeof stderr === 'string' ? stderr : '';
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(text)?.[1];
  if (missing !== undefined) return new Error(`the code at ${base} needs '${missing}', which this checkout does not install: its golden replay cannot run here`);
  // The thrown error's own line (`Error: …`), else the last line said.
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('at ') && !line.startsWith('Node.js v'));
  const said = lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines.at(-1) ?? (error instanceof Error ? error.message.split('\n')[0] : String(error));
  return new Error(`the replay at ${base} failed${typeof code === 'number' ? ` (exit ${code})` : ''}: ${said}`);
}

export function formatScenarioDiff(diff: ScenarioDiff): string[] {
  if (diff.error) return [`${diff.name}: error: ${diff.error}`];
  if (diff.differences.length === 0) return [`${diff.name}: unchanged`];
  const lines = [`${diff.name}: ${diff.differences.length} file(s) changed`];
  if (diff.baseError) lines.push(`  new since the base: its code cannot replay it (${diff.baseError})`);
  for (const d of diff.differences) {
    const what = d.kind === 'changed' ? 'changed' : d.kind === 'new' ? 'added' : 'removed';
    lines.push(`  ${what}: ${d.file}`);
    if (d.kind === 'changed') for (const detail of d.details) lines.push(`      ${detail}`);
  }
  return lines;
}
