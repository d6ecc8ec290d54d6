/**
 * Large buffers: a DataFrame or NumPy array whose data is one raw-allocator
 * block (above glibc's mmap threshold it is its own mapping, returned at
 * once when freed; below, it lives in the brk heap and may pin it). Kept in a
 * module-level list of recent results, or dropped when the request returns.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { byteSizeDistributionSchema, compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const buffersSchema = z
  .object({
    kind: z.literal('buffers'),
    count: distributionSchema.default(1).describe('buffers per request'),
    size: byteSizeDistributionSchema.describe('bytes per buffer (e.g. "24MiB", or a distribution)'),
    keep_probability: z.number().min(0).max(1).default(0).describe('chance that a buffer is kept in the module-level list'),
    max_kept: z.number().int().min(0).default(0).describe('0: kept buffers are never dropped; N: only the newest N are kept'),
    touched: z.boolean().default(true).describe('the data is written (np.zeros, a computed frame) rather than left untouched (np.empty)'),
  })
  .strict()
  .describe('Large buffers (DataFrame-like raw allocations), kept or dropped.');

export type BuffersSpec = z.infer<typeof buffersSchema>;

export function buffersBehaviour(spec: BuffersSpec, name: string): BehaviourFactory {
  const n = compileDistribution(spec.count);
  const size = compileDistribution(spec.size);
  return {
    name,
    instantiate: (py, app) => {
      const kept = py.list();
      py.setglobal(app, name, kept);
      return new Buffers(py, spec, n, size, kept);
    },
  };
}

class Buffers implements BehaviourInstance {
  private keptCount = 0;

  constructor(
    private readonly py: Python,
    private readonly spec: BuffersSpec,
    private readonly n: Sampler,
    private readonly size: Sampler,
    private readonly kept: Ref,
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const n = count(this.n, rng);
    for (let i = 0; i < n; i++) {
      const b = py.buffer(count(this.size, rng), { touched: this.spec.touched });
      if (rng.chance(this.spec.keep_probability)) {
        py.append(this.kept, b);
        if (this.spec.max_kept > 0 && ++this.keptCount > this.spec.max_kept) {
          py.del(py.pop(this.kept, 0));
          this.keptCount--;
        }
      }
      py.del(b);
    }
  }
}
