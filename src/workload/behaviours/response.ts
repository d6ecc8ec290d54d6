/**
 * Building the response body: the pieces (a list of strs, as a template or
 * json.dumps produces them) joined into one string; the pieces die after the
 * join, the body when the request returns.
 */
import { z } from 'zod';
import type { Python } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const responseSchema = z
  .object({
    kind: z.literal('build_response'),
    parts: distributionSchema.default(20).describe('pieces joined'),
    part_length: distributionSchema.default(40).describe('characters per piece'),
  })
  .strict()
  .describe('Build a response string from pieces (str.join).');

export type ResponseSpec = z.infer<typeof responseSchema>;

export function responseBehaviour(spec: ResponseSpec, name: string): BehaviourFactory {
  const parts = compileDistribution(spec.parts);
  const partLength = compileDistribution(spec.part_length);
  return { name, instantiate: (py) => new Response(py, parts, partLength) };
}

class Response implements BehaviourInstance {
  constructor(
    private readonly py: Python,
    private readonly parts: Sampler,
    private readonly partLength: Sampler,
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    const n = count(this.parts, rng);
    const pieces = py.list();
    let total = 0;
    for (let i = 0; i < n; i++) {
      const length = count(this.partLength, rng);
      total += length;
      const piece = py.strOfLength(length);
      py.append(pieces, piece);
      py.del(piece);
    }
    // ''.join(pieces): the result is allocated while the pieces are alive.
    py.strOfLength(total);
    py.del(pieces);
  }
}
