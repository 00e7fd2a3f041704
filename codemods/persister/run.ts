// The persister codemod over a set of files: analyse every file first, then edit, then save
// once — only files whose text really changes. A dry run returns the diffs instead.
import { createTwoFilesPatch } from 'diff';
import { relative, dirname } from 'node:path';
import { SyntaxKind, type Project, type SourceFile } from 'ts-morph';
import { analyseFile, writerNames, writerSymbol, type PersisterOptions, type Site } from './analyse.js';

export type FileResult = { file: string; changed: boolean; diff: string | null };

export type CodemodReport = {
  files: FileResult[];
  sites: Site[];
  summary: { files_changed: number; files_unchanged: number; migrated: number; already_migrated: number; unmigratable: number };
};

function applyEdits(text: string, sites: Site[]): string {
  const edits = sites.flatMap((s) => (s.edit ? [s.edit] : [])).sort((a, b) => b.start - a.start);
  let out = text;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/** Removes writer imports that the edits left unused. */
function removeUnusedWriterImports(file: SourceFile, writerModulePath: string, writerBarrels: Set<string>): void {
  for (const declaration of file.getImportDeclarations()) {
    const target = declaration.getModuleSpecifierSourceFile()?.getFilePath();
    if (!target || (target !== writerModulePath && !writerBarrels.has(target))) continue;
    const used = (name: string) =>
      file
        .getDescendantsOfKind(SyntaxKind.Identifier)
        .some((id) => id.getText() === name && !id.getFirstAncestorByKind(SyntaxKind.ImportDeclaration));
    for (const specifier of declaration.getNamedImports()) {
      const local = specifier.getAliasNode()?.getText() ?? specifier.getName();
      if (!used(local)) specifier.remove();
    }
    const namespace = declaration.getNamespaceImport();
    if (namespace && !used(namespace.getText())) declaration.remove();
    else if (declaration.getNamedImports().length === 0 && !declaration.getDefaultImport() && !declaration.getNamespaceImport()) declaration.remove();
  }
}

function moduleSpecifierFor(file: SourceFile, modulePath: string): string {
  const usesJs = file.getImportDeclarations().some((d) => /^\.\.?\/.*\.js$/.test(d.getModuleSpecifierValue()));
  let spec = relative(dirname(file.getFilePath()), modulePath)
    .replace(/\\/g, '/')
    .replace(/\.tsx?$/, usesJs ? '.js' : '');
  if (!spec.startsWith('.')) spec = `./${spec}`;
  return spec;
}

function addTargetImport(file: SourceFile, options: PersisterOptions): void {
  const target = options.targetFunction;
  if (!target) return;
  const imports = file.getImportDeclarations();
  const existing = imports.find((d) => !d.isTypeOnly() && d.getModuleSpecifierSourceFile()?.getFilePath() === target.module);
  if (existing) {
    if (!existing.getNamedImports().some((n) => (n.getAliasNode()?.getText() ?? n.getName()) === target.name)) existing.addNamedImport(target.name);
    return;
  }
  // Written by hand (not through the printer) so the file keeps its own quote style.
  const quote = imports[0]?.getModuleSpecifier().getText().startsWith('"') ? '"' : "'";
  const line = `import { ${target.name} } from ${quote}${moduleSpecifierFor(file, target.module)}${quote};`;
  const last = imports.at(-1);
  if (last) file.insertText(last.getEnd(), `\n${line}`);
  else file.insertText(0, `${line}\n`);
}

/** Modules that re-export the writer under its name (so imports from them can be cleaned up too). */
function writerBarrels(project: Project, options: PersisterOptions): Set<string> {
  const barrels = new Set<string>();
  for (const file of project.getSourceFiles()) {
    for (const declaration of file.getExportDeclarations()) {
      if (declaration.getModuleSpecifierSourceFile()?.getFilePath() === options.writerModule) barrels.add(file.getFilePath());
    }
  }
  return barrels;
}

export function runPersisterCodemod(
  project: Project,
  files: SourceFile[],
  options: PersisterOptions,
  mode: { write: boolean; root: string },
): CodemodReport {
  const writer = writerSymbol(project, options);
  const names = writerNames(project, writer, options);
  const writerPath = project.getSourceFileOrThrow(options.writerModule).getFilePath();
  const barrels = writerBarrels(project, options);
  // Analyse everything first…
  const analysed = files
    .filter((f) => f.getFilePath() !== writerPath)
    .map((file) => ({ file, before: file.getFullText(), sites: analyseFile(file, writer, names, options) }));
  // …then edit…
  const results: FileResult[] = [];
  for (const { file, before, sites } of analysed) {
    const migrated = sites.some((s) => s.kind === 'migrated' && s.edit);
    if (!sites.some((s) => s.edit)) {
      results.push({ file: file.getFilePath(), changed: false, diff: null });
      continue;
    }
    file.replaceWithText(applyEdits(before, sites));
    if (migrated) {
      removeUnusedWriterImports(file, writerPath, barrels);
      addTargetImport(file, options);
    }
    const after = file.getFullText();
    const rel = relative(mode.root, file.getFilePath()).replace(/\\/g, '/');
    results.push({
      file: file.getFilePath(),
      changed: after !== before,
      diff: after !== before ? createTwoFilesPatch(`a/${rel}`, `b/${rel}`, before, after) : null,
    });
  }
  // …then save once, only what changed.
  if (mode.write) {
    for (const result of results) if (result.changed) project.getSourceFileOrThrow(result.file).saveSync();
  } else {
    for (const { file, before } of analysed) if (file.getFullText() !== before) file.replaceWithText(before);
  }
  const sites = analysed.flatMap((a) => a.sites);
  return {
    files: results,
    sites,
    summary: {
      files_changed: results.filter((r) => r.changed).length,
      files_unchanged: results.filter((r) => !r.changed).length,
      migrated: sites.filter((s) => s.kind === 'migrated').length,
      already_migrated: sites.filter((s) => s.kind === 'already-migrated').length,
      unmigratable: sites.filter((s) => s.kind === 'unmigratable').length,
    },
  };
}
