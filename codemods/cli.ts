#!/usr/bin/env node
// `npm run codemod -- persister [paths…]`: moves call sites of the raw manifest writer onto
// the persister. Configured by names (module, export, persister type, target API).
import { InputError } from '../src/errors.js';
import { runTool } from '../src/harness/tool-cli.js';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { Project } from 'ts-morph';
import type { PersisterOptions } from './persister/analyse.js';
import { runPersisterCodemod, type CodemodReport } from './persister/run.js';
import { refuseStaleDist } from '../src/harness/fresh-dist.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

type Flags = {
  dryRun?: boolean;
  json?: boolean;
  project?: string;
  writerModule: string;
  writerExport: string;
  persisterType: string;
  targetMethod: string;
  targetArgs: string;
  targetFunction?: string;
  targetModule?: string;
  migratedMethods: string;
  persisterArg: string;
  skip: string[];
};

function persisterArg(value: string): number | 'any' {
  if (value === 'any') return 'any';
  if (!/^\d+$/.test(value)) throw new InputError(`--persister-arg: expected a 0-based argument position or 'any', got '${value}'`);
  return Number(value);
}

function loadProject(flags: Flags, paths: string[], options: PersisterOptions): { project: Project; files: ReturnType<Project['getSourceFiles']> } {
  const tsconfig = resolve(flags.project ?? 'tsconfig.json');
  // An explicit --project must exist; only the default may be absent (then plain compiler options).
  if (flags.project !== undefined && !existsSync(tsconfig)) throw new InputError(`--project: ${flags.project} not found`);
  const project = existsSync(tsconfig) ? new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true }) : new Project();
  const files = [];
  for (const path of paths) {
    const abs = resolve(path);
    if (!existsSync(abs)) throw new InputError(`path not found: ${path}`);
    if (statSync(abs).isDirectory()) {
      files.push(...project.addSourceFilesAtPaths([`${abs}/**/*.{ts,tsx,mts,cts}`, `!${abs}/**/*.d.ts`, `!${abs}/**/node_modules/**`]));
    } else {
      files.push(project.addSourceFileAtPath(abs));
    }
  }
  if (!existsSync(options.writerModule)) throw new InputError(`--writer-module: ${relative(process.cwd(), options.writerModule)} not found`);
  project.addSourceFileAtPath(options.writerModule);
  if (options.targetFunction) {
    if (!existsSync(options.targetFunction.module))
      throw new InputError(`--target-module: ${relative(process.cwd(), options.targetFunction.module)} not found`);
    project.addSourceFileAtPath(options.targetFunction.module);
  }
  project.resolveSourceFileDependencies();
  return { project, files };
}

function printReport(report: CodemodReport, dryRun: boolean, root: string): void {
  const rel = (p: string) => relative(root, p);
  if (dryRun) for (const file of report.files) if (file.diff) out(file.diff.trimEnd());
  const s = report.summary;
  out(`persister codemod${dryRun ? ' (dry run: nothing written)' : ''}:`);
  out(`  files:  ${s.files_changed} ${dryRun ? 'would change' : 'changed'}, ${s.files_unchanged} unchanged`);
  out(`  sites:  ${s.migrated} migrated, ${s.already_migrated} already migrated, ${s.unmigratable} unmigratable`);
  for (const site of report.sites) {
    if (site.kind === 'migrated') out(`  migrated      ${rel(site.file)}:${site.line} -> ${site.detail}`);
    if (site.kind === 'unmigratable') out(`  unmigratable  ${rel(site.file)}:${site.line}: ${site.detail}`);
  }
}

export function runCodemodCli(argv: string[]): Promise<number> {
  return runTool('codemod', argv, (program, setExit) => {
    program.description('ts-morph codemods that move call sites');
    // The options belong to a codemod: `codemod --dry-run` alone says which.
    program.showHelpAfterError('(the options belong to a codemod: codemod persister --help)');
    program
      .command('persister')
      // Its own options are known: the hint is the bare codemod command's only.
      .showHelpAfterError(false)
      .description('rewrite calls of the raw manifest writer into forced persists through the persister reachable at each site')
      .argument('[paths...]', 'files or directories (default: src)')
      .option('--dry-run', 'print a unified diff per file and the summary; write nothing')
      .option('--json', 'print the report as JSON')
      .option('--project <tsconfig>', 'tsconfig.json to read compiler options from (default: ./tsconfig.json when there is one)')
      .option('--writer-module <path>', 'module that exports the raw writer', 'src/persist/manifest-writer.ts')
      .option('--writer-export <name>', "the raw writer's export name", 'saveManifest')
      .option('--persister-type <name>', "the persister's type name", 'ManifestPersister')
      .option('--target-method <name>', 'target API (method form): <persister>.<method>(<args>)', 'persist')
      .option('--target-args <code>', 'arguments of the target call', '{ force: true }')
      .option('--target-function <name>', 'target API (function form): <name>(<persister>, <args>), imported from --target-module')
      .option('--target-module <path>', 'module that exports --target-function')
      .option('--migrated-methods <names>', 'other persister methods whose calls count as migrated (comma-separated)', 'update')
      .option('--persister-arg <n|any>', 'function form: the argument (0-based) that holds the persister in a migrated call, or any', 'any')
      .option('--skip <paths...>', 'files, or directories ending in /, that implement the persister: never reported or marked', ['src/persist/'])
      .action((paths: string[], flags: Flags) => {
        if (Boolean(flags.targetFunction) !== Boolean(flags.targetModule)) throw new InputError('--target-function and --target-module go together');
        const options: PersisterOptions = {
          writerModule: resolve(flags.writerModule),
          writerExport: flags.writerExport,
          persisterType: flags.persisterType,
          targetMethod: flags.targetMethod,
          targetArgs: flags.targetArgs,
          targetFunction: flags.targetFunction ? { name: flags.targetFunction, module: resolve(flags.targetModule!) } : null,
          migratedMethods: flags.migratedMethods
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
          persisterArg: persisterArg(flags.persisterArg),
          skip: flags.skip.map((entry) => (entry.endsWith('/') ? `${resolve(entry)}/` : resolve(entry))),
        };
        const { project, files } = loadProject(flags, paths.length > 0 ? paths : ['src'], options);
        const report = runPersisterCodemod(project, files, options, { write: !flags.dryRun, root: process.cwd() });
        if (flags.json) {
          const rel = (p: string) => relative(process.cwd(), p);
          out(
            JSON.stringify(
              {
                dry_run: Boolean(flags.dryRun),
                summary: report.summary,
                files: report.files.map((f) => ({ file: rel(f.file), changed: f.changed, diff: f.diff })),
                sites: report.sites.map((s) => ({ kind: s.kind, file: rel(s.file), line: s.line, column: s.column, detail: s.detail })),
              },
              null,
              2,
            ),
          );
        } else {
          printReport(report, Boolean(flags.dryRun), process.cwd());
        }
        setExit(0);
      });
  });
}

// Judged by the sources of the modules it runs from dist/ (its own, and what they import), not by
// every source: src/ is its input, read as TypeScript by ts-morph, and a run that rewrote it
// must not refuse the next (a --dry-run after it, or a rerun that finds 0 sites left).
refuseStaleDist('codemod', import.meta.url, 'imports');
process.exitCode = await runCodemodCli(process.argv.slice(2));
