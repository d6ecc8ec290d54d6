/**
 * The types of a simulated process: the built-in types pyheap models, and the
 * classes a scenario or handler defines. A type id is what an object's
 * `ob_type` word holds; everything the hot paths need about a type is in
 * typed arrays indexed by that id.
 *
 * Classes are heap types in CPython (Py_TPFLAGS_HEAPTYPE). pyheap keeps their
 * description here rather than building type objects in the simulated heap: a
 * class is created once at boot, its type object never freed, and instances'
 * references to it change no memory (what matters -- the instances, their
 * values arrays, the shared keys -- is simulated). Not modelled: the type
 * object's own blocks and its refcount.
 */
import type { ObjectVersion } from './version.js';

export const T_NONE = 1;
export const T_BOOL = 2;
export const T_INT = 3;
export const T_FLOAT = 4;
export const T_STR = 5;
export const T_BYTES = 6;
export const T_TUPLE = 7;
export const T_LIST = 8;
export const T_DICT = 9;
export const T_SET = 10;
export const T_FROZENSET = 11;
export const T_FUNCTION = 12;
export const T_CELL = 13;
export const T_GENERATOR = 14;
export const T_MODULE = 15;
export const T_WEAKREF = 16;
export const T_BUFFER = 17;
export const T_FILE = 18;
export const T_SOCKET = 19;
/** A frame object: 3.8/3.9 make one per call (types/frame.ts). */
export const T_FRAME = 20;
/** The first id given to a class. */
export const FIRST_CLASS = 32;
export const MAX_TYPES = 4096;

/** How a type's objects are laid out and torn down (which types/*.ts module). */
export const K_STATIC = 0;
export const K_INT = 1;
export const K_FLOAT = 2;
export const K_STR = 3;
export const K_BYTES = 4;
export const K_TUPLE = 5;
export const K_LIST = 6;
export const K_DICT = 7;
export const K_SET = 8;
export const K_INSTANCE = 9; //  class instance with a __dict__ (3.11: managed, inline values; 3.8/3.9: at tp_dictoffset)
export const K_SLOTS = 10; //    class instance with __slots__ and no __dict__
export const K_FUNCTION = 11;
export const K_CELL = 12;
export const K_GENERATOR = 13;
export const K_MODULE = 14;
export const K_WEAKREF = 15;
export const K_BUFFER = 16;
export const K_RESOURCE = 17;
export const K_FRAME = 18;

/** Py_TPFLAGS_HAVE_GC */
export const F_GC = 1;
/** Py_TPFLAGS_MANAGED_DICT (3.11): instances carry the 16-byte dict/values pre-header. */
export const F_MANAGED_DICT = 2;
/** tp_finalize (PEP 442): `__del__`, or a C finalizer such as FileIO's. */
export const F_FINALIZE = 4;
/** tp_weaklistoffset != 0: the object has a weakref list head. */
export const F_WEAKREFS = 8;
/** Instances have a `__dict__`: managed (with F_MANAGED_DICT, 3.11) or at tp_dictoffset (3.8/3.9, word 2). */
export const F_HAS_DICT = 16;

export interface ClassSpec {
  /** The class name (`type.__name__`). */
  name: string;
  /** `__slots__`; absent: instances have a `__dict__` (3.11: managed, inline values; 3.8/3.9: a dict object). */
  slots?: readonly string[];
  /** With slots: whether `__weakref__` is one of them (`__dict__`-classes always have it). */
  weakrefSlot?: boolean;
  /**
   * `__del__`: called once when the instance dies, by refcount or by the GC
   * (PEP 442); it may resurrect the instance by storing a reference to it.
   */
  finalizer?: (self: number) => void;
}

export interface ClassInfo {
  readonly name: string;
  readonly slots: readonly string[];
  readonly finalizer: ((self: number) => void) | null;
}

/** The tables compiled code reads, given to TypeTable (views of the heap's annex). */
export interface TypeTableStorage {
  gc: Uint8Array;
  kind: Uint8Array;
  flags: Uint8Array;
  weaklistOffset: Int8Array;
  cachedKeys: Int32Array;
  known: Uint8Array;
}

