/**
 * The object space of one simulated process: allocation of objects in the
 * simulated heap, reference counting, deallocation, and what the garbage
 * collector needs to know about each type. The types' own rules are in
 * types/*.ts; the public "Python in TypeScript" API is api.ts.
 *
 * Allocation follows CPython's entry points:
 *   objectMalloc(n)     PyObject_Malloc / PyMem_Malloc (one pymalloc instance)
 *   gcNew(type, n)      gc_alloc: PyObject_Malloc(presize + n), _PyObject_GC_Link
 *                       (counts towards generation 0 and may collect, before
 *                       the new object is initialised or tracked)
 *   gcDel(h)            PyObject_GC_Del: untrack, count0 -= 1, free
 *
 * Deallocation runs as in CPython: decref to zero calls the type's dealloc at
 * once, which decrefs what the object held (depth first, in CPython's order)
 * and frees the blocks. Container deallocs go through the trashcan
 * (Py_TRASHCAN_BEGIN, _PyTrash_UNWIND_LEVEL 50): past 50 nested deallocs an
 * object is deposited on a chain and destroyed when the nesting unwinds, so a
 * deep structure is freed without deep recursion, in CPython's order.
 */
import { PyheapError } from '../errors.js';
import {
  type CollectionReport,
  Collector,
  type GcCosts,
  type GcInfo,
  type GcObjectModel,
  TRAVERSE_ARRAY,
  TRAVERSE_INLINE,
  TRAVERSE_VALUES,
} from '../gc/collector.js';
import { annexTables } from '../gc/wasm-passes.js';
import type { Heap } from '../heap/allocator.js';
import type { CopyOnWrite } from '../heap/copy-on-write.js';
import * as builtinResults from './builtin-results.js';
import * as header from './header.js';
import * as staticArea from './static-area.js';
import { type ClassSpec, TypeTable } from './type-table.js';
import * as typeTable from './type-table.js';
import * as buffer from './types/buffer.js';
import * as bytes from './types/bytes.js';
import * as dict from './types/dict.js';
import * as float from './types/float.js';
import * as frame from './types/frame.js';
import * as fn from './types/function.js';
import * as generator from './types/generator.js';
import * as instance from './types/instance.js';
import * as int from './types/int.js';
import * as list from './types/list.js';
import * as module from './types/module.js';
import * as resource from './types/resource.js';
import * as set from './types/set.js';
import * as str from './types/str.js';
import * as tuple from './types/tuple.js';
import * as weakref from './types/weakref.js';
import type { ObjectVersion } from './version.js';
import * as kernelModule from './wasm-kernel.js';
import { CONST_KEY_SET_WORDS, instantiateKernel, KERNEL_MAX_DISPLAY, kernelAnnex, MAX_CONST_KEY_SETS, type ObjectKernel } from './wasm-kernel.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { GC_HEAD_WORDS, GC_NEXT, MANAGED_VALUES, OB_REFCNT, OB_TYPE } = header;
const { COUNTER_ALLOCATIONS: ALLOCATIONS, COUNTER_DEALLOCATIONS: DEALLOCATIONS, HOOK_ALLOCATOR, HOOK_TOUCH } = kernelModule;
const { GC_STATE_OFFSET, IDENTIFIER_WORDS, IDENTIFIERS, IMMORTAL_REFCNT, MAX_IDENTIFIERS, NSMALLNEGINTS, NSMALLPOSINTS, STATIC_AREA_WORDS, STATIC_BYTE_CHARS, STATIC_EMPTY_BYTES, STATIC_EMPTY_KEYS, STATIC_EMPTY_STR, STATIC_EMPTY_TUPLE, STATIC_FALSE, STATIC_LATIN1, STATIC_NONE, STATIC_OBJECT_WORDS, STATIC_SMALL_INTS, STATIC_TRUE, TRASH_DELETE_LATER, TRASH_NESTING, TRASH_UNWIND_LEVEL } = staticArea;
const { F_FINALIZE, F_GC, F_HAS_DICT, F_MANAGED_DICT, K_BUFFER, K_BYTES, K_CELL, K_DICT, K_FLOAT, K_FRAME, K_FUNCTION, K_GENERATOR, K_INSTANCE, K_INT, K_LIST, K_MODULE, K_RESOURCE, K_SET, K_SLOTS, K_STATIC, K_STR, K_TUPLE, K_WEAKREF, T_BOOL, T_BYTES, T_DICT, T_INT, T_LIST, T_NONE, T_STR, T_TUPLE } = typeTable;

/** The longest Uint8Array V8 allows: strings and bytes are read through one view of the whole heap. */
const MAX_BYTE_VIEW_BYTES = 2 ** 32;

/** How many recently used identifiers identifier() remembers in front of its Map. */
const RECENT_NAMES = 8;


