// The privacy guard on a stage (docs/contracts.md §9). Output: each stream (stdout, stderr)
// goes through a guard of its own that sees it as a stream; each chunk is a frame of its
// stream's handle in the manifest, gets a decision (appended to privacy-decisions.ndjson,
// counted in the manifest's totals, and kept in the manifest when it is not an allow), and
// comes out as the bytes that may be persisted, or none. When the stream ends, what the
// guard held back comes out as one more frame. The manifest changes go through the run's
// persister, as one plain (throttled) update per chunk. With phase 3's cap, the manifest
// keeps the stage's first N non-allow decisions, so no per-chunk structure grows.
// Texts (the command, the summary, an error message) go through the same guard, one text at
// a time; a text gets a decision only when the guard changes it (or would, in shadow mode).
import { writeError } from '../../errors.js';
import { StreamGuard, guardText, type GuardOutcome, type PrivacyMode } from '../../privacy/guard.js';
import { countPrivacyDecision, recordFrame, recordPrivacyDecision, recordTextDecision } from '../../manifest/transitions.js';
import type { Manifest, ManifestView, PrivacyDecision } from '../../manifest/schema.js';
import type { ExecChunk, FileSink, OutputStreamName } from '../../runtime/types.js';

type Options = {
  mode: PrivacyMode;
  /** The persister's `update`: the only way to the manifest. */
  update: (transition: (manifest: Manifest) => void) => Promise<void>;
  stageId: string;
  fs: FileSink;
  logPath: string;
};

export type PrivacyFilter = {
  /** The persisted bytes of chunk number `sequence` (null when nothing of it may be persisted yet). */
  admit(chunk: ExecChunk, sequence: number, timestamp: string): Promise<Uint8Array | null>;
  /**
   * The stream is over (the command ended, failed or was cancelled): what the guard held back,
   * as frame number `sequence()` (asked only when there is something), or null.
   */
  release(stream: OutputStreamName, sequence: () => number, timestamp: string): Promise<{ sequence: number; bytes: Uint8Array } | null>;
};

/** What a text of the stage says once guarded (as is in shadow mode); its decision is recorded when the guard changes it. */
export type TextGuard = (kind: 'command' | 'summary' | 'error', text: string, timestamp: string) => Promise<string>;

/** The handle id of a text's decision: a text has no output handle. */
export const textHandleId = (kind: string) => `text:${kind}`;

/** Whether enforce mode changed the command of the run's stage `stageId`: the manifest does not have it as it ran. */
export function commandWithheld(manifest: ManifestView, stageId: string): boolean {
  return manifest.privacy.decisions.some((d) => d.handle_id === textHandleId('command') && d.stage_id === stageId && d.reason !== 'shadow-mode');
}

export function textGuard(options: Options): TextGuard {
  return async (kind, text, timestamp) => {
    const enforced = guardText('enforce', text);
    if (enforced.text === text) return text;
    const decision: PrivacyDecision = {
      handle_id: textHandleId(kind),
      sequence: 1,
      action: enforced.action,
      rule: enforced.rule,
      reason: options.mode === 'shadow' ? 'shadow-mode' : enforced.reason,
      timestamp,
      stage_id: options.stageId,
    };
    await options.update((manifest) => recordTextDecision(manifest, decision));
    try {
      await options.fs.append(options.logPath, `${JSON.stringify(decision)}\n`);
    } catch (error) {
      throw writeError(options.logPath, error);
    }
    return options.mode === 'shadow' ? text : enforced.text;
  };
}

export function privacyFilter(
  options: Options & {
    /** The handle id of each stream. */
    handles: { stdout: string; stderr: string };
    /** Phase 3: how many of the stage's non-allow decisions the manifest keeps; null keeps them all. */
    keepDecisions: number | null;
  },
): PrivacyFilter {
  let kept = 0;
  const guards = { stdout: new StreamGuard(options.mode), stderr: new StreamGuard(options.mode) };
  const record = async (stream: OutputStreamName, outcome: GuardOutcome, sequence: number, timestamp: string) => {
    const handleId = options.handles[stream];
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
  };
  return {
    async admit(chunk, sequence, timestamp) {
      const outcome = guards[chunk.stream].push(chunk.data);
      await record(chunk.stream, outcome, sequence, timestamp);
      return outcome.persisted;
    },
    async release(stream, sequence, timestamp) {
      const outcome = guards[stream].end();
      if (!outcome?.persisted) return null;
      const n = sequence();
      await record(stream, outcome, n, timestamp);
      return { sequence: n, bytes: outcome.persisted };
    },
  };
}
