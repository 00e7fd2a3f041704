// The bin's trace of a real run: with CODEX_ORCHESTRATOR_TRACE=<file>, every write the CLI
// makes, every child it starts and its own start and return are appended to <file> as NDJSON
// (a header line first), on the wall clock, until the process exits. The integration tests
// set it for every CLI they start and check the run invariants on it (readTraceFile in
// src/harness/trace/read-trace.ts, then checkInvariants); a maintainer can set it to see what
// a run did, in order.
//
// A manifest write's event carries the manifest's text (`{ "text": … }` as its `state`, and as
// `was` for the state found on disk before the process's first write of it): readTraceFile
// digests it. The traced process so never loads the manifest schema (zod), which would cost
// every traced CLI start about a hundred milliseconds of CPU.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { DURABILITY } from '../../runtime/durability.js';
import { HEARTBEAT_INTERVAL_SECONDS } from '../../manifest/heartbeat-timing.js';
import type { Runtime } from '../../runtime/types.js';
import { createTraceRecorder, type TraceRecorder } from './trace.js';

export const TRACE_ENV = 'CODEX_ORCHESTRATOR_TRACE';

/** `trace` is the format: 2 since manifest writes carry their text (1 carried digests). */
export type TraceHeader = { trace: 2; origin_ms: number; root: string; heartbeat_interval_ms: number; pid: number };

/** A manifest write as the trace file keeps it: the bytes written, as UTF-8 text. */
export type ManifestText = { text: string };

const asText = (data: string | Uint8Array): ManifestText => ({ text: typeof data === 'string' ? data : Buffer.from(data).toString('utf8') });

/** Wraps the runtime's file sink and executor; returns the recorder (note cli:start/exit on it). */
export function attachFileTrace(runtime: Runtime, file: string): TraceRecorder<ManifestText> {
  const header: TraceHeader = {
    trace: 2,
    origin_ms: runtime.clock.now(),
    root: runtime.cwd,
    heartbeat_interval_ms: HEARTBEAT_INTERVAL_SECONDS * 1000,
    pid: runtime.pid,
  };
  writeFileSync(file, `${JSON.stringify(header)}\n`);
  const recorder = createTraceRecorder<ManifestText>({
    clock: runtime.clock,
    root: runtime.cwd,
    originMs: header.origin_ms,
    durability: DURABILITY,
    keep: false,
    digest: asText,
    readPrevious: (path) => {
      try {
        return asText(readFileSync(path));
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
