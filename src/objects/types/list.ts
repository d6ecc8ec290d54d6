/**
 * list (Objects/listobject.c, 3.8, 3.9 and 3.11): a 56-byte GC object (with
 * the GC head) and a separate PyMem array of 8 bytes per allocated slot. Up to
 * 80 dead list objects wait on a free list (their arrays are always freed).
 *
 * list_resize keeps the array while allocated/2 <= newsize <= allocated;
 * otherwise it reallocates to (newsize + newsize/8 + 6) & ~3 slots, or to
 * (newsize + 3) & ~3 when that over-allocation would not cover the growth
 * (3.9 and later; 3.8: newsize + newsize/8 + (newsize < 9 ? 3 : 6), with no
 * such exception -- the two first differ at 17 items, 25 slots against 24),
 * and to 0 bytes (not a free: PyMem_Realloc(p, 0)) when the list empties.
 *
 *   h+2 size (ob_size)   h+3 the item array (0 when none)   h+4 allocated
 *
 * The list object's allocation, BUILD_LIST of up to 8 items and list_dealloc
 * run in the object kernel (../wasm-kernel.ts); the rest is here.
 */
import type { ObjectSpace } from '../object-space.js';
import * as staticArea from '../static-area.js';
import * as version from '../version.js';
import { at, KERNEL_MAX_ITEMS } from '../wasm-kernel.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { LIST_FREE, LIST_NUMFREE } = staticArea;
const { LIST_GROWTH_38 } = version;

/** ob_size, ob_item and allocated, in words from the handle. */
const OB_SIZE = 2;
const OB_ITEM = 3;
const LIST_ALLOCATED = 4;
// This module uses the names above, which V8 compiles into its code; other
// modules import the exported ones (an exported binding is loaded, and checked
// that it is initialised, at every use, in its own module too).
export const SIZE = OB_SIZE;
export const ITEMS = OB_ITEM;
export const ALLOCATED = LIST_ALLOCATED;
/** sizeof(PyListObject); with the GC head, a 56-byte block. */
const BASIC_BYTES = 40;
const GC_HEAD_BYTES = 16;
const POINTER_BYTES = 8;

/** PyList_New(n): a tracked list of n NULL items. */
export function newList(space: ObjectSpace, n: number): number {
  const m = space.mem;
  // The object itself (free list or new block) is the object kernel's (wasm-kernel.ts).
  const h = space.kernel.listAlloc();
  m[h + OB_ITEM] = n > 0 ? space.objectCalloc(n, POINTER_BYTES) : 0;
  m[h + OB_SIZE] = n;
  m[h + LIST_ALLOCATED] = n;
  space.track(h);
  return h;
}

/** BUILD_LIST / _PyList_FromArraySteal: a list of these items (new references taken here). */
export function fromItems(space: ObjectSpace, items: ArrayLike<number>): number {
  const n = items.length;
  if (n <= KERNEL_MAX_ITEMS) {
    return space.kernel.listNew(n, at(items, 0, n), at(items, 1, n), at(items, 2, n), at(items, 3, n), at(items, 4, n), at(items, 5, n), at(items, 6, n), at(items, 7, n));
  }
  const h = newList(space, items.length);
  const m = space.mem;
  const array = m[h + OB_ITEM];
  for (let i = 0; i < items.length; i++) {
    const x = items[i];
    space.incref(x);
    m[array + i] = x;
  }
  return h;
}

export function size(space: ObjectSpace, h: number): number {
  return space.mem[h + OB_SIZE];
}

/** sys.getsizeof: the object and 8 bytes per allocated slot. */
export function sizeOf(space: ObjectSpace, h: number): number {
  return GC_HEAD_BYTES + BASIC_BYTES + POINTER_BYTES * space.mem[h + LIST_ALLOCATED];
}

