// The docs check: in README.md and docs/, every `npm run X` names a script, every
// `codex-orchestrator start X` names a pipeline, and every backticked repo path exists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, errorMessage } from '../../errors.js';

export type DocProblem = { file: string; line: number; kind: 'script' | 'pipeline' | 'path'; text: string; message: string };
export type DocsReport = { files: string[]; checked: { scripts: number; pipelines: number; paths: number }; problems: DocProblem[] };

const START_VALUE_FLAGS = new Set(['--task', '--parent-run', '--approval-policy', '--target', '--format']);

function markdownFiles(root: string): string[] {
  const out: string[] = [];
  if (existsSync(join(root, 'README.md'))) out.push('README.md');
  const walk = (dir: string) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out.sort();
}

function isIgnored(root: string, path: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', path], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A code span that names a repo path: `./anything`, or a path with '/' whose first segment
 * is at the repo root. Bare file names (`scenario.json`) are left alone: they name a file
 * inside some directory the text is talking about, not a repo path.
 */
function pathCandidate(root: string, token: string): boolean {
  if (/[\s<>*{}$|()[\]:'"`,;=]/.test(token) || token.startsWith('-') || token.includes('://')) return false;
  if (token.startsWith('./')) return true;
  if (!token.includes('/')) return false;
  const first = token.split('/')[0]!;
  return first !== '' && first !== '..' && existsSync(join(root, first));
}

export function checkDocs(root: string): DocsReport {
  let pkg: { scripts?: Record<string, string> };
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  } catch (error) {
    // No readable package.json is bad input (exit 2), not a finding about the docs.
    throw new InputError(`package.json: ${errorMessage(error)}`);
  }
  const scripts = new Set(Object.keys(pkg.scripts ?? {}));
  let pipelines = new Set<string>();
  const configPath = join(root, 'codex.orchestrator.json');
  if (existsSync(configPath)) {
    try {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { pipelines?: Array<{ id: string }> };
      pipelines = new Set((config.pipelines ?? []).map((p) => p.id));
    } catch (error) {
      throw new InputError(`codex.orchestrator.json: ${errorMessage(error)}`);
    }
  }
  const files = markdownFiles(root);
  const problems: DocProblem[] = [];
  const checked = { scripts: 0, pipelines: 0, paths: 0 };
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const line = i + 1;
      for (const match of text.matchAll(/\bnpm run(?:-script)?\s+([A-Za-z0-9:_.-]+)/g)) {
        checked.scripts += 1;
        if (!scripts.has(match[1]!))
          problems.push({ file, line, kind: 'script', text: match[0], message: `no script '${match[1]}' in package.json` });
      }
      for (const match of text.matchAll(/\bcodex-orchestrator\s+start\b([^`\n]*)/g)) {
        const tokens = match[1]!.trim().split(/\s+/).filter(Boolean);
        let pipeline: string | null = null;
        for (let t = 0; t < tokens.length; t += 1) {
          const token = tokens[t]!;
          if (token.startsWith('-')) {
            if (!token.includes('=') && START_VALUE_FLAGS.has(token)) t += 1;
            continue;
          }
          pipeline = token;
          break;
        }
        if (!pipeline || /^[[<(|&;]/.test(pipeline)) continue;
        pipeline = pipeline.replace(/[.,;:)]+$/, '');
        checked.pipelines += 1;
        if (!pipelines.has(pipeline))
          problems.push({
            file,
            line,
            kind: 'pipeline',
            text: `codex-orchestrator start ${pipeline}`,
            message: `no pipeline '${pipeline}' in codex.orchestrator.json`,
          });
      }
      for (const match of text.matchAll(/(?<!`)`([^`\n]+)`(?!`)/g)) {
        const token = match[1]!;
        if (!pathCandidate(root, token)) continue;
        const path = token.replace(/^\.\//, '').replace(/\/$/, '');
        checked.paths += 1;
        if (existsSync(join(root, path))) {
          if (token.endsWith('/') && !statSync(join(root, path)).isDirectory())
            problems.push({ file, line, kind: 'path', text: token, message: 'named as a directory but is a file' });
          continue;
        }
        if (isIgnored(root, path)) continue; // build and run output, not a repo path
        problems.push({ file, line, kind: 'path', text: token, message: 'no such file or directory in the repository' });
      }
    });
  }
  return { files, checked, problems };
}
