// `golden check`: replays scenarios and compares every output byte with expected/. A
// mismatch writes pending files beside the expected ones (never the expected files, and
// nothing at all when writing is off, as under CI=true); pending files already present fail.
import { compareOutputs, type FileDifference } from './compare.js';
import { listPending, readExpected, writePending } from './pending.js';
import { replayScenario, type ReplayOutput } from './replay.js';
import { loadScenario } from './scenario.js';
import { errorMessage } from '../../errors.js';

export type ScenarioCheck = {
  name: string;
  differences: FileDifference[];
  /** Pending files that were there before this check (left behind by an earlier one). */
  pendingBefore: string[];
  pendingWritten: string[];
  error: string | null;
  replay: ReplayOutput | null;
};

export function checkPassed(result: ScenarioCheck): boolean {
  return result.error === null && result.differences.length === 0 && result.pendingBefore.length === 0;
}

export async function checkScenario(corpus: string, name: string, options: { writePending: boolean }): Promise<ScenarioCheck> {
  const result: ScenarioCheck = { name, differences: [], pendingBefore: [], pendingWritten: [], error: null, replay: null };
  try {
    const loaded = await loadScenario(corpus, name);
    result.pendingBefore = await listPending(loaded.dir);
    const replay = await replayScenario(loaded.scenario, loaded.transcript);
    result.replay = replay;
    result.differences = compareOutputs(await readExpected(loaded.dir), replay.outputs);
    if (options.writePending && result.differences.length > 0) {
      result.pendingWritten = await writePending(loaded.dir, result.differences, replay.outputs);
    }
  } catch (error) {
    result.error = errorMessage(error);
  }
  return result;
}

export function formatCheck(result: ScenarioCheck, corpusLabel: string): string[] {
  const lines: string[] = [];
  if (checkPassed(result)) return [`ok   ${result.name} (${result.replay?.outputs.size ?? 0} files)`];
  lines.push(`FAIL ${result.name}`);
  if (result.error) lines.push(`  error: ${result.error}`);
  for (const pending of result.pendingBefore) {
    lines.push(`  pending file left behind: ${corpusLabel}/${result.name}/expected/${pending} (golden accept|reject ${result.name})`);
  }
  for (const difference of result.differences) {
    const what = difference.kind === 'changed' ? 'differs' : difference.kind === 'new' ? 'is new' : 'is no longer produced';
    lines.push(`  ${corpusLabel}/${result.name}/expected/${difference.file} ${what}`);
    for (const detail of difference.details) lines.push(`      ${detail}`);
  }
  if (result.pendingWritten.length > 0) lines.push(`  wrote ${result.pendingWritten.length} pending file(s); review them, then: golden accept ${result.name}`);
  return lines;
}
