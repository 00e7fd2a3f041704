// `golden fidelity`: runs each recordable scenario for real, replays the transcript that
// run produced, and checks the two agree on every output — ignoring only timestamps,
// durations and ids. This is what proves the replay faithful to reality.
import { RUN_ID_PATTERN } from '../../layout/run-layout.js';
import { compareOutputs, type FileDifference } from './compare.js';
import { REPLAY_ROOT, TIMELINE_FILE, replayScenario } from './replay.js';

const TRANSCRIPT_REQUESTS = 'transcript.json (requests)';
import type { RealRun } from './real-run.js';

const RUN_ID = RUN_ID_PATTERN;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const HANDLE_ID = /\bh-[0-9a-f]{12}\b/g;
const TOKEN = /\b[0-9a-f]{64}\b/g;
const DURATION_KEY = /"(duration_ms|durationMs|duration_seconds)":\s*[0-9.e+-]+/g;
const PROGRESS_SECONDS = /\d+\.\ds\)/g;
/** Text `status`'s duration line (docs/contracts.md §1). */
const STATUS_DURATION = /^( {2}duration: {2})\d+\.\ds/gm;

/** Run ids in the order runs finished (metrics lines), then in order of appearance. */
function runIdOrder(outputs: Map<string, Buffer>): string[] {
  const order: string[] = [];
  const note = (text: string) => {
    for (const id of text.match(RUN_ID) ?? []) if (!order.includes(id)) order.push(id);
  };
  for (const [file, data] of outputs) if (/^files\/.*\/metrics\.json$/.test(file)) note(data.toString('utf8'));
  for (const [file, data] of outputs) {
    note(file);
    note(data.toString('utf8'));
  }
  return order;
}

/** Replaces what legitimately differs between a real run and its replay with placeholders. */
export function normalizeOutputs(outputs: Map<string, Buffer>, root: string): Map<string, Buffer> {
  const ids = runIdOrder(outputs);
  const runId = (text: string) => text.replace(RUN_ID, (id) => `<run-${ids.indexOf(id) + 1}>`);
  const out = new Map<string, Buffer>();
  for (const [file, data] of outputs) {
    const text = runId(data.toString('utf8'))
      .replaceAll(root, REPLAY_ROOT)
      .replace(ISO_TIME, '<time>')
      .replace(UUID, '<uuid>')
      .replace(HANDLE_ID, '<handle>')
      .replace(TOKEN, '<token>')
      .replace(DURATION_KEY, '"$1":0')
      .replace(PROGRESS_SECONDS, '<s>)')
      .replace(STATUS_DURATION, '$1<s>');
    out.set(runId(file), Buffer.from(text));
  }
  return out;
}

export async function checkFidelity(real: RealRun, scenario: Parameters<typeof replayScenario>[0]): Promise<FileDifference[]> {
  const replay = await replayScenario(scenario, real.transcript);
  // The timeline is not compared: real time moves chunks and heartbeats around writes. The
  // requests are (cwd and env per child), and the replay must ask exactly what was recorded.
  const replayed = new Map([...replay.outputs].filter(([file]) => file !== TIMELINE_FILE));
  const differences = compareOutputs(normalizeOutputs(real.outputs, real.root), normalizeOutputs(replayed, REPLAY_ROOT));
  for (const mismatch of replay.requestMismatches) {
    differences.push({ kind: 'changed', file: TRANSCRIPT_REQUESTS, details: [mismatch] });
  }
  return differences;
}
