// The execution mode of a command stage: whether it runs here (mcp) or elsewhere (cloud).
//
// Phase 4 (removes B5): one parse function, `resolveExecutionMode`, and one named preset per
// call site. Before, three hand-written parsers (stage dispatch, plan preview, run summary)
// each had their own rules; the presets reproduce each site's rules exactly, answer for
// answer, so that what the three sites say today is one table of settings, not three pieces
// of code. The lint rule `codex/single-execution-mode-resolver` keeps it that way: mode words
// and mode keys are read here and nowhere else.

export type ExecutionMode = 'mcp' | 'cloud';

/** The stage settings a mode is read from (any of them may be missing or of any type). */
export type ModeInputs = {
  executionMode?: unknown;
  mode?: unknown;
  requires_cloud?: unknown;
  requiresCloud?: unknown;
};

/** The task's metadata, from tasks/index.json (its `execution.parallel`). */
export type ModeTask = { execution?: { parallel?: unknown } } | undefined;

/** One call site's rules. */
export type ModePreset = {
  /** Which are read first: the boolean flags, or the mode words. */
  readonly first: 'flags' | 'words';
  /** The boolean flags, in order: the first that is a boolean decides. */
  readonly flagKeys: ReadonlyArray<'requires_cloud' | 'requiresCloud'>;
  /** The string settings, in order: the first whose (lower-cased) word is known decides. */
  readonly wordKeys: ReadonlyArray<'executionMode' | 'mode'>;
  /** Whether a word is trimmed before it is looked up. */
  readonly trim: boolean;
  /** The words, lower-case, that mean each mode. */
  readonly words: { readonly cloud: readonly string[]; readonly mcp: readonly string[] };
  /**
   * The task's `execution.parallel === true`: ignored; a fallback when the stage says
   * nothing; or cloud over anything the stage says.
   */
  readonly parallelTask: 'ignored' | 'fallback' | 'overrides';
};

const FLAG_KEYS = ['requires_cloud', 'requiresCloud'] as const;
const MODE_WORDS = { cloud: ['cloud'], mcp: ['mcp'] } as const;

/** Stage dispatch (`start`): flags first; then `executionMode`, `mode`, not trimmed; then a parallel task; else mcp. */
export const DISPATCH_PRESET: ModePreset = {
  first: 'flags',
  flagKeys: FLAG_KEYS,
  wordKeys: ['executionMode', 'mode'],
  trim: false,
  words: MODE_WORDS,
  parallelTask: 'fallback',
};

/** Plan preview (`plan`): flags first; then `executionMode` only, trimmed; the task is not read; else mcp. */
export const PLAN_PRESET: ModePreset = {
  first: 'flags',
  flagKeys: FLAG_KEYS,
  wordKeys: ['executionMode'],
  trim: true,
  words: MODE_WORDS,
  parallelTask: 'ignored',
};

/**
 * Run summary (`run-summary.json`): words first (`mode`, then `executionMode`, trimmed, with
 * true/1/yes and false/0/no as well); then the flags; a parallel task makes it cloud over
 * anything; else mcp.
 */
export const SUMMARY_PRESET: ModePreset = {
  first: 'words',
  flagKeys: FLAG_KEYS,
  wordKeys: ['mode', 'executionMode'],
  trim: true,
  words: { cloud: ['cloud', 'true', '1', 'yes'], mcp: ['mcp', 'false', '0', 'no'] },
  parallelTask: 'overrides',
};

function fromFlags(preset: ModePreset, stage: ModeInputs): ExecutionMode | null {
  for (const key of preset.flagKeys) {
    const flag = stage[key];
    if (typeof flag === 'boolean') return flag ? 'cloud' : 'mcp';
  }
  return null;
}

function fromWords(preset: ModePreset, stage: ModeInputs): ExecutionMode | null {
  for (const key of preset.wordKeys) {
    const value = stage[key];
    if (typeof value !== 'string') continue;
    const word = (preset.trim ? value.trim() : value).toLowerCase();
    if (preset.words.cloud.includes(word)) return 'cloud';
    if (preset.words.mcp.includes(word)) return 'mcp';
  }
  return null;
}

/** The execution mode of `stage` (in `task`) under one call site's rules. */
export function resolveExecutionMode(preset: ModePreset, stage: ModeInputs, task: ModeTask): ExecutionMode {
  const parallel = preset.parallelTask !== 'ignored' && task?.execution?.parallel === true;
  if (parallel && preset.parallelTask === 'overrides') return 'cloud';
  const [read, then] = preset.first === 'flags' ? [fromFlags, fromWords] : [fromWords, fromFlags];
  const mode = read(preset, stage) ?? then(preset, stage);
  if (mode !== null) return mode;
  return parallel ? 'cloud' : 'mcp';
}

/** Whether a stage of this mode is sent to a worker (when a Redis URL is set) rather than run here. */
export function isCloudMode(mode: ExecutionMode): boolean {
  return mode === 'cloud';
}
