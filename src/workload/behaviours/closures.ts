/**
 * Closures that capture large objects and are kept in a registry: a callback
 * registered per request (a signal receiver, an event hook) whose cell keeps
 * the request's data alive as long as the registry holds the function.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';
import { makeValue, type ValueKind, valueKindSchema } from './values.js';

export const closuresSchema = z
  .object({
    kind: z.literal('closure_registry'),
    probability: z.number().min(0).max(1).default(1).describe('chance that a request registers a closure'),
    captured: valueKindSchema.default('bytes').describe('what the closure captures'),
    captured_size: distributionSchema.describe('size of the captured object (see captured)'),
    max_registered: z.number().int().min(0).default(0).describe('0: the registry is never trimmed; N: only the newest N are kept'),
  })
  .strict()
  .describe('Closures capturing large objects, kept in a module-level registry.');

export type ClosuresSpec = z.infer<typeof closuresSchema>;

export function closuresBehaviour(spec: ClosuresSpec, name: string): BehaviourFactory {
  const size = compileDistribution(spec.captured_size);
  return {
    name,
    instantiate: (py, app) => {
      const registry = py.list();
      py.setglobal(app, name, registry);
      return new Closures(py, spec, spec.captured, size, registry, py.defineClass({ name: 'Captured' }));
    },
  };
}

class Closures implements BehaviourInstance {
  private registered = 0;

  constructor(
    private readonly py: Python,
    private readonly spec: ClosuresSpec,
    private readonly captured: ValueKind,
    private readonly size: Sampler,
    private readonly registry: Ref,
    private readonly cls: number,
  ) {}

  run(rng: Rng): void {
    if (!rng.chance(this.spec.probability)) return;
    const py = this.py;
    const data = makeValue(py, this.captured, count(this.size, rng), this.cls);
    const callback = py.closure([data]);
    py.append(this.registry, callback);
    py.del(callback);
    py.del(data);
    if (this.spec.max_registered > 0 && ++this.registered > this.spec.max_registered) {
      py.del(py.pop(this.registry, 0));
      this.registered--;
    }
  }
}
