// The last 64 KiB of each stream a stage printed (what survived the privacy guard): the
// stage's summary, its error file and `exec --json` read them.
import { OutputTail } from '../../events/output-tail.js';
import type { StageSink } from './stage-sink.js';

export type OutputTails = StageSink & { stdout: OutputTail; stderr: OutputTail };

export function outputTailSink(): OutputTails {
  const tails = { stdout: new OutputTail(), stderr: new OutputTail() };
  return {
    ...tails,
    event(event, at) {
      if (event.type === 'exec:chunk' && at.bytes) tails[event.stream].push(at.bytes);
    },
  };
}
