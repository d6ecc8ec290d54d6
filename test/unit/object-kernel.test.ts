/**
 * The object layer's compiled paths (src/objects/wasm-kernel.ts) take and
 * return pymalloc blocks themselves, on the fast path, and leave the rest to
 * the heap's JavaScript allocator. Run with a heap that watches its calls
 * (every allocation then goes through the JavaScript allocator), the same
 * operations must leave the same heap, byte for byte: the same blocks, pools,
 * free lists, arenas, GC lists and reference counts.
 */
import { describe, expect, it } from 'vitest';
import { type ProfileName } from '../../src/heap/profile.js';
import { Heap, type HeapOptions } from '../../src/heap/allocator.js';
import { Python, type Ref } from '../../src/objects/api.js';
import { HEAP_ANNEX_BYTES } from '../../src/heap/allocator.js';
import { KERNEL_ANNEX_END } from '../../src/objects/wasm-kernel.js';

class WatchedHeap extends Heap {
  calls = 0;
  override get watchesCalls(): boolean {
    return true;
  }
  override malloc(nbytes: number): number {
    this.calls++;
    return super.malloc(nbytes);
  }
}

/** Tuples, lists, dicts and instances of many sizes, made and dropped in mixed orders, cycles collected. */
function workload(py: Python): void {
  const Point = py.defineClass({ name: 'Point' });
  const Wide = py.defineClass({ name: 'Wide' });
  const newPoint = py.constructorCall(Point, ['x', 'y', 'z']);
  const keys = [1, 2, 3, 4, 5].map((n) => py.constKeys(['a', 'b', 'c', 'd', 'e'].slice(0, n)));
  py.call(() => {
    const keep = py.list();
    const ints = Array.from({ length: 12 }, (_, i) => py.int(1000 + i));
    for (let round = 0; round < 3000; round++) {
      const a = ints[round % 12];
      const b = ints[(round * 7) % 12];
      const n = round % 9;
      const t = n === 0 ? py.tuple(a, b, a, b, a, b, a, b, a, b) : py.tuple(...ints.slice(0, n));
      const l = py.list(ints.slice(0, (round * 5) % 10));
      const d = py.dictWith(keys[round % 5], ...[a, b, a, b, a].slice(0, (round % 5) + 1));
      const p = py.newWith(newPoint, a, t, d);
      const w = py.new(Wide, { a, b, c: a, d: b, e: a, f: b });
      if (round % 3 === 0) py.append(keep, p);
      if (round % 5 === 0) py.append(keep, py.tuple(l, d));
      if (round % 7 === 0) py.append(l, l); // a cycle, left to the collector
      py.del(w);
      py.del(p);
      py.del(d);
      py.del(l);
      py.del(t);
      if (round % 500 === 499) {
        py.clear(keep);
        py.gc.collect(round % 1000 === 999 ? 2 : 0);
      }
    }
    py.gc.collect();
  });
}

function heapAfter(heap: Heap): Uint8Array {
  const py = new Python({ heap });
  workload(py);
  py.gc.collect();
  return new Uint8Array(heap.buffer, 0, heap.layout.totalBytes);
}

describe('the object kernel', () => {
  it('its tables and counters fit the heap annex after the collector’s', () => {
    expect(KERNEL_ANNEX_END).toBeLessThanOrEqual(HEAP_ANNEX_BYTES);
  });

  for (const profile of ['3.11', '3.9', '3.8'] as ProfileName[]) {
    it(`leaves the heap the JavaScript allocator leaves, byte for byte (${profile})`, () => {
      const options: HeapOptions = { profile, arenaCapacityBytes: 1 << 26, rawCapacityBytes: 1 << 24 };
      const watched = new WatchedHeap(options);
      const expected = heapAfter(watched);
      const actual = heapAfter(new Heap(options));
      expect(watched.calls).toBeGreaterThan(10_000);
      // toEqual on 90 MB would print it all: the first differing byte, if any.
      const first = actual.findIndex((byte, i) => byte !== expected[i]);
      expect(first).toBe(-1);
    });
  }

  it('a process on a reused heap starts its counts and tables afresh (the annex outlives Heap.reset)', () => {
    const heap = new Heap({ arenaCapacityBytes: 1 << 24, rawCapacityBytes: 1 << 22 });
    const first = new Python({ heap });
    const Old = first.defineClass({ name: 'Old' });
    const Older = first.defineClass({ name: 'Older', finalizer: () => {} });
    first.call(() => {
      first.new(Old, { a: first.None });
    });
    expect(first.allocations).toBeGreaterThan(0);
    expect(first.space.types.flags[Older]).not.toBe(0);
    heap.reset();
    const second = new Python({ heap });
    expect(second.allocations).toBe(0);
    expect(second.deallocations).toBe(0);
    // The first process's second class id is not one of the second's: nothing of it is left.
    expect(second.space.types.kind[Older]).toBe(0);
    expect(second.space.types.flags[Older]).toBe(0);
  });

  it('counts what it allocates and frees in the process totals', () => {
    const py = new Python({ heap: { arenaCapacityBytes: 1 << 24, rawCapacityBytes: 1 << 22 } });
    const before = { allocations: py.allocations, deallocations: py.deallocations };
    py.call(() => {
      const a: Ref = py.int(5000);
      for (let i = 0; i < 100; i++) {
        py.del(py.tuple(a, a));
        py.del(py.list([a]));
        py.del(py.dict([['k', a]]));
      }
    });
    // One object per container, from a free list or not, and the int: 'k' is an
    // identifier (a static str), and the item arrays and keys tables are blocks,
    // not objects. Every one of them dies by the end of the call.
    expect(py.allocations - before.allocations).toBe(301);
    expect(py.deallocations - before.deallocations).toBe(301);
  });
});
