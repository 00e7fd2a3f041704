// A codex.orchestrator.json that is plainly valid, checked without zod: `start` and `plan` then
// load no zod (about a quarter of the CLI's start-up). It answers only "plainly valid: here is
// exactly what configSchema.parse would return" or "ask zod" (null): anything it does not know
// (a new key, a value it does not check, a `__proto__` key) goes to zod, which validates it and
// words every problem as before. So it never accepts what zod refuses, never refuses anything
// itself, and returns zod's output: objects with their keys in the schema's order, fresh
// objects and arrays. tests/unit/plain-config.test.ts holds it to configSchema: the same
// output on valid configs, null on invalid ones, and a tripwire on the schema's JSON Schema.
import { isReportPath, MAX_COMMAND_LENGTH, MAX_EXEC_EVENT_CHUNKS, MAX_ID_LENGTH, MAX_TITLE_LENGTH } from './limits.js';
import type { OrchestratorConfig } from './schema.js';

/** What a check returns for a value zod might refuse. */
const ASK_ZOD = Symbol('ask zod');
type Check = (value: unknown) => unknown;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

const string =
  (min = 0, max = Number.POSITIVE_INFINITY): Check =>
  (value) =>
    typeof value === 'string' && value.length >= min && value.length <= max ? value : ASK_ZOD;
const boolean: Check = (value) => (typeof value === 'boolean' ? value : ASK_ZOD);
const integer =
  (min: number, max: number): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? value : ASK_ZOD;
const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value) ? value : ASK_ZOD;

const array =
  (item: Check, min = 0): Check =>
  (value) => {
    if (!Array.isArray(value) || value.length < min) return ASK_ZOD;
    const out: unknown[] = [];
    for (const element of value) {
      const checked = item(element);
      if (checked === ASK_ZOD) return ASK_ZOD;
      out.push(checked);
    }
    return out;
  };

/** z.record(z.string(), z.string()). */
const stringRecord: Check = (value) => {
  if (!isPlainObject(value)) return ASK_ZOD;
  const out: Record<string, string> = {};
  for (const key of Object.keys(value)) {
    const entry = value[key];
    if (key === '__proto__' || typeof entry !== 'string') return ASK_ZOD;
    out[key] = entry;
  }
  return out;
};

/** z.strictObject(shape): the keys present, in the shape's order; a key the shape lacks goes to zod. */
type Shape = Array<[key: string, check: Check, optional?: 'optional']>;
const strictObject =
  (shape: Shape): Check =>
  (value) => {
    if (!isPlainObject(value)) return ASK_ZOD;
    const keys = Object.keys(value);
    if (keys.some((key) => !shape.some(([known]) => known === key))) return ASK_ZOD;
    const out: Record<string, unknown> = {};
    for (const [key, check, optional] of shape) {
      if (!Object.hasOwn(value, key)) {
        if (optional) continue;
        return ASK_ZOD;
      }
      const checked = check(value[key]);
      if (checked === ASK_ZOD) return ASK_ZOD;
      out[key] = checked;
    }
    return out;
  };

const id = string(1, MAX_ID_LENGTH);
const title = string(0, MAX_TITLE_LENGTH);
/** The schema's refine on `report` is the same predicate (limits.ts). */
const reportPath: Check = (value) => {
  const checked = string(1, MAX_TITLE_LENGTH)(value);
  return checked !== ASK_ZOD && isReportPath(checked as string) ? checked : ASK_ZOD;
};

const commandStage = strictObject([
  ['kind', oneOf('command')],
  ['id', id],
  ['title', title],
  ['command', string(1, MAX_COMMAND_LENGTH)],
  ['cwd', string(), 'optional'],
  ['allowOutsideRoot', boolean, 'optional'],
  ['env', stringRecord, 'optional'],
  ['allowFailure', boolean, 'optional'],
  ['always', boolean, 'optional'],
  ['summaryHint', title, 'optional'],
  ['executionMode', string(), 'optional'],
  ['mode', string(), 'optional'],
  ['requires_cloud', boolean, 'optional'],
  ['requiresCloud', boolean, 'optional'],
  ['idempotent', boolean, 'optional'],
  ['report', reportPath, 'optional'],
]);

const subpipelineStage = strictObject([
  ['kind', oneOf('subpipeline')],
  ['id', id],
  ['title', title],
  ['pipeline', id],
  ['optional', boolean, 'optional'],
]);

const stage: Check = (value) => {
  const kind = isPlainObject(value) ? value.kind : undefined;
  if (kind === 'command') return commandStage(value);
  if (kind === 'subpipeline') return subpipelineStage(value);
  return ASK_ZOD;
};

const pipeline = strictObject([
  ['id', id],
  ['title', title],
  ['description', string(), 'optional'],
  ['tags', array(string()), 'optional'],
  ['guardrailsRequired', boolean, 'optional'],
  ['env', stringRecord, 'optional'],
  ['stages', array(stage, 1)],
]);

const config = strictObject([
  ['$schema', string(), 'optional'],
  ['defaultPipeline', string(), 'optional'],
  ['execEventMaxChunks', integer(0, MAX_EXEC_EVENT_CHUNKS), 'optional'],
  [
    'cloud',
    strictObject([
      ['redisUrl', string(1), 'optional'],
      ['queue', string(), 'optional'],
      ['fallback', oneOf('auto', 'strict'), 'optional'],
      ['reconnectMs', integer(0, 3_600_000), 'optional'],
    ]),
    'optional',
  ],
  ['pipelines', array(pipeline)],
]);

/** What `configSchema.parse(raw)` returns, when `raw` is plainly valid; null: validate it with zod. */
export function plainConfig(raw: unknown): OrchestratorConfig | null {
  const checked = config(raw);
  return checked === ASK_ZOD ? null : (checked as OrchestratorConfig);
}
