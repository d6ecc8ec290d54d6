/**
 * ★ Start here: a behaviour is one thing a request does to the heap -- parse
 * a payload, fill a cache, leak into a module-level list, leave a cycle for
 * the GC -- written against the object API (src/objects/api.ts), with its
 * sizes drawn from distributions.
 *
 * A behaviour is compiled once from its scenario entry (`BehaviourFactory`),
 * then instantiated in every simulated process when it boots: module-level
 * state (caches, registries, leak lists) is created then, as globals of the
 * process's app module, and dies with the process. `run` does one request's
 * work inside the request's frame: what it does not store somewhere
 * long-lived dies when the request returns.
 */
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';

/** A number drawn per use (a compiled distribution). */
export interface Sampler {
  sample(rng: Rng): number;
}

export interface BehaviourInstance {
  run(rng: Rng): void;
}

export interface BehaviourFactory {
  /** The behaviour's kind and index, for allocation sites (tracemalloc) and errors. */
  readonly name: string;
  /** At boot of a process: its module-level state, as globals of `app`. */
  instantiate(py: Python, app: Ref): BehaviourInstance;
}

/** A draw rounded to a non-negative integer (counts, lengths, sizes). */
export function count(sampler: Sampler, rng: Rng): number {
  const x = Math.round(sampler.sample(rng));
  return x > 0 ? x : 0;
}
