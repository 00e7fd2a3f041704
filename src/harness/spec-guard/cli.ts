#!/usr/bin/env node
// `npm run spec-guard`: checks tasks/specs/*.md front matter and ties the change to its specs.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { collectChange, describeBase } from '../git/change.js';
import { isMain, isoDate, outFile, positiveInt, runTool, writeJsonOut } from '../tool-cli.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { DEFAULT_GUARD, runSpecGuard } from './guard.js';

/** Paths as git names them: repo-relative, no leading './'. */
const repoPath = (path: string) => path.replace(/^(\.\/)+/, '');

export function runSpecGuardCli(argv: string[]): Promise<number> {
  return runTool('spec-guard', argv, (program, setExit) => {
    program
      .description('Validate the front matter of every spec and check the change against them (exit 0 ok, 1 violations, 2 bad input).')
      .option('--base <ref>', 'base ref of the change (default: $BASE_SHA, else origin/main, else HEAD: the working tree against HEAD)')
      .option('--dry-run', 'report violations without failing')
      .option('--json', 'print the report as JSON')
      .option('--out <file>', 'also write the report as JSON to this file', outFile)
      .option('--today <date>', 'the date freshness is judged against (default: today, UTC)', isoDate)
      .option('--max-age-days <n>', 'how old last_review may be for an active or touched spec', positiveInt, DEFAULT_GUARD.maxAgeDays)
      .option('--guarded <prefixes>', 'comma-separated path prefixes whose change needs a touched spec', DEFAULT_GUARD.guarded.join(','))
      .option('--specs-dir <dir>', 'where the specs are', DEFAULT_GUARD.specsDir)
      .action(
        (opts: {
          base?: string;
          dryRun?: boolean;
          json?: boolean;
          out?: string;
          today?: string;
          maxAgeDays: number;
          guarded: string;
          specsDir: string;
        }) => {
          const root = process.cwd();
          const change = collectChange(root, opts.base, process.env);
          // A specs directory that is not there would make every spec "missing": bad input instead.
          if (!statSync(resolve(root, opts.specsDir), { throwIfNoEntry: false })?.isDirectory())
            throw new InputError(`--specs-dir: ${opts.specsDir} is not a directory`);
          const guarded = opts.guarded
            .split(',')
            .map((p) => repoPath(p.trim()))
            .filter(Boolean);
          // An empty list would turn the spec-per-change rule off without a word.
          if (guarded.length === 0) throw new InputError('--guarded: give at least one path prefix, e.g. src/');
          const report = runSpecGuard(change, {
            root,
            specsDir: repoPath(opts.specsDir).replace(/\/+$/, ''),
            guarded,
            maxAgeDays: opts.maxAgeDays,
            today: opts.today ?? new Date().toISOString().slice(0, 10),
            goldenPattern: DEFAULT_GUARD.goldenPattern,
          });
          writeJsonOut(opts.out, report);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          } else {
            process.stdout.write(
              `spec-guard: change against ${describeBase(report)}: ${change.files.length} file(s), ${report.specs.length} spec(s), touched: ${report.touchedSpecs.join(', ') || 'none'}\n`,
            );
            // Undeclared golden changes can be many: list the first 20; spec errors always in full.
            const goldenPaths = new Set(report.goldenChanges.map((g) => g.path));
            const undeclared = (v: (typeof report.violations)[number]) => v.field === 'golden_changes' && goldenPaths.has(v.file);
            const [golden, other] = [report.violations.filter(undeclared), report.violations.filter((v) => !undeclared(v))];
            for (const v of other) process.stdout.write(`spec-guard: ${v.file}: ${v.field}: ${v.message}\n`);
            for (const v of golden.slice(0, 20)) process.stdout.write(`spec-guard: ${v.file}: ${v.field}: ${v.message}\n`);
            if (golden.length > 20)
              process.stdout.write(`spec-guard: … and ${golden.length - 20} more undeclared golden changes (all of them: --json)\n`);
            if (report.suggestedGlobs.length > 0)
              process.stdout.write(`spec-guard: to declare them, add to the golden_changes of a touched spec: ${report.suggestedGlobs.join(', ')}\n`);
            for (const ignored of report.ignoredGoldenChanges)
              process.stdout.write(
                `spec-guard: ${ignored.file}: its golden_changes (${ignored.globs.join(', ')}) were ignored: the spec itself is invalid (see its violations)\n`,
              );
            for (const g of report.goldenChanges.filter((x) => x.coveredBy.length > 0))
              process.stdout.write(`spec-guard: golden change ${g.path} declared by ${g.coveredBy.join(', ')}\n`);
            process.stdout.write(
              `spec-guard: ${report.violations.length === 0 ? 'ok' : `${report.violations.length} violation(s)${opts.dryRun ? ' (dry run: not failing)' : ''}`}\n`,
            );
          }
          setExit(report.violations.length > 0 && !opts.dryRun ? 1 : 0);
        },
      );
  });
}

if (isMain(import.meta.url)) {
  refuseStaleDist('spec-guard', import.meta.url);
  // No top-level await: the bundle is a classic script (scripts/bundle-bin.mjs).
  exitWhenSettled('spec-guard', runSpecGuardCli(process.argv.slice(2)));
}
