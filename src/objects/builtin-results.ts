/**
 * What calling a built-in function allocates besides its work: the argument
 * tuple of a METH_VARARGS function, the tuple or list of dicts it returns.
 * The TypeScript API hands plain numbers back, as if the Python caller
 * unpacked the result at once; these objects are built and dropped so the
 * heap, the free lists and the generation-0 count move as CPython's do.
 */
import type { ObjectSpace } from './object-space.js';
import * as dict from './types/dict.js';
import * as int from './types/int.js';
import * as list from './types/list.js';
import * as str from './types/str.js';
import * as tuple from './types/tuple.js';

/** A tuple of new int objects (Py_BuildValue("(iii)"), or PyArg_ParseTuple's argument tuple). */
export function intTuple(space: ObjectSpace, values: readonly number[]): number {
  const t = tuple.newTuple(space, values.length);
  for (let i = 0; i < values.length; i++) space.mem[t + tuple.ITEMS + i] = int.fromNumber(space, values[i]);
  return t;
}

/**
 * Py_BuildValue("{snsnsn}", ...) (do_mkdict, Python/modsupport.c): each key a
 * new str from a C string, each value a new int, set into a new dict in order.
 */
export function intDict(space: ObjectSpace, entries: readonly (readonly [string, number])[]): number {
  const d = dict.newDict(space);
  for (const [name, value] of entries) {
    const k = str.fromText(space, name);
    const v = int.fromNumber(space, value);
    dict.setItem(space, d, k, v);
    space.decref(k);
    space.decref(v);
  }
  return d;
}

/** gc_get_stats (Modules/gcmodule.c): a list of one dict per generation. */
export function statsList(space: ObjectSpace, stats: readonly { collections: number; collected: number; uncollectable: number }[]): number {
  const l = list.newList(space, 0);
  for (const s of stats) {
    const d = intDict(space, [
      ['collections', s.collections],
      ['collected', s.collected],
      ['uncollectable', s.uncollectable],
    ]);
    list.append(space, l, d);
    space.decref(d);
  }
  return l;
}

/**
 * PyObject_CallFunction(cb, "sO", phase, info) (_PyObject_CallFunctionVa,
 * Objects/call.c): the arguments go on a C stack, not in a tuple; only the
 * phase string is a new object.
 */
export function callbackPhase(space: ObjectSpace, phase: string): number {
  return str.fromText(space, phase);
}
