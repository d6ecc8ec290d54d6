/**
 * The generation-0 count against CPython 3.11: it moves with tracked
 * allocations from pymalloc and PyObject_GC_Del (gc_alloc, _PyObject_GC_Link),
 * not with objects taken from or returned to a free list (lists, dicts, tuples).
 *
 * Each program starts from gc.freeze(); gc.collect() so the interpreter's own
 * objects are out of the way and the free lists are empty, as a fresh
 * simulated process's are.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { python311Available, runPython } from '../support/python-oracle.js';

/** `a, b, c = gc.get_count()` (getCount builds and drops the 3-tuple CPython returns). */
function snap(py: Python, log: number[]): void {
  log.push(...py.gc.getCount());
}

/** `while i < n: <body>; i += 1`, the body in a frame of its own so its temporaries die each iteration. */
function repeat(py: Python, n: number, body: (i: number) => void): void {
  for (let i = 0; i < n; i++) {
    py.call(() => {
      body(i);
    });
  }
}

const COUNTS_PROGRAM = `
class C:
    pass
def snap(log):
    a, b, c = gc.get_count()
    log.append(a); log.append(b); log.append(c)
def scenario():
    log = []
    keep = []
    gc.disable()
    gc.freeze()
    gc.collect()
    snap(log)
    i = 0
    while i < 500:
        keep.append([])
        i += 1
    snap(log)
    i = 0
    while i < 200:
        keep.pop()
        i += 1
    snap(log)
    i = 0
    while i < 100:
        keep.append({})
        i += 1
    snap(log)
    i = 0
    while i < 300:
        t = (keep, i)
        i += 1
    del t
    snap(log)
    i = 0
    while i < 150:
        o = C()
        i += 1
    del o
    snap(log)
    i = 0
    while i < 120:
        keep.append(C())
        i += 1
    snap(log)
    del keep[:]
    snap(log)
    gc.collect(0)
    snap(log)
    i = 0
    while i < 50:
        keep.append([])
        i += 1
    gc.collect(1)
    snap(log)
    gc.collect()
    snap(log)
    gc.enable()
    return log
print(json.dumps(scenario()))
`;

function countsInSimulation(): number[] {
  const py = new Python();
  const C = py.defineClass({ name: 'C' });
  const log: number[] = [];
  py.call(() => {
    const keep = py.list();
    py.gc.disable();
    py.gc.freeze();
    py.gc.collect();
    snap(py, log);
    repeat(py, 500, () => py.append(keep, py.list()));
    snap(py, log);
    repeat(py, 200, () => py.pop(keep));
    snap(py, log);
    repeat(py, 100, () => py.append(keep, py.dict()));
    snap(py, log);
    // `t = (keep, i)`: the new tuple is bound before the previous one dies.
    let t: Ref = 0;
    for (let i = 0; i < 300; i++) {
      const next = py.tuple(keep, py.int(i));
      if (t !== 0) py.del(t);
      t = next;
    }
    py.del(t);
    snap(py, log);
    let o: Ref = 0;
    for (let i = 0; i < 150; i++) {
      const next = py.new(C);
      if (o !== 0) py.del(o);
      o = next;
    }
    py.del(o);
    snap(py, log);
    repeat(py, 120, () => py.append(keep, py.new(C)));
    snap(py, log);
    // `del keep[:]`: list_clear decrefs the items from the last one down.
    py.clear(keep);
    snap(py, log);
    py.gc.collect(0);
    snap(py, log);
    repeat(py, 50, () => py.append(keep, py.list()));
    py.gc.collect(1);
    snap(py, log);
    py.gc.collect();
    snap(py, log);
    py.gc.enable();
  });
  return log;
}

describe.skipIf(!python311Available)('gc.get_count() matches CPython 3.11', () => {
  it('through tracked allocations, deallocations, free lists and collections', () => {
    const cpython = runPython<number[]>(COUNTS_PROGRAM).result;
    const sim = countsInSimulation();
    expect(sim).toEqual(cpython);
  });
});
