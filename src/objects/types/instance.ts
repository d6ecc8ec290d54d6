/**
 * Instances of classes (Objects/typeobject.c subtype_*, Objects/dictobject.c
 * inline values; 3.11, and 3.8/3.9 where marked).
 *
 * A class with a `__dict__`, in 3.11: the object is 56 bytes -- a 16-byte
 * pre-header (values pointer, dict pointer), the GC head, the object header
 * and the `__weakref__` slot -- and its attributes live in a values array
 * indexed by the class's shared keys (dict.ts). The first instances of a
 * class get the largest arrays: the shared keys start with 30 usable slots and
 * every new instance takes one away (init_inline_values) until one is left. A
 * real dict object appears only when `__dict__` is asked for, or when an
 * attribute cannot go into the shared keys.
 *
 * In 3.8/3.9 the object is 48 bytes -- the GC head, the header, the `__dict__`
 * pointer and the `__weakref__` slot -- and the first attribute stored makes
 * its dict (_PyObjectDict_SetItem): while the class has shared keys, a split
 * table over them (a values array of 40 bytes for the 8-slot keys, then the
 * 64-byte dict), else an ordinary dict. The class stops sharing for good when
 * an attribute is deleted, or when an instance's dict had to turn combined
 * while other instances still share (dict.ts has the rules).
 *
 * A class with `__slots__`: GC head, header, one word per slot; no dict, no
 * weakrefs unless `__weakref__` is a slot.
 *
 *   managed (3.11):      h-8 values pointer   h-6 dict   h+2 weakref list
 *   __dict__ (3.8/3.9):  h+2 dict   h+3 weakref list
 *   slots:               h+2.. the slots   (then the weakref list if `__weakref__`)
 *
 * Deallocation (subtype_dealloc): untrack; the trashcan; `__del__` once, with
 * the object tracked again while it runs (it may resurrect it); weakrefs
 * cleared (callbacks run); slots cleared in order; the dict decref'd or the
 * values decref'd in index order and their array freed; the object freed.
 *
 * The object kernel (../wasm-kernel.ts) does the commonest two itself, step
 * for step as here: a prepared call's construction (Python.newWith, once its
 * stores' indexes are known) and the deallocation of a 3.11 instance with
 * neither `__del__` nor weak references.
 */
import * as header from '../header.js';
import type { ObjectSpace } from '../object-space.js';
import * as typeTable from '../type-table.js';
import * as dict from './dict.js';
import * as weakref from './weakref.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { GC_FINALIZED, GC_FLAGS, GC_HEAD_WORDS, MANAGED_DICT, MANAGED_VALUES } = header;
const { F_FINALIZE, F_HAS_DICT, F_MANAGED_DICT, K_SLOTS } = typeTable;

/** 3.8/3.9: the `__dict__` pointer at tp_dictoffset (16 bytes: word 2). */
const DICT = 2;

/** A new instance, tracked, with an empty values array for `__dict__` classes (type_call → object_new). */
export function newInstance(space: ObjectSpace, type: number): number {
  const types = space.types;
  const h = space.gcNew(type, types.basicSizeBytes[type]);
  const m = space.mem;
  for (let i = h + 2, end = h + (types.basicSizeBytes[type] >> 2); i < end; i++) m[i] = 0;
  space.track(h);
  if ((types.flags[type] & F_MANAGED_DICT) !== 0) {
    m[h + MANAGED_VALUES] = dict.initInlineValues(space, classKeys(space, type));
  }
  return h;
}

function classKeys(space: ObjectSpace, type: number): number {
  const cached = space.types.cachedKeys;
  if (cached[type] === 0) space.setClassKeys(type, dict.newKeysForClass(space));
  return cached[type];
}

function slotIndex(space: ObjectSpace, type: number, name: string): number {
  const i = space.types.classInfo(type).slots.indexOf(name);
  if (i < 0) throw new TypeError(`'${space.types.names[type]}' object has no slot '${name}' (its __slots__ are ${space.types.classInfo(type).slots.join(', ')})`);
  return i;
}

