// How the CLI prints a run's summary (after `start`/`resume` and in `status`).

/**
 * A run's summary lines as the CLI prints them: the `Guardrails: …` line (always last in the
 * manifest's summary) only for a pipeline that requires guardrails; for any other it says
 * nothing about the run (issue 18).
 */
export function printedSummaryLines(summary: string | null, guardrailsRequired: boolean): string[] {
  if (!summary) return [];
  const lines = summary.split('\n');
  return guardrailsRequired ? lines : lines.filter((line) => !line.startsWith('Guardrails: '));
}
