#!/usr/bin/env node
// `npm run golden -- <command>`: check, merge, pending, review, accept, reject, record, fidelity, diff, replay.
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { InputError, OrchestratorError } from '../../errors.js';
import { isMain, outFile, runTool, writeJsonOut } from '../tool-cli.js';
import { makeDirectoriesSync } from '../../runtime/make-directories.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { checkPassed, checkScenario, formatCheck } from './check.js';
import { describeDifference } from './compare.js';
import { loadExemptions } from './exemptions.js';
import { haveRedisServer, needsRedisServer } from './cloud-setup.js';
import { checkFidelity } from './fidelity.js';
import { diffAgainstBase, formatScenarioDiff, replayCorpusTo } from './diff-base.js';
import { pendingEntries, settlePending, type PendingEntry } from './pending.js';
import { findOrphans, parseShard, planMerge, readShardResults, selectShard, type CheckResult, type PendingMode, type ScenarioVerdict, type ShardSpec } from './shard.js';
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
    .option('--corpus <dir>', 'corpus directory', 'golden');
  const corpusDir = () => resolve(program.opts<{ corpus: string }>().corpus);
  const label = () => corpusLabel(corpusDir());
  /** ` --corpus <dir>` for a printed command, when not the default. */
  const corpusFlag = () => (corpusDir() === resolve('golden') ? '' : ` --corpus ${shellWord(program.opts<{ corpus: string }>().corpus)}`);

  /** The last lines of a check or merge: the counts and what to do next; returns the exit code. */
  const summarize = (verdicts: ScenarioVerdict[], problems: string[], tail: string, mode: PendingMode, pendingDir: string | null): number => {
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
    }
    return failed > 0 || problems.length > 0 ? 1 : 0;
  };

  program
    .command('check')
    .description(
      'replay scenarios in-process and compare every output byte; a mismatch writes pending *.new files beside the expected ones, or under --pending-dir (with CI=true: only there, else nowhere)',
    )
    .argument('[scenario...]', 'scenarios to check (default: all)')
    .option('--filter <glob>', 'check only the scenarios whose id matches the glob (a partial run: orphan detection is off)')
    .option('--shard <i/n>', 'check only shard i of n: the scenario ids sorted, every n-th from the i-th (a partial run; put the shards back together with golden merge)', parseShard)
    .option('--out <file>', 'also write the result as JSON (what golden merge reads)', outFile)
    .option('--pending-dir <dir>', 'write pending files under <dir>/<scenario>/ instead of into the corpus, also with CI=true')
    .action(async (names: string[], opts: { filter?: string; shard?: ShardSpec; out?: string; pendingDir?: string }) => {
      const corpus = corpusDir();
      const pendingDir = pendingDirOf(corpus, opts.pendingDir);
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
      let selected: string[];
      if (opts.shard) {
        if (opts.filter !== undefined || names.length > 0) throw new InputError('--shard: cannot be combined with --filter or scenario names (a shard is a slice of the whole corpus)');
        selected = selectShard(all, opts.shard);
      } else if (opts.filter !== undefined) {
        if (names.length > 0) throw new InputError('--filter: cannot be combined with scenario names');
        if (opts.filter.trim() === '') throw new InputError('--filter: give a glob of scenario ids, e.g. exec-*');
        const matches = picomatch(opts.filter);
        selected = all.filter((name) => matches(name));
        if (selected.length === 0) throw new InputError(`--filter: '${opts.filter}' matches no scenario in ${label()}`);
      } else {
        selected = await selectScenarios(corpus, names);
      }
      const partial = opts.shard !== undefined || opts.filter !== undefined || names.length > 0;
      const mode: PendingMode = pendingDir ? 'dir' : isCi() ? 'none' : 'corpus';
      const started = performance.now();
      const exemptions = await loadExemptions(corpus);
      const problems = partial ? null : await findOrphans(corpus, label());
      for (const problem of problems ?? []) err(problem);
      const verdicts: ScenarioVerdict[] = [];
      for (const name of selected) {
        const result = await checkScenario(corpus, name, { writePending: mode !== 'none', pendingDir, exemptions });
        const lines = formatCheck(result, label(), pendingDir && opts.pendingDir !== undefined ? shellWord(opts.pendingDir) : undefined, `golden${corpusFlag()}`);
        const passed = checkPassed(result);
        (passed ? out : err)(lines.join('\n'));
        verdicts.push({ name, passed, files: result.replay?.outputs.size ?? 0, lines, pending_written: result.pendingWritten });
      }
      if (partial) {
        const how = opts.shard ? `shard ${opts.shard.index}/${opts.shard.count}` : opts.filter !== undefined ? `--filter ${opts.filter}` : 'named scenarios';
        out(
          `golden: partial run (${selected.length} of ${all.length} scenarios, ${how}): orphan detection is off (exemptions for unknown scenarios, directories without scenario.json); the full check or golden merge of every shard does it`,
        );
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const code = summarize(verdicts, problems ?? [], `${seconds}s`, mode, opts.pendingDir ?? null);
      const result: CheckResult = {
        tool: 'golden check',
        version: 1,
        shard: opts.shard ?? null,
        filter: opts.filter ?? null,
        partial,
        pending: mode,
        pending_dir: pendingDir ? (opts.pendingDir ?? null) : null,
        scenarios: verdicts,
        corpus_problems: problems,
      };
      writeJsonOut(opts.out, { ...result, passed: verdicts.filter((v) => v.passed).length, failed: verdicts.filter((v) => !v.passed).length, exit: code });
      setExit(code);
    });

  program
    .command('merge')
    .description(
      'put the results of golden check --shard i/n --out <file> back together: every scenario of the corpus must have run exactly once across the shards (else exit 1 with the names); prints the verdict and exits as one unsharded check would',
    )
    .argument('<file...>', 'shard results (golden check --shard i/n --out <file>)')
    .action(async (files: string[]) => {
      const corpus = corpusDir();
      const results = readShardResults(files);
      const plan = planMerge(await listScenarios(corpus), results);
      const incomplete = [
        plan.missing.length > 0 ? `did not run: ${plan.missing.join(', ')}` : '',
        plan.duplicated.length > 0 ? `ran more than once: ${plan.duplicated.join(', ')}` : '',
        plan.unknown.length > 0 ? `ran but are not in ${label()}: ${plan.unknown.join(', ')}` : '',
      ].filter(Boolean);
      if (incomplete.length > 0) {
        for (const line of incomplete) err(`golden merge: scenarios that ${line}`);
        err(`golden merge: the ${files.length} shard result(s) do not cover ${label()} exactly once; no verdict`);
        setExit(1);
        return;
      }
      const problems = await findOrphans(corpus, label());
      for (const problem of problems) err(problem);
      for (const verdict of plan.verdicts) (verdict.passed ? out : err)(verdict.lines.join('\n'));
      const first = results[0]!;
      setExit(summarize(plan.verdicts, problems, `merged from ${files.length} shard(s)`, first.pending, first.pending_dir));
    });

  program
    .command('pending')
    .description('list pending entries: scenario, kind (new: no expected file yet; changed; orphan: an expected file no longer produced) and file')
    .argument('[scenario...]', 'scenarios (default: all)')
    .option('--json', 'print the entries as JSON')
    .option('--pending-dir <dir>', 'the pending files are under <dir>/<scenario>/ (as golden check --pending-dir wrote them)')
    .action(async (names: string[], opts: { json?: boolean; pendingDir?: string }) => {
      const corpus = corpusDir();
      const pendingDir = pendingDirOf(corpus, opts.pendingDir);
      const entries: PendingEntry[] = [];
      for (const name of await selectScenarios(corpus, names)) entries.push(...(await pendingEntries(join(corpus, name), name, pendingDir)));
      if (opts.json) {
        out(JSON.stringify({ corpus, pending_dir: pendingDir, entries }, null, 2));
      } else {
        for (const entry of entries) out(`${entry.scenario}  ${entry.kind.padEnd(8)} ${entry.file}`);
        out(entries.length === 0 ? 'golden: nothing pending' : `golden: ${entries.length} pending entries; golden review shows them`);
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
      const pendingDir = pendingDirOf(corpus, opts.pendingDir);
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
      const pendingDir = pendingDirOf(corpus, opts.pendingDir);
      let count = 0;
      let kept = 0;
      for (const name of await selectScenarios(corpus, names)) {
        const settled = await settlePending(join(corpus, name), name, how, { pendingDir, onlyNew: opts.onlyNew === true });
        for (const line of settled.done) out(`${name}: ${line}`);
        for (const entry of settled.kept) out(`${name}: still pending (${entry.kind}): ${entry.file}`);
        count += settled.done.length;
        kept += settled.kept.length;
      }
      out(`golden: ${how}ed ${count} pending file(s)${kept > 0 ? `; ${kept} still pending (not new: review them, then golden accept without --only-new)` : ''}`);
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
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { out: string }) => {
      await replayCorpusTo(corpusDir(), resolve(opts.out));
      setExit(0);
    });

}

/** The resolved --pending-dir; one inside the corpus is refused (pending files never go into golden/ that way). */
function pendingDirOf(corpus: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  // An empty value would resolve to the current directory and spill the pending files there.
  if (value.trim() === '') throw new InputError('--pending-dir: empty; give a directory outside the corpus, e.g. /tmp/golden-pending');
  const dir = resolve(value);
  if (dir === corpus || dir.startsWith(`${corpus}${sep}`)) throw new InputError(`--pending-dir: ${value} is inside the corpus ${corpus}; give a directory outside it`);
  // A file there would fail each scenario's pending write, and the check would still say where they went.
  let info: ReturnType<typeof statSync> | undefined;
  try {
    info = statSync(dir);
  } catch {
    info = undefined; // not there (or under a file): making it says why, for check
  }
  if (info && !info.isDirectory()) throw new InputError(`--pending-dir: ${value} is not a directory`);
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
