/**
 * Weak references (Objects/weakrefobject.c, Modules/gcmodule.c
 * handle_weakrefs; 3.11, 3.8 and 3.9). A weakref is an 80-byte GC object (GC
 * head included; 72 in 3.8/3.9, without vectorcall), tracked; the referent's
 * weakref list (at the type's
 * tp_weaklistoffset) links every weakref to it. A weakref without callback
 * is shared: asking again returns the same one.
 *
 * When the referent dies by refcount (PyObject_ClearWeakRefs), its weakrefs
 * are cleared and their callbacks called -- through a tuple of (weakref,
 * callback) pairs when there is more than one, as CPython does. When it
 * dies in a collection, handle_weakrefs clears them first and calls only the
 * callbacks of weakrefs that are not themselves garbage.
 *
 *   h+2 wr_object (not a counted reference)  h+3 wr_callback  h+4 hash
 *   h+5 wr_prev  h+6 wr_next
 */
import { gcListInit, gcListIsEmpty, gcListMove } from '../../gc/gc-list.js';
import { GC_COLLECTING, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT } from '../header.js';
import type { ObjectSpace } from '../object-space.js';
import { T_WEAKREF } from '../type-table.js';
import * as tuple from './tuple.js';

export const OBJECT = 2;
export const CALLBACK = 3;
const HASH = 4;
const PREV = 5;
const NEXT = 6;

/** weakref.ref(ob, callback): a new reference; the basic (callback-less) ref is shared. */
export function newRef(space: ObjectSpace, ob: number, callback: number): number {
  const m = space.mem;
  const offset = space.types.weaklistOffset[m[ob + 1]];
  if (offset === 0) throw new TypeError(`cannot create weak reference to '${space.typeName(ob)}' object`);
  const list = ob + offset;
  const basic = basicRef(space, m[list]);
  if (callback === 0 && basic !== 0) {
    space.incref(basic);
    return basic;
  }
  // new_weakref: allocation can collect, which may change the list: look again after.
  const wr = space.gcNew(T_WEAKREF, space.types.basicSizeBytes[T_WEAKREF]);
  m[wr + OBJECT] = ob;
  m[wr + CALLBACK] = callback;
  if (callback !== 0) space.incref(callback);
  m[wr + HASH] = -1;
  m[wr + PREV] = 0;
  m[wr + NEXT] = 0;
  space.track(wr);
  const again = basicRef(space, m[list]);
  if (callback === 0) {
    if (again === 0) {
      insertHead(space, wr, list);
      return wr;
    }
    space.decref(wr);
    space.incref(again);
    return again;
  }
  if (again === 0) insertHead(space, wr, list);
  else insertAfter(space, wr, again);
  return wr;
}

/** get_basic_refs: the list's head, if it is a callback-less ref. */
function basicRef(space: ObjectSpace, head: number): number {
  return head !== 0 && space.mem[head + CALLBACK] === 0 ? head : 0;
}

function insertHead(space: ObjectSpace, wr: number, list: number): void {
  const m = space.mem;
  const next = m[list];
  m[wr + PREV] = 0;
  m[wr + NEXT] = next;
  if (next !== 0) m[next + PREV] = wr;
  m[list] = wr;
}

function insertAfter(space: ObjectSpace, wr: number, prev: number): void {
  const m = space.mem;
  m[wr + PREV] = prev;
  m[wr + NEXT] = m[prev + NEXT];
  if (m[prev + NEXT] !== 0) m[m[prev + NEXT] + PREV] = wr;
  m[prev + NEXT] = wr;
}

/** The referent, or None once cleared (a borrowed reference). */
export function referent(space: ObjectSpace, wr: number): number {
  const ob = space.mem[wr + OBJECT];
  return ob === 0 ? space.None : ob;
}

/** clear_weakref: unlink from the referent's list and drop the callback. */
export function clearRef(space: ObjectSpace, wr: number): void {
  const m = space.mem;
  const callback = m[wr + CALLBACK];
  unlink(space, wr);
  if (callback !== 0) {
    m[wr + CALLBACK] = 0;
    space.decref(callback);
  }
}

/** _PyWeakref_ClearRef: clear_weakref but keep the callback. */
export function clearRefKeepCallback(space: ObjectSpace, wr: number): void {
  unlink(space, wr);
}

function unlink(space: ObjectSpace, wr: number): void {
  const m = space.mem;
  const ob = m[wr + OBJECT];
  if (ob === 0) return;
  const list = ob + space.types.weaklistOffset[m[ob + 1]];
  if (m[list] === wr) m[list] = m[wr + NEXT];
  m[wr + OBJECT] = 0;
  if (m[wr + PREV] !== 0) m[m[wr + PREV] + NEXT] = m[wr + NEXT];
  if (m[wr + NEXT] !== 0) m[m[wr + NEXT] + PREV] = m[wr + PREV];
  m[wr + PREV] = 0;
  m[wr + NEXT] = 0;
}

