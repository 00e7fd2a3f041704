// The privacy guard on real output. Shadow (default): decisions recorded with reason
// shadow-mode, data untouched. Enforce: no secret, PEM header or AWS key id reaches any file
// under .runs or out; redacted values read [REDACTED], chunks with a private key are dropped.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { chunkBytes, checkRunsDir, onlyRunId, runFiles, snapshotTree, useTempRepos, type Json } from '../helpers/integration.js';

const repo = useTempRepos();

const SECRETS = [
  'hunter2Secret99',
  'AKIAIOSFODNN7EXAMPLE',
  '-----BEGIN RSA PRIVATE KEY-----',
  'PRIVATE KEY',
  'MIIEowIBAAKCAQEAx7keymaterial',
  'abcdef123456',
];

// Each write waits until the guard has decided on the previous chunk (one decision per chunk
// in privacy-decisions.ndjson), so every write is its own chunk. The secrets live only in this
// script, not in the stage's command line (a text the guard judges on its own, see
// tests/virtual/privacy-stream.test.ts).
const EMIT = `log="$CODEX_ORCHESTRATOR_RUN_DIR/privacy-decisions.ndjson"
seen() { until [ "$(cat "$log" 2>/dev/null | wc -l)" -ge "$1" ]; do :; done; }
printf 'starting\\n'; seen 1
printf 'password=hunter2Secret99 user=alice\\n'; seen 2
printf 'key id AKIAIOSFODNN7EXAMPLE in use\\n'; seen 3
printf -- '-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAx7keymaterial\\n-----END RSA PRIVATE KEY-----\\n'; seen 4
printf 'error: token=abcdef123456 rejected\\n' >&2; seen 5
printf 'done\\n'
exit 1
`;

const RAW_STDOUT =
  'starting\npassword=hunter2Secret99 user=alice\nkey id AKIAIOSFODNN7EXAMPLE in use\n' +
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7keymaterial\n-----END RSA PRIVATE KEY-----\ndone\n';
const RAW_STDERR = 'error: token=abcdef123456 rejected\n';

const ACTIONS = ['allow', 'redact', 'redact', 'block', 'redact', 'allow'];
const RULES = [null, 'sensitive-token', 'sensitive-token', 'private-key', 'sensitive-token', null];

function privacyRepo(): string {
  return repo(
    { pipelines: [{ id: 'diagnostics', title: 'D', stages: [{ kind: 'command', id: 'leaky', title: 'Leaky', command: 'sh emit.sh' }] }] },
    { 'emit.sh': EMIT },
  );
}

/** Files (relative to the repo root) under .runs and out whose bytes contain `needle`. */
function filesContaining(root: string, needle: string): string[] {
  const hits: string[] = [];
  for (const dir of ['.runs', 'out']) {
    for (const [rel, bytes] of snapshotTree(join(root, dir))) if (bytes.includes(Buffer.from(needle))) hits.push(`${dir}/${rel}`);
  }
  return hits;
}

/** The decisions of the output's chunks (a text's decision names no handle: `text:<kind>`). */
const chunkDecisions = (decisions: Json[]) => decisions.filter((d) => !String(d.handle_id).startsWith('text:'));

