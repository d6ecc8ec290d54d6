/**
 * The heap benchmark (`npm run bench:heap`): how fast pyheap's simulated
 * pymalloc runs, measured against real pymalloc in the same run.
 *
 *  1. Trace replay: a large recorded trace (mixed_free90.py 1000000, recorded
 *     afresh when the recorder is built, else the largest committed fixture) is
 *     parsed once into its compiled form; then the replay alone is timed, and the
 *     same compiled trace is replayed through CPython's own PyObject_Malloc /
 *     Realloc / Free by tools/pytrace/pymalloc-replay (the anchor).
 *  2. Synthetic churn: alloc+free pairs with 100k live blocks freed in random
 *     order, and in LIFO order, sizes drawn from the requests fixture's own
 *     allocations; then two threads each churning a heap of their own.
 *  3. The simulator's own RSS while holding N arenas, in a fresh process.
 *
 *   npm run bench:heap [-- --runs 5] [-- --write]   (--write updates bench/RESULTS.md)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type CompiledTrace, encodeCompiledTrace, OP_CALLOC, OP_MALLOC, opWords } from '../src/heap/trace/compiled-trace.js';
import { createReplayTarget, replayInto, replayTrace } from '../src/heap/trace/replay.js';
import { readTraceFile } from '../src/io/trace-file.js';
import type { ChurnResult, ChurnSpec } from './churn.js';
import { fmt, machineLine, millions, ReportLines, repoRoot as root, type Summary, summary, writeResultsSection } from './results.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const write = args.includes('--write');
const gc = (globalThis as { gc?: () => void }).gc;
const tmp = mkdtempSync(join(tmpdir(), 'pyheap-bench-'));

const report = new ReportLines();
const say = (line = ''): void => report.say(line);

async function largestTrace(): Promise<{ trace: CompiledTrace; label: string }> {
  const recorder = join(root, 'tools/pytrace/build/pytrace');
  if (existsSync(recorder)) {
    const path = join(tmp, 'mixed_free90.trace');
    execFileSync(recorder, ['-q', '-o', path, '--stats', join(tmp, 'stats.txt'), join(root, 'tools/pytrace/workloads/mixed_free90.py'), '1000000'], {
      env: { ...process.env, PYTHONHASHSEED: '0' },
    });
    return { trace: await readTraceFile(path), label: 'mixed_free90.py 1000000, recorded on this machine' };
  }
  let best: { trace: CompiledTrace; label: string } | null = null;
  for (const python of ['3.11']) {
    const dir = join(root, 'test/fixtures/traces', python);
    for (const file of ['requests', 'mixed_free90', 'cycles', 'small_lists']) {
      const trace = await readTraceFile(join(dir, `${file}.trace.gz`));
      if (best === null || trace.eventCount > best.trace.eventCount) best = { trace, label: `fixture ${python}/${file}` };
    }
  }
  return best!;
}

/** The cost of the first write to a page of fresh memory (a minor page fault), in µs. */
function firstTouchMicrosPerPage(): number {
  const pages = 65536;
  const memory = new Int32Array(new SharedArrayBuffer(pages * 4096));
  const start = performance.now();
  for (let i = 0; i < memory.length; i += 1024) memory[i] = 1;
  return ((performance.now() - start) * 1000) / pages;
}

/** Request sizes of the requests fixture's pymalloc allocations: a realistic mix. */
async function realisticSizes(): Promise<Int32Array> {
  const trace = await readTraceFile(join(root, 'test/fixtures/traces/3.11/requests.trace.gz'));
  const sizes: number[] = [];
  const ops = trace.ops;
  for (let i = 0; i < ops.length; ) {
    const op = ops[i];
    if (op === OP_MALLOC && ops[i + 2] >= 1 && ops[i + 2] <= 512) sizes.push(ops[i + 2]);
    if (op === OP_CALLOC && ops[i + 2] * ops[i + 3] >= 1 && ops[i + 2] * ops[i + 3] <= 512) sizes.push(ops[i + 2] * ops[i + 3]);
    i += opWords(op);
  }
  return Int32Array.from(sizes);
}

