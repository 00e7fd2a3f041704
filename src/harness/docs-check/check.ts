// The docs check: in README.md and docs/, every `npm run X` names a script, every
// `codex-orchestrator start X` names a pipeline, and every backticked repo path exists. In those
// files and in the comments of the source files under src/, bench/, codemods/, lint-rules/ and
// tests/, every section reference `<file>.md §N` names an existing file with a `## N.` heading,
// and the old contracts document that lives outside the repository is never cited.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InputError, errorMessage } from '../../errors.js';

export type DocProblem = { file: string; line: number; kind: 'script' | 'pipeline' | 'path' | 'section'; text: string; message: string };
export type DocsReport = {
  files: string[];
  /** How many source files had their comments checked for section references. */
  sourceFiles: number;
  checked: { scripts: number; pipelines: number; paths: number; sections: number };
  problems: DocProblem[];
};

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

/** Where section references are also looked for: the comments of these directories' source files. */
export const SOURCE_DIRS = ['src', 'bench', 'codemods', 'lint-rules', 'tests'];
const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && SOURCE_FILE.test(entry.name)) out.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir)) && statSync(join(root, dir)).isDirectory()) walk(dir);
  return out.sort();
}

export type SourceComment = { offset: number; text: string };

const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/**
 * The comments of a JavaScript / TypeScript source, with their offsets. A small lexer: it skips
 * string, template and regular-expression literals, so a `//` or `/*` inside one is not a comment
 * and text in a string (a test fixture, a message) is not checked. A `/` is taken as the start of
 * a regular expression where an expression may begin; one that does not close on its line is
 * taken as a division.
 */
export function sourceComments(source: string): SourceComment[] {
  const comments: SourceComment[] = [];
  const braces: Array<'block' | 'template'> = [];
  const n = source.length;
  let i = 0;
  let regexAllowed = true;

  /** Scans template text from `from` to past the closing backtick, or to past a `${` (whose `}` resumes it). */
  const template = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = source[j];
      if (c === '\\') j += 2;
      else if (c === '`') {
        regexAllowed = false;
        return j + 1;
      } else if (c === '$' && source[j + 1] === '{') {
        braces.push('template');
        regexAllowed = true;
        return j + 2;
      } else j += 1;
    }
    return n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      comments.push({ offset: i, text: source.slice(i, stop) });
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      comments.push({ offset: i, text: source.slice(i, stop) });
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      i = j + 1;
      regexAllowed = false;
    } else if (c === '`') {
      i = template(i + 1);
    } else if (c === '/') {
      let j = i + 1;
      let inClass = false;
      let closed = false;
      if (regexAllowed) {
        while (j < n && source[j] !== '\n') {
          const r = source[j];
          if (r === '\\') j += 1;
          else if (r === '[') inClass = true;
          else if (r === ']') inClass = false;
          else if (r === '/' && !inClass) {
            closed = true;
            break;
          }
          j += 1;
        }
      }
      if (closed) {
        i = j + 1;
        while (i < n && /[A-Za-z]/.test(source[i]!)) i += 1; // flags
        regexAllowed = false;
      } else {
        i += 1; // a division (or `/=`)
        regexAllowed = true;
      }
    } else if (c === '{') {
      braces.push('block');
      regexAllowed = true;
      i += 1;
    } else if (c === '}') {
      if (braces.pop() === 'template') {
        i = template(i + 1);
      } else {
        i += 1;
        regexAllowed = false;
      }
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(source[j]!)) j += 1;
      regexAllowed = REGEX_AFTER_WORD.has(source.slice(i, j));
      i = j;
    } else if (c === ')' || c === ']') {
      regexAllowed = false;
      i += 1;
    } else {
      if (!/\s/.test(c)) regexAllowed = true;
      i += 1;
    }
  }
  return comments;
}

/** `<path>.md §N`, also written `§ N` or with the path in backticks. */
const SECTION_REF = /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]+\.md)`?\s*§\s*(\d+)/g;
/** The contracts document kept outside the repository; its sections now live in docs/. */
const OUTSIDE_CONTRACTS = /(?<![\w.-])((?:[\w.-]*\/)*CONTRACTS\.md)(?:`?\s*§\s*(\d+))?/g;

