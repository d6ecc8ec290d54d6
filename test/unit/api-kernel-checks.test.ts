/**
 * On their compiled path, tuple(), list(), dictWith() and newWith() leave
 * the check of the handles they are given to the object kernel, which makes
 * it before it allocates anything: a freed or made-up handle must be refused
 * with the API's own error, and the simulated process left as it was. Also
 * the list display with its items as parameters, and the dict displays past
 * the kernel's room for constant keys, against the forms they stand for.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { MAX_CONST_KEY_SETS } from '../../src/objects/wasm-kernel.js';

const HEAP = { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 16 << 20 };

/** Every word of the heap, and the process's counts. */
function state(py: Python): { words: Int32Array; allocations: number; elapsedNs: number; locals: number } {
  return { words: py.heap.mem.slice(), allocations: py.allocations, elapsedNs: py.elapsedNs, locals: py.localCount };
}

function firstDifference(a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

type Call = (py: Python, good: Ref, bad: Ref) => Ref;

const calls: [string, RegExp, Call][] = [
  ['tuple() of 3', /tuple item: -?\d+ is not a live object/, (py, good, bad) => py.tuple(good, bad, good)],
  ['tuple() of 6', /tuple item: -?\d+ is not a live object/, (py, good, bad) => py.tuple(good, good, good, good, good, bad)],
  ['list() of 3', /list item: -?\d+ is not a live object/, (py, good, bad) => py.list(good, good, bad)],
  ['list() of 6', /list item: -?\d+ is not a live object/, (py, good, bad) => py.list(bad, good, good, good, good, good)],
];

describe('handles checked by the object kernel', () => {
  it.each(calls)('%s refuses a freed handle and a made-up one, and changes nothing', (_, error, call) => {
    const py = new Python({ heap: HEAP });
    py.call(() => {
      const good = py.int(5000);
      let freed = 0;
      py.call(() => {
        freed = py.list();
      });
      for (const bad of [freed, 12345678, -3]) {
        const before = state(py);
        expect(() => call(py, good, bad)).toThrow(error);
        const after = state(py);
        expect(firstDifference(before.words, after.words)).toBe(-1);
        expect(after.allocations).toBe(before.allocations);
        expect(after.elapsedNs).toBe(before.elapsedNs);
        expect(after.locals).toBe(before.locals);
      }
      // The same call with live handles goes through.
      expect(py.len(call(py, good, good))).toBeGreaterThan(0);
    });
  });

  it('refuses a dead value in a prepared dict display or class call once they run compiled', () => {
    const py = new Python({ heap: HEAP });
    const P = py.defineClass({ name: 'P' });
    const keys = py.constKeys(['a', 'b', 'c']);
    const site = py.constructorCall(P, ['a', 'b', 'c']);
    py.call(() => {
      const x = py.int(5000);
      // The first calls resolve the keys and cache the stores' indexes; the next ones run in the kernel.
      for (let i = 0; i < 3; i++) {
        py.del(py.dictWith(keys, x, x, x));
        py.del(py.newWith(site, x, x, x));
      }
      let freed = 0;
      py.call(() => {
        freed = py.dict();
      });
      for (const [call, error] of [
        [() => py.dictWith(keys, x, freed, x), /dictWith\(\) value: -?\d+ is not a live object/],
        [() => py.newWith(site, x, x, 12345678), /newWith\(\) value: -?\d+ is not a live object/],
      ] as const) {
        const before = state(py);
        expect(call).toThrow(error);
        const after = state(py);
        expect(firstDifference(before.words, after.words)).toBe(-1);
        expect(after.allocations).toBe(before.allocations);
        expect(after.elapsedNs).toBe(before.elapsedNs);
      }
    });
  });

  it('the list display with its items as parameters leaves the heap as the array form does', () => {
    const build = (asParameters: boolean): Python => {
      const py = new Python({ heap: HEAP });
      py.call(() => {
        const kept = py.list();
        for (let round = 0; round < 200; round++) {
          const items = Array.from({ length: round % 11 }, (_, i) => (i % 2 === 0 ? py.int(round * 16 + i) : py.None));
          const l = asParameters ? py.list(...items) : py.list(items);
          py.append(kept, l);
          py.del(l);
          for (const x of items) if (x !== py.None) py.del(x);
          if (round % 5 === 0) py.setitem(kept, 0, py.None);
        }
      });
      return py;
    };
    const a = build(false);
    const b = build(true);
    expect(b.allocations).toBe(a.allocations);
    expect(b.deallocations).toBe(a.deallocations);
    expect(b.elapsedNs).toBe(a.elapsedNs);
    expect(firstDifference(a.heap.mem, b.heap.mem)).toBe(-1);
  });

  it(`dict displays past the kernel's ${MAX_CONST_KEY_SETS} sets of constant keys are the same dicts`, () => {
    const py = new Python({ heap: HEAP });
    const sites = Array.from({ length: MAX_CONST_KEY_SETS + 20 }, (_, i) => py.constKeys([`k${i}`, 'v']));
    py.call(() => {
      const x = py.int(7000);
      for (const [i, keys] of sites.entries()) {
        // The first call goes the general way; the second takes a set in the annex while there is one.
        for (let call = 0; call < 2; call++) {
          const d = py.dictWith(keys, x, py.None);
          const same = py.dict([
            [`k${i}`, x],
            ['v', py.None],
          ]);
          expect(py.sys.getsizeof(d)).toBe(py.sys.getsizeof(same));
          expect(py.getitem(d, `k${i}`)).toBe(x);
          expect(py.getitem(d, 'v')).toBe(py.None);
          py.del(same);
          py.del(d);
        }
      }
    });
  });
});