export class TypeTable {
  /** Each type's K_* kind (the object kernel's table, which it reads where the space puts it). */
  readonly kind: Uint8Array;
  /** F_* flags (a kernel table too). */
  readonly flags: Uint8Array;
  /** 1 for the types with Py_TPFLAGS_HAVE_GC (the collector's GcObjectModel.gcTypes, which it reads where the space puts it). */
  readonly gc: Uint8Array;
  /** Words before the handle: 0, 4 (GC head) or 8 (managed dict + GC head). */
  readonly presizeWords = new Uint8Array(MAX_TYPES);
  /** Word offset of the weakref list head from the handle, or 0 (a kernel table too). */
  readonly weaklistOffset: Int8Array;
  /** tp_basicsize: bytes of the object from its PyObject header, GC head and pre-header excluded. */
  readonly basicSizeBytes = new Int32Array(MAX_TYPES);
  /** ht_cached_keys: the shared keys object of a `__dict__` class's instance dicts, or 0 (3.8/3.9: none any more; a kernel table too). */
  readonly cachedKeys: Int32Array;
  /** 1 for every type id in use (built-in or defined): what the API's handle check reads (a kernel table too). */
  readonly known: Uint8Array;
  readonly names: string[] = [];
  readonly classes: (ClassInfo | null)[] = [];
  private nextClassId = FIRST_CLASS;

  /** Whether `__dict__` instances keep inline values (3.11) or a dict at tp_dictoffset (3.8/3.9). */
  private readonly inlineValues: boolean;

  /**
   * `tables`: where the tables compiled code reads are kept, MAX_TYPES
   * entries each (the collector's and the object kernel's, in the heap's
   * annex); `version`: the sizes that differ between versions.
   */
  constructor(tables: TypeTableStorage, version: ObjectVersion) {
    for (const [name, table] of Object.entries(tables)) {
      if (table.length !== MAX_TYPES) throw new RangeError(`the ${name} table has ${table.length} entries; type ids go to ${MAX_TYPES}`);
    }
    this.gc = tables.gc;
    this.kind = tables.kind;
    this.flags = tables.flags;
    this.weaklistOffset = tables.weaklistOffset;
    this.cachedKeys = tables.cachedKeys;
    this.known = tables.known;
    this.inlineValues = version.inlineValues;
    // (id, kind, flags, tp_basicsize (variable-size types: without items), weaklist offset, name)
    this.builtin(T_NONE, K_STATIC, 0, 16, 0, 'NoneType');
    this.builtin(T_BOOL, K_STATIC, 0, 24, 0, 'bool');
    this.builtin(T_INT, K_INT, 0, 24, 0, 'int');
    this.builtin(T_FLOAT, K_FLOAT, 0, 24, 0, 'float');
    this.builtin(T_STR, K_STR, 0, 48, 0, 'str');
    this.builtin(T_BYTES, K_BYTES, 0, 33, 0, 'bytes');
    this.builtin(T_TUPLE, K_TUPLE, F_GC, 24, 0, 'tuple');
    this.builtin(T_LIST, K_LIST, F_GC, 40, 0, 'list');
    this.builtin(T_DICT, K_DICT, F_GC, 48, 0, 'dict');
    this.builtin(T_SET, K_SET, F_GC | F_WEAKREFS, 200, 7, 'set');
    this.builtin(T_FROZENSET, K_SET, F_GC | F_WEAKREFS, 200, 7, 'frozenset');
    this.builtin(T_FUNCTION, K_FUNCTION, F_GC | F_WEAKREFS, version.functionBasicBytes, 6, 'function');
    this.builtin(T_CELL, K_CELL, F_GC, 24, 0, 'cell');
    this.builtin(T_GENERATOR, K_GENERATOR, F_GC | F_FINALIZE | F_WEAKREFS, version.generatorBasicBytes, 3, 'generator');
    this.builtin(T_MODULE, K_MODULE, F_GC | F_WEAKREFS, 56, 5, 'module');
    this.builtin(T_WEAKREF, K_WEAKREF, F_GC, version.weakrefBasicBytes, 0, 'ReferenceType');
    this.builtin(T_BUFFER, K_BUFFER, 0, 112, 0, 'ndarray');
    this.builtin(T_FILE, K_RESOURCE, F_GC | F_FINALIZE | F_WEAKREFS, 48, 4, 'FileIO');
    this.builtin(T_SOCKET, K_RESOURCE, F_GC | F_FINALIZE | F_WEAKREFS, 72, 4, 'socket');
    // tp_basicsize of PyFrame_Type (Objects/frameobject.c, 3.8/3.9):
    // sizeof(PyFrameObject), 368 on 64-bit, its one-item f_localsplus included;
    // tp_itemsize 8 for each of the frame's slots after it (frame.ts).
    this.builtin(T_FRAME, K_FRAME, F_GC, 368, 0, 'frame');
  }

