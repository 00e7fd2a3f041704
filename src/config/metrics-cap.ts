// Phase 5's opt-in cap on the privacy events a metrics line embeds:
// CODEX_METRICS_PRIVACY_EVENTS_MAX=N keeps the first N (0 keeps none: the line then only
// points at the run's privacy-decisions.ndjson); unset keeps them all.
import { countVariable, ENV_VARIABLES } from './env-settings.js';

export const MAX_METRICS_PRIVACY_EVENTS = 1_000_000;

/** The cap, or null (unset: all). A bad value is one line naming the variable (InputError). */
export function metricsPrivacyEventsMax(env: Record<string, string | undefined>): number | null {
  return countVariable(env, ENV_VARIABLES.metricsPrivacyEventsMax.name, MAX_METRICS_PRIVACY_EVENTS) ?? null;
}