/** list_resize */
export function resize(space: ObjectSpace, h: number, newsize: number): void {
  const m = space.mem;
  const allocated = m[h + LIST_ALLOCATED];
  if (allocated >= newsize && newsize >= allocated >> 1) {
    m[h + OB_SIZE] = newsize;
    return;
  }
  let newAllocated: number;
  if (space.listGrowth === LIST_GROWTH_38) {
    newAllocated = newsize + (newsize >> 3) + (newsize < 9 ? 3 : 6);
  } else {
    newAllocated = (newsize + (newsize >> 3) + 6) & ~3;
    if (newsize - m[h + OB_SIZE] > newAllocated - newsize) newAllocated = (newsize + 3) & ~3;
  }
  if (newsize === 0) newAllocated = 0;
  m[h + OB_ITEM] = space.objectRealloc(m[h + OB_ITEM], newAllocated * POINTER_BYTES);
  m[h + OB_SIZE] = newsize;
  m[h + LIST_ALLOCATED] = newAllocated;
}

/** list.append(item) (_PyList_AppendTakeRef, with a new reference taken here). */
export function append(space: ObjectSpace, h: number, item: number): void {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  space.incref(item);
  if (m[h + LIST_ALLOCATED] > n) {
    m[m[h + OB_ITEM] + n] = item;
    m[h + OB_SIZE] = n + 1;
    return;
  }
  resize(space, h, n + 1);
  m[m[h + OB_ITEM] + n] = item;
}

/** list.insert(index, item) (ins1). */
export function insert(space: ObjectSpace, h: number, index: number, item: number): void {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  let where = index < 0 ? Math.max(0, n + index) : Math.min(index, n);
  resize(space, h, n + 1);
  const items = m[h + OB_ITEM];
  m.copyWithin(items + where + 1, items + where, items + n);
  space.incref(item);
  m[items + where] = item;
  where++;
}

/** l[i] (a borrowed reference). */
export function getItem(space: ObjectSpace, h: number, index: number): number {
  const m = space.mem;
  return m[m[h + OB_ITEM] + normalize(m[h + OB_SIZE], index)];
}

/** l[i] = item (list_ass_item: the new item in, then the old one decref'd). */
export function setItem(space: ObjectSpace, h: number, index: number, item: number): void {
  const m = space.mem;
  const slot = m[h + OB_ITEM] + normalize(m[h + OB_SIZE], index);
  const old = m[slot];
  space.incref(item);
  m[slot] = item;
  space.xdecref(old);
}

/** list.pop(index=-1): returns the item, a reference the caller now owns. */
export function pop(space: ObjectSpace, h: number, index = -1): number {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  if (n === 0) throw new RangeError('pop from empty list');
  const i = normalize(n, index);
  const items = m[h + OB_ITEM];
  const item = m[items + i];
  if (i === n - 1) {
    resize(space, h, n - 1);
    return item;
  }
  m.copyWithin(items + i, items + i + 1, items + n);
  resize(space, h, n - 1);
  return item;
}

/** list.clear() and tp_clear (_list_clear): empty first, then decref the items, last first. */
export function clear(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const items = m[h + OB_ITEM];
  if (items === 0) return;
  let i = m[h + OB_SIZE];
  m[h + OB_SIZE] = 0;
  m[h + OB_ITEM] = 0;
  m[h + LIST_ALLOCATED] = 0;
  while (--i >= 0) space.xdecref(m[items + i]);
  space.objectFree(items);
}

// list_dealloc is the object kernel's (wasm-kernel.ts).

/** list_traverse: the items from the last to the first. */
export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const n = m[h + OB_SIZE];
  const items = m[h + OB_ITEM];
  space.ensureScratch(n);
  return space.pushReferents(0, items + n - 1, n, -1);
}

/** _PyList_ClearFreeList: newest first. */
export function clearFreeList(space: ObjectSpace): void {
  const m = space.mem;
  const b = space.staticBase;
  while (m[b + LIST_NUMFREE] > 0) space.gcDel(m[b + LIST_FREE + --m[b + LIST_NUMFREE]]);
}

function normalize(n: number, index: number): number {
  const i = index < 0 ? n + index : index;
  if (i < 0 || i >= n) throw new RangeError('list index out of range');
  return i;
}
