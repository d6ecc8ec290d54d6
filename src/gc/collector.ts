/**
 * ★ Start here: CPython 3.11's generational cyclic garbage collector
 * (Modules/gcmodule.c), over the GC heads of simulated objects in the heap.
 *
 * Every container object (a type with Py_TPFLAGS_HAVE_GC) that is *tracked*
 * sits in one of the generation lists: gen0 (new), gen1, gen2 (old), or the
 * permanent generation (gc.freeze()). The collector never sees untracked
 * objects (dicts are created untracked and tracked when they may hold a
 * container; tuples are untracked by collections when they hold none).
 *
 *   allocation of a GC object (gc_alloc → _PyObject_GC_Link)
 *     count0 += 1; if count0 > threshold0 and enabled and not collecting:
 *       collect_generations: the oldest i with count_i > threshold_i,
 *       except gen2 while long_lived_pending < long_lived_total / 4
 *   deallocation (PyObject_GC_Del): count0 -= 1 if positive
 *
 *   collect(gen)  (gc_collect_main)
 *     count_{gen+1} += 1; counts 0..gen = 0; merge younger lists into gen
 *     deduce_unreachable: gc_refs = refcount; subtract references from inside
 *       the generation (these two in one walk here: subtractRefs); move
 *       gc_refs == 0 objects to `unreachable`, moving back those reachable
 *       from survivors
 *     untrack tuples; survivors move to the next generation (full: untrack dicts)
 *     clear weakrefs to the unreachable and call their callbacks
 *     finalize (tp_finalize, once per object), then deduce again: objects the
 *       finalizers resurrected move to the older generation
 *     delete_garbage: tp_clear on each unreachable object, breaking the cycles;
 *       refcounts fall to zero and ordinary deallocation frees the memory
 *     full collection: clear the free lists
 *
 * The order of every list operation is CPython's, so objects are cleared and
 * freed in the same order and the pymalloc state after a collection is the same.
 *
 * One addition to CPython's GC head: a generation tag in the flags word
 * (gc-head.ts), kept by track/untrack, by every move between generation lists
 * (survivors, objects that outlive being found unreachable, weakrefs whose
 * callbacks ran, freeze/unfreeze). It lets update_refs and subtract_refs be
 * one walk; the figures they produce are CPython's.
 * Invariant: outside a collection no object is marked collecting (every path
 * out of a collection clears the mark), so the walk can tell "not reached
 * yet" from "reached".
 *
 * The two walks that take most of a collection's time (subtractRefs,
 * moveUnreachable) run compiled to WebAssembly over the heap's memory
 * (wasm-passes.ts); the rest is here.
 *
 * The object model (src/objects) supplies what is per type through
 * GcObjectModel: an object's referents, tp_clear, tp_finalize, weakref
 * handling, tuple/dict untracking, the free lists. Glossary: gcHead (g) =
 * PyGC_Head* = handle - 4; gen heads = GEN_HEAD(gcstate, i).
 *
 * 3.8 and 3.9 collect the same way, with one difference: a finalizer that
 * resurrects an object keeps the whole unreachable set alive in 3.8
 * (check_garbage), only what it reaches from 3.9 on (resurrectionKeepsAll).
 *
 * Not modelled: legacy finalizers (tp_del, only some C types), DEBUG_* flags,
 * gc.garbage (always empty without tp_del), and the eval-breaker scheduling of
 * 3.12+ (3.11 collects synchronously inside the allocation).
 */
import type { CopyOnWrite } from '../heap/copy-on-write.js';
import * as gcHead from './gc-head.js';
import { gcListAppend, gcListInit, gcListIsEmpty, gcListMerge, gcListMove, gcListRemove, gcListSize } from './gc-list.js';
import * as gcState from './gc-state.js';
import { TRAVERSE_SETTLED } from './traverse-kinds.js';
import { ANNEX_OFFSETS, type GcPasses, instantiatePasses } from './wasm-passes.js';

