// The run's manifest has one writer (src/persist/persister.ts). Code that holds a run context
// or a persister reads the manifest through a read-only view: a change outside a transition
// does not compile. Checked with the TypeScript compiler on probe files (ts-morph).
import { fileURLToPath } from 'node:url';
import { Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// One project for every probe: a probe replaces the one before it (overwrite), and the program
// built for it reuses the files that did not change (most of a probe's time was parsing them).
let shared: Project | null = null;

function diagnosticsOf(code: string): string[] {
  const project = (shared ??= new Project({ tsConfigFilePath: `${ROOT}/tsconfig.json`, skipAddingFilesFromTsConfig: true }));
  const file = project.createSourceFile(`${ROOT}/src/run/__manifest-view-probe.ts`, code, { overwrite: true });
  project.resolveSourceFileDependencies();
  return file.getPreEmitDiagnostics().map((d) => {
    const text = d.getMessageText();
    return `${d.getLineNumber()}: ${typeof text === 'string' ? text : text.getMessageText()}`;
  });
}

const HEADER = `import type { RunContext } from './context.js';
import { finalizeRun } from '../manifest/transitions.js';
declare const ctx: RunContext;
`;

describe('the manifest outside the persister is read-only', () => {
  it('assigning a field, pushing to an array or calling a transition on the view does not compile', () => {
    const errors = diagnosticsOf(`${HEADER}
ctx.manifest.status = 'failed';
ctx.manifest.commands[0]!.status = 'failed';
ctx.manifest.child_runs.push({ run_id: 'x', pipeline_id: 'p', status: 'queued', manifest: 'm' });
ctx.persister.manifest.summary = 'x';
finalizeRun(ctx.manifest, { status: 'failed', statusDetail: null, completedAtMs: 0, summaryLines: [] });
`);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['5', '6', '7', '8', '9']);
    expect(errors[0]).toMatch(/read-only property/);
  });

  it('reading the view and changing the manifest through a transition compile', () => {
    expect(
      diagnosticsOf(`${HEADER}
const status: string = ctx.manifest.status;
const first = ctx.manifest.commands[0]?.status;
void ctx.persister.update((m) => finalizeRun(m, { status: 'failed', statusDetail: null, completedAtMs: 0, summaryLines: [status, String(first)] }), { force: true });
ctx.persister.carry((m) => void m.child_runs.push({ run_id: 'x', pipeline_id: 'p', status: 'queued', manifest: 'm' }));
`),
    ).toEqual([]);
  });
});
