// The config's limits (docs/contracts.md §2), apart from its zod schema (schema.ts) so that code
// that needs only a limit does not load zod.

/** Length limits: an id, a title or a summary hint, a command. */
export const MAX_ID_LENGTH = 200;
export const MAX_TITLE_LENGTH = 1_000;
export const MAX_COMMAND_LENGTH = 65_536;

/** The largest cap on chunk events per stage (`execEventMaxChunks`, phase 3). */
export const MAX_EXEC_EVENT_CHUNKS = 1_000_000;

/** A stage's `report`: a path inside the run directory (relative, no `..`, no backslash). */
export const isReportPath = (path: string): boolean => !path.startsWith('/') && !path.split('/').includes('..') && !path.includes('\\');
