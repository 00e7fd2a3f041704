#!/usr/bin/env node
// `npm run golden -- <command>`: check, review, accept, reject, record, fidelity, diff, replay.
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { OrchestratorError } from '../../errors.js';
import { isMain, runTool } from '../tool-cli.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { checkPassed, checkScenario, formatCheck } from './check.js';
import { EXEMPTIONS_FILE, loadExemptions } from './exemptions.js';
import { checkFidelity } from './fidelity.js';
import { diffAgainstBase, formatScenarioDiff, replayCorpusTo } from './diff-base.js';
import { listPending, settlePending } from './pending.js';
import { removeRealRun, runScenarioForReal } from './real-run.js';
import { TRANSCRIPT_FILE, listScenarios, loadScenario, selectScenarios, type Scenario } from './scenario.js';
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
  const label = () => relative(process.cwd(), corpusDir()) || '.';

  program
    .command('check')
    .description('replay scenarios in-process and compare every output byte; a mismatch writes pending *.new files (not with CI=true)')
    .argument('[scenario...]', 'scenarios to check (default: all)')
    .action(async (names: string[]) => {
      const corpus = corpusDir();
      const selected = await selectScenarios(corpus, names);
      const write = !isCi();
      let failed = 0;
      let files = 0;
      const started = performance.now();
      const exemptions = await loadExemptions(corpus);
      const known = await listScenarios(corpus);
      const unknown = exemptions.filter((e) => !known.includes(e.scenario));
      for (const e of unknown) err(`FAIL ${label()}/${EXEMPTIONS_FILE}: exemption for unknown scenario '${e.scenario}' (${e.invariant}, ${e.pattern})`);
      if (unknown.length > 0) failed += 1;
      for (const name of selected) {
        const result = await checkScenario(corpus, name, { writePending: write, exemptions });
        files += result.replay?.outputs.size ?? 0;
        if (!checkPassed(result)) failed += 1;
        (checkPassed(result) ? out : err)(formatCheck(result, label()).join('\n'));
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      out(`golden: ${selected.length - failed} passed, ${failed} failed (${selected.length} scenarios, ${files} files, ${seconds}s)`);
      if (failed > 0) {
        err(write ? 'golden: review the pending files (golden review), then golden accept|reject <scenario>' : 'golden: CI=true, so no pending files were written; run golden check locally to review');
      }
      setExit(failed > 0 ? 1 : 0);
    });

  program
    .command('review')
    .description('list pending files (changes waiting to be accepted or rejected)')
    .action(async () => {
      const corpus = corpusDir();
      let count = 0;
      for (const name of await listScenarios(corpus)) {
        const pending = await listPending(join(corpus, name));
        if (pending.length === 0) continue;
        out(`${name}:`);
        for (const file of pending) out(`  ${label()}/${name}/expected/${file}`);
        count += pending.length;
      }
      out(count === 0 ? 'golden: nothing pending' : `golden: ${count} pending file(s); golden accept|reject <scenario…>`);
      setExit(0);
    });

  for (const how of ['accept', 'reject'] as const) {
    program
      .command(how)
      .description(how === 'accept' ? 'make pending files the expected ones (default: every scenario)' : 'delete pending files (default: every scenario)')
      .argument('[scenario...]', 'scenarios (default: all with pending files)')
      .action(async (names: string[]) => {
        const corpus = corpusDir();
        let count = 0;
        for (const name of await selectScenarios(corpus, names)) {
          for (const line of await settlePending(join(corpus, name), how)) {
            out(`${name}: ${line}`);
            count += 1;
          }
        }
        out(`golden: ${how}ed ${count} pending file(s)`);
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
  process.exitCode = await runGoldenCli(process.argv.slice(2));
}
