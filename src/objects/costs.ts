/**
 * The modelled CPU cost of simulated Python operations, in nanoseconds.
 *
 * The defaults are CPython 3.11.7 on this project's reference machine, measured
 * by bench/calibrate.py (`npm run bench:calibrate` re-measures them with the
 * local python3 and writes a profile a scenario can select; the committed
 * measurement is src/objects/costs/cpython-3.11.json, kept equal to the table
 * below by test/unit/costs.test.ts). How each was measured: the profile's
 * "code" and "method" fields. In short: one statement timed in a compiled
 * loop with the empty loop subtracted, medians of 11 runs, automatic GC off.
 *
 * `*New` keys are create-and-drop costs: pyheap charges them when an object is
 * created and charges nothing when it is freed (the drop is included).
 * Collections are charged by the collector's pause model (gcCostsFrom).
 */
import type { GcCosts } from '../gc/collector.js';

export interface CostProfile {
  intNew: number;
  floatNew: number;
  strNewBase: number;
  strNewPerChar: number;
  bytesNewBase: number;
  bytesNewPerByte: number;
  tupleNewBase: number;
  tupleNewPerItem: number;
  listNew: number;
  listAppend: number;
  listGetitem: number;
  listSetitem: number;
  listPop: number;
  dictNew: number;
  dictSetitemNewKey: number;
  dictSetitemExisting: number;
  dictGetitem: number;
  dictDelitem: number;
  setNew: number;
  setAdd: number;
  instanceNew: number;
  instanceSlotsNew: number;
  getattr: number;
  setattr: number;
  functionNew: number;
  closureNew: number;
  call: number;
  generatorNew: number;
  weakrefNew: number;
  dealloc: number;
  gcFullPerList: number;
  gcFullPerInstance: number;
  gcFullPerDict: number;
  gcYoungBase: number;
  gcYoung700: number;
}

export const CPYTHON_311_COSTS: Readonly<CostProfile> = Object.freeze({
  intNew: 10.724,
  floatNew: 8.198,
  strNewBase: 28.7508,
  strNewPerChar: 0.0111,
  bytesNewBase: 32.8597,
  bytesNewPerByte: 0.0117,
  tupleNewBase: 17.5154,
  tupleNewPerItem: 1.3098,
  listNew: 14.442,
  listAppend: 5.991,
  listGetitem: 4.724,
  listSetitem: 5.381,
  listPop: 8.873,
  dictNew: 15.845,
  dictSetitemNewKey: 27.059,
  dictSetitemExisting: 14.958,
  dictGetitem: 9.666,
  dictDelitem: 17.966,
  setNew: 28.139,
  setAdd: 13.648,
  instanceNew: 132.084,
  instanceSlotsNew: 120.691,
  getattr: 3.754,
  setattr: 3.517,
  functionNew: 40.581,
  closureNew: 62.83,
  call: 17.339,
  generatorNew: 164.684,
  weakrefNew: 61.394,
  dealloc: 10.256,
  gcFullPerList: 67.272,
  gcFullPerInstance: 97.423,
  gcFullPerDict: 113.215,
  gcYoungBase: 25.428,
  gcYoung700: 9154,
});

/** The keys of a cost profile, in the calibration's snake_case. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z0-9]+/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A cost profile from a calibration file's `costs` object (snake_case keys):
 * every key present, finite and non-negative, or an error naming the keys.
 */
export function costProfileFrom(costs: Record<string, unknown>, source = 'costs'): CostProfile {
  const out: Record<string, number> = {};
  const problems: string[] = [];
  for (const key of Object.keys(CPYTHON_311_COSTS)) {
    const value = costs[snakeCase(key)];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) problems.push(`${snakeCase(key)} must be a non-negative number`);
    else out[key] = value;
  }
  if (problems.length > 0) throw new RangeError(`${source}: ${problems.join('; ')}`);
  return out as unknown as CostProfile;
}

/**
 * The collector's pause model from a profile: a young collection's fixed cost,
 * a per-object cost from the 700-object young collection (objects hot in
 * cache), and a per-reference cost from how much more a full collection pays
 * per instance (3 attribute values and the type visited) than per empty list.
 * Full collections of very large heaps cost more per object than this
 * (gc_full_per_list: the memory is cold); the model does not grow with heap size.
 */
export function gcCostsFrom(profile: CostProfile): GcCosts {
  return {
    collectionNs: profile.gcYoungBase,
    perObjectNs: profile.gcYoung700 / 700,
    perReferenceNs: Math.max(0, (profile.gcFullPerInstance - profile.gcFullPerList) / 4),
  };
}
