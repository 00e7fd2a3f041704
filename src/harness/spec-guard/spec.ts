// A spec's YAML front matter (tasks/specs/*.md), parsed with `yaml` and validated with zod.
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { formatJsonPath } from '../../config/json-file.js';

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine(
    (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    'not a calendar date',
  );

export const SPEC_STATUSES = ['draft', 'active', 'landed', 'superseded'] as const;

export const specFrontMatterSchema = z.strictObject({
  id: z.string().min(1, 'must not be empty'),
  title: z.string().min(1, 'must not be empty'),
  relates_to: z.string().min(1, 'must not be empty'),
  risk: z.enum(['low', 'medium', 'high']),
  owners: z.array(z.string().min(1)).min(1, 'needs at least one owner'),
  last_review: z.preprocess((value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value), date),
  status: z.enum(SPEC_STATUSES),
  phase: z.number().int().min(0).max(5).optional(),
  golden_changes: z.array(z.string().min(1)).optional(),
});

export type SpecFrontMatter = z.infer<typeof specFrontMatterSchema>;

export type Violation = { file: string; field: string; message: string };

export type ParsedSpec = {
  file: string;
  frontMatter: SpecFrontMatter | null;
  violations: Violation[];
  /** The golden_changes an invalid spec declares (strings only): ignored, and said so. */
  ignoredGoldenChanges?: string[];
};

/** Splits `---\n<yaml>\n---` off the top of a Markdown file. */
export function frontMatterText(text: string): { yaml: string; startLine: number } | null {
  const match = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text);
  return match ? { yaml: match[1]!, startLine: 2 } : null;
}

export function parseSpec(file: string, text: string): ParsedSpec {
  const block = frontMatterText(text);
  if (!block) {
    // Said as it is: a byte order mark before the block, a block never closed, an empty one.
    const message = text.startsWith('\uFEFF')
      ? 'the file starts with a byte order mark (U+FEFF) before its --- line; save it as UTF-8 without one'
      : /^---\r?\n---(?:\r?\n|$)/.test(text)
        ? 'empty: the --- YAML block has no fields'
        : /^---\r?\n/.test(text)
          ? 'not closed: the --- YAML block needs a closing --- line'
          : 'missing: the file must start with a --- YAML block ---';
    return { file, frontMatter: null, violations: [{ file, field: '(front matter)', message }] };
  }
  const doc = parseDocument(block.yaml, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = (error.linePos?.[0]?.line ?? 1) + block.startLine - 1;
    return {
      file,
      frontMatter: null,
      violations: [{ file, field: '(front matter)', message: `invalid YAML at line ${line}: ${error.message.split('\n')[0]}` }],
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { file, frontMatter: null, violations: [{ file, field: '(front matter)', message: 'must be a mapping of fields' }] };
  }
  const result = specFrontMatterSchema.safeParse(raw);
  if (result.success) return { file, frontMatter: result.data, violations: [] };
  const declared = (raw as Record<string, unknown>).golden_changes;
  const ignoredGoldenChanges = Array.isArray(declared) ? declared.filter((g): g is string => typeof g === 'string') : [];
  const violations = result.error.issues.map((issue): Violation => {
    if (issue.code === 'unrecognized_keys') return { file, field: issue.keys.join(', '), message: 'unknown field' };
    const field = formatJsonPath(issue.path);
    const missing = issue.code === 'invalid_type' && (raw as Record<string, unknown>)[String(issue.path[0])] === undefined;
    return { file, field, message: missing ? 'required field is missing' : issue.message };
  });
  return { file, frontMatter: null, violations, ...(ignoredGoldenChanges.length > 0 ? { ignoredGoldenChanges } : {}) };
}
