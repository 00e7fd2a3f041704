// The event logs (docs/contracts.md §5): every event of a stage as one line in the run's
// runner.ndjson and in the stage's own commands/NN-<stage>.ndjson, in that order. A line that
// cannot be appended rejects with a WriteError naming the log: the orchestrator's failure,
// which ends the run, never the stage's own.
import { writeError } from '../../errors.js';
import { eventLine } from '../../events/events.js';
import type { FileSink } from '../../runtime/types.js';
import type { StageSink } from './stage-sink.js';

export function eventLogSink(fs: FileSink, runnerLogPath: string, stageLogPath: string): StageSink {
  return {
    async event(event, at) {
      // Encoded once for both logs (a chunk's line is as long as the chunk).
      const line = eventLine(event, at.timestamp, at.index, at.bytes);
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
    },
  };
}
