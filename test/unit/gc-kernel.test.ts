/**
 * The collector's compiled passes (src/gc/wasm-passes.ts) and the memory they
 * share with the heap: the annex holds what they need, every type id fits the
 * tables, and a heap too large for a WebAssembly memory cannot hold objects.
 */
import { describe, expect, it } from 'vitest';
import { ANNEX_BYTES_USED, TABLE_TYPES } from '../../src/gc/wasm-passes.js';
import { Heap, HEAP_ANNEX_BYTES } from '../../src/heap/allocator.js';
import { Python } from '../../src/objects/api.js';
import { MAX_TYPES } from '../../src/objects/type-table.js';

describe('the collector kernel', () => {
  it('its tables cover every type id and fit the heap annex', () => {
    expect(TABLE_TYPES).toBe(MAX_TYPES);
    expect(ANNEX_BYTES_USED).toBeLessThanOrEqual(HEAP_ANNEX_BYTES);
  });

  it("works on the heap in place: the heap's buffer is its WebAssembly memory's, the annex past the heap", () => {
    const heap = new Heap({ arenaCapacityBytes: 1 << 24, rawCapacityBytes: 1 << 22 });
    expect(heap.wasmMemory).not.toBeNull();
    expect(heap.buffer).toBe(heap.wasmMemory!.buffer);
    expect(heap.buffer.byteLength).toBeGreaterThanOrEqual(heap.layout.totalBytes + HEAP_ANNEX_BYTES);
    expect(heap.mem.length * 4).toBe(heap.layout.totalBytes);
  });

  it('a class defined after a collection is walked by the next one (the tables follow the type table)', () => {
    const py = new Python({ heap: { arenaCapacityBytes: 1 << 24, rawCapacityBytes: 1 << 22 } });
    py.gc.collect();
    const Node = py.defineClass({ name: 'Node' });
    py.call(() => {
      const holder = py.list();
      const node = py.new(Node, { holder });
      py.append(holder, node);
    });
    // The list and the instance only refer to each other: a full collection finds both
    // unreachable, the kernel seeing the instance in the list as an object with a GC head.
    expect(py.gc.collect()).toBe(2);
  });

  it('a heap too large for a WebAssembly memory with its annex cannot hold the object model', () => {
    const heap = new Heap({ arenaCapacityBytes: 2 ** 32, rawCapacityBytes: 1 << 22 });
    expect(heap.wasmMemory).toBeNull();
    expect(() => new Python({ heap })).toThrow(/at most 4 GiB less 64 KiB/);
  });
});