export interface ObjectSpaceOptions {
  /** The CPython version whose objects these are (version.ts). */
  version: ObjectVersion;
  gcCosts: GcCosts;
  /** Called after every collection (metrics, events). */
  onCollection?: (report: CollectionReport) => void;
}

/** Allocation accounting hooks (tracemalloc-like tracing); null when off. */
export interface AllocationTracer {
  onAlloc(p: number, bytes: number): void;
  onFree(p: number): void;
  /** An object taken from a free list: its block now belongs to the current traceback. */
  onNewReference(p: number): void;
}

export class ObjectSpace implements GcObjectModel {
  readonly heap: Heap;
  readonly mem: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly types: TypeTable;
  readonly gc: Collector;
  /** The version's table, and the figures of it the hot paths read, copied (version.ts). */
  readonly version: ObjectVersion;
  readonly frameObjects: boolean;
  readonly keysHeaderBytes: number;
  /** Dicts as 3.8/3.9 make them (dictobject.c before 3.10: no str-only entries, split tables that only append; dict.ts). */
  readonly legacyDicts: boolean;
  readonly listGrowth: number;
  readonly mediumIntBytes: number;
  readonly tupleFreeListMaxLength: number;
  /** Code objects: frame sizes and zombie frames (3.8/3.9, frame.ts). */
  readonly codes = new frame.CodeTable();
  /** Word address of the interpreter state area (static-area.ts). */
  readonly staticBase: number;
  readonly None: number;
  readonly True: number;
  readonly False: number;
  readonly emptyTuple: number;
  readonly emptyStr: number;
  readonly emptyBytes: number;
  readonly emptyKeys: number;
  /** Referents written by `referents()` (GcObjectModel). */
  scratch = new Int32Array(1024);
  /** GcObjectModel.gcTypes: by type id, 1 for GC types. */
  readonly gcTypes: Uint8Array;
  /**
   * GcObjectModel's traversal table: tuples and lists, whose tp_traverse is
   * a plain run of items, and instances with inline values (setClassKeys).
   * Like gcTypes, views of the heap's annex, where the collector's compiled
   * passes read them.
   */
  readonly traverseKinds: Uint8Array;
  readonly traverseCountOffsets: Int8Array;
  readonly traverseStartOffsets: Int8Array;
  readonly traverseCountWords: Int32Array;
  readonly tupleType = T_TUPLE;
  readonly dictType = T_DICT;
  lastVisited = 0;
  private tracing: AllocationTracer | null = null;
  /** Pages still shared with the master this process was forked from, or null. */
  private cow: CopyOnWrite | null = null;
  /** The object layer's compiled paths (wasm-kernel.ts), over the heap's memory. */
  readonly kernel: ObjectKernel;
  /** allocations_total and deallocations_total, in the annex where the kernel counts too. */
  private readonly counters: Float64Array;
  /** The kernel's HOOKS word: what it reports back (tracing, copy-on-write). */
  private readonly hooks: Int32Array;
  /** The annex's sets of dict display keys (wasm-kernel.ts CONST_KEY_SETS), and how many are taken. */
  private readonly constKeySets: Int32Array;
  private constKeySetsUsed = 0;
  /** ResourceWarnings: files and sockets finalized while still open. */
  resourceWarnings = 0;
  private readonly identifiers = new Map<string, number>();
  /** The identifiers asked for last, round robin (identifier()). */
  private readonly recentNames: string[] = new Array<string>(RECENT_NAMES).fill('');
  private readonly recentIdentifiers = new Int32Array(RECENT_NAMES);
  private recentNext = 0;
  /** JS behaviours attached to simulated function objects (weakref callbacks, handlers). */
  readonly callables: (((...args: number[]) => void) | undefined)[] = [undefined];

