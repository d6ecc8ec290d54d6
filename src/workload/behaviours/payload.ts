/**
 * `json.loads(body)` of a request payload: nested dicts, lists, strs and
 * numbers, as Modules/_json.c's scanner builds them -- one dict per JSON
 * object filled key by key (PyDict_SetItem), keys shared through the
 * per-call memo dict (PyDict_SetDefault(memo, key, key)), a list per array.
 * The parsed payload lives until the request returns.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const payloadSchema = z
  .object({
    kind: z.literal('parse_payload'),
    fields: distributionSchema.default(12).describe('keys per JSON object'),
    items: distributionSchema.default(0).describe('objects in the top-level "items" array'),
    depth: z.number().int().min(0).max(6).default(1).describe('nesting: items are objects one level down, with their own items while depth lasts'),
    string_length: distributionSchema.default(16).describe('characters per string value'),
    key_length: z.number().int().min(1).max(64).default(8).describe('characters per key'),
    numbers: z.number().min(0).max(1).default(0.3).describe('share of values that are ints (the rest are strings)'),
    body: z.boolean().default(true).describe('also model the request body: the bytes read and the str decoded from them'),
  })
  .strict()
  .describe('Parse a JSON-like payload into nested dicts, lists and strings (json.loads).');

export type PayloadSpec = z.infer<typeof payloadSchema>;

export function payloadBehaviour(spec: PayloadSpec, name: string): BehaviourFactory {
  const fields = compileDistribution(spec.fields);
  const items = compileDistribution(spec.items);
  const stringLength = compileDistribution(spec.string_length);
  return {
    name,
    instantiate: (py) => new Payload(py, spec, fields, items, stringLength),
  };
}

class Payload implements BehaviourInstance {
  private keys: Ref[] = [];
  private memo: Ref = 0;

  constructor(
    private readonly py: Python,
    private readonly spec: PayloadSpec,
    private readonly fields: Sampler,
    private readonly items: Sampler,
    private readonly stringLength: Sampler,
  ) {}

  run(rng: Rng): void {
    const py = this.py;
    if (this.spec.body) {
      // The body as read (bytes) and decoded (str); both die once parsed.
      const approx = this.estimateBytes(rng);
      const raw = py.bytes(approx);
      py.del(py.strOfLength(approx));
      py.del(raw);
    }
    this.memo = py.dict();
    this.keys = [];
    this.object(rng, this.spec.depth);
    py.del(this.memo);
    this.memo = 0;
  }

  /** One JSON object (and its "items" array while depth lasts); it stays a local of the request. */
  private object(rng: Rng, depth: number): Ref {
    const py = this.py;
    const d = py.dict();
    const n = count(this.fields, rng);
    for (let i = 0; i < n; i++) {
      const key = this.key(i);
      const value = rng.chance(this.spec.numbers) ? py.int(1_000 + rng.int(0, 1_000_000)) : py.strOfLength(count(this.stringLength, rng));
      py.setitem(d, key, value);
      py.del(value);
    }
    if (depth > 0) {
      const m = count(this.items, rng);
      if (m > 0) {
        const list = py.list();
        for (let i = 0; i < m; i++) {
          const item = this.object(rng, depth - 1);
          py.append(list, item);
          py.del(item);
        }
        py.setitem(d, this.key(n), list);
        py.del(list);
      }
    }
    return d;
  }

  /** The i-th distinct key of this payload: allocated once, then shared through the memo dict. */
  private key(i: number): Ref {
    const py = this.py;
    while (this.keys.length <= i) {
      const k = py.strOfLength(this.spec.key_length, 'ascii', this.keys.length + 1);
      py.setitem(this.memo, k, k);
      this.keys.push(k);
    }
    return this.keys[i];
  }

  private estimateBytes(rng: Rng): number {
    const perField = this.spec.key_length + 4 + Math.max(1, count(this.stringLength, rng));
    return Math.max(2, count(this.fields, rng) * perField * Math.max(1, count(this.items, rng)));
  }
}
