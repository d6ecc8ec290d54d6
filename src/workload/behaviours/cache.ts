/**
 * A module-level cache keyed by something the request carries (a user id, a
 * URL): a bounded LRU (functools.lru_cache(maxsize=N), evicting the least
 * recently used entry past N) or an unbounded dict that grows with every new
 * key -- the classic slow leak. The request's key object is made per request;
 * on a miss it is stored in the cache with a new value, on a hit it dies with
 * the request.
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';
import type { Rng } from '../../sim/rng.js';
import { compileDistribution, distributionSchema } from '../distributions.js';
import { type BehaviourFactory, type BehaviourInstance, count, type Sampler } from './behaviour.js';
import { makeValue, type ValueKind, valueKindSchema } from './values.js';

export const cacheSchema = z
  .object({
    kind: z.literal('cache'),
    policy: z.enum(['lru', 'unbounded']).default('lru'),
    max_entries: z.number().int().min(1).default(1024).describe('lru: entries kept'),
    key_space: z.number().int().min(1).max(50_000_000).describe('distinct keys requests draw from'),
    key: distributionSchema.optional().describe('which key a request uses (0..key_space-1; default uniform)'),
    key_type: z.enum(['str', 'int']).default('str'),
    key_length: z.number().int().min(1).max(256).default(16).describe('str keys: characters'),
    value: valueKindSchema.default('dict'),
    value_size: distributionSchema.default(8).describe('size of a cached value (see value)'),
  })
  .strict()
  .describe('A module-level cache: a bounded LRU, or an unbounded dict that grows with every new key.');

export type CacheSpec = z.infer<typeof cacheSchema>;

export function cacheBehaviour(spec: CacheSpec, name: string): BehaviourFactory {
  const key = spec.key ? compileDistribution(spec.key) : compileDistribution({ kind: 'uniform', min: 0, max: spec.key_space - 1 });
  const valueSize = compileDistribution(spec.value_size);
  return {
    name,
    instantiate: (py, app) => {
      const cls = py.defineClass({ name: 'CachedValue' });
      const cache = py.dict();
      py.setglobal(app, name, cache);
      return new Cache(py, spec, cache, cls, key, valueSize);
    },
  };
}

const NONE = -1;

class Cache implements BehaviourInstance {
  /** The key object stored in the dict for each key id, or 0. */
  private readonly stored: Int32Array;
  /** LRU order over key ids: a doubly linked list, most recent at the tail. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private size = 0;
  private readonly valueKind: ValueKind;

  constructor(
    private readonly py: Python,
    private readonly spec: CacheSpec,
    private readonly cache: Ref,
    private readonly cls: number,
    private readonly keySampler: Sampler,
    private readonly valueSize: Sampler,
  ) {
    this.stored = new Int32Array(spec.key_space);
    const lru = spec.policy === 'lru';
    this.prev = new Int32Array(lru ? spec.key_space : 0);
    this.next = new Int32Array(lru ? spec.key_space : 0);
    this.valueKind = spec.value;
  }

  run(rng: Rng): void {
    const py = this.py;
    const id = Math.min(this.spec.key_space - 1, count(this.keySampler, rng));
    const key = this.spec.key_type === 'int' ? py.int(1_000_000 + id) : py.strOfLength(this.spec.key_length, 'ascii', id + 1);
    if (this.stored[id] !== 0) {
      py.getitem(this.cache, key);
      if (this.spec.policy === 'lru') this.touch(id);
      return;
    }
    const value = makeValue(py, this.valueKind, count(this.valueSize, rng), this.cls);
    py.setitem(this.cache, key, value);
    this.stored[id] = key;
    if (this.spec.policy === 'lru') {
      this.append(id);
      if (++this.size > this.spec.max_entries) this.evictOldest();
    }
  }

  private evictOldest(): void {
    const id = this.head;
    this.unlink(id);
    this.size--;
    const key = this.stored[id];
    this.stored[id] = 0;
    this.py.delitem(this.cache, key);
  }

  private touch(id: number): void {
    if (this.tail === id) return;
    this.unlink(id);
    this.append(id);
  }

  private append(id: number): void {
    this.prev[id] = this.tail;
    this.next[id] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = id;
    else this.head = id;
    this.tail = id;
  }

  private unlink(id: number): void {
    const p = this.prev[id];
    const n = this.next[id];
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }
}
