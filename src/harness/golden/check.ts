// `golden check`: replays scenarios and compares every output byte with expected/. A
// mismatch writes pending files beside the expected ones (never the expected files, and
// nothing at all when writing is off, as under CI=true; with a pending dir they go there
// instead, never into the corpus). Each check replaces the scenario's pending files where it
// writes them (what an earlier check left there is stale once the code changed again);
// pending files in the corpus that a check does not replace (under CI, or with a pending dir)
// fail it.
import { formatViolation } from '../trace/invariants.js';
import { compareOutputs, type FileDifference } from './compare.js';
import { judgeInvariants, loadExemptions, type Exemption, type InvariantVerdict } from './exemptions.js';
import { clearPending, listPending, readExpected, writePending } from './pending.js';
import { replayScenario, type ReplayOutput, type ReplaySeams } from './replay.js';
import { loadScenario } from './scenario.js';
import { errorMessage } from '../../errors.js';

export type ScenarioCheck = {
  name: string;
  differences: FileDifference[];
  /** Pending files in the corpus that this check did not replace (left behind by an earlier one). */
  pendingBefore: string[];
  /** How many pending files of an earlier check this one replaced (or dropped, when it passed). */
  pendingReplaced: number;
  pendingWritten: string[];
  error: string | null;
  replay: ReplayOutput | null;
  invariants: InvariantVerdict;
  /** Children asked for with another cwd or env than the transcript recorded. */
  requestMismatches: string[];
};

export function checkPassed(result: ScenarioCheck): boolean {
  return (
    result.error === null &&
    result.differences.length === 0 &&
    result.pendingBefore.length === 0 &&
    result.invariants.unexpected.length === 0 &&
    result.invariants.stale.length === 0 &&
    result.requestMismatches.length === 0
  );
}

export async function checkScenario(
  corpus: string,
  name: string,
  options: { writePending: boolean; pendingDir?: string | null; exemptions?: Exemption[]; seams?: ReplaySeams },
): Promise<ScenarioCheck> {
  const result: ScenarioCheck = {
    name,
    differences: [],
    pendingBefore: [],
    pendingReplaced: 0,
    pendingWritten: [],
    error: null,
    replay: null,
    invariants: { unexpected: [], exempted: [], stale: [] },
    requestMismatches: [],
  };
  try {
    const exemptions = options.exemptions ?? (await loadExemptions(corpus));
    const loaded = await loadScenario(corpus, name);
    result.pendingBefore = await listPending(loaded.dir);
    const replay = await replayScenario(loaded.scenario, loaded.transcript, options.seams);
    result.replay = replay;
    result.differences = compareOutputs(await readExpected(loaded.dir), replay.outputs);
    result.invariants = judgeInvariants(name, replay.violations, exemptions);
    result.requestMismatches = replay.requestMismatches;
    // Where this check writes pending files, they hold its verdict: an earlier check's are replaced.
    if (options.writePending) {
      const pendingDir = options.pendingDir ?? null;
      result.pendingReplaced = await clearPending(loaded.dir, pendingDir);
      if (pendingDir === null) result.pendingBefore = [];
    }
    if (options.writePending && result.differences.length > 0) {
      result.pendingWritten = await writePending(loaded.dir, result.differences, replay.outputs, options.pendingDir);
    }
  } catch (error) {
    result.error = errorMessage(error);
  }
  return result;
}

/**
 * `pendingDir`: the directory pending files went to (as one shell word), when not the corpus;
 * `golden`: the command the hints print (`golden --corpus <dir>` for another corpus).
 */
export function formatCheck(result: ScenarioCheck, corpusLabel: string, pendingDir?: string, golden = 'golden'): string[] {
  const lines: string[] = [];
  const replaced = result.pendingReplaced > 0 ? `; dropped ${result.pendingReplaced} pending file(s) an earlier check wrote` : '';
  if (checkPassed(result)) return [`ok   ${result.name} (${describeReplay(result)}${replaced})`];
  lines.push(`FAIL ${result.name}${result.replay ? ` (${describeReplay(result)})` : ''}`);
  if (result.error) lines.push(`  error: ${result.error}`);
  for (const violation of result.invariants.unexpected) lines.push(`  ${formatViolation(violation, result.name)}`);
  for (const stale of result.invariants.stale) {
    lines.push(
      `  ${result.name}: exemption no longer fires: invariant ${stale.invariant} (${stale.pattern}, removed by phase ${stale.removed_by_phase}); delete it from ${corpusLabel}/invariant-exemptions.json`,
    );
  }
  for (const mismatch of result.requestMismatches) {
    lines.push(`  ${result.name}: request differs from transcript.json: ${mismatch} (re-record: golden record ${result.name})`);
  }
  for (const pending of result.pendingBefore) {
    lines.push(`  pending file left behind: ${corpusLabel}/${result.name}/expected/${pending} (${golden} accept|reject ${result.name})`);
  }
  for (const difference of result.differences) {
    const what = difference.kind === 'changed' ? 'differs' : difference.kind === 'new' ? 'is new' : 'is no longer produced';
    lines.push(`  ${corpusLabel}/${result.name}/expected/${difference.file} ${what}`);
    for (const detail of difference.details) lines.push(`      ${detail}`);
  }
  if (result.pendingWritten.length > 0) {
    const instead = result.pendingReplaced > 0 ? ` (in place of the ${result.pendingReplaced} an earlier check wrote)` : '';
    lines.push(
      pendingDir
        ? `  wrote ${result.pendingWritten.length} pending file(s) under ${pendingDir}/${result.name}${instead}; review them, then: ${golden} accept --pending-dir ${pendingDir} ${result.name}`
        : `  wrote ${result.pendingWritten.length} pending file(s)${instead}; review them, then: ${golden} accept ${result.name}`,
    );
  } else if (result.pendingReplaced > 0) {
    lines.push(`  dropped ${result.pendingReplaced} pending file(s) an earlier check wrote`);
  }
  return lines;
}

/** The files the scenario's run wrote and its CLI's outputs (not its timeline or requests): what `N files` counts. */
export function runFileCount(result: ScenarioCheck): number {
  return result.replay ? [...result.replay.outputs.keys()].filter((key) => key.startsWith('files/') || key.startsWith('cli/')).length : 0;
}

/** `N files, timeline W writes E events, R requests, invariants ok (X exempted)`. */
export function describeReplay(result: ScenarioCheck): string {
  const replay = result.replay;
  if (!replay) return 'no replay';
  const files = runFileCount(result);
  const writes = [...replay.counts.values()].reduce((n, c) => n + c.writes, 0);
  const { unexpected, exempted, stale } = result.invariants;
  const invariants =
    unexpected.length > 0 || stale.length > 0
      ? `invariants: ${unexpected.length} broken, ${stale.length} stale exemption(s)`
      : `invariants ok${exempted.length > 0 ? ` (${exempted.length} exempted: ${[...new Set(exempted.map((e) => `${e.exemption.invariant}/${e.exemption.pattern}`))].join(', ')})` : ''}`;
  return `${files} files, timeline ${writes} writes in ${replay.trace.length} events, ${replay.requests.length} request(s), ${invariants}`;
}
