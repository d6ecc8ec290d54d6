/**
 * The gc_young_700 workload of bench:objects, shared by the timed benchmark
 * (bench/objects.ts) and the loop that counts its instructions
 * (bench/young-loop.ts): 699 new empty lists held in a new list, 700 tracked
 * objects in generation 0, as bench/objects-anchor.py's
 * `holder = [[] for _ in range(699)]` leaves them in CPython.
 */
import type { Python } from '../src/objects/api.js';

/** Objects in generation 0 when the collection starts: the lists and their holder. */
export const YOUNG_N = 700;

/** Inside a `py.call`: the holder and its lists, left in generation 0 (the holder is the frame's local). */
export function fillGeneration0(py: Python): void {
  const holder = py.list();
  for (let i = 0; i < YOUNG_N - 1; i++) {
    const x = py.list();
    py.append(holder, x);
    py.del(x);
  }
}
