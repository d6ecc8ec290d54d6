/**
 * Measures each profile's interpreter baseline RSS (profile.ts,
 * `baselineRssBytes`): the resident memory of a real CPython at the end of
 * start-up (`python -S` running an empty script) minus what pyheap's heap model
 * holds after replaying the allocation trace of that same start-up. What is
 * left is what pyheap does not model block by block: the interpreter's text and
 * data, shared libraries, the RAW-domain allocations, the thread stack.
 *
 *   npm run build && node dist/bench/baseline-rss.js [python ...]
 *
 * Needs the recorder builds (tools/pytrace/build.sh) for each interpreter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayTrace } from '../src/heap/trace/replay.js';
import { readTraceFile } from '../src/io/trace-file.js';

const RUNS = 7;
const pythons = process.argv.length > 2 ? process.argv.slice(2) : ['python3'];
const dir = mkdtempSync(join(tmpdir(), 'pyheap-baseline-'));
const script = join(dir, 'empty.py');
writeFileSync(script, '');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

try {
  for (const python of pythons) {
    const version = execFileSync(python, ['-S', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
    const rssKiB = median(
      Array.from({ length: RUNS }, () =>
        Number(
          execFileSync(python, ['-S', '-c', "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')][0])"], {
            encoding: 'utf8',
          }).trim(),
        ),
      ),
    );
    const recorder = join('tools/pytrace/build', `pytrace-${version}`);
    if (!existsSync(recorder)) {
      console.log(`${python} (${version}): no ${recorder}; build it with tools/pytrace/build.sh ${python}`);
      continue;
    }
    const trace = join(dir, `startup-${version}.trace`);
    execFileSync(recorder, ['-q', '-S', '-o', trace, '--stats', join(dir, 'stats.txt'), script]);
    const result = replayTrace(await readTraceFile(trace), { baselineRssBytes: 0 });
    const modelled = result.heap.memory().rssBytes;
    const baseline = rssKiB * 1024 - modelled;
    console.log(
      `${python} (${version}, profile ${result.profile}): VmRSS ${rssKiB} KiB (median of ${RUNS}), ` +
        `modelled heap ${(modelled / 1024).toFixed(0)} KiB, baseline ${(baseline / 1024).toFixed(0)} KiB = ${baseline} bytes`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