  constructor(heap: Heap, options: ObjectSpaceOptions) {
    const layout = heap.layout;
    if (layout.interpreterStateWords < STATIC_AREA_WORDS) {
      throw new RangeError(`the heap reserves ${layout.interpreterStateWords} interpreter words; the object model needs ${STATIC_AREA_WORDS}`);
    }
    // The collector's compiled passes work on the heap in its WebAssembly memory (allocator.ts).
    if (heap.buffer.byteLength > MAX_BYTE_VIEW_BYTES || heap.wasmMemory === null) {
      throw new RangeError(
        `the object model needs a heap of at most 4 GiB less 64 KiB (arena + raw capacity); this one has ${heap.layout.totalBytes} bytes`,
      );
    }
    this.heap = heap;
    const version = options.version;
    this.version = version;
    this.frameObjects = version.frameObjects;
    this.keysHeaderBytes = version.keysHeaderBytes;
    this.legacyDicts = !version.unicodeEntries;
    this.listGrowth = version.listGrowth;
    this.mediumIntBytes = version.mediumIntBytes;
    this.tupleFreeListMaxLength = version.tupleFreeListMaxLength;
    this.mem = heap.mem;
    this.f64 = new Float64Array(heap.buffer);
    this.u8 = new Uint8Array(heap.buffer);
    this.u16 = new Uint16Array(heap.buffer);
    const b = layout.interpreterStateBase;
    this.staticBase = b;
    this.None = b + STATIC_NONE;
    this.True = b + STATIC_TRUE;
    this.False = b + STATIC_FALSE;
    this.emptyTuple = b + STATIC_EMPTY_TUPLE;
    this.emptyStr = b + STATIC_EMPTY_STR;
    this.emptyBytes = b + STATIC_EMPTY_BYTES;
    this.emptyKeys = b + STATIC_EMPTY_KEYS;
    const tables = annexTables(heap.buffer, layout.totalBytes);
    const annex = kernelAnnex(heap.buffer, layout.totalBytes);
    // A heap is reused by the next process (Heap.reset leaves the annex): the tables and counters start afresh.
    for (const table of [...Object.values(tables), ...Object.values(annex)]) table.fill(0);
    this.counters = annex.counters;
    this.hooks = annex.hooks;
    this.constKeySets = annex.constKeySets;
    this.types = new TypeTable(
      { gc: tables.gcTypes, kind: annex.kinds, flags: annex.flags, weaklistOffset: annex.weaklistOffsets, cachedKeys: annex.cachedKeys, known: annex.known },
      version,
    );
    this.gcTypes = tables.gcTypes;
    this.traverseKinds = tables.traverseKinds;
    this.traverseCountOffsets = tables.traverseCountOffsets;
    this.traverseStartOffsets = tables.traverseStartOffsets;
    this.traverseCountWords = tables.traverseCountWords;
    this.traverseKinds[T_TUPLE] = TRAVERSE_INLINE;
    this.traverseCountOffsets[T_TUPLE] = tuple.SIZE;
    this.traverseStartOffsets[T_TUPLE] = tuple.ITEMS;
    this.traverseKinds[T_LIST] = TRAVERSE_ARRAY;
    this.traverseCountOffsets[T_LIST] = list.SIZE;
    this.traverseStartOffsets[T_LIST] = list.ITEMS;
    this.initStaticObjects();
    this.gc = new Collector(this.mem, this.f64, b + GC_STATE_OFFSET, this, options.gcCosts, heap.wasmMemory, layout.totalBytes);
    if (options.onCollection) this.gc.onCollection = options.onCollection;
    this.gc.resurrectionKeepsAll = version.resurrectionKeepsAll;
    this.kernel = instantiateKernel(
      heap.wasmMemory,
      {
        usedpools: layout.usedpoolsBase,
        alignShift: heap.profile.alignmentShift,
        smallThreshold: heap.profile.smallRequestThreshold,
        poolMask: ~(heap.constants.poolSizeBytes / 4 - 1),
        arenaRegion: layout.arenaRegion,
        rawRegion: layout.rawRegion,
        annex: layout.totalBytes,
        static: b,
        gc: b + GC_STATE_OFFSET,
        tupleFreeMax: version.tupleFreeListMaxLength,
        emptyKeys: this.emptyKeys,
        legacyDicts: this.legacyDicts ? 1 : 0,
        keysHeaderBytes: version.keysHeaderBytes,
        // The API's handle check (api.ts isLive): past the static area's start, below the heap's last word.
        handleStart: b,
        handleSpan: this.mem.length - 1 - b,
      },
      {
        mallocSlow: (nbytes) => this.objectMalloc(nbytes),
        callocSlow: (nelem, elsize) => this.objectCalloc(nelem, elsize),
        freeSlow: (p) => this.objectFree(p),
        newReferenceHook: (h) => this.tracing?.onNewReference(h - this.types.presizeWords[this.mem[h + OB_TYPE]]),
        touch: (h) => this.cow?.touch(h),
        collectDue: () => this.gc.collectDue(),
        deallocKind: (h) => this.deallocKind(h),
        trashDestroyChain: () => this.trashDestroyChain(),
      },
    );
    this.setHooks();
  }

  /** tracemalloc's tracer while it traces, or null. */
  get tracer(): AllocationTracer | null {
    return this.tracing;
  }

  set tracer(tracer: AllocationTracer | null) {
    this.tracing = tracer;
    this.setHooks();
  }

  /** Objects allocated and deallocated (allocations_total / deallocations_total). */
  get allocations(): number {
    return this.counters[ALLOCATIONS];
  }

  set allocations(n: number) {
    this.counters[ALLOCATIONS] = n;
  }

  get deallocations(): number {
    return this.counters[DEALLOCATIONS];
  }

  set deallocations(n: number) {
    this.counters[DEALLOCATIONS] = n;
  }

  private setHooks(): void {
    this.hooks[0] = (this.tracing !== null || this.heap.watchesCalls ? HOOK_ALLOCATOR : 0) | (this.cow !== null ? HOOK_TOUCH : 0);
  }

