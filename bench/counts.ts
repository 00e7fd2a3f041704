// Write counts per golden scenario, from the replay's trace (the same events as its
// expected/timeline.ndjson, so the timeline and the bench can never disagree): exact and
// deterministic, so their budgets are exact ceilings.
import { RUN_MANIFEST_PATTERN } from '../src/layout/run-layout.js';
import type { WriteCounts } from '../src/harness/trace/timeline.js';
import { replayScenario } from '../src/harness/golden/replay.js';
import { listScenarios, loadScenario } from '../src/harness/golden/scenario.js';

export type ScenarioCounts = {
  manifest_writes: number;
  heartbeat_writes: number;
  other_writes: number;
  bytes: number;
  fsyncs: number;
};

export const COUNT_FIGURES: Array<keyof ScenarioCounts> = ['manifest_writes', 'heartbeat_writes', 'other_writes', 'bytes', 'fsyncs'];

/** Run manifests (`cli/<run>/manifest.json`), heartbeats, and everything else. */
export function summarizeCounts(counts: Map<string, WriteCounts>): ScenarioCounts {
  const out: ScenarioCounts = { manifest_writes: 0, heartbeat_writes: 0, other_writes: 0, bytes: 0, fsyncs: 0 };
  for (const [path, c] of counts) {
    if (RUN_MANIFEST_PATTERN.test(path)) out.manifest_writes += c.writes;
    else if (path.endsWith('/.heartbeat')) out.heartbeat_writes += c.writes;
    else out.other_writes += c.writes;
    out.bytes += c.bytes;
    out.fsyncs += c.fsyncs;
  }
  return out;
}

export async function measureCounts(corpus: string): Promise<{ scenarios: Record<string, ScenarioCounts>; replaySeconds: number }> {
  const scenarios: Record<string, ScenarioCounts> = {};
  const started = performance.now();
  for (const name of await listScenarios(corpus)) {
    const { scenario, transcript } = await loadScenario(corpus, name);
    const replay = await replayScenario(scenario, transcript);
    scenarios[name] = summarizeCounts(replay.counts);
  }
  return { scenarios, replaySeconds: (performance.now() - started) / 1000 };
}
