/**
 * Which collections CPython 3.11, 3.9 and 3.8 run, and when: a loop keeps objects and
 * drops reference cycles, with the collector enabled; gc.callbacks records
 * every collection's generation and what it collected. The same program runs
 * in pyheap and must give the same sequence, statistics and final counts --
 * this exercises thresholds, the gen1/gen2 counters, the rule that a full
 * collection waits for long-lived pending objects to pass 25% of the
 * long-lived total, the free lists' effect on the count, and collected totals.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { pythonFor, type PythonVersion, runPython } from '../support/python-oracle.js';

interface TriggerRun {
  /** start: generation; stop: 10 + generation, then collected. */
  events: number[];
  stats: { collections: number; collected: number; uncollectable: number }[];
  count: number[];
}

interface TriggerCase {
  name: string;
  iterations: number;
  /** Every `cycleEvery`-th iteration leaves a two-list cycle behind. */
  cycleEvery: number;
  /** Every `dropEvery`-th iteration drops a kept object again. */
  dropEvery: number;
  threshold: [number, number, number] | null;
}

const CASES: TriggerCase[] = [
  { name: 'default thresholds', iterations: 80_000, cycleEvery: 7, dropEvery: 0, threshold: null },
  { name: 'low thresholds: the 25% rule decides full collections', iterations: 30_000, cycleEvery: 5, dropEvery: 3, threshold: [100, 5, 3] },
  { name: 'only garbage cycles', iterations: 20_000, cycleEvery: 1, dropEvery: 0, threshold: [300, 4, 4] },
];

function program(c: TriggerCase): string {
  return `
def scenario():
    events = []
    def cb(phase, info):
        if phase == 'start':
            events.append(info['generation'])
        else:
            events.append(10 + info['generation'])
            events.append(info['collected'])
    keep = []
    a = None
    b = None
    gc.disable()
    # get_stats() allocates a list of dicts: before the freeze, so they do not count in generation 0
    before = gc.get_stats()
    gc.freeze()
    gc.collect()
    ${c.threshold ? `gc.set_threshold(${c.threshold.join(', ')})` : ''}
    gc.callbacks.append(cb)
    gc.enable()
    i = 0
    while i < ${c.iterations}:
        keep.append([])
        if i % ${c.cycleEvery} == 0:
            a = []
            b = [a]
            a.append(b)
        ${c.dropEvery ? `if i % ${c.dropEvery} == 0:\n            keep.pop()` : ''}
        i += 1
    gc.disable()
    gc.callbacks.remove(cb)
    after = gc.get_stats()
    count = list(gc.get_count())
    stats = [{k: after[g][k] - before[g][k] for k in ('collections', 'collected', 'uncollectable')} for g in range(3)]
    return {'events': events, 'stats': stats, 'count': count}
print(json.dumps(scenario()))
`;
}

function simulate(c: TriggerCase, version: PythonVersion): TriggerRun {
  const py = new Python({ heap: { profile: version } });
  const events: number[] = [];
  let result: TriggerRun | null = null;
  py.call(() => {
    const keep = py.list();
    let a: Ref = 0;
    let b: Ref = 0;
    py.gc.disable();
    const before = py.gc.getStats();
    py.gc.freeze();
    py.gc.collect();
    if (c.threshold) py.gc.setThreshold(...c.threshold);
    const cb = (phase: 'start' | 'stop', info: { generation: number; collected: number }): void => {
      if (phase === 'start') events.push(info.generation);
      else events.push(10 + info.generation, info.collected);
    };
    py.gc.callbacks.push(cb);
    py.gc.enable();
    for (let i = 0; i < c.iterations; i++) {
      py.scope(() => {
        py.append(keep, py.list());
      });
      if (i % c.cycleEvery === 0) {
        // a = []; b = [a]; a.append(b) -- each name rebound after its new value exists
        const na = py.list();
        if (a !== 0) py.del(a);
        a = na;
        const nb = py.list([a]);
        if (b !== 0) py.del(b);
        b = nb;
        py.append(a, b);
      }
      if (c.dropEvery && i % c.dropEvery === 0) {
        py.scope(() => {
          py.pop(keep);
        });
      }
    }
    py.gc.disable();
    py.gc.callbacks.splice(py.gc.callbacks.indexOf(cb), 1);
    const after = py.gc.getStats();
    result = {
      events,
      stats: after.map((s, g) => ({
        collections: s.collections - before[g].collections,
        collected: s.collected - before[g].collected,
        uncollectable: s.uncollectable - before[g].uncollectable,
      })),
      count: py.gc.getCount(),
    };
  });
  return result!;
}

for (const version of ['3.11', '3.9', '3.8'] as const) {
  describe.skipIf(pythonFor(version) === null)(`collections trigger as in CPython ${version} (needs python${version})`, () => {
    for (const c of CASES) {
      it(c.name, () => {
        const cpython = runPython<TriggerRun>(program(c), version).result;
        const sim = simulate(c, version);
        // The sequences are long: compare the summary first for a readable failure.
        expect(sim.stats).toEqual(cpython.stats);
        expect(sim.count).toEqual(cpython.count);
        expect(sim.events).toEqual(cpython.events);
        expect(cpython.stats[0].collections).toBeGreaterThan(10);
      });
    }
  });
}
