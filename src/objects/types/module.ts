/**
 * Modules (Objects/moduleobject.c, 3.11): a 72-byte object (GC head
 * included) and its `__dict__`, a dict that PyModule_NewObject fills with
 * `__name__`, `__doc__`, `__package__`, `__loader__` and `__spec__` (five
 * entries: one 8-slot keys object), tracked once initialised.
 *
 *   h+2 md_dict   h+3 md_name   h+5 weakref list
 */
import type { ObjectSpace } from '../object-space.js';
import { T_MODULE } from '../type-table.js';
import * as dict from './dict.js';
import * as weakref from './weakref.js';

export const DICT = 2;
const NAME = 3;
export const WEAKREFLIST = 5;
const BASIC_BYTES = 56;

/** PyModule_NewObject(name) */
export function newModule(space: ObjectSpace, name: number): number {
  const h = space.gcNew(T_MODULE, BASIC_BYTES);
  const m = space.mem;
  m.fill(0, h + 2, h + (BASIC_BYTES >> 2));
  const d = dict.newDict(space);
  m[h + DICT] = d;
  dict.setItem(space, d, space.identifier('__name__'), name);
  dict.setItem(space, d, space.identifier('__doc__'), space.None);
  dict.setItem(space, d, space.identifier('__package__'), space.None);
  dict.setItem(space, d, space.identifier('__loader__'), space.None);
  dict.setItem(space, d, space.identifier('__spec__'), space.None);
  space.incref(name);
  m[h + NAME] = name;
  space.track(h);
  return h;
}

export function sizeOf(): number {
  return 16 + BASIC_BYTES;
}

/** module_dealloc */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  space.untrack(h);
  if (m[h + WEAKREFLIST] !== 0) weakref.clearWeakRefs(space, h, h + WEAKREFLIST);
  space.xdecref(m[h + DICT]);
  space.xdecref(m[h + NAME]);
  space.gcDel(h);
}

/** module_clear */
export function clear(space: ObjectSpace, h: number): void {
  const d = space.mem[h + DICT];
  if (d !== 0) {
    space.mem[h + DICT] = 0;
    space.decref(d);
  }
}

export function traverse(space: ObjectSpace, h: number): number {
  space.ensureScratch(1);
  return space.pushReferent(0, space.mem[h + DICT]);
}
