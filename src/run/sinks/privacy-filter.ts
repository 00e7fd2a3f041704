// The privacy guard on a stage's output (docs/contracts.md §9): each chunk is a frame of its
// stream's handle in the manifest, gets a decision (kept in the manifest, B7, and appended to
// privacy-decisions.ndjson), and comes out as the bytes that may be persisted, or none. The
// manifest changes go through the run's persister, as one plain (throttled) update per chunk.
import { guardChunk, type PrivacyMode } from '../../privacy/guard.js';
import { recordFrame, recordPrivacyDecision } from '../../manifest/transitions.js';
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
  stageId: string;
  fs: FileSink;
  logPath: string;
}): PrivacyFilter {
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
      await options.update((manifest) => {
        recordFrame(manifest, handleId, sequence);
        recordPrivacyDecision(manifest, decision);
      });
      await options.fs.append(options.logPath, `${JSON.stringify(decision)}\n`);
      return outcome.persisted ?? null;
    },
  };
}
