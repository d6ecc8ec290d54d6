/**
 * Prepared call sites (constKeys + dictWith, constructorCall + newWith) are a
 * faster way into the same simulation: a program written with them must
 * leave the simulated process exactly as the same program written with
 * dict() and new() does -- every word of the heap, the counts, the modelled
 * time, the collector's statistics -- including when collections (with
 * finalizers) run in the middle of the calls, and when the class's shared keys
 * fill up and instances fall back to real dicts -- on the heaps of each
 * profile with objects (3.11, and 3.9 and 3.8, whose calls make frames and
 * whose instances keep split-table dicts).
 */
import { describe, expect, it } from 'vitest';
import type { ProfileName } from '../../src/heap/profile.js';
import { type ConstKeys, type ConstructorCall, Python, type Ref } from '../../src/objects/api.js';

const HEAP = { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 };

interface Sites {
  dict(py: Python, names: readonly string[], values: readonly Ref[]): Ref;
  make(py: Python, cls: number, names: readonly string[], values: readonly Ref[]): Ref;
}

const generic: Sites = {
  dict: (py, names, values) => py.dict(names.map((k, i) => [k, values[i]] as const)),
  make: (py, cls, names, values) => py.new(cls, Object.fromEntries(names.map((k, i) => [k, values[i]]))),
};

function preparedSites(): Sites {
  const keys = new Map<string, ConstKeys>();
  const calls = new Map<string, ConstructorCall>();
  return {
    dict(py, names, values) {
      const id = names.join(',');
      if (!keys.has(id)) keys.set(id, py.constKeys(names));
      return py.dictWith(keys.get(id)!, ...values);
    },
    make(py, cls, names, values) {
      const id = `${cls}:${names.join(',')}`;
      if (!calls.has(id)) calls.set(id, py.constructorCall(cls, names));
      return py.newWith(calls.get(id)!, ...values);
    },
  };
}

/** A program that builds and drops objects, keeps some, makes cycles and lets the collector run often. */
function run(sites: Sites, profile: ProfileName): Python {
  const py = new Python({ heap: { ...HEAP, profile } });
  py.gc.setThreshold(50, 3, 3);
  const kept: Ref[] = [];
  const P = py.defineClass({ name: 'P' });
  const Wide = py.defineClass({ name: 'Wide' });
  const S = py.defineClass({ name: 'S', slots: ['x', 'y'] });
  const D = py.defineClass({
    name: 'D',
    finalizer: () => {
      // A finalizer that builds objects of its own, through the same call sites.
      py.scope(() => {
        sites.dict(py, ['f', 'g'], [py.None, py.True]);
        sites.make(py, P, ['a'], [py.None]);
      });
    },
  });
  const cache = py.module('cache');
  py.setglobal(cache, 'keep', py.list());
  const wideNames = Array.from({ length: 34 }, (_, i) => `attr${i}`);
  for (let round = 0; round < 60; round++) {
    py.call(() => {
      const a = py.int(1000 + round);
      const b = py.str(`s${round}`);
      const c = py.list();
      for (let i = 0; i < 20; i++) {
        py.del(sites.make(py, P, ['a', 'b', 'c'], [a, b, c]));
        py.del(sites.dict(py, ['a', 'b', 'c'], [a, b, c]));
        const d = sites.dict(py, ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'], [a, b, c, a, b, c, a]);
        const x = sites.make(py, D, ['self_ref', 'payload'], [d, c]);
        py.setitem(d, 'back', x); // a cycle through the finalizer class
        py.del(d);
        py.del(x);
        py.del(sites.make(py, S, ['x', 'y'], [a, b]));
        py.del(sites.dict(py, [], []));
        py.del(sites.dict(py, ['b', 'a', 'b'], [a, c, b])); // a repeated key keeps one entry
      }
      // The shared keys hold at most 30 names: later ones materialise a dict.
      const names = wideNames.slice((round * 3) % 27, ((round * 3) % 27) + 8);
      const w = sites.make(py, Wide, names, names.map(() => a));
      if (round % 7 === 0) kept.push(w);
      py.append(py.getglobal(cache, 'keep'), w);
      // Mixed with the generic API on the same class, in another order.
      py.del(generic.make(py, P, ['c', 'z', 'a'], [c, b, a]));
    });
    if (round % 20 === 19) py.gc.collect();
  }
  return py;
}

describe('prepared call sites', () => {
  it.each(['3.11', '3.9', '3.8'] as const)('leave the simulated process as dict() and new() do (%s)', (profile) => {
    const a = run(generic, profile);
    const b = run(preparedSites(), profile);
    expect(b.allocations).toBe(a.allocations);
    expect(b.deallocations).toBe(a.deallocations);
    expect(b.elapsedNs).toBe(a.elapsedNs);
    expect(b.gc.peekStats()).toEqual(a.gc.peekStats());
    expect(b.gc.getCount()).toEqual(a.gc.getCount());
    expect(b.heap.mem.length).toBe(a.heap.mem.length);
    let firstDifference = -1;
    for (let i = 0; i < a.heap.mem.length; i++) {
      if (a.heap.mem[i] !== b.heap.mem[i]) {
        firstDifference = i;
        break;
      }
    }
    expect(firstDifference).toBe(-1);
    expect(a.gc.peekStats()[2].collections).toBeGreaterThan(0);
    expect(a.gc.peekStats()[0].collected).toBeGreaterThan(0);
  });

  it('check their arguments', () => {
    const py = new Python({ heap: HEAP });
    const P = py.defineClass({ name: 'P' });
    const S = py.defineClass({ name: 'S', slots: ['x'] });
    const site = py.constructorCall(P, ['a', 'b']);
    const keys = py.constKeys(['a']);
    py.call(() => {
      const x = py.int(5000);
      expect(() => py.newWith(site, x)).toThrow(/2 attributes, 1 values/);
      expect(() => py.dictWith(keys, x, x)).toThrow(/1 keys, 2 values/);
      expect(() => py.dictWith(keys, 12345678)).toThrow(/not a live object/);
      expect(() => py.constructorCall(S, ['y'])).toThrow(/has no attribute 'y'/);
      expect(() => py.constructorCall(12, ['a'])).toThrow(/needs a class/);
      const nine = Array.from({ length: 9 }, (_, i) => `k${i}`);
      expect(() => py.constKeys(nine)).toThrow(/at most 8 keys/);
      expect(() => py.constructorCall(P, nine)).toThrow(/at most 8 attributes/);
      const other = new Python({ heap: HEAP });
      expect(() => other.dictWith(keys, x)).toThrow(/another Python/);
      expect(() => other.newWith(site, x, x)).toThrow(/another Python/);
    });
  });
});