/** handle_callback: call the callback with the weakref (its result dropped). */
function callCallback(space: ObjectSpace, wr: number, callback: number): void {
  space.callFunction(callback, wr);
}

/** PyObject_ClearWeakRefs: the referent is being deallocated. */
export function clearWeakRefs(space: ObjectSpace, ob: number, list: number): void {
  const m = space.mem;
  if (m[list] !== 0 && m[m[list] + CALLBACK] === 0) {
    clearRef(space, m[list]);
    if (m[list] !== 0 && m[m[list] + CALLBACK] === 0) clearRef(space, m[list]);
  }
  if (m[list] === 0) return;
  let current = m[list];
  let count = 0;
  for (let w = current; w !== 0; w = m[w + NEXT]) count++;
  if (count === 1) {
    const callback = m[current + CALLBACK];
    m[current + CALLBACK] = 0;
    clearRef(space, current);
    if (callback !== 0) {
      if (m[current] > 0) callCallback(space, current, callback);
      space.decref(callback);
    }
    return;
  }
  const pairs = tuple.newTuple(space, count * 2);
  for (let i = 0; i < count; i++) {
    const next = m[current + NEXT];
    if (m[current] > 0) {
      space.incref(current);
      m[pairs + tuple.ITEMS + 2 * i] = current;
      m[pairs + tuple.ITEMS + 2 * i + 1] = m[current + CALLBACK];
    } else {
      space.xdecref(m[current + CALLBACK]);
    }
    m[current + CALLBACK] = 0;
    clearRef(space, current);
    current = next;
  }
  for (let i = 0; i < count; i++) {
    const callback = m[pairs + tuple.ITEMS + 2 * i + 1];
    if (callback !== 0) callCallback(space, m[pairs + tuple.ITEMS + 2 * i], callback);
  }
  space.decref(pairs);
}

/** weakref_dealloc */
export function dealloc(space: ObjectSpace, wr: number): void {
  space.untrack(wr);
  clearRef(space, wr);
  space.gcDel(wr);
}

/** gc_traverse: the callback. */
export function traverse(space: ObjectSpace, wr: number): number {
  space.ensureScratch(1);
  return space.pushReferent(0, space.mem[wr + CALLBACK]);
}

/**
 * handle_weakrefs (Modules/gcmodule.c): clear every weakref to an
 * unreachable object; a weakref with a callback that is itself reachable
 * gets its callback called once all are cleared. Returns weakrefs freed.
 */
export function handleWeakrefs(space: ObjectSpace, unreachable: number, old: number, oldTag: number): number {
  const m = space.mem;
  const wrcb = space.staticBase + 32; // gc-state WRCB_HEAD
  gcListInit(m, wrcb);
  for (let g = m[unreachable + GC_NEXT]; g !== unreachable; ) {
    const op = g + GC_HEAD_WORDS;
    const next = m[g + GC_NEXT];
    if (m[op + 1] === T_WEAKREF) clearRefKeepCallback(space, op);
    const offset = space.types.weaklistOffset[m[op + 1]];
    if (offset !== 0) {
      const list = op + offset;
      for (let wr = m[list]; wr !== 0; wr = m[list]) {
        clearRefKeepCallback(space, wr);
        if (m[wr + CALLBACK] === 0) continue;
        if ((m[wr - GC_HEAD_WORDS + GC_FLAGS] & GC_COLLECTING) !== 0) continue;
        space.incref(wr);
        gcListMove(m, wr - GC_HEAD_WORDS, wrcb);
      }
    }
    g = next;
  }
  let freed = 0;
  while (!gcListIsEmpty(m, wrcb)) {
    const g = m[wrcb + GC_NEXT];
    const wr = g + GC_HEAD_WORDS;
    callCallback(space, wr, m[wr + CALLBACK]);
    space.decref(wr);
    if (m[wrcb + GC_NEXT] === g) {
      gcListMove(m, g, old);
      m[g + GC_FLAGS] = (m[g + GC_FLAGS] & ~GC_GEN_MASK) | oldTag;
    } else {
      freed++;
    }
  }
  return freed;
}

export function weakrefCount(space: ObjectSpace, ob: number): number {
  const offset = space.types.weaklistOffset[space.mem[ob + 1]];
  if (offset === 0) return 0;
  let n = 0;
  for (let w = space.mem[ob + offset]; w !== 0; w = space.mem[w + NEXT]) n++;
  return n;
}

export function sizeOf(space: ObjectSpace): number {
  return 16 + space.types.basicSizeBytes[T_WEAKREF];
}