/** obj.name = value (PyObject_GenericSetAttr; `name` an interned str handle). */
export function setAttr(space: ObjectSpace, h: number, nameText: string, name: number, value: number): void {
  const m = space.mem;
  const type = m[h + 1];
  if (space.types.kind[type] === K_SLOTS) {
    const slot = h + 2 + slotIndex(space, type, nameText);
    const old = m[slot];
    space.incref(value);
    m[slot] = value;
    space.xdecref(old);
    return;
  }
  if ((space.types.flags[type] & F_MANAGED_DICT) === 0) {
    objectDictSetItem(space, h, type, name, value);
    return;
  }
  const values = m[h + MANAGED_VALUES];
  if (values !== 0) {
    storeInstanceAttribute(space, h, values, name, value);
    return;
  }
  let d = m[h + MANAGED_DICT];
  if (d === 0) {
    d = dict.newDict(space);
    m[h + MANAGED_DICT] = d;
  }
  dict.setItem(space, d, name, value);
}

/**
 * _PyObjectDict_SetItem of 3.8/3.9, a store (`value` != 0) or a deletion
 * (`value` == 0, the return says whether the attribute was there). The first
 * store or deletion makes the dict: a split table over the class's shared keys
 * while it has them, else PyDict_New. After a store that turned the dict
 * combined the class shares its new keys (make_keys_shared) if no other
 * instance shared the old ones, else stops sharing; a deletion always stops
 * the class sharing.
 */
function objectDictSetItem(space: ObjectSpace, h: number, type: number, name: number, value: number): boolean {
  const m = space.mem;
  const cachedKeys = space.types.cachedKeys;
  const d = dictBefore310(space, h, type);
  let cached = cachedKeys[type];
  if (cached === 0) {
    if (value === 0) return dict.delItem(space, d, name);
    dict.setItem(space, d, name, value);
    return true;
  }
  if (value === 0) {
    const found = dict.delItem(space, d, name);
    cached = cachedKeys[type];
    if (cached !== 0) {
      cachedKeys[type] = 0;
      dict.keysDecref(space, cached);
    }
    return found;
  }
  const wasShared = m[d + dict.KEYS] === cached;
  dict.setItem(space, d, name, value);
  cached = cachedKeys[type];
  if (wasShared && cached !== 0 && cached !== m[d + dict.KEYS]) {
    cachedKeys[type] = dict.keysRefcount(space, cached) === 1 ? dict.makeKeysShared(space, d) : 0;
    dict.keysDecref(space, cached);
  }
  return true;
}

/** The instance's `__dict__` (3.8/3.9), made if it has none: a split table over the class's shared keys while it has them, else PyDict_New. */
function dictBefore310(space: ObjectSpace, h: number, type: number): number {
  const m = space.mem;
  let d = m[h + DICT];
  if (d === 0) {
    const cached = space.types.cachedKeys[type];
    d = cached !== 0 ? dict.newWithSharedKeys(space, cached) : dict.newDict(space);
    m[h + DICT] = d;
  }
  return d;
}

/** _PyObject_StoreInstanceAttribute: into the values array, or materialise a dict when the key does not fit. */
function storeInstanceAttribute(space: ObjectSpace, h: number, values: number, name: number, value: number): void {
  const m = space.mem;
  const keys = classKeys(space, m[h + 1]);
  const ix = dict.insertIntoKeys(space, keys, name);
  if (ix < 0) {
    const d = dict.fromInstanceValues(space, keys, values);
    m[h + MANAGED_VALUES] = 0;
    m[h + MANAGED_DICT] = d;
    dict.setItem(space, d, name, value);
    return;
  }
  storeAtIndex(space, values, ix, value);
}

/**
 * The store of STORE_ATTR_INSTANCE_VALUE (Python/ceval.c, 3.11): the value
 * into slot `ix` of an instance's values array, whose index the caller has
 * from the class's shared keys (where a name, once added, keeps its index).
 */
export function storeAtIndex(space: ObjectSpace, values: number, ix: number, value: number): void {
  const m = space.mem;
  const old = m[values + ix];
  space.incref(value);
  m[values + ix] = value;
  if (old === 0) dict.valuesInsertionOrderAdd(space, values, ix);
  else space.decref(old);
}

/**
 * The shared-keys index at which `name` (an interned str handle) is stored
 * in the inline values of an instance of `type` (a managed-dict class), or -1
 * when the shared keys do not hold it: what the specializer caches for
 * STORE_ATTR_INSTANCE_VALUE after the first store. Changes nothing.
 */
