// The rule factory (typescript-eslint's RuleCreator) and the path helpers every rule uses to
// decide, from inside the rule, whether the file it looks at is allowed (so flat-config
// overrides never replace one rule's options with another's).
import { ESLintUtils } from '@typescript-eslint/utils';
import type { TSESLint } from '@typescript-eslint/utils';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

export const createRule = ESLintUtils.RuleCreator((name) => `https://codex-orchestrator.local/lint-rules/docs/${name}.md`);

type AnyContext = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;

const posix = (path: string) => path.split(sep).join('/');

/** The linted file as an absolute path with '/' separators. */
export function fileOf(context: AnyContext): string {
  return posix(isAbsolute(context.filename) ? context.filename : resolve(context.cwd, context.filename));
}

/**
 * Whether a file is one of the entries: repo paths such as `src/cli/main.ts`, or directories
 * ending in '/' such as `src/persist/`. Entries match at a path-segment boundary, so the rule
 * gives the same answer whatever directory ESLint runs from.
 */
export function isAllowed(file: string, allow: readonly string[]): boolean {
  return allow.some((entry) => {
    if (entry.endsWith('/')) return file.startsWith(entry) || file.includes(`/${entry}`);
    return file === entry || file.endsWith(`/${entry}`);
  });
}

const stripExtension = (path: string) => path.replace(/\.(js|mjs|cjs|ts|mts|cts|tsx|jsx)$/, '');

/** Whether a module specifier names one of the modules (repo paths, extension optional). */
export function moduleMatches(context: AnyContext, source: string, modules: readonly string[]): boolean {
  if (!source.startsWith('.')) return modules.includes(source);
  const target = stripExtension(posix(resolve(dirname(fileOf(context)), source)));
  return modules.some((m) => {
    const wanted = stripExtension(m);
    return target === wanted || target.endsWith(`/${wanted}`);
  });
}
