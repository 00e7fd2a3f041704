// The event logs (docs/contracts.md §5): every event of a stage as one line in the run's
// runner.ndjson and in the stage's own commands/NN-<stage>.ndjson, in that order.
import { eventLine } from '../../events/events.js';
import type { FileSink } from '../../runtime/types.js';
import type { StageSink } from './stage-sink.js';

export function eventLogSink(fs: FileSink, runnerLogPath: string, stageLogPath: string): StageSink {
  return {
    async event(event, at) {
      // Encoded once for both logs (a chunk's line is as long as the chunk).
      const line = eventLine(event, at.timestamp, at.index, at.bytes);
      await fs.append(runnerLogPath, line);
      await fs.append(stageLogPath, line);
    },
  };
}