/** The numbered section headings (`## N.`) of a markdown file, outside fenced code blocks. */
function numberedSections(text: string): number[] {
  const numbers: number[] = [];
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const marker = line.match(/^\s{0,3}(`{3,}|~{3,})/);
    if (marker) {
      if (fence === null) fence = marker[1]![0]!;
      else if (marker[1]![0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const heading = line.match(/^#{2,6}\s+(\d+)\.(?:\s|$)/);
    if (heading) numbers.push(Number(heading[1]));
  }
  return numbers;
}

/** A repo path that exists with exactly this spelling (case included, on any file system). */
function fileExistsExactly(root: string, rel: string): boolean {
  const parts = rel.split('/');
  let dir = root;
  for (const [k, part] of parts.entries()) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return false;
    }
    if (!names.includes(part)) return false;
    dir = join(dir, part);
    if (k === parts.length - 1) return statSync(dir).isFile();
  }
  return false;
}

/**
 * Checks the section references in one piece of text (a markdown line, a source comment).
 * `path` is resolved: `./x.md` and `../x.md` from the citing file's directory, `a/b.md` from the
 * repo root, a bare `x.md` in docs/.
 */
function sectionChecker(root: string) {
  const sections = new Map<string, number[] | null>();
  const sectionsOf = (rel: string): number[] | null => {
    if (!sections.has(rel)) sections.set(rel, fileExistsExactly(root, rel) ? numberedSections(readFileSync(join(root, rel), 'utf8')) : null);
    return sections.get(rel)!;
  };
  return (file: string, text: string, lineAt: (index: number) => number, out: DocProblem[]): number => {
    let checked = 0;
    const problems: DocProblem[] = [];
    for (const match of text.matchAll(OUTSIDE_CONTRACTS)) {
      checked += 1;
      problems.push({
        file,
        line: lineAt(match.index),
        kind: 'section',
        text: match[2] === undefined ? match[1]! : `${match[1]} §${match[2]}`,
        message: 'cites a document that is not in the repository: cite a numbered section of a file in docs/ (e.g. docs/contracts.md §4)',
      });
    }
    for (const match of text.matchAll(SECTION_REF)) {
      const [, path, number] = match as unknown as [string, string, string];
      const ref = `${path} §${number}`;
      if (/(?:^|\/)CONTRACTS\.md$/.test(path)) continue; // reported above
      checked += 1;
      const rel = posix.normalize(
        path.startsWith('./') || path.startsWith('../') ? posix.join(posix.dirname(file), path) : path.includes('/') ? path : `docs/${path}`,
      );
      const line = lineAt(match.index);
      if (rel === '..' || rel.startsWith('../')) {
        problems.push({ file, line, kind: 'section', text: ref, message: `${path} is outside the repository` });
        continue;
      }
      const numbers = sectionsOf(rel);
      if (numbers === null) {
        problems.push({ file, line, kind: 'section', text: ref, message: `no file ${rel} in the repository` });
      } else if (!numbers.includes(Number(number))) {
        const has = numbers.length > 0 ? `its numbered sections: ${numbers.join(', ')}` : 'it has no numbered sections';
        problems.push({ file, line, kind: 'section', text: ref, message: `no section '## ${number}.' in ${rel} (${has})` });
      }
    }
    out.push(...problems.sort((a, b) => a.line - b.line));
    return checked;
  };
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
  const checked = { scripts: 0, pipelines: 0, paths: 0, sections: 0 };
  const checkSections = sectionChecker(root);
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
      checked.sections += checkSections(file, text, () => line, problems);
    });
  }
  const sources = sourceFiles(root);
  for (const file of sources) {
    let source: string;
    try {
      source = readFileSync(join(root, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since it was listed (a test's temp file)
      throw error;
    }
    const lineAt = (offset: number) => source.slice(0, offset).split('\n').length;
    for (const comment of sourceComments(source)) {
      checked.sections += checkSections(file, comment.text, (index) => lineAt(comment.offset + index), problems);
    }
  }
  return { files, sourceFiles: sources.length, checked, problems };
}
