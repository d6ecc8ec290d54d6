/**
 * Functions, cells and closures (Objects/funcobject.c, cellobject.c; 3.11,
 * 3.8 and 3.9).
 *
 * A function object is 152 bytes (GC head included; 3.8/3.9: 136, without
 * 3.11's func_builtins and func_version), tracked at creation. A
 * closure is built as CPython builds it: a cell per captured variable
 * (MAKE_CELL, 40 bytes each), a tuple of the cells (BUILD_TUPLE, often from
 * the tuple free list), then the function (MAKE_FUNCTION) holding the tuple.
 * What a function refers to that pyheap does not simulate (its code object,
 * name, builtins) is static here; what matters for memory and cycles is
 * kept: globals, defaults, `__dict__`, the closure.
 *
 *   function  h+2 globals  h+3 closure (tuple)  h+4 defaults (tuple)
 *             h+5 __dict__  h+6 weakref list  h+7 behaviour (a JS callable id, or 0)
 *   cell      h+2 the referenced object (ob_ref)
 */
import type { ObjectSpace } from '../object-space.js';
import { T_CELL, T_FUNCTION } from '../type-table.js';
import * as tuple from './tuple.js';
import * as weakref from './weakref.js';

export const GLOBALS = 2;
export const CLOSURE = 3;
export const DEFAULTS = 4;
export const DICT = 5;
export const WEAKREFLIST = 6;
export const BEHAVIOUR = 7;
/** sizeof(PyCellObject); sizeof(PyFunctionObject) is the version's (the type table's). */
const CELL_BASIC_BYTES = 24;

export interface FunctionParts {
  globals?: number;
  closure?: number;
  defaults?: number;
  behaviour?: number;
}

/** PyFunction_New: references to its parts are taken here. */
export function newFunction(space: ObjectSpace, parts: FunctionParts = {}): number {
  const basic = space.types.basicSizeBytes[T_FUNCTION];
  const h = space.gcNew(T_FUNCTION, basic);
  const m = space.mem;
  m.fill(0, h + 2, h + (basic >> 2));
  for (const [field, value] of [
    [GLOBALS, parts.globals ?? 0],
    [CLOSURE, parts.closure ?? 0],
    [DEFAULTS, parts.defaults ?? 0],
  ] as const) {
    if (value !== 0) space.incref(value);
    m[h + field] = value;
  }
  m[h + BEHAVIOUR] = parts.behaviour ?? 0;
  space.track(h);
  return h;
}

/** PyCell_New */
export function newCell(space: ObjectSpace, ref: number): number {
  const h = space.gcNew(T_CELL, CELL_BASIC_BYTES);
  if (ref !== 0) space.incref(ref);
  space.mem[h + 2] = ref;
  space.track(h);
  return h;
}

/** An inner function capturing `captured`: cells, the closure tuple, the function. */
export function newClosure(space: ObjectSpace, captured: ArrayLike<number>, parts: Omit<FunctionParts, 'closure'> = {}): number {
  const cells: number[] = [];
  for (let i = 0; i < captured.length; i++) cells.push(newCell(space, captured[i]));
  const closure = tuple.newTuple(space, cells.length);
  for (let i = 0; i < cells.length; i++) space.mem[closure + tuple.ITEMS + i] = cells[i];
  const f = newFunction(space, { ...parts, closure });
  space.decref(closure);
  return f;
}

/** func_dealloc: untrack, weakrefs, func_clear's order (globals, defaults, dict, closure), free. */
export function deallocFunction(space: ObjectSpace, h: number): void {
  space.untrack(h);
  if (space.mem[h + WEAKREFLIST] !== 0) weakref.clearWeakRefs(space, h, h + WEAKREFLIST);
  clearFunction(space, h);
  space.gcDel(h);
}

/** func_clear */
export function clearFunction(space: ObjectSpace, h: number): void {
  const m = space.mem;
  for (const field of [GLOBALS, DEFAULTS, DICT, CLOSURE]) {
    const v = m[h + field];
    if (v !== 0) {
      m[h + field] = 0;
      space.decref(v);
    }
  }
}

export function traverseFunction(space: ObjectSpace, h: number): number {
  const m = space.mem;
  space.ensureScratch(4);
  let count = 0;
  for (const field of [GLOBALS, DEFAULTS, DICT, CLOSURE]) count = space.pushReferent(count, m[h + field]);
  space.lastVisited += 4; // code, module, name, qualname: not simulated
  return count;
}

/** cell_dealloc */
export function deallocCell(space: ObjectSpace, h: number): void {
  space.untrack(h);
  space.xdecref(space.mem[h + 2]);
  space.gcDel(h);
}

export function clearCell(space: ObjectSpace, h: number): void {
  const v = space.mem[h + 2];
  if (v !== 0) {
    space.mem[h + 2] = 0;
    space.decref(v);
  }
}

export function traverseCell(space: ObjectSpace, h: number): number {
  space.ensureScratch(1);
  return space.pushReferent(0, space.mem[h + 2]);
}

export function sizeOfFunction(space: ObjectSpace): number {
  return 16 + space.types.basicSizeBytes[T_FUNCTION];
}

export function sizeOfCell(): number {
  return 16 + CELL_BASIC_BYTES;
}
