#!/usr/bin/env node
// `npm run soak`: the reliability batteries at scale, one table of counts at the end.
// Exit 0 when every case of every battery held, 1 otherwise; progress on stderr. The
// disk-full battery needs root and a kernel that lets it mount a tmpfs: elsewhere it is
// skipped, and the table says why.
import { InvalidArgumentError, Option } from 'commander';
import { isMain, positiveInt, runTool, writeJsonOut } from '../tool-cli.js';
import { refuseStaleDist } from '../fresh-dist.js';
import {
  concurrentResumeBattery,
  crashBattery,
  diskFullBattery,
  fuzzBattery,
  processBatteriesAvailable,
  signalBattery,
  type BatteryResult,
} from './batteries.js';

export const BATTERIES = ['crash', 'concurrent-resume', 'disk-full', 'signal', 'fuzz'] as const;
export type BatteryName = (typeof BATTERIES)[number];

/** The default scale: hundreds of kills and pairs, 10,000 fuzz cases. */
export const DEFAULT_SCALE: Record<BatteryName, number> = { crash: 200, 'concurrent-resume': 100, 'disk-full': 50, signal: 100, fuzz: 10_000 };

export function renderTable(results: BatteryResult[]): string {
  const rows = [['battery', 'cases', 'held', 'broken', 'figures']];
  for (const r of results) {
    const broken = Object.entries(r.broken)
      .map(([what, n]) => `${what}: ${n}`)
      .join('; ');
    const figures = Object.entries(r.figures)
      .map(([what, n]) => `${what}: ${n}`)
      .join('; ');
    rows.push([r.battery, String(r.cases), String(r.held), broken || '0', figures]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return `${rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

function batteryList(value: string): BatteryName[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(BATTERIES as readonly string[]).includes(name))
      throw new InvalidArgumentError(`unknown battery '${name}' (batteries: ${BATTERIES.join(', ')})`);
  }
  return names as BatteryName[];
}

function scaleFactor(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100) throw new InvalidArgumentError('expected a number greater than 0, at most 100');
  return n;
}

export async function main(argv: string[]): Promise<number> {
  return runTool('soak', argv, (program, setExit) => {
    program
      .description('Repeat the crash, concurrent-resume, disk-full, signal and fuzz batteries at scale and print one table of counts.')
      .option('--only <batteries>', `comma-separated batteries (default: all of ${BATTERIES.join(', ')})`, batteryList)
      .option(
        '--scale <factor>',
        `multiply every battery's default count (${Object.entries(DEFAULT_SCALE)
          .map(([b, n]) => `${b} ${n}`)
          .join(', ')})`,
        scaleFactor,
        1,
      )
      .addOption(
        new Option('--seed <n>', 'seed of the random kill points, signals and fuzz cases (printed, so a run can be replayed)').argParser(positiveInt),
      )
      .option('--json <file>', 'also write the results as JSON')
      .action(async (opts: { only?: BatteryName[]; scale: number; seed?: number; json?: string }) => {
        const only = opts.only ?? [...BATTERIES];
        const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
        const count = (name: BatteryName) => Math.max(1, Math.round(DEFAULT_SCALE[name] * opts.scale));
        const unavailable = only.some((name) => name !== 'fuzz') ? processBatteriesAvailable() : null;
        if (unavailable !== null) throw new InvalidArgumentError(`cannot run the process batteries: ${unavailable}`);
        process.stderr.write(`soak: seed ${seed}; ${only.map((name) => `${name} ${count(name)}`).join(', ')}\n`);
        const results: BatteryResult[] = [];
        const started = Date.now();
        for (const name of only) {
          const total = count(name);
          let last = 0;
          const progress = (done: number) => {
            if (done === total || Date.now() - last > 2000) {
              last = Date.now();
              process.stderr.write(`soak: ${name} ${done}/${total}\n`);
            }
          };
          if (name === 'crash') results.push(await crashBattery(total, seed, progress));
          else if (name === 'concurrent-resume') results.push(await concurrentResumeBattery(total, progress));
          else if (name === 'disk-full') results.push(await diskFullBattery(total, seed, progress));
          else if (name === 'signal') results.push(await signalBattery(total, seed, progress));
          else results.push(await fuzzBattery(total, seed, progress));
        }
        process.stdout.write(renderTable(results));
        for (const r of results) for (const example of r.examples) process.stdout.write(`  ${r.battery}: ${example}\n`);
        const failed = results.reduce((sum, r) => sum + r.cases - r.held, 0);
        const seconds = Math.round((Date.now() - started) / 1000);
        process.stdout.write(`soak: ${failed === 0 ? 'every case held' : `${failed} case(s) broke a promise`} (seed ${seed}, ${seconds} s)\n`);
        writeJsonOut(opts.json, { seed, seconds, results });
        setExit(failed === 0 ? 0 : 1);
      });
  });
}

if (isMain(import.meta.url)) {
  refuseStaleDist('soak', import.meta.url);
  process.exitCode = await main(process.argv.slice(2));
}
