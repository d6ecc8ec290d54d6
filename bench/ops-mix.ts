/**
 * The ops_mix workload of bench:objects, shared by the timed benchmark
 * (bench/objects.ts) and the loop that counts its instructions
 * (bench/ops-mix-loop.ts): per iteration, create and drop one instance of P
 * (three attributes set in __init__), one 3-tuple, one list of 3 items and
 * one dict of 3 str keys, as bench/objects-anchor.py does in CPython.
 */
import type { CollectionReport } from '../src/gc/collector.js';
import { type ConstKeys, type ConstructorCall, Python, type Ref } from '../src/objects/api.js';

/** Untimed ops_mix iterations before a run is sized or counted: the first calls compile the code. */
export const OPS_WARMUP = 50_000;

/** ops_mix iterations' worth of objects alive while the mix runs (see prepareOpsMix). */
export const KEPT = 1000;

/** A fresh simulated process with room for the million-object heaps, automatic collection off. */
export function newPython(onCollection?: (report: CollectionReport) => void): { py: Python; P: number } {
  const py = new Python({ heap: { arenaCapacityBytes: 1 << 30, rawCapacityBytes: 1 << 28 }, onCollection });
  py.gc.disable();
  return { py, P: py.defineClass({ name: 'P' }) };
}

/** The anchor's call sites, `P(a, b, c)` and `{'a': a, 'b': b, 'c': c}`, and its locals a, b, c (the ints 1001..1003). */
export interface OpsMixSetup {
  newP: ConstructorCall;
  abc: ConstKeys;
  a: Ref;
  b: Ref;
  c: Ref;
}

/**
 * Inside a `py.call`: the locals and call sites, and KEPT iterations' worth of
 * objects kept alive. The anchor's interpreter holds other objects of these
 * sizes while the mix runs, so a freed block goes back to a pool with blocks
 * still in use; so does the simulated process.
 */
export function prepareOpsMix(py: Python, P: number): OpsMixSetup {
  const a = py.int(1001);
  const b = py.int(1002);
  const c = py.int(1003);
  const setup: OpsMixSetup = { newP: py.constructorCall(P, ['a', 'b', 'c']), abc: py.constKeys(['a', 'b', 'c']), a, b, c };
  const kept = py.list();
  for (let i = 0; i < KEPT; i++) {
    for (const x of [py.newWith(setup.newP, a, b, c), py.tuple(a, b, c), py.list(a, b, c), py.dictWith(setup.abc, a, b, c)]) {
      py.append(kept, x);
      py.del(x);
    }
  }
  return setup;
}

/** The anchor's loop body, n times. */
export function opsMix(py: Python, s: OpsMixSetup, n: number): void {
  const { newP, abc, a, b, c } = s;
  for (let i = 0; i < n; i++) {
    py.del(py.newWith(newP, a, b, c));
    py.del(py.tuple(a, b, c));
    py.del(py.list(a, b, c));
    py.del(py.dictWith(abc, a, b, c));
  }
}
