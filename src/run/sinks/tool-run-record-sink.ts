// The stage's tool run record in run-summary.json (docs/contracts.md §6).
//
// B4 (phase 0): every exec event, each chunk event included, is kept in memory in the record
// and written to run-summary.json, so memory and the summary grow with the output. Phase 3
// removes it for users who set a cap (`execEventMaxChunks`): the begin, end and error events
// and the first N chunk events are kept, and the record counts what it dropped (the event
// logs keep everything). Unbounded or not, a kept chunk event holds the chunk's bytes, not
// their text encoding: it is encoded when run-summary.json is written. This module is the
// only place that keeps them.
import { toToolRunEvent, type ExecChunkEvent, type ToolRunEvent } from '../../events/events.js';
import type { ToolRunRecord } from '../context.js';
import type { StageSink } from './stage-sink.js';

/** The events a tool run record keeps: the exec events and a command error (not command:start/end). */
const RECORDED = new Set(['exec:begin', 'exec:chunk', 'exec:end', 'command:error']);

/**
 * A kept chunk event: its fields and the chunk's bytes. `JSON.stringify` calls `toJSON`, which
 * gives the same object as the event's own camelCase form (the payload last, as in the logs).
 */
class KeptChunkEvent {
  readonly type = 'exec:chunk';
  constructor(
    private readonly event: ExecChunkEvent,
    readonly timestamp: string,
    private readonly bytes: Uint8Array,
  ) {}

  toJSON(): ToolRunEvent {
    return toToolRunEvent(this.event, this.timestamp, this.bytes, true);
  }
}

/** Keeps the stage's events in `record`; with `record.eventCap`, only its `maxChunkEvents` chunk events, counting the rest there. */
export function toolRunRecordSink(record: ToolRunRecord): StageSink {
  return {
    event(event, at) {
      if (!RECORDED.has(event.type)) return;
      if (event.type !== 'exec:chunk') {
        record.events.push(toToolRunEvent(event, at.timestamp));
        return;
      }
      const cap = record.eventCap;
      if (cap) {
        if (cap.keptChunkEvents >= cap.maxChunkEvents) {
          cap.droppedChunkEvents += 1;
          cap.droppedChunkBytes += event.bytes;
          return;
        }
        cap.keptChunkEvents += 1;
      }
      if (!at.bytes) throw new Error(`exec:chunk ${event.sequence}: the tool run record needs the chunk's bytes`);
      record.events.push(new KeptChunkEvent(event, at.timestamp, at.bytes) as unknown as ToolRunEvent);
    },
  };
}

/** The run summary's line for a stage whose cap dropped chunk events; null when none was dropped. */
export function droppedEventsLine(record: ToolRunRecord, stageTitle: string): string | null {
  const cap = record.eventCap;
  if (!cap || cap.droppedChunkEvents === 0) return null;
  const total = cap.keptChunkEvents + cap.droppedChunkEvents;
  return (
    `Stage '${stageTitle}': run-summary.json keeps the first ${cap.keptChunkEvents} of ${total} chunk events ` +
    `(${cap.droppedChunkEvents} dropped, ${cap.droppedChunkBytes} bytes); the event logs keep them all.`
  );
}