// V8 compiles a module's own constants into its code, but an imported or
// exported binding is loaded, and checked for initialisation, at every use:
// module-local copies keep the collector's loops lean.
const { GC_COLLECTING, GC_FINALIZED, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT, GC_PREV, GC_REFS, GC_UNREACHABLE, OB_REFCNT, OB_TYPE, genTag } = gcHead;
/** The GC_FLAGS generation tag of generation 0 (gc-head.ts). */
const GEN0_TAG = genTag(0);
const {
  COLLECTING,
  COUNTS,
  DEFAULT_THRESHOLDS,
  ENABLED,
  F64_PAUSE_MAX_NS,
  F64_PAUSE_TOTAL_NS,
  FINAL_UNREACHABLE_HEAD,
  FINALIZERS_HEAD,
  genHead,
  LONG_LIVED_PENDING,
  LONG_LIVED_TOTAL,
  NUM_GENERATIONS,
  PERMANENT_HEAD,
  SEEN_HEAD,
  STAT_COLLECTED,
  STAT_COLLECTIONS,
  STAT_UNCOLLECTABLE,
  THRESHOLDS,
  UNREACHABLE_HEAD,
} = gcState;

/** What the collector needs to know about objects, supplied by the object model. */
export interface GcObjectModel {
  /**
   * tp_traverse: writes the handles of h's referents (every non-NULL one, GC
   * objects or not) into `scratch` and returns how many; `lastVisited` is set
   * to the number of references visited, for the pause-time model.
   */
  referents(h: number): number;
  readonly scratch: Int32Array;
  /**
   * By type id (an object's OB_TYPE word), non-zero for the types with a GC
   * head (_PyObject_IS_GC). This table and the traverse tables below are
   * views of the collector's memory from its annex byte on (annexTables in
   * wasm-passes.ts), where the compiled passes read them.
   */
  readonly gcTypes: Uint8Array;
  /**
   * By type id, how the collector may walk an object's references itself
   * (TRAVERSE_*), with the word offsets from the handle of the reference
   * count and of the first reference (or of the array's address). It must
   * visit what referents() would, in the same order; it saves a call and a
   * copy per object on the collector's hottest loops. The collector adds
   * TRAVERSE_SETTLED to the exact tuple's and dict's kinds.
   */
  readonly traverseKinds: Uint8Array;
  readonly traverseCountOffsets: Int8Array;
  readonly traverseStartOffsets: Int8Array;
  /** For TRAVERSE_VALUES: the word address of the count. */
  readonly traverseCountWords: Int32Array;
  readonly lastVisited: number;
  /** tp_finalize exists for this object's type. */
  hasFinalizer(h: number): boolean;
  finalize(h: number): void;
  /** tp_clear; returns false if the type has none. */
  clear(h: number): boolean;
  incref(h: number): void;
  decref(h: number): void;
  /** _PyTuple_MaybeUntrack, if h is an exact tuple. */
  maybeUntrackTuple(h: number): void;
  /** _PyDict_MaybeUntrack, if h is an exact dict. */
  maybeUntrackDict(h: number): void;
  /** The type ids of exact tuples and dicts, the objects a collection may untrack. */
  readonly tupleType: number;
  readonly dictType: number;
  /**
   * handle_weakrefs: clear weakrefs to the unreachable, call callbacks; returns
   * weakrefs freed. A weakref it moves to `oldHead` gets generation tag `oldTag` (gc-head.ts).
   */
  handleWeakrefs(unreachableHead: number, oldHead: number, oldTag: number): number;
  /** clear_freelists. */
  clearFreeLists(): void;
  /** invoke_gc_callback's info dict (Py_BuildValue("{sisnsn}")), a new reference. */
  callbackInfo(info: GcInfo): number;
  /** The new objects one callback call passes (PyObject_CallFunction(cb, "sO", phase, info)), a new reference. */
  callbackArgs(phase: 'start' | 'stop'): number;
}

export { TRAVERSE_ARRAY, TRAVERSE_CALL, TRAVERSE_INLINE, TRAVERSE_KIND_MASK, TRAVERSE_SETTLED, TRAVERSE_VALUES } from './traverse-kinds.js';

