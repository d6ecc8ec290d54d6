/**
 * Temporary computations: a list comprehension materialises every element
 * before they are summed or filtered (the list and its item array grow with
 * list_resize's over-allocation), a generator expression holds one element at
 * a time. The same work, two memory shapes.
 */
import { z } from 'zod';
import type { Python } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const temporariesSchema = z
  .object({
    kind: z.literal('temporaries'),
    items: distributionSchema.default(100).describe('elements computed'),
    mode: z.enum(['list', 'generator']).default('list').describe('list: [f(x) for x in ...]; generator: (f(x) for x in ...)'),
    element: z.enum(['int', 'float', 'str', 'tuple']).default('int').describe('what each element is'),
    string_length: distributionSchema.default(10).describe('characters per str element'),
  })
  .strict()
  .describe('Temporary computations: a list comprehension vs a generator expression over the same elements.');

export type TemporariesSpec = z.infer<typeof temporariesSchema>;

export function temporariesBehaviour(spec: TemporariesSpec, name: string): BehaviourFactory {
  const items = compileDistribution(spec.items);
  const stringLength = compileDistribution(spec.string_length);
  return { name, instantiate: (py) => new Temporaries(py, spec, items, stringLength) };
}

class Temporaries implements BehaviourInstance {
  constructor(
    private readonly py: Python,
    private readonly spec: TemporariesSpec,
    private readonly items: Sampler,
    private readonly stringLength: Sampler,
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const n = count(this.items, rng);
    if (this.spec.mode === 'list') {
      const list = py.list();
      for (let i = 0; i < n; i++) {
        const x = this.element(rng, i);
        py.append(list, x);
        py.del(x);
      }
      py.del(list);
    } else {
      const gen = py.generator();
      for (let i = 0; i < n; i++) py.del(this.element(rng, i));
      py.exhaust(gen);
      py.del(gen);
    }
  }

  private element(rng: Rng, i: number): number {
    const py = this.py;
    switch (this.spec.element) {
      case 'int':
        return py.int(1_000 + i);
      case 'float':
        return py.float(i + 0.5);
      case 'str':
        return py.strOfLength(count(this.stringLength, rng));
      case 'tuple': {
        const a = py.int(1_000 + i);
        const t = py.tuple(a, a);
        py.del(a);
        return t;
      }
    }
  }
}