  // ------------------------------------------------------------------ static objects

  private initStaticObjects(): void {
    const m = this.mem;
    const b = this.staticBase;
    const immortal = (h: number, type: number): void => {
      m[h + OB_REFCNT] = IMMORTAL_REFCNT;
      m[h + OB_TYPE] = type;
    };
    immortal(this.None, T_NONE);
    immortal(this.True, T_BOOL);
    this.f64[(this.True + 2) >> 1] = 1;
    immortal(this.False, T_BOOL);
    immortal(this.emptyTuple, T_TUPLE);
    m[this.emptyTuple + tuple.SIZE] = 0;
    immortal(this.emptyStr, T_STR);
    str.initStatic(this, this.emptyStr, -1);
    immortal(this.emptyBytes, T_BYTES);
    bytes.initStatic(this, this.emptyBytes, -1);
    dict.initEmptyKeys(this, this.emptyKeys);
    for (let v = -NSMALLNEGINTS; v < NSMALLPOSINTS; v++) {
      const h = b + STATIC_SMALL_INTS + (v + NSMALLNEGINTS) * STATIC_OBJECT_WORDS;
      immortal(h, T_INT);
      int.initValue(this, h, v);
    }
    for (let c = 0; c < 256; c++) {
      const h = b + STATIC_LATIN1 + c * STATIC_OBJECT_WORDS;
      immortal(h, T_STR);
      str.initStatic(this, h, c);
      const bh = b + STATIC_BYTE_CHARS + c * STATIC_OBJECT_WORDS;
      immortal(bh, T_BYTES);
      bytes.initStatic(this, bh, c);
    }
  }

  /**
   * A class (type_new): with a `__dict__`, its ht_cached_keys, the shared keys
   * of its instances' attributes (_PyDict_NewKeysForClass).
   */
  defineClass(spec: ClassSpec): number {
    const type = this.types.defineClass(spec);
    const flags = this.types.flags[type];
    if ((flags & F_MANAGED_DICT) !== 0) this.setClassKeys(type, dict.newKeysForClass(this));
    else if ((flags & F_HAS_DICT) !== 0) this.types.cachedKeys[type] = dict.newKeysForClass(this);
    return type;
  }

  /** A managed-dict class's ht_cached_keys (3.11); its instances' values are then walked by the collector itself. */
  setClassKeys(type: number, keys: number): void {
    this.types.cachedKeys[type] = keys;
    this.traverseKinds[type] = TRAVERSE_VALUES;
    this.traverseStartOffsets[type] = MANAGED_VALUES;
    this.traverseCountWords[type] = dict.entriesCountWord(keys);
  }

  /** The cached small int object (-5..256), or 0. */
  smallInt(value: number): number {
    if (value < -NSMALLNEGINTS || value >= NSMALLPOSINTS || !Number.isInteger(value)) return 0;
    return this.staticBase + STATIC_SMALL_INTS + (value + NSMALLNEGINTS) * STATIC_OBJECT_WORDS;
  }

  latin1Char(code: number): number {
    return this.staticBase + STATIC_LATIN1 + code * STATIC_OBJECT_WORDS;
  }

  byteChar(code: number): number {
    return this.staticBase + STATIC_BYTE_CHARS + code * STATIC_OBJECT_WORDS;
  }

  /**
   * An identifier string (an attribute or global name, `__name__`...): the
   * interned str CPython gets from a code object's names or its static
   * strings, never allocated at run time. Kept in the static area; names too
   * long for a slot are interned in the heap once and kept for good.
   */
  identifier(name: string): number {
    // The few names a handler uses over and over hit here before the Map:
    // comparing an interned string is cheaper than hashing into a Map.
    const recent = this.recentNames;
    for (let i = 0; i < RECENT_NAMES; i++) if (recent[i] === name) return this.recentIdentifiers[i];
    let known = this.identifiers.get(name);
    if (known === undefined) known = this.newIdentifier(name);
    const slot = this.recentNext;
    this.recentNext = (slot + 1) % RECENT_NAMES;
    recent[slot] = name;
    this.recentIdentifiers[slot] = known;
    return known;
  }

