/**
 * The object-model benchmark (`npm run bench:objects`): how fast pyheap
 * simulates Python objects and the cyclic GC, in wall-clock time, against a
 * real CPython doing the same work in the same run.
 *
 * The anchor, bench/objects-anchor.py, times four things in CPython (its
 * docstring has the method); here the simulator does the same work through the
 * "Python in TypeScript" API (src/objects/api.ts), timed with the wall clock:
 *
 *   ops_mix               per iteration, create and drop one instance of P
 *                         (three attributes set in __init__), one 3-tuple, one
 *                         list of 3 items, one dict of 3 str keys: `py.newWith`,
 *                         `py.tuple`, `py.list`, `py.dictWith`, each followed by
 *                         `py.del` (CPython's POP_TOP); 4,000 such objects
 *                         stay alive meanwhile, as the interpreter's own do
 *                         in CPython. The instance and the dict go through
 *                         prepared call sites (`py.constructorCall`,
 *                         `py.constKeys`), as the anchor's do: CPython 3.11
 *                         compiles the dict display to BUILD_CONST_KEY_MAP
 *                         over a constant tuple of keys, and its specializer
 *                         turns `self.a = a` into STORE_ATTR_INSTANCE_VALUE
 *                         with the attribute's index cached. The simulated
 *                         work is the same as through `py.new` and `py.dict`
 *                         (test/unit/prepared-calls.test.ts compares heaps)
 *   gc_full_1m_lists      py.gc.collect() with 1,000,000 empty lists held in a
 *                         list, minus an empty collection; per object
 *   gc_full_1m_instances  the same with 1,000,000 instances of P
 *   gc_young_700          py.gc.collect(0) right after 699 new lists and the
 *                         list holding them, minus an empty collect(0)
 *
 * Beside the timed figures, when valgrind is installed: the instructions one
 * ops_mix iteration and one young collection execute in each
 * (bench/instructions.ts), figures that this machine's swings in speed (up to
 * twice, run to run) do not move.
 *
 * What is timed is the simulator's own run time -- its allocator, refcounts,
 * deallocations and collector working on the simulated heap -- never the
 * modelled nanoseconds the simulation charges (`Python.elapsedNs`); those are
 * printed beside, for comparison only. As in the anchor, automatic collection
 * is off while timing, every figure is measured RUNS times and reported as
 * median (min, max), and ratios are of medians.
 *
 *   npm run bench:objects [-- --runs 5] [--write] [--no-instructions]
 *     --write updates bench/RESULTS.md; --no-instructions skips the instruction
 *     counts under valgrind (bench/instructions.ts), which take several minutes
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GC_NEXT } from '../src/gc/gc-head.js';
import { genHead, NUM_GENERATIONS } from '../src/gc/gc-state.js';
import type { Python, Ref } from '../src/objects/api.js';
import { GC_STATE_OFFSET } from '../src/objects/static-area.js';
import { instructionsPerIteration, valgrindAvailable } from './instructions.js';
import { KEPT, newPython, OPS_WARMUP, type OpsMixSetup, opsMix, prepareOpsMix } from './ops-mix.js';
import { fillGeneration0, YOUNG_N } from './young-collection.js';
import { fmt, machineLine, ReportLines, repoRoot, type Summary, summary, writeResultsSection } from './results.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const write = args.includes('--write');
const countInstructions = !args.includes('--no-instructions');
/** Measure the simulator only and print its figures as JSON (runAlternating runs this). */
const simulatorOnly = args.includes('--simulator-only');
const jsGc = (globalThis as { gc?: () => void }).gc;

const GC_N = 1_000_000;
const YOUNG_SAMPLES = 201;
/**
 * Fills and young collections before gc_young's timed runs. Until V8 has
 * compiled the fill's and the collection's code (in the background, on a
 * core the loop shares), a collection takes up to twice as long: about 800
 * iterations here, which one untimed run of YOUNG_SAMPLES did not cover.
 */
const YOUNG_WARMUP = 3000;
/** One timed ops_mix run lasts about this long. */
const OPS_TARGET_MS = 200;
/** Operations of one kind in a row in opsBatch. */
const BATCH = 100;

