#!/usr/bin/env node
// `npm run golden -- <command>`: check, merge, pending, review, accept, reject, record, fidelity, diff, replay.
import { InvalidArgumentError, type Command } from 'commander';
import { realpathSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { InputError, OrchestratorError } from '../../errors.js';
import { isMain, outFile, runTool, userPath, writeJsonOut } from '../tool-cli.js';
import { makeDirectoriesSync } from '../../runtime/make-directories.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { checkPassed, checkScenario, formatCheck, runFileCount } from './check.js';
import { describeDifference } from './compare.js';
import { loadExemptions } from './exemptions.js';
import { haveRedisServer, needsRedisServer } from './cloud-setup.js';
import { checkFidelity } from './fidelity.js';
import { diffAgainstBase, formatScenarioDiff, replayCorpusTo } from './diff-base.js';
import { pendingEntries, settlePending, type PendingEntry } from './pending.js';
import { checkedIdentity, corpusDigest, packageRoot } from './identity.js';
import {
  CHECK_RESULT_VERSION,
  findOrphans,
  mixedShards,
  parseShard,
  planMerge,
  readShardResults,
  selectShard,
  type CheckResult,
  type PendingMode,
  type ScenarioVerdict,
  type ShardSpec,
} from './shard.js';
import { removeRealRun, runScenarioForReal } from './real-run.js';
import { EXPECTED_DIR, TRANSCRIPT_FILE, corpusLabel, listScenarios, loadScenario, selectScenarios, type Scenario } from './scenario.js';
import { replayScenario } from './replay.js';
import type { ReplayedRequest, Transcript } from '../../runtime/transcript-executor.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function configureGoldenProgram(program: Command, setExit: (code: number) => void): void {
  program
    .description('The golden corpus: replay every scenario and compare each output byte with golden/<scenario>/expected/.')
    .option('--corpus <dir>', 'corpus directory (before or after the command)', 'golden')
    // Each command's --help lists --corpus too: it is given before or after the command.
    .configureHelp({ showGlobalOptions: true });
  // The default is the package's own corpus; a --corpus typed from a subfolder is read from there.
  const corpusDir = () =>
    program.getOptionValueSource('corpus') === 'default' ? resolve('golden') : userPath(program.opts<{ corpus: string }>().corpus);
  const label = () => corpusLabel(corpusDir());
  /** ` --corpus <dir>` for a printed command, when not the default. */
  const corpusFlag = () => (corpusDir() === resolve('golden') ? '' : ` --corpus ${shellWord(program.opts<{ corpus: string }>().corpus)}`);

  /** The last lines of a check or merge: the counts and what to do next; returns the exit code. */
  const summarize = (verdicts: ScenarioVerdict[], problems: string[], tail: string, mode: PendingMode | 'mixed', pendingDir: string | null): number => {
    const failed = verdicts.filter((v) => !v.passed).length;
    const files = verdicts.reduce((n, v) => n + v.files, 0);
    const extra = problems.length > 0 ? `, ${problems.length} corpus problem(s)` : '';
    out(`golden: ${verdicts.length - failed} passed, ${failed} failed (${verdicts.length} scenarios, ${files} files${extra}, ${tail})`);
    // What to do next, only where pending files were written (a scenario that failed to load or replay has none).
    const written = verdicts.some((v) => v.pending_written.length > 0);
    const golden = `golden${corpusFlag()}`;
    if (failed > 0 && mode === 'none') {
      err('golden: CI=true, so no pending files were written; run golden check locally to review (or pass --pending-dir <dir> to keep them outside the checkout)');
    } else if (written && mode === 'corpus') {
      err(`golden: review the pending files (${golden} review), then ${golden} accept|reject <scenario>`);
    } else if (written && mode === 'dir' && pendingDir !== null) {
      const dir = shellWord(pendingDir);
      err(`golden: pending files written to ${pendingDir}; review them with ${golden} review --pending-dir ${dir}, then ${golden} accept|reject --pending-dir ${dir} <scenario>`);
    } else if (failed > 0 && mode === 'mixed') {
      err('golden: the shards kept their pending files in different places (the corpus, a --pending-dir, none under CI); each failing scenario above says where');
    }
    return failed > 0 || problems.length > 0 ? 1 : 0;
  };

  program
    .command('check')
    .description(
      'replay scenarios in-process and compare every output byte; a mismatch writes pending *.new files beside the expected ones, or under --pending-dir (with CI=true: only there, else nowhere)',
    )
    .argument('[scenario...]', 'scenarios to check (default: all)')
    .option('--filter <glob>', 'check only the scenarios whose id matches the glob, e.g. exec-* or {exec-*,cloud-*} (a partial run: orphan detection is off)', once('--filter', (value) => value))
    .option(
      '--shard <i/n>',
      'check only shard i of n: the scenario ids sorted, every n-th from the i-th (a partial run; put the shards back together with golden merge)',
      once('--shard', parseShard),
    )
    .option('--out <file>', 'also write the result as JSON (what golden merge reads)', outFile)
    .option('--pending-dir <dir>', 'write pending files under <dir>/<scenario>/ instead of into the corpus, also with CI=true')
    .action(async (names: string[], opts: { filter?: string; shard?: ShardSpec; out?: string; pendingDir?: string }) => {
      const corpus = corpusDir();
      // A result written into the corpus would be part of what the next shard checks.
      if (opts.out !== undefined && isInside(opts.out, corpus)) throw new InputError(`--out: ${opts.out} is inside the corpus ${corpus}; write the result outside it`);
      const pendingDir = pendingDirOf(corpus, opts.pendingDir, 'made');
      // Made up front: a directory that cannot be made is said once, before any replay, never per scenario.
      if (pendingDir !== null) {
        try {
          makeDirectoriesSync(pendingDir);
        } catch (error) {
          const { path, code } = error as { path?: string; code?: string };
          throw new InputError(`--pending-dir: could not create ${path ?? pendingDir}: ${code ?? String(error)}`);
        }
      }
      const all = await listScenarios(corpus);
      // An empty folder would pass as "0 passed, 0 failed": nothing was checked.
      if (all.length === 0) throw new InputError(`${label()} has no scenarios (a scenario is a folder with a scenario.json): nothing to check`);
      let selected: string[];
      if (opts.shard) {
        if (opts.filter !== undefined || names.length > 0) throw new InputError('--shard: cannot be combined with --filter or scenario names (a shard is a slice of the whole corpus)');
        selected = selectShard(all, opts.shard);
      } else if (opts.filter !== undefined) {
        if (names.length > 0) throw new InputError('--filter: cannot be combined with scenario names');
        if (opts.filter.trim() === '') throw new InputError('--filter: give a glob of scenario ids, e.g. exec-*');
        // picomatch makes a glob it cannot read (`[z-a]*`) into a pattern that matches nothing.
        if (picomatch.makeRe(opts.filter).source === '$^') throw new InputError(`--filter: '${opts.filter}' is not a glob picomatch can read`);
        const matches = picomatch(opts.filter);
        selected = all.filter((name) => matches(name));
        if (selected.length === 0) throw new InputError(`--filter: '${opts.filter}' matches no scenario in ${label()}`);
      } else {
        selected = await selectScenarios(corpus, names);
      }
      const partial = opts.shard !== undefined || opts.filter !== undefined || names.length > 0;
      const mode: PendingMode = pendingDir ? 'dir' : isCi() ? 'none' : 'corpus';
      const started = performance.now();
      // What this check checks, for golden merge (taken before any pending file is written; those do not count).
      const checked = opts.out === undefined ? null : await checkedIdentity(packageRoot(import.meta.url), corpus);
      const exemptions = await loadExemptions(corpus);
      const problems = partial ? null : await findOrphans(corpus, label());
      for (const problem of problems ?? []) err(problem);
      const verdicts: ScenarioVerdict[] = [];
      for (const name of selected) {
        const result = await checkScenario(corpus, name, { writePending: mode !== 'none', pendingDir, exemptions });
        const lines = formatCheck(result, label(), pendingDir && opts.pendingDir !== undefined ? shellWord(opts.pendingDir) : undefined, `golden${corpusFlag()}`);
        const passed = checkPassed(result);
        (passed ? out : err)(lines.join('\n'));
        verdicts.push({ name, passed, files: runFileCount(result), lines, pending_written: result.pendingWritten });
      }
      if (partial) {
        const how = opts.shard ? `shard ${opts.shard.index}/${opts.shard.count}` : opts.filter !== undefined ? `--filter ${opts.filter}` : 'named scenarios';
        out(
          `golden: partial run (${selected.length} of ${all.length} scenarios, ${how}): orphan detection is off (exemptions for unknown scenarios, directories without scenario.json); the full check or golden merge of every shard does it`,
        );
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const code = summarize(verdicts, problems ?? [], `${seconds}s`, mode, opts.pendingDir ?? null);
      if (checked !== null) {
        const result: CheckResult = {
          tool: 'golden check',
          version: CHECK_RESULT_VERSION,
          checked,
          shard: opts.shard ?? null,
          filter: opts.filter ?? null,
          partial,
          pending: mode,
          pending_dir: pendingDir ? (opts.pendingDir ?? null) : null,
          scenarios: verdicts,
          corpus_problems: problems,
        };
        writeJsonOut(opts.out, { ...result, passed: verdicts.filter((v) => v.passed).length, failed: verdicts.filter((v) => !v.passed).length, exit: code });
      }
      setExit(code);
    });

  program
    .command('merge')
    .description(
      'put the results of golden check --shard i/n --out <file> back together: every scenario of the corpus must have run exactly once across the shards (else exit 1 with the names); prints the verdict and exits as one unsharded check would',
    )
    .argument('<file...>', 'shard results (golden check --shard i/n --out <file>), all from the same code and corpus')
    .action(async (given: string[]) => {
      const corpus = corpusDir();
      if (given.some((file) => file.trim() === '')) throw new InputError('merge: an empty file name; give the shard results (golden check --shard i/n --out <file>)');
      const files = given.map((file) => userPath(file));
      const results = readShardResults(files);
      // Shards of different code or corpora would add up to a verdict no single check gives.
      const mixed = mixedShards(given, results, await corpusDigest(corpus), label());
      const plan = planMerge(await listScenarios(corpus), results);
      const incomplete = [
        plan.missing.length > 0 ? `did not run: ${plan.missing.join(', ')}` : '',
        plan.duplicated.length > 0 ? `ran more than once: ${plan.duplicated.join(', ')}` : '',
        plan.unknown.length > 0 ? `ran but are not in ${label()}: ${plan.unknown.join(', ')}` : '',
      ].filter(Boolean);
      if (mixed.length > 0 || incomplete.length > 0) {
        for (const line of mixed) err(`golden merge: ${line}`);
        for (const line of incomplete) err(`golden merge: scenarios that ${line}`);
        err(
          mixed.length > 0
            ? `golden merge: run every shard on the same checkout (code and ${label()}); no verdict`
            : `golden merge: the ${files.length} shard result(s) do not cover ${label()} exactly once; no verdict`,
        );
        setExit(1);
        return;
      }
      const problems = await findOrphans(corpus, label());
      for (const problem of problems) err(problem);
      for (const verdict of plan.verdicts) (verdict.passed ? out : err)(verdict.lines.join('\n'));
      const first = results[0]!;
      const same = results.every((r) => r.pending === first.pending && r.pending_dir === first.pending_dir);
      setExit(summarize(plan.verdicts, problems, `merged from ${files.length} shard(s)`, same ? first.pending : 'mixed', first.pending_dir));
    });

  program
    .command('pending')
    .description('list pending entries: scenario, kind (new: no expected file yet; changed; orphan: an expected file no longer produced) and file')
    .argument('[scenario...]', 'scenarios (default: all)')
    .option('--json', 'print the entries as JSON')
    .option('--pending-dir <dir>', 'the pending files are under <dir>/<scenario>/ (as golden check --pending-dir wrote them)')
    .action(async (names: string[], opts: { json?: boolean; pendingDir?: string }) => {
      const corpus = corpusDir();
      const pendingDir = pendingDirOf(corpus, opts.pendingDir, 'there');
      const entries: PendingEntry[] = [];
      for (const name of await selectScenarios(corpus, names)) entries.push(...(await pendingEntries(join(corpus, name), name, pendingDir)));
      if (opts.json) {
        out(JSON.stringify({ corpus, pending_dir: pendingDir, entries }, null, 2));
      } else {
        for (const entry of entries) out(`${entry.scenario}  ${entry.kind.padEnd(8)} ${entry.file}`);
        const review = `golden${corpusFlag()} review${opts.pendingDir !== undefined ? ` --pending-dir ${shellWord(opts.pendingDir)}` : ''}`;
        out(entries.length === 0 ? 'golden: nothing pending' : `golden: ${entries.length} pending entries; ${review} shows them`);
      }
      setExit(0);
    });

  program
    .command('review')
    .description('print each pending change (by JSON path for JSON and NDJSON files) and the exact commands that accept or reject it')
    .argument('[scenario...]', 'scenarios (default: all)')
    .option('--pending-dir <dir>', 'the pending files are under <dir>/<scenario>/ (as golden check --pending-dir wrote them)')
    .action(async (names: string[], opts: { pendingDir?: string }) => {
      const corpus = corpusDir();
      const pendingDir = pendingDirOf(corpus, opts.pendingDir, 'there');
      let count = 0;
      for (const name of await selectScenarios(corpus, names)) {
        const entries = await pendingEntries(join(corpus, name), name, pendingDir);
        if (entries.length === 0) continue;
        out(`${name}: ${entries.length} pending file(s)`);
        for (const entry of entries) out((await reviewEntry(join(corpus, name), entry)).join('\n'));
        const command = (how: string) => `npm run golden --${corpusFlag()} ${how}${opts.pendingDir ? ` --pending-dir ${shellWord(opts.pendingDir)}` : ''} ${name}`;
        out(`  accept: ${command('accept')}`);
        out(`  reject: ${command('reject')}`);
        count += entries.length;
      }
      out(count === 0 ? 'golden: nothing pending' : `golden: ${count} pending file(s); accept or reject them with the commands above`);
      setExit(0);
    });

  for (const how of ['accept', 'reject'] as const) {
    const command = program
      .command(how)
      .description(how === 'accept' ? 'make pending files the expected ones (default: every scenario)' : 'delete pending files (default: every scenario)')
      .argument('[scenario...]', 'scenarios (default: all with pending files)')
      .option('--pending-dir <dir>', 'the pending files are under <dir>/<scenario>/ (as golden check --pending-dir wrote them)');
    if (how === 'accept') command.option('--only-new', 'accept only new files (and so new scenarios); changed and orphan entries stay pending and are listed');
    command.action(async (names: string[], opts: { pendingDir?: string; onlyNew?: boolean }) => {
      const corpus = corpusDir();
      const pendingDir = pendingDirOf(corpus, opts.pendingDir, 'there');
      let count = 0;
      let kept = 0;
      let keptNew = 0;
      for (const name of await selectScenarios(corpus, names)) {
        const settled = await settlePending(join(corpus, name), name, how, { pendingDir, onlyNew: opts.onlyNew === true });
        for (const line of settled.done) out(`${name}: ${line}`);
        for (const entry of settled.kept) out(`${name}: still pending (${entry.kind}): ${entry.file}`);
        count += settled.done.length;
        kept += settled.kept.length;
        keptNew += settled.kept.filter((entry) => entry.kind === 'new').length;
      }
      out(
        `golden: ${how}ed ${count} pending file(s)${kept > 0 ? `; ${kept} still pending (${keptNew > 0 ? 'not new, or new where one still pending is in the way' : 'not new'}: review them, then golden accept without --only-new)` : ''}`,
      );
      setExit(0);
    });
  }

  program
    .command('record')
    .description("run a scenario's commands for real and write its transcript.json (output, exits and each child's request)")
    .argument('<scenario...>', 'scenarios to record')
    .option(
      '--requests-only',
      "re-capture only each stage run's request (cwd, env) and keep the recorded output, so expected files do not move; a hand-written transcript takes the requests its replay makes",
    )
    .action(async (names: string[], opts: { requestsOnly?: boolean }) => {
      const corpus = corpusDir();
      for (const name of await selectScenarios(corpus, names)) {
        const loaded = await loadScenario(corpus, name);
        const target = join(loaded.dir, TRANSCRIPT_FILE);
        if (opts.requestsOnly) {
          const fresh = loaded.scenario.recordable ? await recordedRequests(loaded.scenario) : (await replayScenario(loaded.scenario, loaded.transcript)).requests;
          const transcript = withRequests(loaded.transcript, fresh, name);
          await writeFile(target, `${JSON.stringify(transcript, null, 2)}\n`);
          out(`${name}: recorded ${fresh.length} request(s) into ${label()}/${name}/${TRANSCRIPT_FILE}${loaded.scenario.recordable ? '' : ' (from its replay: the transcript is hand-written)'}`);
          continue;
        }
        if (!loaded.scenario.recordable) throw new OrchestratorError(`${name}: not recordable (its transcript is written by hand: "recordable": false)`, 2);
        const real = await runScenarioForReal(loaded.scenario);
        await writeFile(target, `${JSON.stringify(real.transcript, null, 2)}\n`);
        await removeRealRun(real);
        const stages = Object.values(real.transcript.stages).reduce((n, list) => n + list.length, 0);
        out(`${name}: recorded ${stages} stage run(s) into ${label()}/${name}/${TRANSCRIPT_FILE} (exit codes ${real.exitCodes.join(', ')})`);
      }
      setExit(0);
    });

  program
    .command('fidelity')
    .description('run each recordable scenario for real and check its outputs equal the replay of what it did (ignoring times, durations, ids)')
    .argument('[scenario...]', 'scenarios (default: all recordable)')
    .action(async (names: string[]) => {
      const corpus = corpusDir();
      let failed = 0;
      let checked = 0;
      for (const name of await selectScenarios(corpus, names)) {
        const loaded = await loadScenario(corpus, name);
        if (!loaded.scenario.recordable) {
          out(`skip ${name} (not recordable)`);
          continue;
        }
        if (needsRedisServer(loaded.scenario.cloud) && !haveRedisServer()) {
          out(`skip ${name} (a cloud scenario: its real run needs redis-server, which is not installed)`);
          continue;
        }
        checked += 1;
        const real = await runScenarioForReal(loaded.scenario);
        try {
          const differences = await checkFidelity(real, loaded.scenario);
          if (differences.length === 0) {
            out(`ok   ${name}`);
            continue;
          }
          failed += 1;
          err(`FAIL ${name}: the replay differs from the real run`);
          for (const d of differences) {
            err(`  ${d.file} (${d.kind})`);
            for (const detail of d.details) err(`      ${detail}`);
          }
        } finally {
          await removeRealRun(real);
        }
      }
      out(`golden fidelity: ${checked - failed} passed, ${failed} failed`);
      setExit(failed > 0 ? 1 : 0);
    });

  program
    .command('diff')
    .description('replay the corpus with the code at --base and with the working tree; print what changed per scenario')
    .requiredOption('--base <ref>', 'git ref to compare against')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { base: string; json?: boolean }) => {
      const results = await diffAgainstBase({ repo: process.cwd(), corpus: corpusDir(), base: opts.base, log: err });
      if (opts.json) {
        out(JSON.stringify({ base: opts.base, scenarios: results }, null, 2));
      } else {
        for (const result of results) out(formatScenarioDiff(result).join('\n'));
        const changed = results.filter((r) => r.differences.length > 0 || r.error).length;
        out(`golden diff: ${changed} of ${results.length} scenarios changed against ${opts.base}`);
      }
      setExit(0);
    });

  program
    .command('replay')
    .description('write every scenario\'s replay outputs under --out (used by golden diff on a base ref)')
    .requiredOption('--out <dir>', 'output directory, outside the corpus (each scenario\'s outputs under <dir>/<scenario>/outputs/)')
    .action(async (opts: { out: string }) => {
      const corpus = corpusDir();
      if (opts.out.trim() === '') throw new InputError('--out: empty; give a directory outside the corpus, e.g. /tmp/golden-replay');
      const dir = userPath(opts.out);
      refuseInside('--out', opts.out, dir, corpus);
      if (isInside(corpus, dir)) throw new InputError(`--out: ${opts.out} holds the corpus ${corpus}; give a directory outside it`);
      await replayCorpusTo(corpus, dir);
      setExit(0);
    });

}

