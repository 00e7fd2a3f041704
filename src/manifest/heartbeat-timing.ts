// How often a running run's owner writes its heartbeat, and when a reader calls it stale
// (docs/contracts.md); apart from the manifest's zod schema so that the run loads no zod for them.
export const HEARTBEAT_INTERVAL_SECONDS = 5;
export const HEARTBEAT_STALE_AFTER_SECONDS = 30;
