/** The committed allocation-trace fixtures (test/fixtures/traces/<X.Y>/<workload>.trace.gz + .stats.txt). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURE_ROOT = new URL('../fixtures/traces/', import.meta.url).pathname;

export interface TraceFixture {
  python: string;
  workload: string;
  tracePath: string;
  statsPath: string;
}

export function traceFixtures(): TraceFixture[] {
  const fixtures: TraceFixture[] = [];
  for (const python of readdirSync(FIXTURE_ROOT).sort()) {
    for (const file of readdirSync(join(FIXTURE_ROOT, python)).sort()) {
      if (!file.endsWith('.trace.gz')) continue;
      const workload = file.slice(0, -'.trace.gz'.length);
      const statsPath = join(FIXTURE_ROOT, python, `${workload}.stats.txt`);
      if (existsSync(statsPath)) fixtures.push({ python, workload, tracePath: join(FIXTURE_ROOT, python, file), statsPath });
    }
  }
  return fixtures;
}

/**
 * The pymalloc part of a `sys._debugmallocstats()` report: everything before
 * the free-list counts (`_PyObject_DebugTypeStats`), which the allocator
 * statistics end before.
 */
export function pymallocSection(report: string): string {
  const lines = report.split('\n');
  const firstFreeList = lines.findIndex((line) => /^\s*\d+ free \S+ \* \d+ bytes each/.test(line));
  const end = firstFreeList < 0 ? lines.length : firstFreeList;
  let section = lines.slice(0, end).join('\n');
  section = section.replace(/\n+$/, '\n');
  return section;
}

export function readStats(path: string): string {
  return pymallocSection(readFileSync(path, 'utf8'));
}
