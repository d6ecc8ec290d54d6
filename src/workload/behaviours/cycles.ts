/**
 * ORM-like object graphs with back-references: a parent instance holds a list
 * of children and every child points back at its parent. When the request
 * drops the parent, reference counting frees nothing: only the cyclic GC does,
 * so the graphs pile up in generation 0 and drive collections.
 */
import { z } from 'zod';
import type { Python } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const cyclesSchema = z
  .object({
    kind: z.literal('cycles'),
    children: distributionSchema.default(10).describe('children per parent'),
    attributes: z.number().int().min(0).max(30).default(4).describe('plain attributes per instance (ints)'),
    slots: z.boolean().default(false).describe('instances use __slots__ instead of __dict__'),
  })
  .strict()
  .describe('Reference cycles between class instances (parent/children back-references) that only the GC frees.');

export type CyclesSpec = z.infer<typeof cyclesSchema>;

export function cyclesBehaviour(spec: CyclesSpec, name: string): BehaviourFactory {
  const children = compileDistribution(spec.children);
  return {
    name,
    instantiate: (py) => {
      const attrs = Array.from({ length: spec.attributes }, (_, i) => `attr_${i}`);
      const slots = spec.slots ? ['parent', 'children', ...attrs] : undefined;
      const parentClass = py.defineClass({ name: 'Parent', slots });
      const childClass = py.defineClass({ name: 'Child', slots });
      return new Cycles(py, children, parentClass, childClass, attrs);
    },
  };
}

class Cycles implements BehaviourInstance {
  constructor(
    private readonly py: Python,
    private readonly children: Sampler,
    private readonly parentClass: number,
    private readonly childClass: number,
    private readonly attrs: readonly string[],
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const parent = py.new(this.parentClass);
    this.fill(parent);
    const list = py.list();
    py.setattr(parent, 'children', list);
    const n = count(this.children, rng);
    for (let i = 0; i < n; i++) {
      const child = py.new(this.childClass);
      this.fill(child);
      py.setattr(child, 'parent', parent);
      py.append(list, child);
      py.del(child);
    }
    py.del(list);
    py.del(parent);
  }

  private fill(obj: number): void {
    const py = this.py;
    for (let i = 0; i < this.attrs.length; i++) {
      const v = py.int(1_000 + i);
      py.setattr(obj, this.attrs[i], v);
      py.del(v);
    }
  }
}
