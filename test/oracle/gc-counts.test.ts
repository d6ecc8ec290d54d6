/**
 * The generation-0 count against CPython 3.11, 3.9 and 3.8: it moves with
 * tracked allocations from pymalloc and PyObject_GC_Del (gc_alloc,
 * _PyObject_GC_Link), not with objects taken from or returned to a free list
 * (lists, dicts, tuples) -- nor, in 3.8/3.9, with a call's frame taken from
 * its code's zombie frame: a function's first call counts its new frame, and
 * the frame, kept as the zombie, is never given back.
 *
 * Each program starts from gc.freeze(); gc.collect() so the interpreter's own
 * objects are out of the way and the free lists are empty, as a fresh
 * simulated process's are.
 */
import { describe, expect, it } from 'vitest';
import { type Code, Python, type Ref } from '../../src/objects/api.js';
import { pythonFor, type PythonVersion, runPython } from '../support/python-oracle.js';

/**
 * `snap(log)`: a call of the Python function whose body is
 * `a, b, c = gc.get_count()` (getCount builds and drops the 3-tuple CPython returns).
 */
function snap(py: Python, code: Code, log: number[]): void {
  py.call(() => {
    log.push(...py.gc.getCount());
  }, code);
}

/** `while i < n: <body>; i += 1`, the body a block of its own so its temporaries die each iteration. */
function repeat(py: Python, n: number, body: (i: number) => void): void {
  for (let i = 0; i < n; i++) {
    py.scope(() => {
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
def rec(n):
    if n:
        rec(n - 1)
def gen(x):
    yield x
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
    rec(3)
    snap(log)
    rec(5)
    snap(log)
    rec(210)
    snap(log)
    g = gen(keep)
    snap(log)
    del g
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

function countsInSimulation(version: PythonVersion): number[] {
  const py = new Python({ heap: { profile: version } });
  const C = py.defineClass({ name: 'C' });
  // snap(log): its locals log, a, b, c; its value stack 3 deep (a frame's size does not change the counts).
  const snapCode = py.code({ nlocals: 4, stacksize: 3 });
  const recCode = py.code({ nlocals: 1, stacksize: 3 });
  const log: number[] = [];
  py.call(() => {
    const keep = py.list();
    py.gc.disable();
    py.gc.freeze();
    py.gc.collect();
    snap(py, snapCode, log);
    repeat(py, 500, () => py.append(keep, py.list()));
    snap(py, snapCode, log);
    repeat(py, 200, () => py.pop(keep));
    snap(py, snapCode, log);
    repeat(py, 100, () => py.append(keep, py.dict()));
    snap(py, snapCode, log);
    // `t = (keep, i)`: the new tuple is bound before the previous one dies.
    let t: Ref = 0;
    for (let i = 0; i < 300; i++) {
      const next = py.tuple(keep, py.int(i));
      if (t !== 0) py.del(t);
      t = next;
    }
    py.del(t);
    snap(py, snapCode, log);
    let o: Ref = 0;
    for (let i = 0; i < 150; i++) {
      const next = py.new(C);
      if (o !== 0) py.del(o);
      o = next;
    }
    py.del(o);
    snap(py, snapCode, log);
    repeat(py, 120, () => py.append(keep, py.new(C)));
    snap(py, snapCode, log);
    // `del keep[:]`: list_clear decrefs the items from the last one down.
    py.clear(keep);
    snap(py, snapCode, log);
    // Recursion: frames from the zombie slot and the free list (200 at most) count no more, those beyond it are freed.
    const rec = (n: number): void => {
      py.call(() => {
        if (n > 0) rec(n - 1);
      }, recCode);
    };
    rec(3);
    snap(py, snapCode, log);
    rec(5);
    snap(py, snapCode, log);
    rec(210);
    snap(py, snapCode, log);
    const g = py.generator([keep]);
    snap(py, snapCode, log);
    py.del(g);
    snap(py, snapCode, log);
    py.gc.collect(0);
    snap(py, snapCode, log);
    repeat(py, 50, () => py.append(keep, py.list()));
    py.gc.collect(1);
    snap(py, snapCode, log);
    py.gc.collect();
    snap(py, snapCode, log);
    py.gc.enable();
  });
  return log;
}

for (const version of ['3.11', '3.9', '3.8'] as const) {
  describe.skipIf(pythonFor(version) === null)(`gc.get_count() matches CPython ${version} (needs python${version})`, () => {
    it('through tracked allocations, deallocations, free lists, frames and collections', () => {
      const cpython = runPython<number[]>(COUNTS_PROGRAM, version).result;
      const sim = countsInSimulation(version);
      expect(sim).toEqual(cpython);
    });
  });
}
