#!/usr/bin/env node
// `npm run diff-budget`: files and lines changed since the merge-base against the budget.
import { collectChange, describeBase } from '../git/change.js';
import { isMain, outFile, positiveInt, runTool, writeJsonOut } from '../tool-cli.js';
import { exitWhenSettled } from '../../runtime/exit-when-settled.js';
import { refuseStaleDist } from '../fresh-dist.js';
import { DEFAULT_LIMITS, runDiffBudget, type Bucket } from './budget.js';

function line(name: string, b: Bucket): string {
  return `diff-budget: ${name}: ${b.files} file(s) / ${b.lines} line(s) changed (budget ${b.maxFiles} files / ${b.maxLines} lines)${b.over ? ' OVER' : ''}`;
}

export function runDiffBudgetCli(argv: string[]): Promise<number> {
  return runTool('diff-budget', argv, (program, setExit) => {
    program
      .description(
        'Count files and lines changed since the merge-base; code and fixtures have budgets of their own. Override with DIFF_BUDGET_OVERRIDE_REASON.',
      )
      .option('--base <ref>', 'base ref (default: $BASE_SHA, else origin/main, else HEAD: the working tree against HEAD)')
      .option('--max-files <n>', 'code files budget', positiveInt, DEFAULT_LIMITS.codeFiles)
      .option('--max-lines <n>', 'code lines budget (added + deleted)', positiveInt, DEFAULT_LIMITS.codeLines)
      .option('--max-fixture-files <n>', 'golden expected files and codemod fixtures: files budget', positiveInt, DEFAULT_LIMITS.fixtureFiles)
      .option('--max-fixture-lines <n>', 'golden expected files and codemod fixtures: lines budget', positiveInt, DEFAULT_LIMITS.fixtureLines)
      .option('--json', 'print the report as JSON')
      .option('--out <file>', 'also write the report as JSON to this file', outFile)
      .action(
        (opts: {
          base?: string;
          maxFiles: number;
          maxLines: number;
          maxFixtureFiles: number;
          maxFixtureLines: number;
          json?: boolean;
          out?: string;
        }) => {
          const change = collectChange(process.cwd(), opts.base, process.env);
          const report = runDiffBudget(
            change,
            { codeFiles: opts.maxFiles, codeLines: opts.maxLines, fixtureFiles: opts.maxFixtureFiles, fixtureLines: opts.maxFixtureLines },
            process.env.DIFF_BUDGET_OVERRIDE_REASON,
          );
          writeJsonOut(opts.out, report);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          } else {
            process.stdout.write(
              `diff-budget: change against ${describeBase(report)}\n${line('code', report.code)}\n${line('fixtures', report.fixtures)}\n`,
            );
            if (report.ignored.length > 0) process.stdout.write(`diff-budget: ignored (lock files, build output): ${report.ignored.join(', ')}\n`);
            if (report.over) {
              const biggest = [...report.code.paths].sort((a, b) => (b.lines ?? 0) - (a.lines ?? 0)).slice(0, 5);
              process.stdout.write(`diff-budget: largest code changes: ${biggest.map((p) => `${p.path} (${p.lines ?? 'binary'})`).join(', ')}\n`);
            }
            if (report.override) process.stdout.write(`diff-budget: override: ${report.override}\n`);
            process.stdout.write(
              `diff-budget: ${report.over ? (report.override ? 'over budget, overridden' : 'over budget (split the change, or set DIFF_BUDGET_OVERRIDE_REASON="<why>")') : 'ok'}\n`,
            );
          }
          setExit(report.passed ? 0 : 1);
        },
      );
  });
}

if (isMain(import.meta.url)) {
  refuseStaleDist('diff-budget', import.meta.url);
  // No top-level await: the bundle is a classic script (scripts/bundle-bin.mjs).
  exitWhenSettled('diff-budget', runDiffBudgetCli(process.argv.slice(2)));
}