/** The modelled CPU cost of a collection (gc pause), calibrated against CPython. */
export interface GcCosts {
  /** Fixed cost of one collection, ns. */
  collectionNs: number;
  /** Per object examined (update_refs, subtract_refs, move_unreachable), ns. */
  perObjectNs: number;
  /** Per reference visited by tp_traverse, ns. */
  perReferenceNs: number;
}

export interface GcInfo {
  generation: number;
  collected: number;
  uncollectable: number;
}

export type GcCallback = (phase: 'start' | 'stop', info: GcInfo) => void;

export interface GenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

/** What a finished collection reports to observers (events, pause metrics). */
export interface CollectionReport extends GcInfo {
  /** Objects examined (the generation being collected, younger ones merged in). */
  examined: number;
  pauseNs: number;
}

/**
 * visit_decref (Modules/gcmodule.c) for one referent x (0: a NULL slot), in
 * the fused update_refs/subtract_refs walk (Collector.subtractRefs), for the
 * objects whose tp_traverse the kernel asks back for.
 */
function visitDecrefTagged(m: Int32Array, gcTypes: Uint8Array, x: number, maxTag: number): void {
  if (x === 0 || gcTypes[m[x + OB_TYPE]] === 0) return;
  const r = x - GC_HEAD_WORDS;
  const flags = m[r + GC_FLAGS];
  if ((flags & GC_COLLECTING) !== 0) {
    m[r + GC_REFS]--;
    return;
  }
  const tag = flags & GC_GEN_MASK;
  if (tag !== 0 && tag <= maxTag) {
    m[r + GC_REFS] = -1;
    m[r + GC_FLAGS] = flags | GC_COLLECTING;
  }
}

/** Sets the generation tag of every object on a list (gc.freeze, gc.unfreeze). */
function setGenTags(m: Int32Array, head: number, tag: number): void {
  for (let g = m[head + GC_NEXT]; g !== head; g = m[g + GC_NEXT]) m[g + GC_FLAGS] = (m[g + GC_FLAGS] & ~GC_GEN_MASK) | tag;
}

/**
 * visit_reachable (Modules/gcmodule.c) for one referent x (0: a NULL slot) of
 * an object move_unreachable has found reachable, whose tp_traverse the kernel
 * asks back for: an object of the
 * generation tentatively moved to `unreachable` goes back to the end of
 * `base`, to be scanned in turn; one not yet scanned is marked reachable.
 */
function visitReachable(m: Int32Array, gcTypes: Uint8Array, x: number, base: number): void {
  if (x === 0 || gcTypes[m[x + OB_TYPE]] === 0) return;
  const r = x - GC_HEAD_WORDS;
  const flags = m[r + GC_FLAGS];
  if ((flags & GC_COLLECTING) === 0) return;
  if ((flags & GC_UNREACHABLE) !== 0) {
    const rprev = m[r + GC_PREV];
    const rnext = m[r + GC_NEXT];
    m[rprev + GC_NEXT] = rnext;
    m[rnext + GC_PREV] = rprev;
    m[r + GC_FLAGS] = flags & ~GC_UNREACHABLE;
    gcListAppend(m, r, base);
    m[r + GC_REFS] = 1;
  } else if (m[r + GC_REFS] === 0) {
    m[r + GC_REFS] = 1;
  }
}

export class Collector {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly base: number;
  private readonly model: GcObjectModel;
  private readonly costs: GcCosts;
  /** gc.callbacks */
  readonly callbacks: GcCallback[] = [];
  /** Pages still shared with the master after a fork (copy-on-write), or null. */
  cow: CopyOnWrite | null = null;
  /** Observers of every collection (metrics; not part of CPython's API). */
  onCollection: ((report: CollectionReport) => void) | null = null;
  /**
   * CPython 3.8's check_garbage: when a finalizer resurrected any object the
   * collection found unreachable, all of them survive it (to the older
   * generation), collected or not; from 3.9 on handle_resurrected_objects
   * keeps only what the resurrected objects reach. Set by the object model.
   */
  resurrectionKeepsAll = false;
  private visited = 0;
  /** The dicts moveUnreachable settled, for untrack_dicts (full collections). */
  private settledDicts = new Int32Array(1024);
  private settled = 0;
  /** The two hot passes, compiled (wasm-passes.ts), over the heap's memory. */
  private readonly passes: GcPasses;
  /** Byte address of the memory's annex, where the kernel reads the model's type tables (annexTables). */
  private readonly tables: number;
  /** The passes' result in the annex: references visited (wasm-passes.ts). */
  private readonly results: Int32Array;

