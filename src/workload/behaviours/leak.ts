/**
 * A leak into a module-level list: with some probability a request appends
 * an object to a list that nothing ever trims (an audit log kept in memory,
 * handlers registered per request, a debug history) -- or, with max_kept, a
 * bounded history whose survivors, allocated among each request's
 * temporaries, pin the pools and arenas around them.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';
import { makeValue, type ValueKind, valueKindSchema } from './values.js';

export const leakSchema = z
  .object({
    kind: z.literal('leak'),
    probability: z.number().min(0).max(1).default(1).describe('chance that a request leaks'),
    value: valueKindSchema.default('str'),
    size: distributionSchema.describe('size of each leaked object (see value)'),
    max_kept: z.number().int().min(0).default(0).describe('0: the list is never trimmed (a leak); N: only the newest N are kept (a bounded history)'),
  })
  .strict()
  .describe('Leak: append an object to a module-level list that is never trimmed.');

export type LeakSpec = z.infer<typeof leakSchema>;

export function leakBehaviour(spec: LeakSpec, name: string): BehaviourFactory {
  const size = compileDistribution(spec.size);
  return {
    name,
    instantiate: (py, app) => {
      const list = py.list();
      py.setglobal(app, name, list);
      return new Leak(py, spec, size, list, py.defineClass({ name: 'Leaked' }));
    },
  };
}

class Leak implements BehaviourInstance {
  private kept = 0;
  private readonly value: ValueKind;

  constructor(
    private readonly py: Python,
    private readonly spec: LeakSpec,
    private readonly size: Sampler,
    private readonly list: Ref,
    private readonly cls: number,
  ) {
    this.value = spec.value;
  }

  run(rng: Rng): void {
    if (!rng.chance(this.spec.probability)) return;
    const py = this.py;
    const x = makeValue(py, this.value, count(this.size, rng), this.cls);
    py.append(this.list, x);
    py.del(x);
    if (this.spec.max_kept > 0 && ++this.kept > this.spec.max_kept) {
      py.del(py.pop(this.list, 0));
      this.kept--;
    }
  }
}
