// The stage's output to the progress's live line (on a terminal only: the stage adds this sink
// when the progress shows output), so the running stage shows its last line.
import type { Progress } from '../progress.js';
import type { StageSink } from './stage-sink.js';

export function progressSink(progress: Progress): StageSink {
  return {
    event(event, at) {
      if (event.type === 'exec:chunk' && at.bytes) progress.stageOutput(at.bytes);
    },
  };
}
