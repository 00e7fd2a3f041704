// What the orchestrator hands each child: its working directory (repo-relative) and the
// environment entries the orchestrator sets or overrides — the CODEX_ORCHESTRATOR_* values,
// the pipeline's env, the stage's env — never the ambient environment it was started with.
// Run ids and the repo root are written as `<run-N>` (in order of first appearance) and
// `<repo>`, so a real run (random ids, a temp directory) and its replay describe a request in
// the same words: `golden record` stores them in the transcript, the replay commits them as
// expected/requests.ndjson, the transcript executor and `golden fidelity` compare them.
import { RUN_ID_PATTERN } from '../../layout/run-layout.js';
import { relative, sep } from 'node:path';
import type { RecordedRequest, ReplayedRequest } from '../../runtime/transcript-executor.js';
import type { ExecRequest } from '../../runtime/types.js';

export type { RecordedRequest, ReplayedRequest };

export type RequestDescriber = (request: ExecRequest) => RecordedRequest;

/**
 * Describes requests of one scenario run. `ambient` is the environment the CLI process was
 * started with (at the time of the request's invocation): entries equal to it are left out.
 */
export function createRequestDescriber(root: string, ambient: () => Record<string, string | undefined>): RequestDescriber {
  const runIds: string[] = [];
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** The root as a whole path: not the start of a longer name (`/tmp/g1` in `/tmp/g10`). */
  const rootPath = new RegExp(`${escaped}(?=/|$|:)`, 'g');
  const normalize = (value: string) =>
    value.replace(rootPath, '<repo>').replace(RUN_ID_PATTERN, (id) => {
      if (!runIds.includes(id)) runIds.push(id);
      return `<run-${runIds.indexOf(id) + 1}>`;
    });
  return (request) => {
    const base = ambient();
    const env: Record<string, string> = {};
    for (const key of Object.keys(request.env).sort()) {
      const value = request.env[key]!;
      if (base[key] !== value) env[key] = normalize(value);
    }
    const cwd = relative(root, request.cwd).split(sep).join('/') || '.';
    return { cwd, env };
  };
}

/** One line per child started, in order: `{"stage":…,"n":…,"cwd":…,"env":{…}}`. */
export function serializeRequests(requests: readonly ReplayedRequest[]): string {
  return requests.map((r) => `${JSON.stringify({ stage: r.stage, n: r.n, cwd: r.request.cwd, env: r.request.env })}\n`).join('');
}
