/**
 * Resources with finalizers: files or sockets opened by a request. Closed
 * ones release at once; unclosed ones are closed by their finalizer when the
 * last reference goes (a ResourceWarning), or -- when a cycle holds them --
 * only when the GC finds the cycle, keeping the descriptor open until then.
 */
import { z } from 'zod';
import type { Python } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const resourcesSchema = z
  .object({
    kind: z.literal('resources'),
    resource: z.enum(['file', 'socket']).default('file'),
    count: distributionSchema.default(1).describe('resources opened per request'),
    close_probability: z.number().min(0).max(1).default(0.9).describe('chance that the code closes it (with-statement)'),
    cycle_probability: z.number().min(0).max(1).default(0).describe('chance that an unclosed one is held in a reference cycle'),
  })
  .strict()
  .describe('Files or sockets, sometimes left unclosed for their finalizers, sometimes held in cycles.');

export type ResourcesSpec = z.infer<typeof resourcesSchema>;

export function resourcesBehaviour(spec: ResourcesSpec, name: string): BehaviourFactory {
  const n = compileDistribution(spec.count);
  return {
    name,
    instantiate: (py) => new Resources(py, spec, n, py.defineClass({ name: 'Holder' })),
  };
}

class Resources implements BehaviourInstance {
  constructor(
    private readonly py: Python,
    private readonly spec: ResourcesSpec,
    private readonly n: Sampler,
    private readonly holder: number,
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const n = count(this.n, rng);
    for (let i = 0; i < n; i++) {
      const r = py.open(this.spec.resource);
      if (rng.chance(this.spec.close_probability)) {
        py.close(r);
      } else if (rng.chance(this.spec.cycle_probability)) {
        // holder.resource = r; holder.me = holder: only the GC ends it
        const h = py.new(this.holder);
        py.setattr(h, 'resource', r);
        py.setattr(h, 'me', h);
        py.del(h);
      }
      py.del(r);
    }
  }
}
