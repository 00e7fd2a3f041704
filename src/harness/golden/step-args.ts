// Scenario argv may refer to what earlier steps produced: `{last_run_id}` (the run id in the
// previous JSON output) and `{last_resume_token}` (that run's .resume-token).
export type StepVars = { last_run_id?: string; last_resume_token?: string };

export function substituteArgs(argv: string[], vars: StepVars): string[] {
  return argv.map((arg) =>
    arg.replace(/\{(last_run_id|last_resume_token)\}/g, (whole, key: keyof StepVars) => {
      const value = vars[key];
      if (value === undefined) throw new Error(`scenario argv uses ${whole} but no earlier step printed a run (use --format json)`);
      return value;
    }),
  );
}

/** The run id and artifact root a step printed, when its stdout is a JSON run document. */
export function runFromStdout(stdout: string): { runId: string; artifactRoot: string } | null {
  try {
    const doc = JSON.parse(stdout) as { run_id?: unknown; artifact_root?: unknown };
    if (typeof doc.run_id === 'string' && typeof doc.artifact_root === 'string') return { runId: doc.run_id, artifactRoot: doc.artifact_root };
  } catch {
    // Not a JSON document.
  }
  return null;
}
