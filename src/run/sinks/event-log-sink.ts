// The event logs (docs/contracts.md §5): every event of a stage as one line in the run's
// runner.ndjson and in the stage's own commands/NN-<stage>.ndjson, in that order. A line that
// cannot be appended rejects with a WriteError naming the log: the orchestrator's failure,
// which ends the run, never the stage's own.
import { writeError } from '../../errors.js';
import { eventLine, type LineAllocator } from '../../events/events.js';
import type { FileSink } from '../../runtime/types.js';
import type { StageSink } from './stage-sink.js';

/** Lines up to this size are written from the sink's one buffer; a longer one gets its own. */
export const REUSED_LINE_BYTES = 1024 * 1024;

export function eventLogSink(fs: FileSink, runnerLogPath: string, stageLogPath: string): StageSink {
  // A chunk's line is as long as the chunk: a new buffer for each (outside the JS heap) was
  // garbage that piled up until a collection, about as much again as the output itself. An
  // append has its data written down (or copied) when it settles (FileSink.append), so one
  // buffer serves every line, unless a line is asked for while the last is being written.
  let scratch = Buffer.allocUnsafeSlow(0);
  let busy = false;
  const reuse: LineAllocator = (size) => {
    if (size > REUSED_LINE_BYTES) return Buffer.allocUnsafe(size);
    if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.min(REUSED_LINE_BYTES, Math.max(size, scratch.length * 2)));
    return scratch.subarray(0, size);
  };
  return {
    async event(event, at) {
      // The sink's buffer is this event's unless another is still being written.
      const mine = !busy;
      busy = true;
      try {
        // Encoded once for both logs.
        const line = eventLine(event, at.timestamp, at.index, at.bytes, mine ? reuse : undefined);
        try {
          await fs.append(runnerLogPath, line);
        } catch (error) {
          throw writeError(runnerLogPath, error);
        }
        try {
          await fs.append(stageLogPath, line);
        } catch (error) {
          throw writeError(stageLogPath, error);
        }
      } finally {
        if (mine) busy = false;
      }
    },
  };
}
