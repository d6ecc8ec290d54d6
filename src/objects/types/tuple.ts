/**
 * tuple (Objects/tupleobject.c, 3.11; 3.8/3.9 where marked): a GC object of
 * 24 + 8n bytes (40 + 8n with the GC head), items inline. Dead tuples of
 * 1..20 items go to one free list per length (up to 2000 each, linked through
 * item 0), but only lengths 1..19 are taken back out (maybe_freelist_pop
 * tests size < 20 while maybe_freelist_push accepts 20), so 20-tuples pile up
 * until a full collection empties the lists; 3.8/3.9's tupledealloc keeps
 * only 1..19 (len < PyTuple_MAXSAVESIZE) and frees a 20-tuple. Tuples are
 * tracked from creation; every collection untracks those holding no container
 * (_PyTuple_MaybeUntrack).
 *
 *   h+2 size   h+3.. items
 *
 * tuple_alloc, BUILD_TUPLE of up to 8 items and tupledealloc run in the
 * object kernel (../wasm-kernel.ts); the rest is here.
 */
import type { ObjectSpace } from '../object-space.js';
import * as staticArea from '../static-area.js';
import { at, KERNEL_MAX_ITEMS } from '../wasm-kernel.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { TUPLE_FREE_HEADS, TUPLE_NFREELISTS, TUPLE_NUMFREE } = staticArea;

/** ob_size and ob_item[0], in words from the handle. */
const OB_SIZE = 2;
const OB_ITEM = 3;
// This module uses the names above, which V8 compiles into its code; other
// modules import the exported ones (an exported binding is loaded, and checked
// that it is initialised, at every use, in its own module too).
export const SIZE = OB_SIZE;
export const ITEMS = OB_ITEM;
/** sizeof(PyTupleObject) - sizeof(PyObject *): refcount, type, size. */
const BASIC_BYTES = 24;

/** PyTuple_New: a tracked tuple with `n` NULL items (n > 0), or the empty tuple. */
export function newTuple(space: ObjectSpace, n: number): number {
  if (n === 0) {
    space.incref(space.emptyTuple);
    return space.emptyTuple;
  }
  const h = alloc(space, n);
  const m = space.mem;
  // A loop: TypedArray.fill costs more than a few stores for the short spans here.
  for (let i = h + OB_ITEM, end = h + OB_ITEM + n; i < end; i++) m[i] = 0;
  space.track(h);
  return h;
}

/**
 * tuple_alloc: a tuple of n > 0 items from the free list of its length, or a
 * new block; untracked, its items not set (the caller sets every one).
 */
export function alloc(space: ObjectSpace, n: number): number {
  // The object kernel's (wasm-kernel.ts), which builds and frees tuples itself.
  return space.kernel.tupleAlloc(n);
}

/**
 * BUILD_TUPLE and a call's argument tuple (_PyTuple_FromArraySteal,
 * _PyTuple_FromArray): the first n items, new references taken here; the
 * tuple is tracked once filled.
 */
export function fromItems(space: ObjectSpace, items: ArrayLike<number>, n = items.length): number {
  if (n === 0) return newTuple(space, 0);
  if (n <= KERNEL_MAX_ITEMS) {
    return space.kernel.tupleNew(n, items[0], at(items, 1, n), at(items, 2, n), at(items, 3, n), at(items, 4, n), at(items, 5, n), at(items, 6, n), at(items, 7, n));
  }
  const h = alloc(space, n);
  for (let i = 0; i < n; i++) initItem(space, h, i, items[i]);
  space.track(h);
  return h;
}

/** PyTuple_SET_ITEM of a new tuple's item i, with a new reference taken here. */
export function initItem(space: ObjectSpace, h: number, i: number, x: number): void {
  space.incref(x);
  space.mem[h + OB_ITEM + i] = x;
}

export function size(space: ObjectSpace, h: number): number {
  return space.mem[h + OB_SIZE];
}

export function sizeOf(space: ObjectSpace, h: number): number {
  return 16 + BASIC_BYTES + 8 * space.mem[h + OB_SIZE];
}

// tupledealloc is the object kernel's (wasm-kernel.ts).

/** tupletraverse: the items from the last to the first. */
export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  space.ensureScratch(n);
  return space.pushReferents(0, h + OB_ITEM + n - 1, n, -1);
}

/** _PyTuple_MaybeUntrack: untracked when no item may be a tracked container. */
export function maybeUntrack(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  for (let i = 0; i < n; i++) {
    const item = m[h + OB_ITEM + i];
    if (item === 0 || space.mayBeTracked(item)) return;
  }
  space.untrack(h);
}

/** maybe_freelist_clear: free every listed tuple (PyObject_GC_Del). */
export function clearFreeList(space: ObjectSpace): void {
  const m = space.mem;
  const b = space.staticBase;
  for (let i = 0; i < TUPLE_NFREELISTS; i++) {
    let h = m[b + TUPLE_FREE_HEADS + i];
    m[b + TUPLE_FREE_HEADS + i] = 0;
    m[b + TUPLE_NUMFREE + i] = 0;
    while (h !== 0) {
      const next = m[h + OB_ITEM];
      space.gcDel(h);
      h = next;
    }
  }
}

export function freeListCounts(space: ObjectSpace): number[] {
  const b = space.staticBase;
  return Array.from({ length: TUPLE_NFREELISTS }, (_, i) => space.mem[b + TUPLE_NUMFREE + i]);
}

export function hash(space: ObjectSpace, h: number): number {
  const m = space.mem;
  let x = 0x345678 | 0;
  for (let i = 0; i < m[h + OB_SIZE]; i++) x = Math.imul(x ^ space.hash(m[h + OB_ITEM + i]), 1000003);
  return x === -1 ? -2 : x;
}

export function equals(space: ObjectSpace, a: number, b: number): boolean {
  const m = space.mem;
  const n = m[a + OB_SIZE];
  if (n !== m[b + OB_SIZE]) return false;
  for (let i = 0; i < n; i++) if (!space.equals(m[a + OB_ITEM + i], m[b + OB_ITEM + i])) return false;
  return true;
}
