// The write timeline a golden scenario commits as expected/timeline.ndjson: its trace, one
// JSON line per event, in the order things landed. Every atomic write, create and removal is a
// line of its own (manifest writes carry the state a reader would see); appends to one file
// between two other events are one line with their count and total bytes (a 10,000-chunk
// stage appends 30,000 times, and the order of appends to different log files is not
// something a reader can observe). The write counts of `bench` are read from the same events.
import { DURABILITY, fsyncsPerAtomicWrite, type Durability } from '../../runtime/durability.js';
import type { TraceEvent } from './trace.js';

type AppendRun = { t: number; t_last: number; kind: 'append'; path: string; count: number; bytes: number };

export type TimelineLine = Exclude<TraceEvent, { kind: 'append' }> | AppendRun;

/** Folds appends into one line per file between two other events. */
export function timelineLines(events: readonly TraceEvent[]): TimelineLine[] {
  const out: TimelineLine[] = [];
  let runs = new Map<string, AppendRun>();
  const flush = () => {
    out.push(...runs.values());
    runs = new Map();
  };
  for (const event of events) {
    if (event.kind === 'append') {
      const run = runs.get(event.path);
      if (run) {
        run.count += 1;
        run.bytes += event.bytes;
        run.t_last = event.t;
      } else {
        runs.set(event.path, { t: event.t, t_last: event.t, kind: 'append', path: event.path, count: 1, bytes: event.bytes });
      }
      continue;
    }
    flush();
    out.push(event);
  }
  flush();
  return out;
}

export function serializeTimeline(events: readonly TraceEvent[]): string {
  return timelineLines(events)
    .map((line) => `${JSON.stringify(line)}\n`)
    .join('');
}

export type WriteCounts = { writes: number; bytes: number; fsyncs: number };

/**
 * Writes (atomic replaces, appends, exclusive creates), bytes and fsyncs per path; an atomic
 * write marked `fsync` counts the fsyncs the durability policy makes (the file, its directory).
 */
export function countWrites(events: readonly TraceEvent[], policy: Durability = DURABILITY): Map<string, WriteCounts> {
  const perWrite = fsyncsPerAtomicWrite(policy);
  const counts = new Map<string, WriteCounts>();
  for (const event of events) {
    if (event.kind !== 'write' && event.kind !== 'append' && event.kind !== 'create') continue;
    const entry = counts.get(event.path) ?? { writes: 0, bytes: 0, fsyncs: 0 };
    entry.writes += 1;
    entry.bytes += event.bytes;
    if (event.kind === 'write' && event.fsync) entry.fsyncs += perWrite;
    counts.set(event.path, entry);
  }
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