  /**
   * `memory` is the heap's (its buffer is m's); the kernel's type tables and
   * results take ANNEX_BYTES_USED from byte `annexByte` on, past the simulated heap.
   */
  constructor(m: Int32Array, f64: Float64Array, base: number, model: GcObjectModel, costs: GcCosts, memory: WebAssembly.Memory, annexByte: number) {
    this.m = m;
    this.f64 = f64;
    this.base = base;
    this.model = model;
    this.costs = costs;
    this.tables = annexByte;
    this.results = new Int32Array(memory.buffer, annexByte + ANNEX_OFFSETS.VISITED_OUT, 1);
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      gcListInit(m, genHead(base, i));
      m[base + THRESHOLDS + i] = DEFAULT_THRESHOLDS[i];
    }
    gcListInit(m, base + PERMANENT_HEAD);
    m[base + ENABLED] = 1;
    model.traverseKinds[model.tupleType] |= TRAVERSE_SETTLED;
    model.traverseKinds[model.dictType] |= TRAVERSE_SETTLED;
    const gcTypes = model.gcTypes;
    this.passes = instantiatePasses(memory, {
      subtractOther: (h, maxTag) => {
        const count = model.referents(h);
        const refs = model.scratch;
        for (let i = 0; i < count; i++) visitDecrefTagged(m, gcTypes, refs[i], maxTag);
        return model.lastVisited;
      },
      reachableOther: (h, base) => {
        const count = model.referents(h);
        const refs = model.scratch;
        for (let i = 0; i < count; i++) visitReachable(m, gcTypes, refs[i], base);
        return model.lastVisited;
      },
      maybeUntrackTuple: (h) => model.maybeUntrackTuple(h),
      settleDict: (h) => {
        if (this.settled === this.settledDicts.length) {
          const grown = new Int32Array(this.settled * 2);
          grown.set(this.settledDicts);
          this.settledDicts = grown;
        }
        this.settledDicts[this.settled++] = h;
      },
    });
  }

  // ------------------------------------------------------------------ allocation hooks

  /** _PyObject_GC_Link: a GC object was just allocated (not from a free list). */
  link(): void {
    const m = this.m;
    const b = this.base;
    const count = ++m[b + COUNTS];
    if (count > m[b + THRESHOLDS] && m[b + ENABLED] !== 0 && m[b + THRESHOLDS] !== 0 && m[b + COLLECTING] === 0) this.collectDue();
  }

  /**
   * Generation 0 went over its threshold with the collector enabled and idle
   * (link's test; the object kernel makes it too, wasm-kernel.ts gcNew):
   * collect_generations.
   */
  collectDue(): void {
    const m = this.m;
    const b = this.base;
    m[b + COLLECTING] = 1;
    try {
      this.collectGenerations();
    } finally {
      m[b + COLLECTING] = 0;
    }
  }

  /** PyObject_GC_Del's part: generations[0].count -= 1 when positive. */
  unlink(): void {
    if (this.m[this.base + COUNTS] > 0) this.m[this.base + COUNTS]--;
  }

  /** _PyObject_GC_TRACK: append to generation 0. */
  track(h: number): void {
    const g = h - GC_HEAD_WORDS;
    gcListAppend(this.m, g, genHead(this.base, 0));
    this.m[g + GC_FLAGS] = (this.m[g + GC_FLAGS] & ~GC_GEN_MASK) | GEN0_TAG;
  }

  /** _PyObject_GC_UNTRACK: unlinked; of its flags only "finalized" survives (the generation tag is 0). */
  untrack(h: number): void {
    const g = h - GC_HEAD_WORDS;
    if (this.m[g + GC_NEXT] !== 0) {
      gcListRemove(this.m, g);
      this.m[g + GC_FLAGS] &= GC_FINALIZED;
    }
  }

  isTracked(h: number): boolean {
    return this.m[h - GC_HEAD_WORDS + GC_NEXT] !== 0;
  }

  // ------------------------------------------------------------------ the gc module

  /** gc.collect(generation): returns collected + uncollectable; 0 if a collection is running. */
  collect(generation = NUM_GENERATIONS - 1): number {
    if (!Number.isInteger(generation) || generation < 0 || generation >= NUM_GENERATIONS) {
      throw new RangeError('invalid generation');
    }
    const m = this.m;
    if (m[this.base + COLLECTING] !== 0) return 0;
    m[this.base + COLLECTING] = 1;
    try {
      return this.collectWithCallback(generation);
    } finally {
      m[this.base + COLLECTING] = 0;
    }
  }

  enable(): void {
    this.m[this.base + ENABLED] = 1;
  }

  disable(): void {
    this.m[this.base + ENABLED] = 0;
  }

  isEnabled(): boolean {
    return this.m[this.base + ENABLED] !== 0;
  }

  get isCollecting(): boolean {
    return this.m[this.base + COLLECTING] !== 0;
  }

  getCount(): [number, number, number] {
    const m = this.m;
    const b = this.base + COUNTS;
    return [m[b], m[b + 1], m[b + 2]];
  }

  getThreshold(): [number, number, number] {
    const m = this.m;
    const b = this.base + THRESHOLDS;
    return [m[b], m[b + 1], m[b + 2]];
  }

  /** gc.set_threshold(threshold0[, threshold1[, threshold2]]). */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const values = [threshold0, threshold1, threshold2];
    values.forEach((value, i) => {
      if (value === undefined) return;
      if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`threshold${i} must be a non-negative integer`);
      this.m[this.base + THRESHOLDS + i] = value;
    });
  }

  getStats(): GenerationStats[] {
    const m = this.m;
    const b = this.base;
    return [0, 1, 2].map((i) => ({
      collections: m[b + STAT_COLLECTIONS + i],
      collected: m[b + STAT_COLLECTED + i],
      uncollectable: m[b + STAT_UNCOLLECTABLE + i],
    }));
  }

  /** gc.freeze(): every tracked object moves to the permanent generation; counts reset. */
  freeze(): void {
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      // The permanent generation's objects carry tag 0: no collection examines them.
      setGenTags(this.m, genHead(this.base, i), 0);
      gcListMerge(this.m, genHead(this.base, i), this.base + PERMANENT_HEAD);
      this.m[this.base + COUNTS + i] = 0;
    }
  }

  /** gc.unfreeze(): the permanent generation goes back into the oldest. */
  unfreeze(): void {
    setGenTags(this.m, this.base + PERMANENT_HEAD, genTag(NUM_GENERATIONS - 1));
    gcListMerge(this.m, this.base + PERMANENT_HEAD, genHead(this.base, NUM_GENERATIONS - 1));
  }

  getFreezeCount(): number {
    return gcListSize(this.m, this.base + PERMANENT_HEAD);
  }

  /** gc.get_objects(generation): tracked objects, or those of one generation. */
  getObjects(generation?: number): number[] {
    const heads =
      generation === undefined ? [0, 1, 2].map((i) => genHead(this.base, i)) : [genHead(this.base, generation)];
    const out: number[] = [];
    for (const head of heads) {
      for (let g = this.m[head + GC_NEXT]; g !== head; g = this.m[g + GC_NEXT]) out.push(g + GC_HEAD_WORDS);
    }
    return out;
  }

  /** Objects of every generation and the permanent one (for referrer searches). */
  allTracked(): number[] {
    const out = this.getObjects();
    const head = this.base + PERMANENT_HEAD;
    for (let g = this.m[head + GC_NEXT]; g !== head; g = this.m[g + GC_NEXT]) out.push(g + GC_HEAD_WORDS);
    return out;
  }

  /** Modelled pause time of all collections so far, and of the longest, ns. */
  pauseTotals(): { totalNs: number; maxNs: number } {
    const f = (this.base >> 1) as number;
    return { totalNs: this.f64[f + F64_PAUSE_TOTAL_NS / 2], maxNs: this.f64[f + F64_PAUSE_MAX_NS / 2] };
  }

  // ------------------------------------------------------------------ collection

  /** gc_collect_generations */
  private collectGenerations(): number {
    const m = this.m;
    const b = this.base;
    for (let i = NUM_GENERATIONS - 1; i >= 0; i--) {
      if (m[b + COUNTS + i] > m[b + THRESHOLDS + i]) {
        if (i === NUM_GENERATIONS - 1 && m[b + LONG_LIVED_PENDING] < Math.trunc(m[b + LONG_LIVED_TOTAL] / 4)) continue;
        return this.collectWithCallback(i);
      }
    }
    return 0;
  }

  /** gc_collect_with_callback */
  private collectWithCallback(generation: number): number {
    this.invokeCallbacks('start', { generation, collected: 0, uncollectable: 0 });
    const result = this.collectMain(generation);
    this.invokeCallbacks('stop', { generation, collected: result.collected, uncollectable: result.uncollectable });
    this.onCollection?.(result);
    return result.collected + result.uncollectable;
  }

  /** invoke_gc_callback: the info dict is built once, the phase string once per callback. */
  private invokeCallbacks(phase: 'start' | 'stop', info: GcInfo): void {
    if (this.callbacks.length === 0) return;
    const model = this.model;
    const infoObject = model.callbackInfo(info);
    for (const callback of [...this.callbacks]) {
      const args = model.callbackArgs(phase);
      try {
        callback(phase, { ...info });
      } finally {
        model.decref(args);
      }
    }
    model.decref(infoObject);
  }

  /** gc_collect_main: read this to understand how a collection proceeds. */
  private collectMain(generation: number): CollectionReport {
    const m = this.m;
    const b = this.base;
    const model = this.model;
    if (generation + 1 < NUM_GENERATIONS) m[b + COUNTS + generation + 1] += 1;
    for (let i = 0; i <= generation; i++) m[b + COUNTS + i] = 0;
    for (let i = 0; i < generation; i++) gcListMerge(m, genHead(b, i), genHead(b, generation));
    const young = genHead(b, generation);
    const old = generation < NUM_GENERATIONS - 1 ? genHead(b, generation + 1) : young;

    const unreachable = b + UNREACHABLE_HEAD;
    this.visited = 0;
    // untrack_tuples, untrack_dicts and gc_list_size(young) are done inside
    // move_unreachable: see moveUnreachable.
    const full = young === old;
    // Survivors, and objects that survive being found unreachable, end on old's list.
    const oldTag = genTag(full ? generation : generation + 1);
    const examined = this.subtractRefs(young, genTag(generation));
    this.moveUnreachable(young, unreachable, true, full, oldTag);

    if (!full) {
      // gc_list_size(young), walked only when it counts, as CPython does
      if (generation === NUM_GENERATIONS - 2) m[b + LONG_LIVED_PENDING] += gcListSize(m, young);
      gcListMerge(m, young, old);
    } else {
      m[b + LONG_LIVED_PENDING] = 0;
      m[b + LONG_LIVED_TOTAL] = gcListSize(m, young);
    }

    // move_legacy_finalizers: no simulated type has tp_del; this pass only
    // clears the NEXT_MASK_UNREACHABLE marks.
    const finalizers = b + FINALIZERS_HEAD;
    gcListInit(m, finalizers);
    for (let g = m[unreachable + GC_NEXT]; g !== unreachable; g = m[g + GC_NEXT]) m[g + GC_FLAGS] &= ~GC_UNREACHABLE;

    let collected = model.handleWeakrefs(unreachable, old, oldTag);
    this.finalizeGarbage(unreachable);

    if (this.resurrectionKeepsAll) {
      collected += this.checkGarbage(unreachable, old, oldTag);
    } else {
      collected += this.handleResurrectedObjects(unreachable, old, oldTag);
    }

    if (generation === NUM_GENERATIONS - 1) model.clearFreeLists();

    m[b + STAT_COLLECTIONS + generation]++;
    m[b + STAT_COLLECTED + generation] += collected;
    const pauseNs = this.costs.collectionNs + this.costs.perObjectNs * examined + this.costs.perReferenceNs * this.visited;
    const f = b >> 1;
    this.f64[f + F64_PAUSE_TOTAL_NS / 2] += pauseNs;
    if (pauseNs > this.f64[f + F64_PAUSE_MAX_NS / 2]) this.f64[f + F64_PAUSE_MAX_NS / 2] = pauseNs;
    return { generation, collected, uncollectable: 0, examined, pauseNs };
  }

  /**
   * handle_resurrected_objects (3.9+), then delete_garbage: what a finalizer
   * made reachable again, and what that reaches, moves to `old`; the rest is
   * cleared. Returns how many objects were deleted.
   */
  private handleResurrectedObjects(unreachable: number, old: number, oldTag: number): number {
    const m = this.m;
    const b = this.base;
    for (let g = m[unreachable + GC_NEXT]; g !== unreachable; g = m[g + GC_NEXT]) m[g + GC_FLAGS] &= ~GC_COLLECTING;
    const finalUnreachable = b + FINAL_UNREACHABLE_HEAD;
    this.updateRefs(unreachable);
    this.subtractRefs(unreachable, 0);
    this.moveUnreachable(unreachable, finalUnreachable, false, false, oldTag);
    for (let g = m[finalUnreachable + GC_NEXT]; g !== finalUnreachable; g = m[g + GC_NEXT]) m[g + GC_FLAGS] &= ~GC_UNREACHABLE;
    gcListMerge(m, unreachable, old);

    const deleted = gcListSize(m, finalUnreachable);
    this.deleteGarbage(finalUnreachable, old, oldTag);
    return deleted;
  }

  /**
   * check_garbage (3.8), then delete_garbage: gc_refs recomputed within the
   * unreachable set; if any object is referred to from outside it now, the
   * whole set moves to `old` and nothing is deleted. Returns how many
   * objects were deleted.
   */
  private checkGarbage(unreachable: number, old: number, oldTag: number): number {
    const m = this.m;
    this.updateRefs(unreachable);
    this.subtractRefs(unreachable, 0);
    let resurrected = false;
    for (let g = m[unreachable + GC_NEXT]; g !== unreachable; g = m[g + GC_NEXT]) {
      if (m[g + GC_REFS] !== 0) resurrected = true;
      m[g + GC_FLAGS] &= ~GC_COLLECTING;
    }
    if (resurrected) {
      setGenTags(m, unreachable, oldTag);
      gcListMerge(m, unreachable, old);
      return 0;
    }
    const deleted = gcListSize(m, unreachable);
    this.deleteGarbage(unreachable, old, oldTag);
    return deleted;
  }

  /**
   * update_refs and subtract_refs in one walk of `base` (the first half of
   * deduce_unreachable, Modules/gcmodule.c), for the generations being
   * collected: each object gets gc_refs += ob_refcnt and marks itself
   * collecting, and each reference to an object of these generations takes
   * one from the referent's gc_refs -- which, when the referent's turn has not
   * come yet, starts it at -1 and marks it, its generation tag telling that
   * it is one of them (`maxTag`: the tag of the oldest generation collected).
   * The sums are CPython's, as the decrements commute (so a run of references
   * is walked first to last whatever order tp_traverse visits it in); the walk
   * is one pass over the objects fewer than CPython's two. The walk runs in
   * the compiled kernel (wasm-passes.ts), which visits the references of
   * lists, tuples and instances itself and asks back (subtractOther) for the
   * other types' tp_traverse.
   *
   * With `maxTag` 0, after updateRefs: subtract_refs alone, the objects
   * marked collecting being the set (handle_resurrected_objects, where the
   * generation tags no longer tell the set apart). Returns how many objects
   * `base` holds.
   */
  private subtractRefs(base: number, maxTag: number): number {
    const m = this.m;
    // Writing every examined object's GC header makes its page private after a fork.
    const cow = this.cow;
    if (cow !== null && maxTag !== 0) for (let g = m[base + GC_NEXT]; g !== base; g = m[g + GC_NEXT]) cow.touch(g);
    const examined = this.passes.subtractRefs(base, maxTag, this.tables);
    this.visited += this.results[0];
    return examined;
  }

  /**
   * update_refs: gc_refs = ob_refcnt, and mark as collecting; returns how
   * many. For the objects found unreachable, whose generation tags no
   * longer tell them apart (handle_resurrected_objects).
   */
  private updateRefs(base: number): number {
    const m = this.m;
    let n = 0;
    // Writing every examined object's GC header makes its page private after a fork.
    const cow = this.cow;
    if (cow !== null) for (let g = m[base + GC_NEXT]; g !== base; g = m[g + GC_NEXT]) cow.touch(g);
    for (let g = m[base + GC_NEXT]; g !== base; g = m[g + GC_NEXT]) {
      m[g + GC_REFS] = m[g + GC_HEAD_WORDS + OB_REFCNT];
      m[g + GC_FLAGS] |= GC_COLLECTING;
      n++;
    }
    return n;
  }

  /**
   * move_unreachable: objects with gc_refs 0 move to `unreachable`
   * tentatively; what a reachable object refers to is reachable
   * (visit_reachable). The walk runs in the compiled kernel, as subtractRefs'
   * does.
   *
   * With `untrackTuples`, each reachable tuple is offered to
   * _PyTuple_MaybeUntrack as soon as it is settled, which does untrack_tuples'
   * own pass on the way: objects are settled in their final order, so every
   * tuple sees the tuples before it already untracked, or not, and those
   * after it still tracked, exactly as that pass would show them. With
   * `untrackDicts` (full collections), the settled dicts are offered to
   * _PyDict_MaybeUntrack afterwards, in the same order, which is untrack_dicts'
   * pass: it runs after every tuple has been seen, and what it decides for a
   * dict depends on tuples only.
   */
  private moveUnreachable(base: number, unreachable: number, untrackTuples: boolean, untrackDicts: boolean, survivorTag: number): void {
    const model = this.model;
    this.settled = 0;
    this.passes.moveUnreachable(base, unreachable, +untrackTuples, +untrackDicts, survivorTag, model.tupleType, model.dictType, this.tables);
    this.visited += this.results[0];
    const settled = this.settledDicts;
    for (let i = 0; i < this.settled; i++) model.maybeUntrackDict(settled[i]);
  }

  /** finalize_garbage: tp_finalize once per object, each moved to `seen` first. */
  private finalizeGarbage(collectable: number): void {
    const m = this.m;
    const seen = this.base + SEEN_HEAD;
    gcListInit(m, seen);
    while (!gcListIsEmpty(m, collectable)) {
      const g = m[collectable + GC_NEXT];
      const h = g + GC_HEAD_WORDS;
      gcListMove(m, g, seen);
      if ((m[g + GC_FLAGS] & GC_FINALIZED) === 0 && this.model.hasFinalizer(h)) {
        m[g + GC_FLAGS] |= GC_FINALIZED;
        this.model.incref(h);
        this.model.finalize(h);
        this.model.decref(h);
      }
    }
    gcListMerge(m, seen, collectable);
  }

  /** delete_garbage: tp_clear each; an object that survives its clear moves to `old`. */
  private deleteGarbage(collectable: number, old: number, oldTag: number): void {
    const m = this.m;
    while (!gcListIsEmpty(m, collectable)) {
      const g = m[collectable + GC_NEXT];
      const h = g + GC_HEAD_WORDS;
      this.model.incref(h);
      this.model.clear(h);
      this.model.decref(h);
      if (m[collectable + GC_NEXT] === g) {
        m[g + GC_FLAGS] = (m[g + GC_FLAGS] & ~(GC_COLLECTING | GC_GEN_MASK)) | oldTag;
        gcListMove(m, g, old);
      }
    }
  }
}