/** Runs churns in worker threads started together (one per seed); each reports its own loop's rate. */
function churnInThreads(spec: Omit<ChurnSpec, 'startLatch' | 'seed'>, seeds: number[]): Promise<ChurnResult[]> {
  const latch = new Int32Array(new SharedArrayBuffer(8));
  const workers = seeds.map(
    (seed) => new Worker(new URL('./churn-worker.js', import.meta.url), { workerData: { ...spec, seed, startLatch: latch } }),
  );
  const results = workers.map((w) => new Promise<ChurnResult>((resolve, reject) => w.once('message', resolve).once('error', reject)));
  const start = async (): Promise<void> => {
    while (Atomics.load(latch, 0) < seeds.length) await new Promise((r) => setTimeout(r, 5));
    Atomics.store(latch, 1, 1);
    Atomics.notify(latch, 1);
  };
  return start()
    .then(() => Promise.all(results))
    .finally(() => Promise.all(workers.map((w) => w.terminate())));
}

try {
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' }).trim();
  say(machineLine(python));
  say(`Command: \`npm run bench:heap\`; ${runs} runs of each figure; median (min, max).`);
  say();

  // 1. Replay.
  const parseStart = performance.now();
  const { trace, label } = await largestTrace();
  const parseSeconds = (performance.now() - parseStart) / 1000;
  say(`### Trace replay (${label}: ${trace.eventCount.toLocaleString('en-US')} events)`);
  say();
  say(`Reading and parsing the text trace into its compiled form, once: ${parseSeconds.toFixed(2)} s (${millions(trace.lineCount / parseSeconds)} M lines/s, recording included when recorded here).`);
  say();
  const fresh: number[] = [];
  for (let r = 0; r < runs; r++) {
    gc?.();
    const t = performance.now();
    replayTrace(trace);
    fresh.push(trace.eventCount / ((performance.now() - t) / 1000));
  }
  const target = createReplayTarget(trace);
  replayInto(trace, target); // warm-up: commits the heap's pages once
  const reused: number[] = [];
  for (let r = 0; r < runs; r++) {
    target.heap.reset();
    target.recorded?.reset();
    const t = performance.now();
    replayInto(trace, target);
    reused.push(trace.eventCount / ((performance.now() - t) / 1000));
  }
  // The anchor, like pyheap, is measured two ways: in a fresh process (its first
  // run faults in fresh memory) and on memory it has used before (later runs).
  const anchorBinary = join(root, 'tools/pytrace/build/pymalloc-replay');
  let anchorFresh: Summary | null = null;
  let anchorWarm: Summary | null = null;
  if (existsSync(anchorBinary)) {
    const compiled = join(tmp, 'trace.bin');
    writeFileSync(compiled, encodeCompiledTrace(trace));
    const anchorRuns = (n: number): number[] =>
      (JSON.parse(execFileSync(anchorBinary, [compiled, '--runs', String(n)], { encoding: 'utf8' })) as { runs: number[] }).runs.map(
        (seconds) => trace.eventCount / seconds,
      );
    anchorFresh = summary(Array.from({ length: runs }, () => anchorRuns(1)[0]));
    anchorWarm = summary(anchorRuns(runs + 1).slice(1));
  }
  const freshS = summary(fresh);
  const reusedS = summary(reused);
  const ratio = (ours: Summary, theirs: Summary | null): string => (theirs ? (ours.median / theirs.median).toFixed(2) : 'n/a');
  say('| replay | M events/s | pyheap / CPython (medians) |');
  say('|---|---|---|');
  if (anchorFresh !== null && anchorWarm !== null) {
    say(`| CPython ${python} pymalloc, fresh process (anchor: tools/pytrace/pymalloc-replay --runs 1) | ${fmt(anchorFresh)} | |`);
    say(`| CPython ${python} pymalloc, later runs in one process (memory reused) | ${fmt(anchorWarm)} | |`);
  }
  say(`| pyheap, a new heap each run (its pages are faulted in, as in a fresh process) | ${fmt(freshS)} | ${ratio(freshS, anchorFresh)} |`);
  say(`| pyheap, one heap reset between runs (its pages stay committed) | ${fmt(reusedS)} | ${ratio(reusedS, anchorWarm)} |`);
  say();
  const pageFaultMicros = firstTouchMicrosPerPage();
  say(
    `Where the time goes: with a new heap, much of it is the first write to each page of the simulator's memory ` +
      `(${pageFaultMicros.toFixed(2)} µs per fresh 4 KiB page on this machine, measured in this run; the anchor pays the same in a fresh process); ` +
      'on committed memory, the replay loop, the pool and free-list work, and the glibc model for the requests over 512 bytes.',
  );
  say();

  // 2. Churn.
  const sizes = await realisticSizes();
  const base = { pairs: 20_000_000, liveBlocks: 100_000, sizes };
  // Every churn runs in a worker thread, alone or two at once with the same
  // seeds, so the two-thread scaling compares like with like: each thread's
  // rate next to its rate alone, summed.
  const solo: number[] = [];
  const lifoRates: number[] = [];
  const twoThreads: number[] = [];
  const scaling: number[] = [];
  for (let r = 0; r < runs; r++) {
    const seeds = [2 * r + 1, 2 * r + 2];
    const alone = [(await churnInThreads({ ...base, kind: 'random' }, [seeds[0]]))[0], (await churnInThreads({ ...base, kind: 'random' }, [seeds[1]]))[0]];
    const together = await churnInThreads({ ...base, kind: 'random' }, seeds);
    solo.push(...alone.map((x) => x.pairsPerSecond));
    twoThreads.push(together[0].pairsPerSecond + together[1].pairsPerSecond);
    scaling.push(together[0].pairsPerSecond / alone[0].pairsPerSecond + together[1].pairsPerSecond / alone[1].pairsPerSecond);
    lifoRates.push((await churnInThreads({ ...base, kind: 'lifo' }, [seeds[0]]))[0].pairsPerSecond);
  }
  const random = summary(solo);
  const lifo = summary(lifoRates);
  const two = summary(twoThreads);
  const scale = summary(scaling);
  say(`### Synthetic churn (alloc+free pairs, ${base.liveBlocks.toLocaleString('en-US')} live blocks, sizes drawn from the requests fixture)`);
  say();
  say('| churn | M pairs/s | required |');
  say('|---|---|---|');
  say(`| random order, one thread (${solo.length} runs) | ${fmt(random)} | ≥ 15 |`);
  say(`| LIFO order, one thread | ${fmt(lifo)} | ≥ 60 |`);
  say(`| random order, two threads at once, each its own heap (sum) | ${fmt(two)} | |`);
  say(`| two-thread scaling: each thread's rate over its rate alone, summed | ${fmt(scale, (v) => v.toFixed(2))} | ≥ 1.8 |`);
  say();

  // 3. Memory.
  const memoryRuns = [64, 256, 1024].map((arenas) => {
    const out = execFileSync(process.execPath, ['--expose-gc', join(root, 'dist/bench/heap-memory.js'), String(arenas), JSON.stringify(Array.from(new Set(sizes)))], { encoding: 'utf8' });
    return JSON.parse(out) as { arenas: number; arenaBytes: number; simulatorBytes: number; rssBefore: number };
  });
  say('### The simulator\'s own memory');
  say();
  say('| simulated arenas | arena bytes | simulator RSS growth | ratio | RSS before the heap |');
  say('|---|---|---|---|---|');
  for (const m of memoryRuns) {
    say(`| ${m.arenas} | ${m.arenaBytes.toLocaleString('en-US')} | ${m.simulatorBytes.toLocaleString('en-US')} | ${(m.simulatorBytes / m.arenaBytes).toFixed(3)} | ${m.rssBefore.toLocaleString('en-US')} |`);
  }
  say();

  if (write) {
    const path = writeResultsSection('heap', 'Heap (`npm run bench:heap`)', report.lines);
    console.log(`\nwritten to ${path}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