function checkDecisions(all: Json[], m: Json): void {
  const decisions = chunkDecisions(all);
  expect(decisions.map((d) => d.action)).toEqual(ACTIONS);
  expect(decisions.map((d) => d.rule)).toEqual(RULES);
  expect(decisions.map((d) => d.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(decisions.every((d) => d.stage_id === 'leaky')).toBe(true);
  const [stdoutHandle, stderrHandle] = m.handles.map((h: Json) => h.handle_id);
  expect(decisions.map((d) => d.handle_id)).toEqual([stdoutHandle, stdoutHandle, stdoutHandle, stdoutHandle, stderrHandle, stdoutHandle]);
  expect(m.privacy.totals).toEqual({ total_frames: 6, redacted_frames: 3, blocked_frames: 1, allowed_frames: 2 });
  // The manifest keeps (at least) every decision that is not an allow, as logged.
  const notAllow = (list: Json[]) => list.filter((d) => d.action !== 'allow');
  expect(notAllow(m.privacy.decisions)).toEqual(notAllow(all));
  for (const d of m.privacy.decisions) expect(all).toContainEqual(d);
}

describe('privacy guard', () => {
  it('enforce: no secret reaches any file under .runs or out; decisions and totals recorded', async () => {
    const root = privacyRepo();
    const env = { CODEX_PRIVACY_GUARD_MODE: 'enforce' };
    const result = await runCliProcess(['start'], { cwd: root, env });
    expect(result.code, result.stderr).toBe(1);
    const run = runFiles(root, onlyRunId(root));
    const m = run.manifest();
    expect(m.privacy.mode).toBe('enforce');

    for (const secret of SECRETS) expect(filesContaining(root, secret), secret).toEqual([]);

    const events = run.commandLog('01-leaky.ndjson');
    expect(chunkBytes(events, 'stdout').toString()).toBe('starting\npassword=[REDACTED] user=alice\nkey id [REDACTED] in use\ndone\n');
    expect(chunkBytes(events, 'stderr').toString()).toBe('error: token=[REDACTED] rejected\n');
    expect(events.filter((e) => e.type === 'exec:chunk').map((e) => e.sequence)).toEqual([1, 2, 3, 5, 6]);
    expect(run.runnerText()).toBe(events.map((e) => `${JSON.stringify(e)}\n`).join(''));

    const decisions = run.decisions();
    checkDecisions(decisions, m);
    for (const d of decisions) expect(d.reason).not.toBe('shadow-mode');
    // The summary is made of what the guard let through: nothing left for its own guard to do.
    expect(decisions.filter((d) => String(d.handle_id).startsWith('text:'))).toEqual([]);

    expect(m.commands[0].summary).toBe('Exited with code 1 — error: token=[REDACTED] rejected');
    expect(run.errorFile('01-leaky.json').details).toEqual({ exit_code: 1, stderr: 'error: token=[REDACTED] rejected\n' });
    const summaryEvents = run.summary().tool_runs[0].events as Json[];
    expect(chunkBytes(summaryEvents, 'stdout').toString()).not.toContain('hunter2');
    checkRunsDir(root);

    // exec: what it prints (--json tails, --jsonl lines) is redacted the same way.
    const json = await runCliProcess(['exec', '--json', 'sh emit.sh'], { cwd: root, env });
    expect(json.code, json.stderr).toBe(1);
    const jsonl = await runCliProcess(['exec', '--jsonl', 'sh emit.sh'], { cwd: root, env });
    expect(jsonl.code, jsonl.stderr).toBe(1);
    for (const secret of SECRETS) {
      expect(json.stdout, secret).not.toContain(secret);
      expect(jsonl.stdout, secret).not.toContain(secret);
      expect(filesContaining(root, secret), secret).toEqual([]);
    }
    expect(JSON.parse(json.stdout)).toMatchObject({ stderr: 'error: token=[REDACTED] rejected\n' });
    checkRunsDir(root, { minManifests: 3 });
  });

  it('shadow (default): the output is kept as is and every decision says shadow-mode', async () => {
    const root = privacyRepo();
    const result = await runCliProcess(['start'], { cwd: root });
    expect(result.code, result.stderr).toBe(1);
    const run = runFiles(root, onlyRunId(root));
    const m = run.manifest();
    expect(m.privacy.mode).toBe('shadow');

    const events = run.commandLog('01-leaky.ndjson');
    expect(chunkBytes(events, 'stdout').toString()).toBe(RAW_STDOUT);
    expect(chunkBytes(events, 'stderr').toString()).toBe(RAW_STDERR);
    expect(events.filter((e) => e.type === 'exec:chunk').map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const secret of SECRETS) expect(filesContaining(root, secret), secret).toContain(`.runs/0101/cli/${m.run_id}/runner.ndjson`);

    const decisions = run.decisions();
    checkDecisions(decisions, m);
    for (const d of decisions) expect(d.reason).toBe('shadow-mode');
    // The summary (the stderr's last line) is kept as is, and recorded as what enforce mode would change.
    expect(m.commands[0].summary).toBe('Exited with code 1 — error: token=abcdef123456 rejected');
    expect(decisions.filter((d) => String(d.handle_id).startsWith('text:'))).toMatchObject([
      { handle_id: 'text:summary', sequence: 1, action: 'redact', rule: 'sensitive-token', reason: 'shadow-mode', stage_id: 'leaky' },
    ]);
    expect(run.errorFile('01-leaky.json').details.stderr).toBe(RAW_STDERR);
    checkRunsDir(root);
  });
});
