// The stage's tool run record in run-summary.json (docs/contracts.md §6).
//
// B4 (phase 0, removed for users who opt in by phase 3): every exec event, each chunk event
// included, is kept in memory in the record and written to run-summary.json, so memory and
// the summary grow with the output. This module is the only place that keeps them.
import { toToolRunEvent } from '../../events/events.js';
import type { ToolRunRecord } from '../context.js';
import type { StageSink } from './stage-sink.js';

/** The events a tool run record keeps: the exec events and a command error (not command:start/end). */
const RECORDED = new Set(['exec:begin', 'exec:chunk', 'exec:end', 'command:error']);

export function toolRunRecordSink(record: ToolRunRecord): StageSink {
  return {
    event(event, at) {
      if (RECORDED.has(event.type)) record.events.push(toToolRunEvent(event, at.timestamp));
    },
  };
}