export function sharedKeyIndex(space: ObjectSpace, type: number, name: number): number {
  return dict.keysStringLookup(space, classKeys(space, type), name);
}

/** obj.name (a borrowed reference), or 0 when unset. */
export function getAttr(space: ObjectSpace, h: number, nameText: string, name: number): number {
  const m = space.mem;
  const type = m[h + 1];
  if (space.types.kind[type] === K_SLOTS) return m[h + 2 + slotIndex(space, type, nameText)];
  if ((space.types.flags[type] & F_MANAGED_DICT) === 0) {
    const d = m[h + DICT];
    return d === 0 ? 0 : dict.getItem(space, d, name);
  }
  const values = m[h + MANAGED_VALUES];
  if (values !== 0) {
    const ix = dict.keysStringLookup(space, classKeys(space, type), name);
    return ix < 0 ? 0 : m[values + ix];
  }
  const d = m[h + MANAGED_DICT];
  return d === 0 ? 0 : dict.getItem(space, d, name);
}

/** del obj.name; returns whether it was set. */
export function delAttr(space: ObjectSpace, h: number, nameText: string, name: number): boolean {
  const m = space.mem;
  const type = m[h + 1];
  if (space.types.kind[type] === K_SLOTS) {
    const slot = h + 2 + slotIndex(space, type, nameText);
    const old = m[slot];
    if (old === 0) return false;
    m[slot] = 0;
    space.decref(old);
    return true;
  }
  if ((space.types.flags[type] & F_MANAGED_DICT) === 0) return objectDictSetItem(space, h, type, name, 0);
  const values = m[h + MANAGED_VALUES];
  if (values !== 0) {
    const ix = dict.keysStringLookup(space, classKeys(space, type), name);
    if (ix < 0 || m[values + ix] === 0) return false;
    const old = m[values + ix];
    m[values + ix] = 0;
    dict.valuesInsertionOrderDelete(space, values, ix);
    space.decref(old);
    return true;
  }
  const d = m[h + MANAGED_DICT];
  return d !== 0 && dict.delItem(space, d, name);
}

/**
 * obj.__dict__ (PyObject_GenericGetDict): materialised from the values on
 * first request (3.11); made if there is none yet, a split table while the
 * class shares keys (3.8/3.9). A new reference.
 */
export function getDict(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const type = m[h + 1];
  const flags = space.types.flags[type];
  if ((flags & F_HAS_DICT) === 0) throw new TypeError(`'${space.types.names[type]}' object has no __dict__`);
  if ((flags & F_MANAGED_DICT) === 0) {
    const d = dictBefore310(space, h, type);
    space.incref(d);
    return d;
  }
  const values = m[h + MANAGED_VALUES];
  let d = m[h + MANAGED_DICT];
  if (values !== 0) {
    d = dict.fromInstanceValues(space, classKeys(space, type), values);
    m[h + MANAGED_DICT] = d;
    m[h + MANAGED_VALUES] = 0;
  } else if (d === 0) {
    d = dict.newDict(space);
    m[h + MANAGED_DICT] = d;
  }
  space.incref(d);
  return d;
}

/** sys.getsizeof: the pre-header and GC head count, the values array does not. */
export function sizeOf(space: ObjectSpace, h: number): number {
  const type = space.mem[h + 1];
  return space.types.presizeWords[type] * 4 + space.types.basicSizeBytes[type];
}

/** tp_finalize: the class's `__del__`, run by the caller's protocol (once). */
export function finalize(space: ObjectSpace, h: number): void {
  space.types.classInfo(space.mem[h + 1]).finalizer?.(h);
}

