/**
 * What every benchmark shares: summaries of repeated runs, the machine line,
 * and the section of bench/RESULTS.md each benchmark writes with `--write`
 * (between `<!-- bench:<name> begin -->` and `<!-- bench:<name> end -->`, so
 * benchmarks update their own sections and leave the others alone).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summary(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

export const millions = (v: number): string => (v / 1e6).toFixed(2);

/** "median (min a, max b)" with each value formatted by `scale`. */
export const fmt = (s: Summary, scale: (v: number) => string = millions): string =>
  `${scale(s.median)} (min ${scale(s.min)}, max ${scale(s.max)})`;

/** The machine, Node and CPython versions, as every section opens. */
export function machineLine(python: string): string {
  return `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}; Node ${process.version}; CPython ${python}.`;
}

/** Lines printed as they come and kept for the RESULTS.md section. */
export class ReportLines {
  readonly lines: string[] = [];

  say(line = ''): void {
    this.lines.push(line);
    console.log(line);
  }
}

/** Replaces (or appends) the benchmark's section of bench/RESULTS.md; returns the file's path. */
export function writeResultsSection(name: string, heading: string, lines: readonly string[]): string {
  const path = join(repoRoot, 'bench/RESULTS.md');
  const begin = `<!-- bench:${name} begin -->`;
  const end = `<!-- bench:${name} end -->`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const section = `${begin}\n## ${heading}, ${new Date().toISOString().slice(0, 10)}\n\n${lines.join('\n')}\n${end}`;
  const updated = current.includes(begin)
    ? current.slice(0, current.indexOf(begin)) + section + current.slice(current.indexOf(end) + end.length)
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, updated);
  return path;
}
