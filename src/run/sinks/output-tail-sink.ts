// The last 64 KiB of each stream a stage printed (what survived the privacy guard): the
// stage's summary, its error file and `exec --json` read them; and of both streams merged in
// the order they came, for the lines a red run shows of its failing stage.
import { OutputTail } from '../../events/output-tail.js';
import type { StageSink } from './stage-sink.js';

export type OutputTails = StageSink & { stdout: OutputTail; stderr: OutputTail; merged: OutputTail };

export function outputTailSink(): OutputTails {
  const tails = { stdout: new OutputTail(), stderr: new OutputTail() };
  const merged = new OutputTail();
  return {
    ...tails,
    merged,
    event(event, at) {
      if (event.type === 'exec:chunk' && at.bytes) {
        tails[event.stream].push(at.bytes);
        merged.push(at.bytes);
      }
    },
  };
}
