// Reads back a trace file written by src/harness/trace/file-trace.ts: the header, then each
// event with its manifest texts digested (digestManifest: the schema's verdict and the state a
// reader would see), ready for checkInvariants.
import { readFileSync } from 'node:fs';
import type { ManifestText, TraceHeader } from './file-trace.js';
import { digestManifest } from './manifest-digest.js';
import type { TraceEvent } from './trace.js';

export function readTraceFile(file: string): { header: TraceHeader; events: TraceEvent[] } {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const [first, ...rest] = lines;
  if (!first) throw new Error(`${file}: empty trace`);
  const header = JSON.parse(first) as TraceHeader;
  if (header.trace !== 2)
    throw new Error(`${file}: a trace of format ${String(header.trace)}; this reader reads format 2 (manifest writes with their text)`);
  const events = rest.map((line): TraceEvent => {
    const event = JSON.parse(line) as TraceEvent<ManifestText>;
    if (event.kind !== 'write') return event;
    const { state, was, ...write } = event;
    return {
      ...write,
      ...(state ? { state: digestManifest(state.text) } : {}),
      ...(was ? { was: digestManifest(was.text) } : {}),
    };
  });
  return { header, events };
}
