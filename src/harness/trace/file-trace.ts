// The bin's trace of a real run: with CODEX_ORCHESTRATOR_TRACE=<file>, every write the CLI
// makes, every child it starts and its own start and return are appended to <file> as NDJSON
// (a header line first), on the wall clock, until the process exits. The integration tests
// set it for every CLI they start and check the run invariants on it (readTraceFile +
// checkInvariants); a maintainer can set it to see what a run did, in order.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { DURABILITY } from '../../runtime/durability.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../../manifest/schema.js';
import type { Runtime } from '../../runtime/types.js';
import { createTraceRecorder, digestManifest, type TraceEvent, type TraceRecorder } from './trace.js';

export const TRACE_ENV = 'CODEX_ORCHESTRATOR_TRACE';

export type TraceHeader = { trace: 1; origin_ms: number; root: string; heartbeat_interval_ms: number; pid: number };

/** Wraps the runtime's file sink and executor; returns the recorder (note cli:start/exit on it). */
export function attachFileTrace(runtime: Runtime, file: string): TraceRecorder {
  const header: TraceHeader = {
    trace: 1,
    origin_ms: runtime.clock.now(),
    root: runtime.cwd,
    heartbeat_interval_ms: HEARTBEAT_INTERVAL_SECONDS * 1000,
    pid: runtime.pid,
  };
  writeFileSync(file, `${JSON.stringify(header)}\n`);
  const recorder = createTraceRecorder({
    clock: runtime.clock,
    root: runtime.cwd,
    originMs: header.origin_ms,
    durability: DURABILITY,
    keep: false,
    readPrevious: (path) => {
      try {
        return digestManifest(readFileSync(path));
      } catch {
        return undefined; // not there yet
      }
    },
    onEvent: (event) => appendFileSync(file, `${JSON.stringify(event)}\n`),
  });
  runtime.fs = recorder.wrapFs(runtime.fs);
  runtime.executor = recorder.wrapExecutor(runtime.executor);
  return recorder;
}

export function readTraceFile(file: string): { header: TraceHeader; events: TraceEvent[] } {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const [first, ...rest] = lines;
  if (!first) throw new Error(`${file}: empty trace`);
  return { header: JSON.parse(first) as TraceHeader, events: rest.map((line) => JSON.parse(line) as TraceEvent) };
}