/** What bench/objects-anchor.py prints (the fields used here). */
interface Anchor {
  python: string;
  machine: string;
  runs: number;
  ops_mix: { iterations_per_run: number; ns_per_iteration: Summary; ns_per_op: Summary; gc_collections_during: number };
  gc_full_1m_lists: { objects: number; total_ms: Summary; baseline_ms: Summary; ns_per_object: Summary };
  gc_full_1m_instances: { objects: number; total_ms: Summary; baseline_ms: Summary; ns_per_object: Summary };
  gc_young_700: { objects_in_generation_0: number; ns: Summary; ns_total: Summary; ns_empty_collect: Summary };
  seconds: number;
}

/**
 * Both sides' figures differ from one process to the next by up to twice on
 * these machines, more than runs within a process do: a process is fast or
 * slow throughout, and the machine's speed changes from one minute to the
 * next. So CPython (bench/objects-anchor.py) and the simulator (this script
 * with --simulator-only) each run in PROCESSES processes, alternating, one of
 * each in turn, and each figure is the median of their medians (min and max
 * over all their runs): a slow spell of the machine falls on both.
 */
const PROCESSES = 3;

interface SimulatorFigures {
  ops: OpsResult;
  lists: FullResult;
  instances: FullResult;
  young: YoungResult;
}

function runAlternating(): { anchor: Anchor; sim: SimulatorFigures } {
  const anchors: Anchor[] = [];
  const sims: SimulatorFigures[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    console.error(`CPython: python3 bench/objects-anchor.py (process ${i + 1} of ${PROCESSES})`);
    anchors.push(runAnchor());
    console.error(`pyheap: ops_mix and collections (process ${i + 1} of ${PROCESSES})`);
    sims.push(runSimulator());
  }
  const anchor = mergeFigures(anchors as unknown as Record<string, unknown>[]) as unknown as Anchor;
  anchor.runs = anchors.reduce((sum, x) => sum + x.runs, 0);
  return { anchor, sim: mergeFigures(sims as unknown as Record<string, unknown>[]) as unknown as SimulatorFigures };
}

/** This script in another process, measuring the simulator only. */
function runSimulator(): SimulatorFigures {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--expose-gc', script, '--simulator-only', '--runs', String(runs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60 * 1000,
  });
  if (result.status !== 0) throw new Error(`the simulator's process (${script} --simulator-only) failed with exit code ${result.status}`);
  return JSON.parse(result.stdout) as SimulatorFigures;
}

/** Summaries merged as runAlternating says; any other value taken from the first. */
function mergeFigures(values: Record<string, unknown>[]): Record<string, unknown> {
  const first = values[0];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    const v = first[key];
    if (v !== null && typeof v === 'object' && 'median' in v && 'min' in v && 'max' in v) {
      const all = values.map((x) => x[key] as Summary);
      out[key] = { median: summary(all.map((s) => s.median)).median, min: Math.min(...all.map((s) => s.min)), max: Math.max(...all.map((s) => s.max)) };
    } else if (v !== null && typeof v === 'object') {
      out[key] = mergeFigures(values.map((x) => x[key] as Record<string, unknown>));
    } else {
      out[key] = v;
    }
  }
  return out;
}

