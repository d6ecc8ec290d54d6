/**
 * Which endpoint an arriving request calls: a draw by the endpoints' mix
 * weights, in O(1) per request (the alias table of
 * src/workload/weighted-choice.ts). Weights are relative; an endpoint of
 * weight 0 is never called.
 */
import type { Rng } from '../sim/rng.js';
import { WeightedChoice } from '../workload/weighted-choice.js';

export interface MixEntry {
  readonly name: string;
  readonly weight: number;
}

export class EndpointMix {
  readonly names: readonly string[];
  private readonly choice: WeightedChoice;

  constructor(endpoints: readonly MixEntry[]) {
    if (endpoints.length === 0) throw new RangeError('the endpoint mix needs at least one endpoint');
    for (const e of endpoints) {
      if (!Number.isFinite(e.weight) || e.weight < 0) throw new RangeError(`endpoint "${e.name}": weight must be a finite number >= 0, got ${e.weight}`);
    }
    if (!endpoints.some((e) => e.weight > 0)) throw new RangeError('the endpoint mix needs an endpoint with a weight > 0');
    this.names = Object.freeze(endpoints.map((e) => e.name));
    this.choice = new WeightedChoice(endpoints.map((e) => e.weight));
  }

  /** The index (into `names`) of the endpoint the next request calls. */
  pick(rng: Rng): number {
    return this.choice.pick(rng);
  }

  /** Endpoint i's share of requests (its normalised weight). */
  share(i: number): number {
    return this.choice.probability(i);
  }
}