  private newIdentifier(name: string): number {
    let h: number;
    let ascii = true;
    for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii && name.length <= (IDENTIFIER_WORDS - 5) * 4 - 1 && this.identifiers.size < MAX_IDENTIFIERS) {
      h = this.staticBase + IDENTIFIERS + this.identifiers.size * IDENTIFIER_WORDS;
      this.mem[h + OB_REFCNT] = IMMORTAL_REFCNT;
      this.mem[h + OB_TYPE] = T_STR;
      str.initIdentifier(this, h, name);
    } else {
      h = str.intern(this, str.fromText(this, name));
      this.mem[h + OB_REFCNT] += IMMORTAL_REFCNT;
    }
    this.identifiers.set(name, h);
    return h;
  }

  /** Static objects live outside the heap's pymalloc and raw regions. */
  isStatic(h: number): boolean {
    return h >= this.staticBase && h < this.staticBase + STATIC_AREA_WORDS;
  }

  // ------------------------------------------------------------------ allocation

  /** PyObject_Malloc / PyMem_Malloc. */
  objectMalloc(nbytes: number): number {
    const p = this.heap.malloc(nbytes);
    if (this.tracing !== null) this.tracing.onAlloc(p, nbytes);
    return p;
  }

  /** PyObject_Calloc / PyMem_Calloc. */
  objectCalloc(nelem: number, elsize: number): number {
    const p = this.heap.calloc(nelem, elsize);
    if (this.tracing !== null) this.tracing.onAlloc(p, nelem * elsize);
    return p;
  }

  /** PyObject_Realloc / PyMem_Realloc. */
  objectRealloc(p: number, nbytes: number): number {
    if (this.tracing !== null && p !== 0) this.tracing.onFree(p);
    const q = this.heap.realloc(p, nbytes);
    if (this.tracing !== null) this.tracing.onAlloc(q, nbytes);
    return q;
  }

  /** PyObject_Free / PyMem_Free. */
  objectFree(p: number): void {
    if (p === 0) return;
    if (this.tracing !== null) this.tracing.onFree(p);
    this.heap.free(p);
  }

  /**
   * _Py_NewReference of an object taken from a free list: refcount 1, counted
   * as an allocation, and, while tracing, its block re-attributed to the
   * current traceback (_PyTraceMalloc_NewReference, Modules/_tracemalloc.c).
   */
  newReference(h: number): void {
    this.mem[h + OB_REFCNT] = 1;
    this.counters[ALLOCATIONS]++;
    if (this.tracing !== null) this.tracing.onNewReference(h - this.types.presizeWords[this.mem[h + OB_TYPE]]);
  }

  /** A non-GC object of `nbytes` (PyObject_Malloc + _PyObject_Init), refcount 1. */
  newObject(type: number, nbytes: number): number {
    const h = this.objectMalloc(nbytes);
    this.mem[h + OB_REFCNT] = 1;
    this.mem[h + OB_TYPE] = type;
    this.counters[ALLOCATIONS]++;
    return h;
  }

  /**
   * A GC object of tp_basicsize `nbytes` (gc_alloc): PyObject_Malloc(presize + nbytes) --
   * the GC head, and the managed-dict pre-header for instances -- link into the
   * generation-0 count -- which may run a collection now, before the new
   * object is initialised or tracked -- then the header; refcount 1, untracked.
   */
  gcNew(type: number, nbytes: number): number {
    // The header is written before the link: a collection the link triggers
    // walks only tracked objects, but a finalizer it runs may inspect the heap.
    return this.kernel.gcNew(type, nbytes, this.types.presizeWords[type]);
  }

  /**
   * A GC object that lives only inside a C call (a frame object, a traceback):
   * allocated and counted in generation 0 like any (gc_alloc), never tracked,
   * freed by freeGcLinkedBlock before the call returns.
   */
  gcLinkedBlock(nbytes: number): number {
    const p = this.objectMalloc(nbytes);
    this.counters[ALLOCATIONS]++;
    this.gc.link();
    return p;
  }

  freeGcLinkedBlock(p: number): void {
    this.counters[DEALLOCATIONS]++;
    this.gc.unlink();
    this.objectFree(p);
  }

  /**
   * PyObject_GC_Del: untrack if tracked, count0 -= 1, free the block (pre-header included).
   * The type word is cleared first, here and in `del`: pymalloc and glibc
   * overwrite only a dead block's first words (free-list links), which leave
   * its refcount word non-zero, so the API could not tell a freed object by
   * its refcount alone.
   */
  gcDel(h: number): void {
    this.gc.untrack(h);
    this.gc.unlink();
    const p = h - this.types.presizeWords[this.mem[h + OB_TYPE]];
    this.mem[h + OB_TYPE] = 0;
    this.objectFree(p);
  }

  /** PyObject_Free of a non-GC object. */
  del(h: number): void {
    this.mem[h + OB_TYPE] = 0;
    this.objectFree(h);
  }

  // ------------------------------------------------------------------ reference counting

  /**
   * Py_CLEAR of n references stored in consecutive words from `start`, first
   * to last: each slot zeroed before its reference is dropped (a dealloc it
   * triggers may look at the holder). Instance slots, a frame's locals.
   */
  clearReferences(start: number, n: number): void {
    const m = this.mem;
    for (let i = start; i < start + n; i++) {
      const v = m[i];
      if (v !== 0) {
        m[i] = 0;
        this.decref(v);
      }
    }
  }

  incref(h: number): void {
    this.mem[h]++;
    if (this.cow !== null) this.cow.touch(h);
  }

  /**
   * A set in the annex holding n (at most KERNEL_MAX_DISPLAY) identifier keys
   * and their hashes, which the kernel's dictFromConstKeys reads: its byte
   * address, or 0 once every set is taken.
   */
  constKeySet(handles: Int32Array, hashes: Int32Array, n: number): number {
    if (this.constKeySetsUsed === MAX_CONST_KEY_SETS) return 0;
    const base = this.constKeySetsUsed++ * CONST_KEY_SET_WORDS;
    const sets = this.constKeySets;
    for (let i = 0; i < n; i++) {
      sets[base + i] = handles[i];
      sets[base + KERNEL_MAX_DISPLAY + i] = hashes[i];
    }
    return sets.byteOffset + 4 * base;
  }

  decref(h: number): void {
    if (this.cow !== null) this.cow.touch(h);
    if (--this.mem[h] === 0) this.dealloc(h);
  }

  xdecref(h: number): void {
    if (h === 0) return;
    if (this.cow !== null) this.cow.touch(h);
    if (--this.mem[h] === 0) this.dealloc(h);
  }

  /**
   * After a fork from a preloaded master: reference count changes and the
   * collector's GC-header writes make shared pages private (copy-on-write).
   */
  setCopyOnWrite(cow: CopyOnWrite | null): void {
    this.cow = cow;
    this.setHooks();
    this.gc.cow = cow;
  }

  typeOf(h: number): number {
    return this.mem[h + OB_TYPE];
  }

  kindOf(h: number): number {
    return this.types.kind[this.mem[h + OB_TYPE]];
  }

  /** tp_dealloc of the object's type (its refcount reached zero). */
  dealloc(h: number): void {
    const kind = this.kindOf(h);
    // Tuples, lists, dicts and 3.11's instances go to the kernel (it counts
    // them, and hands back the instances it does not free itself); the rest,
    // 3.8/3.9's instances among them, is here.
    if (kind === K_TUPLE || kind === K_LIST || kind === K_DICT || (kind === K_INSTANCE && this.version.inlineValues)) return this.kernel.dealloc(h);
    this.counters[DEALLOCATIONS]++;
    this.deallocKind(h);
  }

  /**
   * tp_dealloc of the kinds the kernel leaves to JavaScript, uncounted. The
   * kinds most objects are of first; deallocOther has the rest. A short
   * switch is a small function, into which V8 inlines these deallocs.
   */
  private deallocKind(h: number): void {
    switch (this.kindOf(h)) {
      case K_INT:
        return int.dealloc(this, h);
      case K_STR:
        return str.dealloc(this, h);
      case K_INSTANCE:
      case K_SLOTS:
        return instance.dealloc(this, h);
      default:
        return this.deallocOther(h);
    }
  }

  private deallocOther(h: number): void {
    switch (this.kindOf(h)) {
      case K_FLOAT:
        return float.dealloc(this, h);
      case K_BYTES:
        return bytes.dealloc(this, h);
      case K_SET:
        return set.dealloc(this, h);
      case K_FUNCTION:
        return fn.deallocFunction(this, h);
      case K_CELL:
        return fn.deallocCell(this, h);
      case K_GENERATOR:
        return generator.dealloc(this, h);
      case K_MODULE:
        return module.dealloc(this, h);
      case K_WEAKREF:
        return weakref.dealloc(this, h);
      case K_BUFFER:
        return buffer.dealloc(this, h);
      case K_RESOURCE:
        return resource.dealloc(this, h);
      case K_FRAME:
        return frame.dealloc(this, h);
      case K_STATIC:
        throw new PyheapError('PYHEAP_E_HEAP_POINTER', `the static object at ${h} was deallocated: its refcount went wrong`);
      default:
        throw new PyheapError('PYHEAP_E_HEAP_POINTER', `object ${h} has no known type (${this.mem[h + OB_TYPE]}): not a live object`);
    }
  }

  /**
   * Py_TRASHCAN_BEGIN: true to go on with the deallocation now; false when
   * the nesting is too deep and the object was deposited for later.
   */
  trashBegin(h: number): boolean {
    const m = this.mem;
    const nesting = this.staticBase + TRASH_NESTING;
    if (m[nesting] >= TRASH_UNWIND_LEVEL) {
      this.trashDeposit(h);
      return false;
    }
    m[nesting]++;
    return true;
  }

  /**
   * One trashcan level entered without the deposit check: a call's frame
   * released as the call returns (frame.returned; Py_TRASHCAN_SAFE_BEGIN in
   * frame_dealloc). pyheap releases such a frame at once even 50 levels deep,
   * where CPython would defer it: a call's locals are the API's, not in the
   * frame's block. Py_TRASHCAN_END (trashEnd) closes it.
   */
  trashEnter(): void {
    this.mem[this.staticBase + TRASH_NESTING]++;
  }

  /** Py_TRASHCAN_END: at the outermost level, destroy what was deposited. */
  trashEnd(): void {
    const m = this.mem;
    const b = this.staticBase;
    const nesting = --m[b + TRASH_NESTING];
    if (m[b + TRASH_DELETE_LATER] !== 0 && nesting <= 0) this.trashDestroyChain();
  }

  // The trashcan's rare paths, apart: every container dealloc inlines
  // trashBegin and trashEnd, which stay small.

  /** _PyTrash_thread_deposit_object: chained through _gc_prev. */
  private trashDeposit(h: number): void {
    const m = this.mem;
    const b = this.staticBase;
    m[h - GC_HEAD_WORDS + 1] = m[b + TRASH_DELETE_LATER];
    m[b + TRASH_DELETE_LATER] = h;
  }

  /** _PyTrash_thread_destroy_chain */
  private trashDestroyChain(): void {
    const m = this.mem;
    const b = this.staticBase;
    m[b + TRASH_NESTING]++;
    while (m[b + TRASH_DELETE_LATER] !== 0) {
      const op = m[b + TRASH_DELETE_LATER];
      m[b + TRASH_DELETE_LATER] = m[op - GC_HEAD_WORDS + 1];
      this.deallocDeferred(op);
    }
    m[b + TRASH_NESTING]--;
  }

  /** Calls a deposited object's dealloc again (its refcount is already zero). */
  private deallocDeferred(h: number): void {
    switch (this.kindOf(h)) {
      case K_TUPLE:
        return this.kernel.tupleDealloc(h);
      case K_LIST:
        return this.kernel.listDealloc(h);
      case K_DICT:
        return this.kernel.dictDealloc(h);
      case K_SET:
        return set.dealloc(this, h);
      case K_INSTANCE:
      case K_SLOTS:
        return instance.dealloc(this, h);
      case K_FRAME:
        return frame.dealloc(this, h);
      default:
        throw new Error(`a ${this.types.names[this.typeOf(h)]} was deposited on the trashcan, which only containers use`);
    }
  }

  // ------------------------------------------------------------------ what the collector needs

  track(h: number): void {
    this.gc.track(h);
  }

  untrack(h: number): void {
    this.gc.untrack(h);
  }

  isTracked(h: number): boolean {
    return this.mem[h - GC_HEAD_WORDS + GC_NEXT] !== 0;
  }

  /**
   * _PyObject_GC_MAY_BE_TRACKED: a GC object, except a tuple that is not
   * tracked (an untracked dict still may become tracked).
   */
  mayBeTracked(h: number): boolean {
    if (h === 0) return false;
    const type = this.mem[h + OB_TYPE];
    if (this.types.gc[type] === 0) return false;
    if (type === T_TUPLE) return this.isTracked(h);
    return true;
  }

  isGcObject(h: number): boolean {
    return (this.types.flags[this.mem[h + OB_TYPE]] & F_GC) !== 0;
  }

  /** Grows the scratch buffer of referents to hold at least n handles. */
  ensureScratch(n: number): Int32Array {
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, this.scratch.length * 2));
    return this.scratch;
  }

  /**
   * Appends h to the scratch list unless it is NULL; returns the new count.
   * Every referent goes in, GC object or not: the collector tells them apart
   * as it visits each (gcTypes), so it reads a referent's header and GC head
   * together, once.
   */
  pushReferent(count: number, h: number): number {
    this.lastVisited++;
    if (h === 0) return count;
    this.scratch[count] = h;
    return count + 1;
  }

  /**
   * pushReferent for `n` references `stride` words apart from `start` (an
   * items array, a tuple's items, a values array; a negative stride walks
   * back from the last): one loop, no call per reference. The scratch list
   * must have room.
   */
  pushReferents(count: number, start: number, n: number, stride: number): number {
    this.lastVisited += n;
    const m = this.mem;
    const scratch = this.scratch;
    for (let i = 0, p = start; i < n; i++, p += stride) {
      const x = m[p];
      if (x !== 0) scratch[count++] = x;
    }
    return count;
  }

  /** gc.get_referents: every object tp_traverse visits, GC objects or not. */
  allReferents(h: number): number[] {
    const n = this.referents(h);
    return Array.from(this.scratch.subarray(0, n));
  }

  referents(h: number): number {
    this.lastVisited = 0;
    switch (this.kindOf(h)) {
      case K_TUPLE:
        return tuple.traverse(this, h);
      case K_LIST:
        return list.traverse(this, h);
      case K_DICT:
        return dict.traverse(this, h);
      case K_SET:
        return set.traverse(this, h);
      case K_INSTANCE:
      case K_SLOTS:
        return instance.traverse(this, h);
      case K_FUNCTION:
        return fn.traverseFunction(this, h);
      case K_CELL:
        return fn.traverseCell(this, h);
      case K_GENERATOR:
        return generator.traverse(this, h);
      case K_MODULE:
        return module.traverse(this, h);
      case K_WEAKREF:
        return weakref.traverse(this, h);
      case K_FRAME:
        return frame.traverse(this, h);
      default:
        return 0;
    }
  }

  hasFinalizer(h: number): boolean {
    return (this.types.flags[this.mem[h + OB_TYPE]] & F_FINALIZE) !== 0;
  }

  finalize(h: number): void {
    switch (this.kindOf(h)) {
      case K_INSTANCE:
      case K_SLOTS:
        return instance.finalize(this, h);
      case K_RESOURCE:
        return resource.finalize(this, h);
      case K_GENERATOR:
        return generator.finalize(this, h);
      default:
        return;
    }
  }

  clear(h: number): boolean {
    switch (this.kindOf(h)) {
      case K_LIST:
        list.clear(this, h);
        return true;
      case K_DICT:
        dict.clear(this, h);
        return true;
      case K_SET:
        set.clear(this, h);
        return true;
      case K_INSTANCE:
      case K_SLOTS:
        instance.clear(this, h);
        return true;
      case K_FUNCTION:
        fn.clearFunction(this, h);
        return true;
      case K_CELL:
        fn.clearCell(this, h);
        return true;
      case K_MODULE:
        module.clear(this, h);
        return true;
      case K_WEAKREF:
        weakref.clearRef(this, h);
        return true;
      case K_FRAME:
        frame.clear(this, h);
        return true;
      default:
        return false;
    }
  }

  maybeUntrackTuple(h: number): void {
    if (this.mem[h + OB_TYPE] === T_TUPLE) tuple.maybeUntrack(this, h);
  }

  maybeUntrackDict(h: number): void {
    if (this.mem[h + OB_TYPE] === T_DICT) dict.maybeUntrack(this, h);
  }

  callbackInfo(info: GcInfo): number {
    return builtinResults.intDict(this, [
      ['generation', info.generation],
      ['collected', info.collected],
      ['uncollectable', info.uncollectable],
    ]);
  }

  callbackArgs(phase: 'start' | 'stop'): number {
    return builtinResults.callbackPhase(this, phase);
  }

  handleWeakrefs(unreachableHead: number, oldHead: number, oldTag: number): number {
    return weakref.handleWeakrefs(this, unreachableHead, oldHead, oldTag);
  }

  /** clear_freelists (full collections): frames (3.8/3.9), tuples, floats, lists, dicts go back to pymalloc. */
  clearFreeLists(): void {
    if (this.frameObjects) frame.clearFreeList(this);
    tuple.clearFreeList(this);
    float.clearFreeList(this);
    list.clearFreeList(this);
    dict.clearFreeList(this);
  }

  /** Calls a simulated function object: runs the behaviour attached to it, if any. */
  callFunction(f: number, ...args: number[]): void {
    this.callables[this.mem[f + fn.BEHAVIOUR]]?.(...args);
  }

  // ------------------------------------------------------------------ hashing and equality

  /** hash() of a key: str and bytes by content, numbers by value, others by identity. */
  hash(h: number): number {
    switch (this.kindOf(h)) {
      case K_STR:
        return str.hash(this, h);
      case K_BYTES:
        return bytes.hash(this, h);
      case K_INT:
        return int.hash(this, h);
      case K_FLOAT:
        return float.hash(this, h);
      case K_TUPLE:
        return tuple.hash(this, h);
      case K_STATIC:
        return this.typeOf(h) === T_BOOL ? this.f64[(h + 2) >> 1] : h >>> 4;
      default:
        return h >>> 4;
    }
  }

  /** ==, for keys: value equality for str, bytes, numbers and tuples; identity otherwise. */
  equals(a: number, b: number): boolean {
    if (a === b) return true;
    const ka = this.kindOf(a);
    const kb = this.kindOf(b);
    if (ka === K_STR) return kb === K_STR && str.equals(this, a, b);
    if (ka === K_BYTES) return kb === K_BYTES && bytes.equals(this, a, b);
    if (ka === K_TUPLE) return kb === K_TUPLE && tuple.equals(this, a, b);
    const na = this.numericValue(a);
    const nb = this.numericValue(b);
    return na !== null && na === nb;
  }

  /** The value of an int, float or bool, else null. */
  numericValue(h: number): number | null {
    const kind = this.kindOf(h);
    if (kind === K_INT || kind === K_FLOAT) return this.f64[(h + 2) >> 1];
    if (this.typeOf(h) === T_BOOL) return this.f64[(h + 2) >> 1];
    return null;
  }

  isStr(h: number): boolean {
    return this.mem[h + OB_TYPE] === T_STR;
  }

  isDict(h: number): boolean {
    return this.mem[h + OB_TYPE] === T_DICT;
  }

  typeName(h: number): string {
    return this.types.names[this.mem[h + OB_TYPE]] ?? `<type ${this.mem[h + OB_TYPE]}>`;
  }
}