function runAnchor(): Anchor {
  const script = join(repoRoot, 'bench/objects-anchor.py');
  const result = spawnSync('python3', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60 * 1000 });
  if (result.error) throw new Error(`cannot run python3 ${script}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`python3 ${script} failed with exit code ${result.status}`);
  return JSON.parse(result.stdout) as Anchor;
}

const nowNs = (): number => performance.now() * 1e6;

// ------------------------------------------------------------------ ops_mix

interface OpsResult {
  /** Median ns of each operation (create and drop) timed alone. */
  nsAlone: { instance: number; tuple: number; list: number; dict: number };
  /** Median ns per iteration with the same operations grouped, BATCH of each in turn. */
  nsBatched: number;
  /** Median ns per iteration of two operations interleaved, beyond the two alone, by pair ("instance+dict"). */
  pairExtra: Record<string, number>;
  iterationsPerRun: number;
  nsPerIteration: Summary;
  modelledNsPerIteration: number;
  collections: number;
}

/** The same work as BATCH iterations of opsMix, each operation BATCH times in a row: for where the time goes. */
function opsBatch(py: Python, s: OpsMixSetup): void {
  const { newP, abc, a, b, c } = s;
  for (let i = 0; i < BATCH; i++) py.del(py.newWith(newP, a, b, c));
  for (let i = 0; i < BATCH; i++) py.del(py.tuple(a, b, c));
  for (let i = 0; i < BATCH; i++) py.del(py.list(a, b, c));
  for (let i = 0; i < BATCH; i++) py.del(py.dictWith(abc, a, b, c));
}

function measureOpsMix(): OpsResult {
  const { py, P } = newPython();
  let result: OpsResult | null = null;
  py.call(() => {
    const sites = prepareOpsMix(py, P);
    const { newP, abc, a, b, c } = sites;
    // Warm-up: the first calls compile the code, and a run sized on them
    // would be far too short (the anchor warms up likewise).
    opsMix(py, sites, OPS_WARMUP);
    // More warm-up, also sizing a run to OPS_TARGET_MS.
    let n = 1000;
    for (;;) {
      const t = nowNs();
      opsMix(py, sites, n);
      const elapsed = nowNs() - t;
      if (elapsed > (OPS_TARGET_MS * 1e6) / 4) {
        n = Math.max(1, Math.round((n * OPS_TARGET_MS * 1e6) / elapsed));
        break;
      }
      n *= 4;
    }
    const collectionsBefore = collections(py);
    const perIteration: number[] = [];
    let modelled = 0;
    for (let r = 0; r < runs; r++) {
      jsGc?.();
      const modelledBefore = py.elapsedNs;
      const t = nowNs();
      opsMix(py, sites, n);
      perIteration.push((nowNs() - t) / n);
      modelled = (py.elapsedNs - modelledBefore) / n;
    }
    // Each operation alone, for where the time goes (after the mix: the code is warm).
    const alone = (op: () => void, count = n): number => {
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = nowNs();
        for (let i = 0; i < count; i++) op();
        times.push((nowNs() - t) / count);
      }
      return summary(times).median;
    };
    const ops: [keyof OpsResult['nsAlone'], () => void][] = [
      ['instance', () => py.del(py.newWith(newP, a, b, c))],
      ['tuple', () => py.del(py.tuple(a, b, c))],
      ['list', () => py.del(py.list(a, b, c))],
      ['dict', () => py.del(py.dictWith(abc, a, b, c))],
    ];
    const nsAlone = { instance: 0, tuple: 0, list: 0, dict: 0 };
    for (const [name, op] of ops) nsAlone[name] = alone(op);
    const nsBatched = alone(() => opsBatch(py, sites), Math.max(1, Math.round(n / BATCH))) / BATCH;
    // Two operations interleaved, each pair: which of them pay for being interleaved.
    const pairExtra: Record<string, number> = {};
    for (let x = 0; x < ops.length; x++) {
      for (let y = x + 1; y < ops.length; y++) {
        const [nameX, opX] = ops[x];
        const [nameY, opY] = ops[y];
        pairExtra[`${nameX}+${nameY}`] = alone(() => {
          opX();
          opY();
        }) - nsAlone[nameX] - nsAlone[nameY];
      }
    }
    result = {
      iterationsPerRun: n,
      nsPerIteration: summary(perIteration),
      modelledNsPerIteration: modelled,
      collections: collections(py) - collectionsBefore,
      nsAlone,
      nsBatched,
      pairExtra,
    };
  });
  return result!;
}

function collections(py: Python): number {
  return py.space.gc.getStats().reduce((sum, s) => sum + s.collections, 0);
}

// ------------------------------------------------------------------ full collections

interface FullResult {
  totalMs: Summary;
  baselineMs: Summary;
  nsPerObject: Summary;
  examined: number;
  walkNsPerObject: Summary;
}

function timeCollect(py: Python, generation = 2): number {
  const t = nowNs();
  py.gc.collect(generation);
  return nowNs() - t;
}

/** The anchor's gc_full: RUNS full collections with GC_N objects alive; empty ones before and after. */
function measureFull(make: (py: Python, P: number) => Ref): FullResult {
  let examined = 0;
  let examinedFull = 0;
  const { py, P } = newPython((report) => {
    examined = report.examined;
  });
  py.gc.collect();
  const empty: number[] = [];
  for (let r = 0; r < runs; r++) empty.push(timeCollect(py));
  const full: number[] = [];
  const walks: number[] = [];
  py.call(() => {
    const holder = py.list();
    for (let i = 0; i < GC_N; i++) {
      const x = make(py, P);
      py.append(holder, x);
      py.del(x);
    }
    timeCollect(py); // untimed: moves them all to the oldest generation
    for (let r = 0; r < runs; r++) {
      jsGc?.();
      full.push(timeCollect(py));
    }
    examinedFull = examined;
    for (let r = 0; r < runs; r++) walks.push(walkOldest(py));
  });
  py.gc.collect();
  for (let r = 0; r < runs; r++) empty.push(timeCollect(py));
  const base = summary(empty).median;
  return {
    totalMs: summary(full.map((t) => t / 1e6)),
    baselineMs: summary(empty.map((t) => t / 1e6)),
    nsPerObject: summary(full.map((t) => (t - base) / GC_N)),
    examined: examinedFull,
    walkNsPerObject: summary(walks.map((t) => t / examinedFull)),
  };
}

/**
 * One walk along the oldest generation's list, reading each object's GC head
 * only: the least any pass over the tracked objects costs on this machine's
 * memory (a collection makes three, touching more of each object).
 */
function walkOldest(py: Python): number {
  const m = py.space.mem;
  const head = genHead(py.space.staticBase + GC_STATE_OFFSET, NUM_GENERATIONS - 1);
  const t = nowNs();
  let n = 0;
  for (let g = m[head + GC_NEXT]; g !== head; g = m[g + GC_NEXT]) n++;
  const elapsed = nowNs() - t;
  if (n === 0) throw new Error('the oldest generation is empty');
  return elapsed;
}

// ------------------------------------------------------------------ young collection

interface YoungResult {
  ns: Summary;
  nsTotal: Summary;
  nsEmpty: Summary;
  inGeneration0: number;
}

/** The anchor's gc_young: per run, YOUNG_SAMPLES pairs (an empty collect(0), one with 700 new objects). */
function measureYoung(): YoungResult {
  const { py } = newPython();
  const marginal: number[] = [];
  const total: number[] = [];
  const emptyRuns: number[] = [];
  for (let i = 0; i < YOUNG_WARMUP; i++) {
    py.call(() => {
      fillGeneration0(py);
      py.gc.collect(0);
    });
  }
  for (let r = 0; r < runs + 1; r++) {
    py.gc.collect();
    jsGc?.();
    const empty: number[] = [];
    const full: number[] = [];
    for (let s = 0; s < YOUNG_SAMPLES; s++) {
      py.gc.collect(0);
      empty.push(timeCollect(py, 0));
      py.call(() => {
        fillGeneration0(py);
        full.push(timeCollect(py, 0));
      });
    }
    // The first run warms the simulator's code up, as the anchor's interpreter is warm.
    if (r === 0) continue;
    const e = summary(empty).median;
    emptyRuns.push(e);
    total.push(summary(full).median);
    marginal.push(summary(full).median - e);
  }
  py.gc.collect();
  let inGeneration0 = 0;
  py.call(() => {
    fillGeneration0(py);
    inGeneration0 = py.space.gc.getObjects(0).length;
  });
  return { ns: summary(marginal), nsTotal: summary(total), nsEmpty: summary(emptyRuns), inGeneration0 };
}

// ------------------------------------------------------------------ instructions

/** ops_mix iterations of the two counted runs (bench/instructions.ts): the difference is 100,000. */
const INSTRUCTIONS_N1 = 50_000;
const INSTRUCTIONS_N2 = 150_000;
/** gc_young iterations of the two counted runs (after young-loop.ts's warm-up): each is about a million instructions. */
const YOUNG_INSTRUCTIONS_N1 = 400;
const YOUNG_INSTRUCTIONS_N2 = 1200;

interface Instructions {
  /** Per ops_mix iteration. */
  opsMix: { cpython: number; pyheap: number };
  /** Per collect(0) of gc_young's 700 objects: an iteration with it less one without. */
  young: { cpython: number; pyheap: number };
}

/**
 * Instructions under callgrind, CPython and pyheap, per ops_mix iteration and
 * per young collection: figures the machine's speed does not move, beside the
 * timed ratios. Node runs with V8's background threads off (--single-threaded):
 * the optimized code is there before the counted loop starts (under
 * valgrind's one-thread-at-a-time scheduling background compilers might not
 * finish in time), and the count does not vary with how much concurrent
 * marking and compiling a run happened to do. WebAssembly -- the object
 * layer's kernel and the collector's passes -- is compiled by its optimizing
 * tier from the start (--no-liftoff), as a warmed-up process runs it: V8
 * tiers it up in the background, which valgrind would delay.
 */
function measureInstructions(): Instructions | null {
  if (!valgrindAvailable()) {
    console.error('instructions: valgrind is not installed, so they are not counted (apt-get install valgrind)');
    return null;
  }
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const anchorScript = join(repoRoot, 'bench/objects-anchor.py');
  // Fixed seeds: V8's hash seed moves how much work compiling (the kernels' WebAssembly text among
  // it) does by millions of instructions from one process to the next.
  const v8Flags = ['--single-threaded', '--no-liftoff', '--hash-seed=1', '--random-seed=1'];
  console.error('instructions: CPython ops_mix under callgrind');
  const cpython = instructionsPerIteration(python, (n) => [anchorScript, '--ops-mix-loop', String(n)], INSTRUCTIONS_N1, INSTRUCTIONS_N2);
  console.error('instructions: pyheap ops_mix under callgrind');
  const loop = join(repoRoot, 'dist/bench/ops-mix-loop.js');
  const pyheap = instructionsPerIteration(process.execPath, (n) => [...v8Flags, loop, String(n)], INSTRUCTIONS_N1, INSTRUCTIONS_N2);
  const youngLoop = join(repoRoot, 'dist/bench/young-loop.js');
  const perCollection = (command: string, args: (n: number, mode: string) => string[]): number =>
    instructionsPerIteration(command, (n) => args(n, 'collect'), YOUNG_INSTRUCTIONS_N1, YOUNG_INSTRUCTIONS_N2) -
    instructionsPerIteration(command, (n) => args(n, 'fill'), YOUNG_INSTRUCTIONS_N1, YOUNG_INSTRUCTIONS_N2);
  console.error('instructions: CPython gc_young under callgrind');
  const youngCpython = perCollection(python, (n, mode) => [anchorScript, '--young-loop', String(n), mode]);
  console.error('instructions: pyheap gc_young under callgrind');
  const youngPyheap = perCollection(process.execPath, (n, mode) => [...v8Flags, youngLoop, String(n), mode]);
  return { opsMix: { cpython, pyheap }, young: { cpython: youngCpython, pyheap: youngPyheap } };
}

// ------------------------------------------------------------------ report

const ns = (v: number): string => v.toFixed(1);
const ms = (v: number): string => v.toFixed(1);
const micros = (v: number): string => (v / 1000).toFixed(2);

const report = new ReportLines();
const say = (line = ''): void => report.say(line);

if (simulatorOnly) {
  const figures: SimulatorFigures = { ops: measureOpsMix(), lists: measureFull((py) => py.list()), instances: measureFull((py, P) => py.new(P, { a: py.int(1), b: py.int(2), c: py.int(3) })), young: measureYoung() };
  console.log(JSON.stringify(figures));
  process.exit(0);
}
const { anchor, sim } = runAlternating();
const { ops, lists, instances, young } = sim;
const instructions = countInstructions ? measureInstructions() : null;

const a = anchor;
const opsRatio = a.ops_mix.ns_per_iteration.median / ops.nsPerIteration.median;
const listsRatio = lists.nsPerObject.median / a.gc_full_1m_lists.ns_per_object.median;
const instancesRatio = instances.nsPerObject.median / a.gc_full_1m_instances.ns_per_object.median;
const youngRatio = young.ns.median / a.gc_young_700.ns.median;
const verdict = (ok: boolean): string => (ok ? 'met' : '**not met**');

say(machineLine(a.python));
say(
  `Command: \`npm run bench:objects\`; the anchor \`python3 bench/objects-anchor.py\` and the simulator each run in ${PROCESSES} processes, alternating (the median of their medians); ${runs} runs of each figure in each process (the anchor: ${a.runs} in all); median (min, max). ` +
    'pyheap figures are the simulator\'s wall-clock time, automatic collection off in both.',
);
say();
say('| figure | CPython | pyheap (wall clock) | ratio (medians) | required |');
say('|---|---|---|---|---|');
say(
  `| ops_mix: ns per iteration (create and drop an instance of P with 3 attributes, a 3-tuple, a 3-list, a 3-key dict) | ${fmt(a.ops_mix.ns_per_iteration, ns)} | ${fmt(ops.nsPerIteration, ns)} | ` +
    `${opsRatio.toFixed(2)} (pyheap ops/s ÷ CPython ops/s) | ≥ 1.0: ${verdict(opsRatio >= 1)} |`,
);
const instructionsRow = (figure: string, counts: { cpython: number; pyheap: number }): void =>
  say(
    `| ${figure}, counted by callgrind (the machine's speed does not enter; for comparison) | ${Math.round(counts.cpython).toLocaleString('en-US')} | ` +
      `${Math.round(counts.pyheap).toLocaleString('en-US')} | ${(counts.cpython / counts.pyheap).toFixed(2)} (CPython's ÷ pyheap's) | reported |`,
  );