/** subtype_dealloc */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const type = m[h + 1];
  const flags = space.types.flags[type];
  space.untrack(h);
  if (!space.trashBegin(h)) return;
  if ((flags & F_FINALIZE) !== 0) {
    space.track(h);
    if (callFinalizerFromDealloc(space, h)) {
      space.trashEnd();
      return; // resurrected
    }
    space.untrack(h);
  }
  const weaklist = space.types.weaklistOffset[type];
  // PyObject_ClearWeakRefs returns at once when the list is empty: tested here, without the call.
  if (weaklist !== 0 && m[h + weaklist] !== 0) clearWeakRefsFromDealloc(space, h, h + weaklist, flags);
  if (space.types.kind[type] === K_SLOTS) {
    clearSlots(space, h, type);
  } else {
    const slot = (flags & F_MANAGED_DICT) !== 0 ? h + MANAGED_DICT : h + DICT;
    const d = m[slot];
    if (d !== 0) {
      m[slot] = 0;
      space.decref(d);
    } else if ((flags & F_MANAGED_DICT) !== 0) {
      freeInstanceAttributes(space, h);
    }
  }
  space.gcDel(h);
  space.trashEnd();
}

/** subtype_dealloc's weakref step: callbacks run; a finalizer's own weakrefs are cleared without theirs. */
function clearWeakRefsFromDealloc(space: ObjectSpace, h: number, listHead: number, flags: number): void {
  const m = space.mem;
  weakref.clearWeakRefs(space, h, listHead);
  if ((flags & F_FINALIZE) !== 0) while (m[listHead] !== 0) weakref.clearRefKeepCallback(space, m[listHead]);
}

/** The slots of a `__slots__` instance, each set to NULL then decref'd, in order (subtype_dealloc, subtype_clear). */
function clearSlots(space: ObjectSpace, h: number, type: number): void {
  space.clearReferences(h + 2, space.types.classInfo(type).slots.length);
}

/**
 * PyObject_CallFinalizerFromDealloc: the object is briefly alive again (refcount
 * 1) while tp_finalize runs; true if the finalizer kept a reference (resurrection).
 */
export function callFinalizerFromDealloc(space: ObjectSpace, h: number): boolean {
  const m = space.mem;
  m[h] = 1;
  const flagsWord = h - GC_HEAD_WORDS + GC_FLAGS;
  if ((m[flagsWord] & GC_FINALIZED) === 0) {
    space.finalize(h);
    m[flagsWord] |= GC_FINALIZED;
  }
  m[h]--;
  return m[h] !== 0;
}

/** _PyObject_FreeInstanceAttributes: decref the values in index order, free the array. */
function freeInstanceAttributes(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const values = m[h + MANAGED_VALUES];
  if (values === 0) return;
  m[h + MANAGED_VALUES] = 0;
  const n = dict.keysEntries(space, classKeys(space, m[h + 1]));
  for (let i = 0; i < n; i++) space.xdecref(m[values + i]);
  dict.freeValues(space, values);
}

/** subtype_traverse: slots, the inline values or the dict (and the type, not simulated). */
export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const type = m[h + 1];
  let count = 0;
  if (space.types.kind[type] === K_SLOTS) {
    const n = space.types.classInfo(type).slots.length;
    space.ensureScratch(n);
    count = space.pushReferents(0, h + 2, n, 1);
  } else if ((space.types.flags[type] & F_MANAGED_DICT) === 0) {
    space.ensureScratch(1);
    count = space.pushReferent(count, m[h + DICT]);
  } else {
    const values = m[h + MANAGED_VALUES];
    if (values !== 0) {
      const n = dict.keysEntries(space, classKeys(space, type));
      space.ensureScratch(n + 1);
      count = space.pushReferents(0, values, n, 1);
    } else {
      space.ensureScratch(1);
      count = space.pushReferent(count, m[h + MANAGED_DICT]);
    }
  }
  space.lastVisited++; // Py_VISIT(type): the heap type object
  return count;
}

/** subtype_clear: slots, then the inline values (the array stays) or the dict. */
export function clear(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const type = m[h + 1];
  if (space.types.kind[type] === K_SLOTS) {
    clearSlots(space, h, type);
    return;
  }
  if ((space.types.flags[type] & F_MANAGED_DICT) === 0) {
    space.clearReferences(h + DICT, 1);
    return;
  }
  const values = m[h + MANAGED_VALUES];
  if (values !== 0) {
    const n = dict.keysEntries(space, classKeys(space, type));
    for (let i = 0; i < n; i++) {
      const v = m[values + i];
      if (v !== 0) {
        m[values + i] = 0;
        space.decref(v);
      }
    }
  }
  const d = m[h + MANAGED_DICT];
  if (d !== 0) {
    m[h + MANAGED_DICT] = 0;
    space.decref(d);
  }
}