/** A commander option parser that refuses the option given twice (the last one would silently win). */
function once<T>(flag: string, parse: (value: string) => T): (value: string, previous: T | undefined) => T {
  return (value, previous) => {
    if (previous !== undefined) throw new InvalidArgumentError(`${flag} is given twice; give it once${flag === '--filter' ? " (one glob can name several: '{exec-*,cloud-*}')" : ''}`);
    return parse(value);
  };
}

/** `path` with every link resolved, as far as it exists (the rest appended as written). */
function realPathOf(path: string): string {
  const rest: string[] = [];
  for (let head = path; ; head = dirname(head)) {
    try {
      return join(realpathSync(head), ...rest);
    } catch {
      if (dirname(head) === head) return path;
      rest.unshift(basename(head));
    }
  }
}

/** `dir` is `root` or under it, as written or through a symbolic link. */
function isInside(dir: string, root: string): boolean {
  const under = (a: string, b: string) => a === b || a.startsWith(`${b}${sep}`);
  return under(dir, root) || under(realPathOf(dir), realPathOf(root));
}

function refuseInside(flag: string, value: string, dir: string, corpus: string): void {
  if (isInside(dir, corpus)) throw new InputError(`${flag}: ${value} is inside the corpus ${corpus}; give a directory outside it`);
}