if (instructions !== null) instructionsRow('ops_mix: instructions per iteration', instructions.opsMix);
say(
  `| gc_full_1m_lists: ns per tracked empty list, full collection of 1M | ${fmt(a.gc_full_1m_lists.ns_per_object, ns)} | ${fmt(lists.nsPerObject, ns)} | ` +
    `${listsRatio.toFixed(2)} (pyheap time ÷ CPython time) | ≤ 1.0: ${verdict(listsRatio <= 1)} |`,
);
say(
  `| gc_full_1m_instances: ns per tracked instance of P, full collection of 1M | ${fmt(a.gc_full_1m_instances.ns_per_object, ns)} | ${fmt(instances.nsPerObject, ns)} | ` +
    `${instancesRatio.toFixed(2)} | ≤ 1.0: ${verdict(instancesRatio <= 1)} |`,
);
say(
  `| gc_young_700: µs for collect(0) of ${young.inGeneration0} new objects (CPython: ${a.gc_young_700.objects_in_generation_0}), empty collect(0) subtracted | ${fmt(a.gc_young_700.ns, micros)} | ${fmt(young.ns, micros)} | ` +
    `${youngRatio.toFixed(2)} | ≤ 1.0: ${verdict(youngRatio <= 1)} |`,
);
if (instructions !== null) instructionsRow(`gc_young_700: instructions per collect(0) of the ${YOUNG_N} objects`, instructions.young);
say();
say(
  `ops_mix runs with ${(KEPT * 4).toLocaleString('en-US')} objects of the mix kept alive in the simulated process, standing in for the objects CPython's interpreter holds, ` +
    'so that a freed block returns to a pool with other blocks in use in both, rather than emptying it.',
);
say();
say('Totals behind the per-object figures:');
say();
say('| | CPython | pyheap |');
say('|---|---|---|');
say(`| ops_mix iterations per timed run | ${a.ops_mix.iterations_per_run.toLocaleString('en-US')} | ${ops.iterationsPerRun.toLocaleString('en-US')} |`);
say(`| ops_mix collections during the timed runs | ${a.ops_mix.gc_collections_during} | ${ops.collections} |`);
say(`| gc_full_1m_lists: ms per full collection | ${fmt(a.gc_full_1m_lists.total_ms, ms)} | ${fmt(lists.totalMs, ms)} |`);
say(`| gc_full_1m_lists: ms per empty full collection (subtracted) | ${fmt(a.gc_full_1m_lists.baseline_ms, (v) => v.toFixed(3))} | ${fmt(lists.baselineMs, (v) => v.toFixed(3))} |`);
say(`| gc_full_1m_instances: ms per full collection | ${fmt(a.gc_full_1m_instances.total_ms, ms)} | ${fmt(instances.totalMs, ms)} |`);
say(`| gc_full_1m_instances: ms per empty full collection (subtracted) | ${fmt(a.gc_full_1m_instances.baseline_ms, (v) => v.toFixed(3))} | ${fmt(instances.baselineMs, (v) => v.toFixed(3))} |`);
say(`| gc_young_700: µs per collect(0), not subtracted | ${fmt(a.gc_young_700.ns_total, micros)} | ${fmt(young.nsTotal, micros)} |`);
say(`| gc_young_700: µs per empty collect(0) | ${fmt(a.gc_young_700.ns_empty_collect, micros)} | ${fmt(young.nsEmpty, micros)} |`);
say();
say(
  `For comparison only (not what the ratios use): the modelled CPU time pyheap charges for one ops_mix iteration is ${ops.modelledNsPerIteration.toFixed(1)} ns ` +
    '(src/objects/costs.ts, calibrated against CPython by `npm run bench:calibrate`); a full collection of the 1M lists examines ' +
    `${lists.examined.toLocaleString('en-US')} objects, of the 1M instances ${instances.examined.toLocaleString('en-US')}.`,
);
say();
const alone = ops.nsAlone;
const aloneSum = alone.instance + alone.tuple + alone.list + alone.dict;
const pairList = Object.entries(ops.pairExtra)
  .sort((p, q) => q[1] - p[1])
  .map(([pair, extra]) => `${pair} ${ns(extra)}`)
  .join(', ');
