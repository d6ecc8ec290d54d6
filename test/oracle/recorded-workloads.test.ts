/**
 * Exactness at full scale: when the recorder is built (tools/pytrace/build.sh,
 * which .ci/run runs), record the larger workloads afresh with every recorder
 * build present -- 200k small lists, 100k instances with __dict__ and 100k with
 * __slots__, 1M mixed objects with 90% freed, start-up without site -- and
 * replay them. A fresh recording also has fresh arena addresses, so each run
 * exercises a different mix of 63- and 64-pool arenas.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMallocStats } from '../../src/heap/stats.js';
import { replayTrace } from '../../src/heap/trace/replay.js';
import { readTraceFile } from '../../src/io/trace-file.js';
import { readStats } from '../support/fixtures.js';

const root = new URL('../../', import.meta.url).pathname;
const buildDir = join(root, 'tools/pytrace/build');
const recorders = existsSync(buildDir)
  ? readdirSync(buildDir)
      .filter((f) => /^pytrace-\d+\.\d+$/.test(f))
      .sort()
  : [];
const workloads: [name: string, args: string[]][] = [
  ['startup', ['-S']],
  ['small_lists', ['200000']],
  ['instances', ['100000']],
  ['mixed_free90', ['1000000']],
  ['requests', ['2000']],
];
const dir = mkdtempSync(join(tmpdir(), 'pyheap-recorded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(recorders.length === 0)('freshly recorded workloads replay exactly (needs tools/pytrace/build.sh)', () => {
  for (const recorder of recorders) {
    for (const [workload, args] of workloads) {
      it(`${recorder} ${workload} ${args.join(' ')}`, async () => {
        const trace = join(dir, `${recorder}-${workload}.trace`);
        const stats = join(dir, `${recorder}-${workload}.stats`);
        const flags = args[0] === '-S' ? ['-S'] : [];
        const scriptArgs = args[0] === '-S' ? [] : args;
        execFileSync(join(buildDir, recorder), ['-q', ...flags, '-o', trace, '--stats', stats, join(root, 'tools/pytrace/workloads', `${workload}.py`), ...scriptArgs], {
          env: { ...process.env, PYTHONHASHSEED: '0' },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        const result = replayTrace(await readTraceFile(trace));
        expect(result.usedRecordedArenas).toBe(true);
        expect(formatMallocStats(result.heap.mallocStats())).toBe(readStats(stats));
        rmSync(trace);
      });
    }
  }
});
