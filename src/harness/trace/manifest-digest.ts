// What a reader polling a manifest would see after a write, from the write's bytes: the
// schema's verdict and a compact state (src/harness/trace/trace.ts's ManifestDigest). Kept
// apart from the recorder so that a traced CLI process (src/harness/trace/file-trace.ts)
// records the bytes without loading the schema; the replay and read-trace.ts digest them.
import { manifestSchema } from '../../manifest/schema.js';
import type { ManifestDigest } from './trace.js';

/** Parses and validates the bytes of a manifest write into the state a reader would see. */
export function digestManifest(data: string | Uint8Array): ManifestDigest {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch (error) {
    return { invalid: `not JSON: ${(error as Error).message}` };
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { invalid: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  const m = parsed.data;
  return {
    run: m.status,
    detail: m.status_detail,
    commands: m.commands.map((c) => `${c.id}:${c.status}`),
    updated_at: m.updated_at,
    heartbeat_at: m.heartbeat_at,
    resumes: m.resume_events.filter((e) => e.outcome === 'accepted').length,
  };
}
