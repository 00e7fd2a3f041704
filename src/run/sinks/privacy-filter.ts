// The privacy guard on a stage's output (docs/contracts.md §9): each chunk is a frame of its
// stream's handle in the manifest, gets a decision (appended to privacy-decisions.ndjson,
// counted in the manifest's totals, and kept in the manifest when it is not an allow), and
// comes out as the bytes that may be persisted, or none. The manifest changes go through the
// run's persister, as one plain (throttled) update per chunk. With phase 3's cap, the
// manifest keeps the stage's first N non-allow decisions, so no per-chunk structure grows.
import { writeError } from '../../errors.js';
import { guardChunk, type PrivacyMode } from '../../privacy/guard.js';
import { countPrivacyDecision, recordFrame, recordPrivacyDecision } from '../../manifest/transitions.js';
import type { Manifest, PrivacyDecision } from '../../manifest/schema.js';
import type { ExecChunk, FileSink } from '../../runtime/types.js';

export type PrivacyFilter = {
  /** The persisted bytes of chunk number `sequence` (null when blocked). */
  admit(chunk: ExecChunk, sequence: number, timestamp: string): Promise<Uint8Array | null>;
};

export function privacyFilter(options: {
  mode: PrivacyMode;
  /** The persister's `update`: the only way to the manifest. */
  update: (transition: (manifest: Manifest) => void) => Promise<void>;
  /** The handle id of each stream. */
  handles: { stdout: string; stderr: string };
  /** Phase 3: how many of the stage's non-allow decisions the manifest keeps; null keeps them all. */
  keepDecisions: number | null;
  stageId: string;
  fs: FileSink;
  logPath: string;
}): PrivacyFilter {
  let kept = 0;
  return {
    async admit(chunk, sequence, timestamp) {
      const handleId = options.handles[chunk.stream];
      const outcome = guardChunk(options.mode, chunk.data);
      const decision: PrivacyDecision = {
        handle_id: handleId,
        sequence,
        action: outcome.action,
        rule: outcome.rule,
        reason: outcome.reason,
        timestamp,
        stage_id: options.stageId,
      };
      // The manifest keeps the non-allow decisions (phase 5); with phase 3's cap, the first N of them.
      const keep = outcome.action !== 'allow' && (options.keepDecisions === null || kept < options.keepDecisions);
      if (keep) kept += 1;
      await options.update((manifest) => {
        recordFrame(manifest, handleId, sequence);
        if (keep) recordPrivacyDecision(manifest, decision);
        else countPrivacyDecision(manifest, decision);
      });
      try {
        await options.fs.append(options.logPath, `${JSON.stringify(decision)}\n`);
      } catch (error) {
        throw writeError(options.logPath, error);
      }
      return outcome.persisted ?? null;
    },
  };
}