say('Where the time goes:');
say();
say(
  `- ops_mix (in the first of the simulator's processes): each operation alone takes, in ns, instance ${ns(alone.instance)}, tuple ${ns(alone.tuple)}, list ${ns(alone.list)}, dict ${ns(alone.dict)} ` +
    `(sum ${ns(aloneSum)}); the same operations ${BATCH} of each in turn take ${ns(ops.nsBatched)} ns per iteration, against ` +
    `${ns(ops.nsPerIteration.median)} interleaved as in the anchor's loop. The work is the same (the same calls on the same heap, measured ` +
    'after the mix, so with the same compiled code); interleaved, the operations\' compiled code and branches are in play at once, ' +
    'which the processor runs less well. Interleaved two at a time, each pair costs this much beyond ' +
    `its two operations alone, in ns: ${pairList}. pyheap does what CPython's allocator and object code do for each -- pymalloc blocks ` +
    'taken and returned, free lists, reference counts, GC list links, the trashcan, dict probes -- as reads and writes of the simulated heap. ' +
    'For these four objects that work runs compiled to WebAssembly over the heap\'s memory (src/objects/wasm-kernel.ts), one call to make ' +
    'each object and one to free it; the rest is the API\'s own work in JavaScript: the frame\'s locals, the modelled cost, the calls. ' +
    'Measured with callgrind (not in this run): about 9,500 instructions per iteration in JavaScript alone, about 5,100 with the kernel, ' +
    'and about 3,700 once the kernel also checked the handles the API is given (before it allocates anything), freed what `del` drops, ' +
    'read a dict display\'s constant keys from memory rather than as parameters, and the list display took its items as parameters ' +
    'rather than in a JavaScript array.',
);
say(
  `- full collections: bound by memory. Following the oldest generation's list once, reading nothing but the GC heads, takes ` +
    `${ns(lists.walkNsPerObject.median)} ns per object with the 1M lists (${ns(instances.walkNsPerObject.median)} with the instances), measured in this run. ` +
    'pyheap makes two passes where CPython makes four: update_refs and subtract_refs in one (a generation tag in each GC head tells ' +
    'a referent in the collected generations before its own turn), then move_unreachable with untrack_tuples, untrack_dicts and the ' +
    'generation\'s size folded in; each follows the holder\'s million references too. Each object spans two cache lines (the GC head ends ' +
    'one, the header starts the next, as in CPython\'s pools), and both passes read both. Both passes run compiled to WebAssembly over the ' +
    'heap\'s memory (src/gc/wasm-passes.ts).',
);
say(
  '- the young collection: 700 objects fit in cache, so it is the instructions per object and per reference that count. In JavaScript ' +
    'every typed-array access carries an overflow check, a bounds check and a reload of the array\'s base; the WebAssembly passes do ' +
    'one load or store each, which took this collection from about 18.5 to 12 µs on this machine (measured before and after the change, ' +
    'not in this run). In the passes, a call left in a loop makes V8 keep the loop\'s values in memory across it, so the calls (tp_traverse ' +
    'of the kinds the kernel does not walk itself, a tuple or dict settled) are made from an outer loop; and every value the loops keep ' +
    'live costs: exact tuples and dicts are told apart by a bit of the traverse-kind table, not two comparisons per object; each walk of ' +
    'references is specialized by direction; item pointers are byte addresses; one address per referent serves its type and its GC head; ' +
    'and the generation\'s size is counted only where CPython counts it (collections of generation 1 and full ones). A collect(0) of the ' +
    '700 lists executes about 78,500 instructions in the two passes with all of this, 105,500 before the last four (callgrind, not in this run).',
);
say();

if (write) {
  const path = writeResultsSection('objects', 'Object model (`npm run bench:objects`)', report.lines);
  console.log(`\nwritten to ${path}`);
}