/**
 * The resolved --pending-dir; one inside the corpus, also through a link, is refused (pending
 * files never go into golden/ that way). `check` makes it (`made`); the commands that read it
 * (`there`) refuse one that does not exist, which would look like nothing pending.
 */
function pendingDirOf(corpus: string, value: string | undefined, need: 'made' | 'there'): string | null {
  if (value === undefined) return null;
  // An empty value would resolve to the current directory and spill the pending files there.
  if (value.trim() === '') throw new InputError('--pending-dir: empty; give a directory outside the corpus, e.g. /tmp/golden-pending');
  const dir = userPath(value);
  refuseInside('--pending-dir', value, dir, corpus);
  // A file there would fail each scenario's pending write, and the check would still say where they went.
  let info: ReturnType<typeof statSync> | undefined;
  try {
    info = statSync(dir);
  } catch {
    info = undefined; // not there (or under a file): making it says why, for check
  }
  if (info && !info.isDirectory()) throw new InputError(`--pending-dir: ${value} is not a directory`);
  if (!info && need === 'there') throw new InputError(`--pending-dir: ${value} does not exist (golden check --pending-dir <dir> writes the pending files there)`);
  return dir;
}

/** A path as one shell word in a printed command. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

const REVIEW_NEW_LINES = 12;

/** One pending entry for a reviewer: its kind and file, then what it changes. */
async function reviewEntry(scenarioDir: string, entry: PendingEntry): Promise<string[]> {
  const lines = [`  ${entry.kind.padEnd(8)} ${entry.file}`];
  if (entry.kind === 'orphan') {
    lines.push('      the scenario no longer produces this expected file; accept deletes it');
  } else {
    const pending = await readFile(entry.pending);
    if (entry.kind === 'changed') {
      const expected = await readFile(join(scenarioDir, EXPECTED_DIR, entry.file));
      for (const detail of describeDifference(entry.file, expected, pending)) lines.push(`      ${detail}`);
    } else {
      const text = pending.toString('utf8').split('\n');
      if (text.at(-1) === '') text.pop();
      lines.push(`      new file, ${pending.length} bytes${text.length > REVIEW_NEW_LINES ? `, first ${REVIEW_NEW_LINES} of ${text.length} lines` : ''}:`);
      for (const line of text.slice(0, REVIEW_NEW_LINES)) lines.push(`      + ${line}`);
    }
  }
  lines.push(`      pending: ${entry.pending}`);
  return lines;
}