  /**
   * A new class. With `__dict__` (no slots), in 3.11: 16 bytes of managed-dict
   * pre-header, the GC head, the object header and the `__weakref__` slot --
   * 56 bytes, as `sys.getsizeof` reports for CPython 3.11 instances; in
   * 3.8/3.9: the GC head, the header, the `__dict__` pointer (tp_dictoffset 16)
   * and `__weakref__` (tp_weaklistoffset 24) -- 48 bytes (Objects/typeobject.c,
   * type_new adds both slots). With `__slots__`: GC head, header and one
   * pointer per slot (plus `__weakref__` if listed).
   */
  defineClass(spec: ClassSpec): number {
    if (this.nextClassId >= MAX_TYPES) throw new RangeError(`at most ${MAX_TYPES - FIRST_CLASS} classes`);
    const id = this.nextClassId++;
    let slots = spec.slots ?? null;
    const finalizeFlag = spec.finalizer ? F_FINALIZE : 0;
    if (slots === null && this.inlineValues) {
      this.kind[id] = K_INSTANCE;
      this.flags[id] = F_GC | F_HAS_DICT | F_MANAGED_DICT | F_WEAKREFS | finalizeFlag;
      this.gc[id] = 1;
      this.presizeWords[id] = 8;
      this.weaklistOffset[id] = 2;
      this.basicSizeBytes[id] = 16 + 8;
    } else if (slots === null) {
      this.kind[id] = K_INSTANCE;
      this.flags[id] = F_GC | F_HAS_DICT | F_WEAKREFS | finalizeFlag;
      this.gc[id] = 1;
      this.presizeWords[id] = 4;
      this.weaklistOffset[id] = 3;
      this.basicSizeBytes[id] = 16 + 8 + 8;
    } else {
      const weakref = spec.weakrefSlot ?? false;
      this.kind[id] = K_SLOTS;
      this.flags[id] = F_GC | (weakref ? F_WEAKREFS : 0) | finalizeFlag;
      this.gc[id] = 1;
      this.presizeWords[id] = 4;
      this.weaklistOffset[id] = weakref ? 2 + slots.length : 0;
      this.basicSizeBytes[id] = 16 + 8 * slots.length + (weakref ? 8 : 0);
    }
    if (slots === null) slots = [];
    this.names[id] = spec.name;
    this.known[id] = 1;
    this.classes[id] = { name: spec.name, slots, finalizer: spec.finalizer ?? null };
    return id;
  }

  isGc(type: number): boolean {
    return (this.flags[type] & F_GC) !== 0;
  }

  classInfo(type: number): ClassInfo {
    const info = this.classes[type];
    if (info === null || info === undefined) throw new TypeError(`type ${this.names[type] ?? type} is not a class`);
    return info;
  }

  private builtin(id: number, kind: number, flags: number, basicSizeBytes: number, weaklistOffset: number, name: string): void {
    this.kind[id] = kind;
    this.flags[id] = flags;
    this.gc[id] = flags & F_GC ? 1 : 0;
    this.presizeWords[id] = flags & F_GC ? 4 : 0;
    this.weaklistOffset[id] = weaklistOffset;
    this.basicSizeBytes[id] = basicSizeBytes;
    this.names[id] = name;
    this.known[id] = 1;
    this.classes[id] = null;
  }
}
