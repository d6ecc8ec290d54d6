/**
 * A weakref-based cache (weakref.WeakValueDictionary): entries live only while
 * something else holds the value; each entry is a weak reference whose
 * callback removes the key when the value dies. With `retain` > 0 the newest
 * values are also held strongly (a small "recently used" list), so entries
 * survive between requests.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';

export const weakrefCacheSchema = z
  .object({
    kind: z.literal('weakref_cache'),
    key_space: z.number().int().min(1).max(50_000_000).describe('distinct keys requests draw from'),
    key: distributionSchema.optional().describe('which key a request uses (0..key_space-1; default uniform)'),
    attributes: z.number().int().min(0).max(30).default(6).describe('attributes of a cached value (an instance)'),
    retain: z.number().int().min(0).default(0).describe('newest values also held strongly'),
  })
  .strict()
  .describe('A WeakValueDictionary cache: values live only while held elsewhere.');

export type WeakrefCacheSpec = z.infer<typeof weakrefCacheSchema>;

export function weakrefCacheBehaviour(spec: WeakrefCacheSpec, name: string): BehaviourFactory {
  const key = spec.key ? compileDistribution(spec.key) : compileDistribution({ kind: 'uniform', min: 0, max: spec.key_space - 1 });
  return {
    name,
    instantiate: (py, app) => {
      const data = py.dict();
      py.setglobal(app, name, data);
      const retained = py.list();
      py.setglobal(app, `${name}_retained`, retained);
      return new WeakrefCache(py, spec, key, data, retained, py.defineClass({ name: 'Entity' }));
    },
  };
}

class WeakrefCache implements BehaviourInstance {
  /** Key object stored for each key id (0: no entry), and the key id of each weak reference. */
  private readonly storedKey: Int32Array;
  private readonly keyOfRef = new Map<number, number>();
  private readonly attrs: string[];
  private retainedCount = 0;
  /** WeakValueDictionary's `remove` callback: one function object per dictionary. */
  private readonly remove: Ref;

  constructor(
    private readonly py: Python,
    private readonly spec: WeakrefCacheSpec,
    private readonly keySampler: Sampler,
    private readonly data: Ref,
    private readonly retained: Ref,
    private readonly cls: number,
  ) {
    this.storedKey = new Int32Array(spec.key_space);
    this.attrs = Array.from({ length: spec.attributes }, (_, i) => `attr_${i}`);
    this.remove = py.function({ behaviour: (wr) => this.onDeath(wr) });
  }

  run(rng: Rng): void {
    const py = this.py;
    const id = Math.min(this.spec.key_space - 1, count(this.keySampler, rng));
    const key = py.int(1_000_000 + id);
    if (this.storedKey[id] !== 0) {
      const wr = py.getitem(this.data, key);
      const value = py.deref(wr);
      if (value !== py.None) return;
    }
    const value = py.new(this.cls);
    for (let i = 0; i < this.attrs.length; i++) {
      const v = py.int(1_000 + i);
      py.setattr(value, this.attrs[i], v);
      py.del(v);
    }
    const wr = py.weakref(value, this.remove);
    this.keyOfRef.set(wr, id);
    py.setitem(this.data, key, wr);
    this.storedKey[id] = key;
    if (this.spec.retain > 0) {
      py.append(this.retained, value);
      if (++this.retainedCount > this.spec.retain) {
        py.del(py.pop(this.retained, 0));
        this.retainedCount--;
      }
    }
  }

  /** KeyedRef callback: `del self.data[wr.key]`. */
  private onDeath(wr: Ref): void {
    const id = this.keyOfRef.get(wr);
    if (id === undefined) return;
    this.keyOfRef.delete(wr);
    const key = this.storedKey[id];
    if (key === 0) return;
    this.storedKey[id] = 0;
    this.py.delitem(this.data, key);
  }
}