async function recordedRequests(scenario: Scenario): Promise<ReplayedRequest[]> {
  const real = await runScenarioForReal(scenario);
  try {
    return real.requests;
  } finally {
    await removeRealRun(real);
  }
}

/** The transcript with each stage run's request replaced; the stage runs must match one to one. */
function withRequests(transcript: Transcript, requests: ReplayedRequest[], name: string): Transcript {
  const next = structuredClone(transcript);
  const recorded = Object.values(next.stages).reduce((n, list) => n + list.length, 0);
  if (recorded !== requests.length) {
    throw new OrchestratorError(`${name}: the run started ${requests.length} stage run(s) but the transcript has ${recorded}; record it whole (without --requests-only)`, 1);
  }
  for (const { stage, n, request } of requests) {
    const invocation = next.stages[stage]?.[n - 1];
    if (!invocation) throw new OrchestratorError(`${name}: the run started ${stage} #${n}, which the transcript does not have; record it whole`, 1);
    next.stages[stage]![n - 1] = { request, ...Object.fromEntries(Object.entries(invocation).filter(([key]) => key !== 'request')) } as typeof invocation;
  }
  return next;
}

export function runGoldenCli(argv: string[]): Promise<number> {
  return runTool('golden', argv, configureGoldenProgram);
}

if (isMain(import.meta.url)) {
  refuseStaleDist('golden', import.meta.url);
  // No top-level await: the bundle is a classic script (scripts/bundle-bin.mjs).
  exitWhenSettled('golden', runGoldenCli(process.argv.slice(2)));
}
