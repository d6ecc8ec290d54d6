/**
 * Model objects for one request (rows of a query, DTOs): instances with K
 * attributes in a list, as `__dict__` instances (3.11: inline values behind a
 * shared keys object) or `__slots__` instances (one pointer per slot) -- the
 * same data, two sizes.
 */
import { z } from 'zod';
import type { Python } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const modelsSchema = z
  .object({
    kind: z.literal('models'),
    count: distributionSchema.default(50).describe('instances per request'),
    attributes: z.number().int().min(1).max(30).default(8),
    slots: z.boolean().default(false).describe('__slots__ instead of __dict__'),
    string_length: distributionSchema.default(12).describe('characters of each str attribute (every other attribute is a str)'),
  })
  .strict()
  .describe('Model instances for a request: __slots__ vs __dict__.');

export type ModelsSpec = z.infer<typeof modelsSchema>;

export function modelsBehaviour(spec: ModelsSpec, name: string): BehaviourFactory {
  const n = compileDistribution(spec.count);
  const stringLength = compileDistribution(spec.string_length);
  return {
    name,
    instantiate: (py) => {
      const attrs = Array.from({ length: spec.attributes }, (_, i) => `col_${i}`);
      const cls = py.defineClass({ name: 'Row', slots: spec.slots ? attrs : undefined });
      return new Models(py, n, stringLength, cls, attrs);
    },
  };
}

class Models implements BehaviourInstance {
  constructor(
    private readonly py: Python,
    private readonly n: Sampler,
    private readonly stringLength: Sampler,
    private readonly cls: number,
    private readonly attrs: readonly string[],
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const rows = py.list();
    const n = count(this.n, rng);
    for (let r = 0; r < n; r++) {
      const row = py.new(this.cls);
      for (let i = 0; i < this.attrs.length; i++) {
        const v = i % 2 === 0 ? py.int(1_000 + r) : py.strOfLength(count(this.stringLength, rng));
        py.setattr(row, this.attrs[i], v);
        py.del(v);
      }
      py.append(rows, row);
      py.del(row);
    }
  }
}
