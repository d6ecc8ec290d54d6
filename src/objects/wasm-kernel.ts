/**
 * The object layer's hottest paths in WebAssembly, over the heap's own memory
 * (a shared WebAssembly.Memory whose buffer is the heap's SharedArrayBuffer),
 * as the collector's passes are (src/gc/wasm-passes.ts), and for the same
 * reason: V8 guards every typed-array access with an overflow check, a bounds
 * check and a reload of the array's base, where a WebAssembly load is one
 * instruction (the bounds are guard pages).
 *
 * What is here, each the CPython function its comment names:
 *   malloc / free         pymalloc_alloc / pymalloc_free, the fast path: a block
 *                         from (to) a pool that stays used. Everything else --
 *                         a new pool, a pool that fills or empties, the raw
 *                         allocator -- is the heap's (allocator.ts), called back.
 *   gcNew                 gc_alloc: the block, the GC head, the header, the
 *                         generation-0 count (which may run a collection: the
 *                         collector is called back).
 *   track / untrack       _PyObject_GC_TRACK / _PyObject_GC_UNTRACK.
 *   dealloc               tp_dealloc by kind: tuples, lists, dicts and 3.11
 *                         instances with neither __del__ nor weak references
 *                         here; the rest in JavaScript (ObjectSpace.deallocKind,
 *                         instance.ts dealloc), called back.
 *   tupleAlloc/New        tuple_alloc, _PyTuple_FromArraySteal (up to 8 items).
 *   listAlloc/New         PyList_New's object, _PyList_FromArraySteal (up to 8 items).
 *   dictFromConstKeys     BUILD_CONST_KEY_MAP of up to 5 identifier keys (3.11).
 *   instanceNew           a prepared call `cls(a, b, ...)` of a 3.11 class whose
 *                         __init__ stores its arguments (Python.newWith).
 * Their JavaScript callers are the object model's; types/tuple.ts, list.ts,
 * dict.ts and instance.ts document the objects' layout and rules.
 *
 * Where JavaScript keeps a general version beside the kernel's -- the
 * allocator's fast path, gc_alloc's generation-0 count (Collector.link),
 * _Py_NewReference, track/untrack, an instance's dealloc and construction --
 * the two do the same, step for step. The oracle tests
 * (test/oracle) hold both to what CPython allocates and frees, in order;
 * test/unit/object-kernel.test.ts runs the same work with and without the
 * kernel's allocator fast path and compares the heaps byte for byte.
 *
 * Hooks: while tracemalloc traces or the process shares pages with its master
 * (copy-on-write), every allocation and free goes through the JavaScript
 * allocator (which reports them), a free-list object's new reference is
 * reported, and every reference count the kernel changes is reported as a
 * write. The annex's HOOKS word says which (ObjectSpace keeps it).
 *
 * Addresses: handles are word indices (word w is at byte 4w); offsets in
 * `offset=` are bytes.
 */
import { GC_FINALIZED, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT, GC_PREV, genTag } from '../gc/gc-head.js';
import { COLLECTING, COUNTS, ENABLED, GEN_HEADS, THRESHOLDS } from '../gc/gc-state.js';
import { ANNEX_OFFSETS, ANNEX_BYTES_USED as COLLECTOR_ANNEX_BYTES } from '../gc/wasm-passes.js';
import { POOL_FREEBLOCK, POOL_NEXTPOOL, POOL_REF_COUNT } from '../heap/layout.js';
import { CompiledModule } from '../wasm/compiled-module.js';
import { LAYOUT as DICT } from './types/dict.js';
import {
  DICT_FREE,
  DICT_MAXFREELIST,
  DICT_NUMFREE,
  KEYS_FREE,
  KEYS_NUMFREE,
  LIST_FREE,
  LIST_MAXFREELIST,
  LIST_NUMFREE,
  TRASH_DELETE_LATER,
  TRASH_NESTING,
  TRASH_UNWIND_LEVEL,
  TUPLE_FREE_HEADS,
  TUPLE_MAXFREELIST,
  TUPLE_NFREELISTS,
  TUPLE_NUMFREE,
} from './static-area.js';
import { MANAGED_DICT, MANAGED_VALUES } from './header.js';
import { F_FINALIZE, F_MANAGED_DICT, K_DICT, K_INSTANCE, K_LIST, K_TUPLE, MAX_TYPES, T_DICT, T_LIST, T_TUPLE } from './type-table.js';

/** The most items tupleNew and listNew take (their v0..v7). */
export const KERNEL_MAX_ITEMS = 8;

/** Item i of the first n, or 0 past them: a kernel call's unused item parameters. */
export function at(items: ArrayLike<number>, i: number, n: number): number {
  return i < n ? items[i] : 0;
}
/**
 * The most pairs dictFromConstKeys takes: USABLE_FRACTION(PyDict_MINSIZE),
 * what a fresh table holds (dict_new_presized leaves such displays to PyDict_New).
 */
export const KERNEL_MAX_DISPLAY = ((2 << DICT.LOG_MINSIZE) / 3) | 0;

/** The kernel's part of the annex, after the collector's: byte offsets from the annex's start. */
const KINDS = (COLLECTOR_ANNEX_BYTES + 7) & ~7;
/** The collector's table of GC types (Py_TPFLAGS_HAVE_GC), one byte per type. */
const GC_TYPES = ANNEX_OFFSETS.GC_TYPES;
const FLAGS = KINDS + MAX_TYPES;
const WEAKLIST = FLAGS + MAX_TYPES;
const CACHED_KEYS = WEAKLIST + MAX_TYPES;
const COUNTERS = CACHED_KEYS + 4 * MAX_TYPES;
/** allocations_total and deallocations_total, as doubles (they pass 2^31 in a long run). */
const ALLOCATIONS = COUNTERS;
const DEALLOCATIONS = COUNTERS + 8;
const HOOKS = COUNTERS + 16;
/** One byte per type id: non-zero for the types the object model defined (TypeTable.known). */
const KNOWN = HOOKS + 4;
/**
 * The constant keys of dict displays (api.ts ConstKeys), KERNEL_MAX_DISPLAY
 * identifier handles then their hashes per set, so that dictFromConstKeys
 * reads them rather than take them as parameters.
 */
const CONST_KEY_SETS = KNOWN + MAX_TYPES;
/** Words of one set; sets the annex holds (a display past them is built the general way). */
export const CONST_KEY_SET_WORDS = 2 * KERNEL_MAX_DISPLAY;
export const MAX_CONST_KEY_SETS = 1024;
export const KERNEL_ANNEX_END = CONST_KEY_SETS + 4 * CONST_KEY_SET_WORDS * MAX_CONST_KEY_SETS;

/** HOOKS bits. */
export const HOOK_ALLOCATOR = 1;
export const HOOK_TOUCH = 2;

// Word offsets as byte offsets. The tuple's and list's own words (types/tuple.ts, types/list.ts).
const REFCNT = 0;
const TYPE = 4;
const SIZE = 8;
const TUPLE_ITEMS = 12;
const LIST_ITEMS = 12;
const LIST_ALLOCATED = 16;
const TUPLE_BASIC_BYTES = 24;
const LIST_BASIC_BYTES = 40;
const GC_HEAD_BYTES = 4 * GC_HEAD_WORDS;
// A dict's and its keys object's words (types/dict.ts).
const MA_USED = 4 * DICT.MA_USED;
const MA_KEYS = 4 * DICT.MA_KEYS;
const MA_VALUES = 4 * DICT.MA_VALUES;
const DK_REFCNT = 4 * DICT.DK_REFCNT;
const DK_LOG2_SIZE = 4 * DICT.DK_LOG2_SIZE;
const DK_LOG2_INDEX_BYTES = 4 * DICT.DK_LOG2_INDEX_BYTES;
const DK_KIND = 4 * DICT.DK_KIND;
const DK_VERSION = 4 * DICT.DK_VERSION;
const DK_USABLE = 4 * DICT.DK_USABLE;
const DK_NENTRIES = 4 * DICT.DK_NENTRIES;
const DK_INDICES = 4 * DICT.DK_INDICES;
/** A PyDict_MINSIZE table: 8 one-byte index slots, then 5 (key, value) entries. */
const MINSIZE_SLOTS = 1 << DICT.LOG_MINSIZE;
const MINSIZE_USABLE = KERNEL_MAX_DISPLAY;
const MINSIZE_ENTRIES = DK_INDICES + MINSIZE_SLOTS;

const w = (x: string): string => `(i32.shl ${x} (i32.const 2))`;
const get = (name: string): string => `(local.get $${name})`;
const gcWord = (word: number): string => `offset=${4 * word} ${w('(global.get $gc)')}`;
const staticWord = (word: number): string => `offset=${4 * word} ${w('(global.get $static)')}`;
const hooks = `(i32.load offset=${HOOKS} (global.get $annex))`;

// V8 does not inline one WebAssembly function into another: the small steps
// below are written out where they are used (each use gets its own labels),
// and every function declares the scratch locals they use.
let labels = 0;
const label = (name: string): string => `$${name}${labels++}`;
const SCRATCH = ['ms', 'mh', 'mp', 'mn', 'fp', 'fc', 'fl', 'fn', 'ga', 'gh', 'ta', 'tl', 'dc', 'tn', 'bx', 'numfree'].map((name) => `(local $${name} i32)`).join(' ');

const counter = (offset: number): string =>
  `(f64.store offset=${offset} (global.get $annex) (f64.add (f64.load offset=${offset} (global.get $annex)) (f64.const 1)))`;
/** A reference count changed: reported while pages are shared (HOOK_TOUCH). */
const touch = (h: string): string => `(if (i32.and ${hooks} (i32.const ${HOOK_TOUCH})) (then (call $touch ${h})))`;
const incref = (h: string): string => `${touch(h)} (i32.store ${w(h)} (i32.add (i32.load ${w(h)}) (i32.const 1)))`;

/**
 * PyObject_Malloc into local `out`: pymalloc_alloc's fast path, the head
 * block of the front pool of usedpools[size class] when that pool keeps a
 * free block after it; else (pool_extend, a new pool, the raw allocator,
 * the hooks) the heap's.
 */
const malloc = (out: string, nbytes: string): string => {
  const done = label('mallocked');
  const slow = label('mallocSlow');
  return `(local.set $ms ${nbytes})
    (block ${done}
      (block ${slow}
        (br_if ${slow} ${hooks})
        (br_if ${slow} (i32.ge_u (i32.sub (local.get $ms) (i32.const 1)) (global.get $smallThreshold)))
        (local.set $mh (i32.add (global.get $usedpools)
          (i32.shl (i32.shr_u (i32.sub (local.get $ms) (i32.const 1)) (global.get $alignShift)) (i32.const 2))))
        (local.set $mp (i32.load offset=${4 * POOL_NEXTPOOL} ${w(get('mh'))}))
        (br_if ${slow} (i32.eq (local.get $mp) (local.get $mh)))
        (local.set $${out} (i32.load offset=${4 * POOL_FREEBLOCK} ${w(get('mp'))}))
        (local.set $mn (i32.load ${w(get(out))}))
        (br_if ${slow} (i32.eqz (local.get $mn)))
        (i32.store offset=${4 * POOL_FREEBLOCK} ${w(get('mp'))} (local.get $mn))
        (i32.store offset=${4 * POOL_REF_COUNT} ${w(get('mp'))}
          (i32.add (i32.load offset=${4 * POOL_REF_COUNT} ${w(get('mp'))}) (i32.const 1)))
        (br ${done}))
      (local.set $${out} (call $mallocSlow (local.get $ms))))`;
};

/**
 * PyObject_Free of `p` (not NULL): pymalloc_free's fast path, a block back to
 * a pool that stays used and on its usedpools list; else (insert_to_usedpool,
 * insert_to_freepool, the raw allocator, an error for a dead block, the
 * hooks) the heap's.
 */
const free = (p: string): string => {
  const done = label('freed');
  const slow = label('freeSlow');
  return `(local.set $fp ${p})
    (block ${done}
      (block ${slow}
        (br_if ${slow} ${hooks})
        (br_if ${slow} (i32.ge_u (i32.sub (local.get $fp) (global.get $arenaRegion))
                                 (i32.sub (global.get $rawRegion) (global.get $arenaRegion))))
        (local.set $fc (i32.and (local.get $fp) (global.get $poolMask)))
        (local.set $fn (i32.sub (i32.load offset=${4 * POOL_REF_COUNT} ${w(get('fc'))}) (i32.const 1)))
        (br_if ${slow} (i32.le_s (local.get $fn) (i32.const 0)))
        (local.set $fl (i32.load offset=${4 * POOL_FREEBLOCK} ${w(get('fc'))}))
        (br_if ${slow} (i32.eqz (local.get $fl)))
        (i32.store ${w(get('fp'))} (local.get $fl))
        (i32.store offset=${4 * POOL_FREEBLOCK} ${w(get('fc'))} (local.get $fp))
        (i32.store offset=${4 * POOL_REF_COUNT} ${w(get('fc'))} (local.get $fn))
        (br ${done}))
      (call $freeSlow (local.get $fp)))`;
};

/**
 * gc_alloc into local `out`: PyObject_Malloc(presize + nbytes), the GC head
 * (and a managed dict's pre-header) zeroed, the header (refcount 1), then
 * _PyObject_GC_Link's generation-0 count, which may run a collection before
 * the object is initialised or tracked.
 */
const gcNew = (out: string, type: string, nbytes: string, presizeWords: string): string => `
    ${malloc('ga', `(i32.add (i32.shl ${presizeWords} (i32.const 2)) ${nbytes})`)}
    (local.set $${out} (i32.add (local.get $ga) ${presizeWords}))
    (local.set $gh ${w(`(i32.sub (local.get $${out}) (i32.const ${GC_HEAD_WORDS}))`)})
    (i64.store (local.get $gh) (i64.const 0))
    (i64.store offset=8 (local.get $gh) (i64.const 0))
    (if (i32.eq ${presizeWords} (i32.const 8))
      (then
        (i32.store ${w(get('ga'))} (i32.const 0))
        (i32.store offset=8 ${w(get('ga'))} (i32.const 0))))
    (i32.store offset=${GC_HEAD_BYTES + REFCNT} (local.get $gh) (i32.const 1))
    (i32.store offset=${GC_HEAD_BYTES + TYPE} (local.get $gh) ${type})
    ${counter(ALLOCATIONS)}
    (local.set $ga (i32.add (i32.load ${gcWord(COUNTS)}) (i32.const 1)))
    (i32.store ${gcWord(COUNTS)} (local.get $ga))
    (if (i32.gt_s (local.get $ga) (i32.load ${gcWord(THRESHOLDS)}))
      (then
        (if (i32.and
              (i32.and (i32.ne (i32.load ${gcWord(ENABLED)}) (i32.const 0)) (i32.ne (i32.load ${gcWord(THRESHOLDS)}) (i32.const 0)))
              (i32.eqz (i32.load ${gcWord(COLLECTING)})))
          (then (call $collectDue)))))`;

/** _Py_NewReference of an object taken from a free list. */
const newReference = (h: string): string => `
    (i32.store ${w(h)} (i32.const 1))
    ${counter(ALLOCATIONS)}
    (if (i32.and ${hooks} (i32.const ${HOOK_ALLOCATOR})) (then (call $newReferenceHook ${h})))`;

/** _PyObject_GC_TRACK: appended to generation 0, tagged generation 0. */
const track = (h: string): string => `
    (local.set $ta (i32.sub ${h} (i32.const ${GC_HEAD_WORDS})))
    (local.set $tl (i32.load offset=${4 * (GEN_HEADS + GC_PREV)} ${w('(global.get $gc)')}))
    (i32.store offset=${4 * GC_NEXT} ${w(get('tl'))} (local.get $ta))
    (i32.store offset=${4 * GC_PREV} ${w(get('ta'))} (local.get $tl))
    (i32.store offset=${4 * GC_NEXT} ${w(get('ta'))} (i32.add (global.get $gc) (i32.const ${GEN_HEADS})))
    (i32.store offset=${4 * (GEN_HEADS + GC_PREV)} ${w('(global.get $gc)')} (local.get $ta))
    (i32.store offset=${4 * GC_FLAGS} ${w(get('ta'))}
      (i32.or (i32.and (i32.load offset=${4 * GC_FLAGS} ${w(get('ta'))}) (i32.const ${~GC_GEN_MASK})) (i32.const ${genTag(0)})))`;

/** _PyObject_GC_UNTRACK when tracked: unlinked (_gc_next 0); of the flags only "finalized" stays. */
const untrack = (h: string): string => `
    (local.set $ta ${w(`(i32.sub ${h} (i32.const ${GC_HEAD_WORDS}))`)})
    (local.set $tl (i32.load offset=${4 * GC_NEXT} (local.get $ta)))
    (if (local.get $tl)
      (then
        (local.set $tn (i32.load offset=${4 * GC_PREV} (local.get $ta)))
        (i32.store offset=${4 * GC_NEXT} ${w(get('tn'))} (local.get $tl))
        (i32.store offset=${4 * GC_PREV} ${w(get('tl'))} (local.get $tn))
        (i32.store offset=${4 * GC_NEXT} (local.get $ta) (i32.const 0))
        (i32.store offset=${4 * GC_FLAGS} (local.get $ta)
          (i32.and (i32.load offset=${4 * GC_FLAGS} (local.get $ta)) (i32.const ${GC_FINALIZED})))))`;

/**
 * PyObject_GC_Del of an untracked object with `presizeWords` before its header
 * (the GC head, and a 3.11 instance's pre-header): count0 -= 1 when
 * positive, the type word cleared (object-space.ts gcDel says why), freed.
 */
const gcDelUntracked = (h: string, presizeWords = GC_HEAD_WORDS): string => `
    (local.set $dc (i32.load ${gcWord(COUNTS)}))
    (if (i32.gt_s (local.get $dc) (i32.const 0)) (then (i32.store ${gcWord(COUNTS)} (i32.sub (local.get $dc) (i32.const 1)))))
    (i32.store offset=${TYPE} ${w(h)} (i32.const 0))
    ${free(`(i32.sub ${h} (i32.const ${presizeWords}))`)}`;

/**
 * Py_TRASHCAN_BEGIN: returns from the function when nested too deep, the
 * object deposited for later (_PyTrash_thread_deposit_object, chained
 * through _gc_prev).
 */
const trashBegin = (h: string): string => `
    (local.set $tn (i32.load ${staticWord(TRASH_NESTING)}))
    (if (i32.ge_s (local.get $tn) (i32.const ${TRASH_UNWIND_LEVEL}))
      (then
        (i32.store offset=${4 * GC_PREV} ${w(`(i32.sub ${h} (i32.const ${GC_HEAD_WORDS}))`)} (i32.load ${staticWord(TRASH_DELETE_LATER)}))
        (i32.store ${staticWord(TRASH_DELETE_LATER)} ${h})
        (return)))
    (i32.store ${staticWord(TRASH_NESTING)} (i32.add (local.get $tn) (i32.const 1)))`;

/** Py_TRASHCAN_END: at the outermost level, what was deposited is destroyed (the model's). */
const trashEnd = `
    (local.set $tn (i32.sub (i32.load ${staticWord(TRASH_NESTING)}) (i32.const 1)))
    (i32.store ${staticWord(TRASH_NESTING)} (local.get $tn))
    (if (i32.and (i32.ne (i32.load ${staticWord(TRASH_DELETE_LATER)}) (i32.const 0)) (i32.le_s (local.get $tn) (i32.const 0)))
      (then (call $trashDestroyChain)))`;

/** Py_XDECREF of `x` (a local's name: it is read more than once). */
/** Py_DECREF of the non-NULL object in local `x`, then `dead` if the count reached zero (needs a local $dc). */
const decref = (x: string, dead: string): string => `
        ${touch(get(x))}
        (local.set $dc (i32.sub (i32.load ${w(get(x))}) (i32.const 1)))
        (i32.store ${w(get(x))} (local.get $dc))
        (if (i32.eqz (local.get $dc)) (then ${dead}))`;

/** Py_XDECREF of local `x`. */
const xdecref = (x: string): string => `
    (if (local.get $${x})
      (then ${decref(x, `(call $dealloc (local.get $${x}))`)}))`;

/**
 * Py_XDECREF of the $n words from the block at word `array`, first to last
 * (a values array's order; needs locals $i and $x, and $i at 0).
 */
const xdecrefEach = (array: string): string => `
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $x (i32.load ${w(`(i32.add ${array} (local.get $i))`)}))
        ${xdecref('x')}
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))`;

const items = Array.from({ length: KERNEL_MAX_ITEMS }, (_, i) => `(param $v${i} i32)`).join(' ');
const items4 = Array.from({ length: 4 }, (_, i) => `(param $v${i} i32)`).join(' ');

/**
 * Branches to $refused unless the handle x is a live object, as the API's
 * isLive (api.ts) tests what a caller hands it: a handle past the static
 * area and inside the heap, a positive refcount, a type the model defined.
 */
const refuseUnlessLive = (x: string): string => `
        (br_if $refused (i32.ge_u (i32.sub ${x} (global.get $handleStart)) (global.get $handleSpan)))
        (br_if $refused (i32.le_s (i32.load ${w(x)}) (i32.const 0)))
        (local.set $t (i32.load offset=${TYPE} ${w(x)}))
        (br_if $refused (i32.ge_u (local.get $t) (i32.const ${MAX_TYPES})))
        (br_if $refused (i32.eqz (i32.load8_u offset=${KNOWN} (i32.add (global.get $annex) (local.get $t)))))`;

/**
 * The API's calls: returns 0 (nothing allocated, nothing changed) unless the
 * first $n of the `count` parameters $v0.. are live objects; the API then
 * says which is not (needs a local $t).
 */
const refuseUnlessAllLive = (count: number): string => `
    (block $live
      (block $refused
        ${Array.from({ length: count }, (_, i) => `(br_if $live (i32.le_u (local.get $n) (i32.const ${i})))${refuseUnlessLive(`(local.get $v${i})`)}`).join('\n        ')}
        (br $live))
      (return (i32.const 0)))`;

/** Stores v0..v(n-1) at the words from `$a` (a byte address), each with a new reference. */
const storeItems = (count = KERNEL_MAX_ITEMS): string =>
  Array.from(
    { length: count },
    (_, i) => `(if (i32.gt_u (local.get $n) (i32.const ${i})) (then ${incref(`(local.get $v${i})`)} (i32.store offset=${4 * i} (local.get $a) (local.get $v${i}))))`,
  ).join('\n    ');

/**
 * The newest object of a free list kept as an array in the interpreter
 * state (its count at static word `count`, its entries from `entries`) into
 * local `out`, then `popped`; `empty` when the list is empty.
 */
const freeListPop = (count: number, entries: number, out: string, popped: string, empty: string): string => `
    (local.set $numfree (i32.load ${staticWord(count)}))
    (if (i32.gt_s (local.get $numfree) (i32.const 0))
      (then
        (local.set $numfree (i32.sub (local.get $numfree) (i32.const 1)))
        (i32.store ${staticWord(count)} (local.get $numfree))
        (local.set $${out} (i32.load offset=${4 * entries} ${w('(i32.add (global.get $static) (local.get $numfree))')}))
        ${popped})
      (else ${empty}))`;

/** `x` onto such a free list when `keep` (an i32) holds and it has room for it (`max`), else `full`. */
const freeListPush = (count: number, entries: number, max: number, x: string, keep: string, full: string): string => `
    (local.set $numfree (i32.load ${staticWord(count)}))
    (if (i32.and ${keep} (i32.lt_s (local.get $numfree) (i32.const ${max})))
      (then
        (i32.store offset=${4 * entries} ${w('(i32.add (global.get $static) (local.get $numfree))')} ${x})
        (i32.store ${staticWord(count)} (i32.add (local.get $numfree) (i32.const 1))))
      (else ${full}))`;

/** tuple_alloc into local $h: from the free list of its length (1..19), else a new block; untracked, items unset. */
const tupleAlloc = (): string => {
  const done = label('tupleAllocated');
  return `
    (block ${done}
      (if (i32.lt_u (local.get $n) (i32.const ${TUPLE_NFREELISTS}))
        (then
          (local.set $head (i32.add (global.get $static) (i32.add (local.get $n) (i32.const ${TUPLE_FREE_HEADS - 1}))))
          (local.set $h (i32.load ${w(get('head'))}))
          (if (local.get $h)
            (then
              (i32.store ${w(get('head'))} (i32.load offset=${TUPLE_ITEMS} ${w(get('h'))}))
              (i32.store offset=${4 * (TUPLE_NUMFREE - TUPLE_FREE_HEADS)} ${w(get('head'))}
                (i32.sub (i32.load offset=${4 * (TUPLE_NUMFREE - TUPLE_FREE_HEADS)} ${w(get('head'))}) (i32.const 1)))
              ${newReference(get('h'))}
              (br ${done})))))
      ${gcNew('h', `(i32.const ${T_TUPLE})`, `(i32.add (i32.const ${TUPLE_BASIC_BYTES}) (i32.shl (local.get $n) (i32.const 3)))`, `(i32.const ${GC_HEAD_WORDS})`)}
      (i32.store offset=${SIZE} ${w(get('h'))} (local.get $n)))`;
};

/** PyList_New's object into local $h: from the free list (newest first), else a new block; untracked. */
const listAlloc = (): string =>
  freeListPop(LIST_NUMFREE, LIST_FREE, 'h', newReference(get('h')), gcNew('h', `(i32.const ${T_LIST})`, `(i32.const ${LIST_BASIC_BYTES})`, `(i32.const ${GC_HEAD_WORDS})`));

/** _PyObject_GC_MAY_BE_TRACKED of `x` (a local's name), as an i32: a GC type's object, and a tuple only while tracked. */
const mayBeTracked = (x: string): string => `
    (if (result i32) (i32.eqz (local.get $${x}))
      (then (i32.const 0))
      (else
        (local.set $bx (i32.load offset=${TYPE} ${w(get(x))}))
        (if (result i32) (i32.eqz (i32.load8_u offset=${GC_TYPES} (i32.add (global.get $annex) (local.get $bx))))
          (then (i32.const 0))
          (else
            (if (result i32) (i32.eq (local.get $bx) (i32.const ${T_TUPLE}))
              (then (i32.ne (i32.load offset=${4 * GC_NEXT} ${w(`(i32.sub (local.get $${x}) (i32.const ${GC_HEAD_WORDS}))`)}) (i32.const 0)))
              (else (i32.const 1)))))))`;

/** MAINTAIN_TRACKING: the untracked dict $h becomes tracked when key or value may be a tracked container. */
const maintainTracking = (key: string, value: string): string => `
    (if (i32.eqz (i32.load offset=${4 * GC_NEXT} ${w(`(i32.sub (local.get $h) (i32.const ${GC_HEAD_WORDS}))`)}))
      (then (if (i32.or ${mayBeTracked(key)} ${mayBeTracked(value)}) (then ${track(get('h'))}))))`;

/**
 * Pair i (i > 0) of a dict display into the fresh PyDict_MINSIZE table $k of
 * dict $h, which holds i entries (the tail of _PyDict_FromItems' insertdict:
 * the keys are distinct interned strs, so the lookup could only miss, and
 * the five usable slots hold them all): find_empty_slot, then the entry.
 */
const displayPair = (i: number): string => {
  const found = label('slot');
  const probe = label('probe');
  return `
    (if (i32.gt_u (local.get $n) (i32.const ${i}))
      (then
        ${incref(get(`k${i}`))}
        ${incref(get(`v${i}`))}
        ${maintainTracking(`k${i}`, `v${i}`)}
        (i32.store offset=${DK_VERSION} (local.get $ka) (i32.const 0))
        (local.set $slot (i32.and (local.get $s${i}) (i32.const ${MINSIZE_SLOTS - 1})))
        (local.set $perturb (local.get $s${i}))
        (block ${found}
          (loop ${probe}
            (br_if ${found} (i32.lt_s (i32.load8_s offset=${DK_INDICES} (i32.add (local.get $ka) (local.get $slot))) (i32.const 0)))
            (local.set $perturb (i32.shr_u (local.get $perturb) (i32.const ${DICT.PERTURB_SHIFT})))
            (local.set $slot (i32.and (i32.add (i32.add (i32.mul (local.get $slot) (i32.const 5)) (local.get $perturb)) (i32.const 1))
                                      (i32.const ${MINSIZE_SLOTS - 1})))
            (br ${probe})))
        (i32.store8 offset=${DK_INDICES} (i32.add (local.get $ka) (local.get $slot)) (i32.const ${i}))
        (i32.store offset=${MINSIZE_ENTRIES + 8 * i} (local.get $ka) (local.get $k${i}))
        (i32.store offset=${MINSIZE_ENTRIES + 8 * i + 4} (local.get $ka) (local.get $v${i}))
        (i32.store offset=${MA_USED} ${w(get('h'))} (i32.const ${i + 1}))
        (i32.store offset=${DK_USABLE} (local.get $ka) (i32.const ${MINSIZE_USABLE - (i + 1)}))
        (i32.store offset=${DK_NENTRIES} (local.get $ka) (i32.const ${i + 1}))))`;
};

/** The most arguments instanceNew takes: a call of more also mallocs its vectorcall stack (api.ts FASTCALL_SMALL_STACK). */
export const KERNEL_MAX_ATTRIBUTES = 4;

/** Words before a 3.11 instance's header: the values and managed dict pointers (the pre-header), then the GC head. */
const PRESIZE_MANAGED_WORDS = -MANAGED_VALUES;

/**
 * Argument i (when given) stored at its index in the inline values
 * $values (instance.ts storeAtIndex): a new reference; a first store
 * appends the index to the values' insertion order (the bytes before them).
 */
const storeInline = (i: number): string => `
    (if (i32.gt_u (local.get $n) (i32.const ${i}))
      (then
        (local.set $slot (i32.and (i32.shr_u (local.get $ix) (i32.const ${8 * i})) (i32.const 255)))
        (local.set $a (i32.add ${w(get('values'))} (i32.shl (local.get $slot) (i32.const 2))))
        (local.set $old (i32.load (local.get $a)))
        ${incref(get(`v${i}`))}
        (i32.store (local.get $a) (local.get $v${i}))
        (if (local.get $old)
          (then ${xdecref('old')})
          (else
            (local.set $a (i32.sub ${w(get('values'))} (i32.const 2)))
            (local.set $order (i32.add (i32.load8_u (local.get $a)) (i32.const 1)))
            (i32.store8 (i32.sub (local.get $a) (local.get $order)) (local.get $slot))
            (i32.store8 (local.get $a) (local.get $order))))))`;

const displayValues = Array.from({ length: KERNEL_MAX_DISPLAY }, (_, i) => `(param $v${i} i32)`).join(' ');
const displayKeys = ['k', 's'].flatMap((p) => Array.from({ length: KERNEL_MAX_DISPLAY }, (_, i) => `(local $${p}${i} i32)`)).join(' ');
/** The set's keys and hashes (CONST_KEY_SETS) into $k0.. and $s0... */
const loadDisplayKeys = ['k', 's']
  .flatMap((p, half) => Array.from({ length: KERNEL_MAX_DISPLAY }, (_, i) => `(local.set $${p}${i} (i32.load offset=${4 * (half * KERNEL_MAX_DISPLAY + i)} (local.get $set)))`))
  .join('\n    ');

/** tp_dealloc by the object's kind ($h; needs a local $kind), counted: the kernel's kinds here, the others in JavaScript. */
const deallocCounted = `
    ${counter(DEALLOCATIONS)}
    (local.set $kind (i32.load8_u offset=${KINDS} (i32.add (global.get $annex) (i32.load offset=${TYPE} ${w(get('h'))}))))
    (if (i32.eq (local.get $kind) (i32.const ${K_TUPLE})) (then (call $tupleDealloc (local.get $h)) (return)))
    (if (i32.eq (local.get $kind) (i32.const ${K_LIST})) (then (call $listDealloc (local.get $h)) (return)))
    (if (i32.eq (local.get $kind) (i32.const ${K_DICT})) (then (call $dictDealloc (local.get $h)) (return)))
    (if (i32.eq (local.get $kind) (i32.const ${K_INSTANCE})) (then (call $instanceDealloc (local.get $h)) (return)))
    (call $deallocKind (local.get $h))`;

/** BUILD_TUPLE (_PyTuple_FromArraySteal) of $n (1..8) items $v0..: new references taken, then tracked. */
const TUPLE_NEW_LOCALS = `(local $h i32) (local $head i32) (local $a i32) ${SCRATCH}`;
const tupleNewBody = (count: number): string => `
    ${tupleAlloc()}
    (local.set $a (i32.add ${w(get('h'))} (i32.const ${TUPLE_ITEMS})))
    ${storeItems(count)}
    ${track(get('h'))}
    (local.get $h)`;

/**
 * BUILD_LIST (_PyList_FromArraySteal) of $n (0..8) items $v0..: PyList_New(n) -- its
 * item array PyMem_Calloc'd, the list tracked -- then the items, new references taken.
 */
const LIST_NEW_LOCALS = `(local $h i32) (local $array i32) (local $a i32) (local $end i32) ${SCRATCH}`;
const listNewBody = (count: number): string => `
    ${listAlloc()}
    (if (local.get $n)
      (then
        (if ${hooks}
          (then (local.set $array (call $callocSlow (local.get $n) (i32.const 8))))
          (else
            ${malloc('array', '(i32.shl (local.get $n) (i32.const 3))')}
            (local.set $a ${w(get('array'))})
            (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
            (loop $zero
              (i64.store (local.get $a) (i64.const 0))
              (local.set $a (i32.add (local.get $a) (i32.const 8)))
              (br_if $zero (i32.lt_u (local.get $a) (local.get $end))))))))
    (i32.store offset=${LIST_ITEMS} ${w(get('h'))} (local.get $array))
    (i32.store offset=${SIZE} ${w(get('h'))} (local.get $n))
    (i32.store offset=${LIST_ALLOCATED} ${w(get('h'))} (local.get $n))
    ${track(get('h'))}
    (local.set $a ${w(get('array'))})
    ${storeItems(count)}
    (local.get $h)`;

const SOURCE = `(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "heap" "usedpools" (global $usedpools i32))
  (import "heap" "alignShift" (global $alignShift i32))
  (import "heap" "smallThreshold" (global $smallThreshold i32))
  (import "heap" "poolMask" (global $poolMask i32))
  (import "heap" "arenaRegion" (global $arenaRegion i32))
  (import "heap" "rawRegion" (global $rawRegion i32))
  (import "heap" "annex" (global $annex i32))
  (import "space" "static" (global $static i32))
  (import "space" "gc" (global $gc i32))
  (import "space" "tupleFreeMax" (global $tupleFreeMax i32))
  (import "space" "emptyKeys" (global $emptyKeys i32))
  (import "space" "legacyDicts" (global $legacyDicts i32))
  (import "space" "keysHeaderBytes" (global $keysHeaderBytes i32))
  (import "space" "handleStart" (global $handleStart i32))
  (import "space" "handleSpan" (global $handleSpan i32))
  (import "model" "mallocSlow" (func $mallocSlow (param i32) (result i32)))
  (import "model" "callocSlow" (func $callocSlow (param i32 i32) (result i32)))
  (import "model" "freeSlow" (func $freeSlow (param i32)))
  (import "model" "newReferenceHook" (func $newReferenceHook (param i32)))
  (import "model" "touch" (func $touch (param i32)))
  (import "model" "collectDue" (func $collectDue))
  (import "model" "deallocKind" (func $deallocKind (param i32)))
  (import "model" "trashDestroyChain" (func $trashDestroyChain))

  (func (export "gcNew") (param $type i32) (param $nbytes i32) (param $presize i32) (result i32)
    (local $h i32) ${SCRATCH}
    ${gcNew('h', get('type'), get('nbytes'), get('presize'))}
    (local.get $h))

  ;; The refcount reached zero: tp_dealloc of the object's kind, counted.
  (func $dealloc (export "dealloc") (param $h i32)
    (local $kind i32)
    ${deallocCounted}
    (return))

  ;; Py_DECREF of a non-NULL object: the API's del, whose objects mostly die there (dealloc inlined).
  (func (export "decref") (param $h i32)
    (local $dc i32) (local $kind i32)
    ${decref('h', deallocCounted)})

  (func (export "tupleAlloc") (param $n i32) (result i32)
    (local $h i32) (local $head i32) ${SCRATCH}
    ${tupleAlloc()}
    (local.get $h))

  (func (export "tupleNew") (param $n i32) ${items} (result i32) ${TUPLE_NEW_LOCALS}
    ${tupleNewBody(KERNEL_MAX_ITEMS)})

  ;; tupledealloc
  (func $tupleDealloc (export "tupleDealloc") (param $h i32)
    (local $n i32) (local $i i32) (local $x i32) (local $head i32) ${SCRATCH}
    (local.set $n (i32.load offset=${SIZE} ${w(get('h'))}))
    ${untrack(get('h'))}
    ${trashBegin(get('h'))}
    (local.set $i (local.get $n))
    (block $done
      (loop $items
        (br_if $done (i32.le_s (local.get $i) (i32.const 0)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $x (i32.load offset=${TUPLE_ITEMS} ${w(`(i32.add (local.get $h) (local.get $i))`)}))
        ${xdecref('x')}
        (br $items)))
    (local.set $head (i32.add (global.get $static) (i32.add (local.get $n) (i32.const ${TUPLE_FREE_HEADS - 1}))))
    (local.set $numfree (i32.load offset=${4 * (TUPLE_NUMFREE - TUPLE_FREE_HEADS)} ${w(get('head'))}))
    (if (i32.and (i32.le_s (local.get $n) (global.get $tupleFreeMax)) (i32.lt_s (local.get $numfree) (i32.const ${TUPLE_MAXFREELIST})))
      (then
        (i32.store offset=${TUPLE_ITEMS} ${w(get('h'))} (i32.load ${w(get('head'))}))
        (i32.store ${w(get('head'))} (local.get $h))
        (i32.store offset=${4 * (TUPLE_NUMFREE - TUPLE_FREE_HEADS)} ${w(get('head'))} (i32.add (local.get $numfree) (i32.const 1))))
      (else ${gcDelUntracked(get('h'))}))
    ${trashEnd})

  (func (export "listAlloc") (result i32)
    (local $h i32) ${SCRATCH}
    ${listAlloc()}
    (local.get $h))

  (func (export "listNew") (param $n i32) ${items} (result i32) ${LIST_NEW_LOCALS}
    ${listNewBody(KERNEL_MAX_ITEMS)})

  ;; The API's tuple() and list(): tupleNew and listNew once the items are known to be live, else 0.
  (func (export "tupleNewChecked") (param $n i32) ${items} (result i32) ${TUPLE_NEW_LOCALS} (local $t i32)
    ${refuseUnlessAllLive(KERNEL_MAX_ITEMS)}
    ${tupleNewBody(KERNEL_MAX_ITEMS)})
  (func (export "listNewChecked") (param $n i32) ${items} (result i32) ${LIST_NEW_LOCALS} (local $t i32)
    ${refuseUnlessAllLive(KERNEL_MAX_ITEMS)}
    ${listNewBody(KERNEL_MAX_ITEMS)})
  ;; The same of up to four items: fewer parameters for the call from JavaScript to convert.
  (func (export "tupleNewChecked4") (param $n i32) ${items4} (result i32) ${TUPLE_NEW_LOCALS} (local $t i32)
    ${refuseUnlessAllLive(4)}
    ${tupleNewBody(4)})
  (func (export "listNewChecked4") (param $n i32) ${items4} (result i32) ${LIST_NEW_LOCALS} (local $t i32)
    ${refuseUnlessAllLive(4)}
    ${listNewBody(4)})

  ;; list_dealloc
  (func $listDealloc (export "listDealloc") (param $h i32)
    (local $array i32) (local $i i32) (local $x i32) ${SCRATCH}
    ${untrack(get('h'))}
    ${trashBegin(get('h'))}
    (local.set $array (i32.load offset=${LIST_ITEMS} ${w(get('h'))}))
    (if (local.get $array)
      (then
        (local.set $i (i32.load offset=${SIZE} ${w(get('h'))}))
        (block $done
          (loop $items
            (br_if $done (i32.le_s (local.get $i) (i32.const 0)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (local.set $x (i32.load ${w(`(i32.add (local.get $array) (local.get $i))`)}))
            ${xdecref('x')}
            (br $items)))
        ${free(get('array'))}))
    ${freeListPush(LIST_NUMFREE, LIST_FREE, LIST_MAXFREELIST, get('h'), '(i32.const 1)', gcDelUntracked(get('h')))}
    ${trashEnd})

  ;; dictkeys_decref: at the last reference, free_keys_object -- every entry's
  ;; key and value decref'd, then the block released (releaseKeys).
  (func $keysDecref (export "keysDecref") (param $k i32)
    (local $refcnt i32) (local $kind i32) (local $e i32) (local $end i32) (local $stride i32) (local $x i32) ${SCRATCH}
    (local.set $refcnt (i32.sub (i32.load offset=${DK_REFCNT} ${w(get('k'))}) (i32.const 1)))
    (i32.store offset=${DK_REFCNT} ${w(get('k'))} (local.get $refcnt))
    (if (local.get $refcnt) (then (return)))
    (local.set $kind (i32.load offset=${DK_KIND} ${w(get('k'))}))
    ;; the entries: (hash, key, value) when kind <= GENERAL, else (key, value)
    (local.set $stride (select (i32.const 3) (i32.const 2) (i32.le_s (local.get $kind) (i32.const ${DICT.KIND_GENERAL}))))
    (local.set $e (i32.add (i32.add (local.get $k) (i32.const ${DICT.DK_INDICES}))
      (i32.shr_u (i32.shl (i32.const 1) (i32.load offset=${DK_LOG2_INDEX_BYTES} ${w(get('k'))})) (i32.const 2))))
    (if (i32.eq (local.get $stride) (i32.const 3)) (then (local.set $e (i32.add (local.get $e) (i32.const 1)))))
    (local.set $end (i32.add (local.get $e) (i32.mul (local.get $stride) (i32.load offset=${DK_NENTRIES} ${w(get('k'))}))))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $e) (local.get $end)))
        (local.set $x (i32.load ${w(get('e'))}))
        ${xdecref('x')}
        (local.set $x (i32.load offset=4 ${w(get('e'))}))
        ${xdecref('x')}
        (local.set $e (i32.add (local.get $e) (local.get $stride)))
        (br $entries)))
    (call $releaseKeys (local.get $k)))

  ;; The end of free_keys_object and dictresize: the keys block kept on the
  ;; free list (a PyDict_MINSIZE table; 3.11: str-keyed only) or freed.
  (func $releaseKeys (export "releaseKeys") (param $k i32)
    ${SCRATCH}
    ${freeListPush(
      KEYS_NUMFREE,
      KEYS_FREE,
      DICT_MAXFREELIST,
      get('k'),
      `(i32.and (i32.eq (i32.load offset=${DK_LOG2_SIZE} ${w(get('k'))}) (i32.const ${DICT.LOG_MINSIZE}))
                (i32.or (i32.gt_s (i32.load offset=${DK_KIND} ${w(get('k'))}) (i32.const ${DICT.KIND_GENERAL})) (global.get $legacyDicts)))`,
      free(get('k')),
    )})

  ;; dict_dealloc
  (func $dictDealloc (export "dictDealloc") (param $h i32)
    (local $keys i32) (local $values i32) (local $i i32) (local $n i32) (local $x i32) ${SCRATCH}
    (local.set $values (i32.load offset=${MA_VALUES} ${w(get('h'))}))
    (local.set $keys (i32.load offset=${MA_KEYS} ${w(get('h'))}))
    ${untrack(get('h'))}
    ${trashBegin(get('h'))}
    (if (local.get $values)
      (then
        (local.set $n (i32.load offset=${DK_NENTRIES} ${w(get('keys'))}))
        ${xdecrefEach(get('values'))}
        ;; free_values: 3.11's block starts at the prefix, whose size is the byte before the values
        ${free(`(select (local.get $values)
                        (i32.sub (local.get $values) (i32.shr_u (i32.load8_u (i32.sub ${w(get('values'))} (i32.const 1))) (i32.const 2)))
                        (global.get $legacyDicts))`)}
        (call $keysDecref (local.get $keys)))
      (else
        (if (i32.eq (local.get $keys) (global.get $emptyKeys))
          (then (i32.store offset=${DK_REFCNT} ${w(get('keys'))} (i32.sub (i32.load offset=${DK_REFCNT} ${w(get('keys'))}) (i32.const 1))))
          (else (call $keysDecref (local.get $keys))))))
    ${freeListPush(DICT_NUMFREE, DICT_FREE, DICT_MAXFREELIST, get('h'), '(i32.const 1)', gcDelUntracked(get('h')))}
    ${trashEnd})

  ;; BUILD_CONST_KEY_MAP (_PyDict_FromItems) of 1..5 distinct identifier strs
  ;; k0.. with hashes s0.. and values v0.. (3.11 only): PyDict_New, then each
  ;; pair inserted in order, new references taken: each insertdict after the
  ;; first skips the lookup that could only miss and the resize that could not happen (displayPair).
  (func (export "dictFromConstKeys") (param $n i32) (param $set i32) ${displayValues} (result i32)
    (local $h i32) (local $k i32) (local $ka i32) (local $slot i32) (local $perturb i32) (local $t i32) ${displayKeys} ${SCRATCH}
    ${refuseUnlessAllLive(KERNEL_MAX_DISPLAY)}
    ${loadDisplayKeys}
    ;; PyDict_New: a reference to the empty keys, the dict from the free list or a new block
    (i32.store ${w('(global.get $emptyKeys)')} (i32.add (i32.load ${w('(global.get $emptyKeys)')}) (i32.const 1)))
    ${freeListPop(DICT_NUMFREE, DICT_FREE, 'h', newReference(get('h')), gcNew('h', `(i32.const ${T_DICT})`, `(i32.const ${DICT.DICT_BASIC_BYTES})`, `(i32.const ${GC_HEAD_WORDS})`))}
    (i32.store offset=${MA_KEYS} ${w(get('h'))} (global.get $emptyKeys))
    (i32.store offset=${MA_VALUES} ${w(get('h'))} (i32.const 0))
    (i32.store offset=${MA_USED} ${w(get('h'))} (i32.const 0))
    ${incref(get('k0'))}
    ${incref(get('v0'))}
    ;; insert_to_emptydict: new_keys_object(PyDict_LOG_MINSIZE), all-str, from the free list or a new block
    ${freeListPop(KEYS_NUMFREE, KEYS_FREE, 'k', '', malloc('k', `(i32.add (global.get $keysHeaderBytes) (i32.const ${MINSIZE_SLOTS + DICT.UNICODE_ENTRY_BYTES * MINSIZE_USABLE}))`))}
    (local.set $ka ${w(get('k'))})
    (i32.store offset=${DK_REFCNT} (local.get $ka) (i32.const 1))
    (i32.store offset=${DK_LOG2_SIZE} (local.get $ka) (i32.const ${DICT.LOG_MINSIZE}))
    (i32.store offset=${DK_LOG2_INDEX_BYTES} (local.get $ka) (i32.const ${DICT.LOG_MINSIZE}))
    (i32.store offset=${DK_KIND} (local.get $ka) (i32.const ${DICT.KIND_UNICODE}))
    (i32.store offset=${DK_NENTRIES} (local.get $ka) (i32.const 0))
    (i32.store offset=${DK_USABLE} (local.get $ka) (i32.const ${MINSIZE_USABLE}))
    (i32.store offset=${DK_VERSION} (local.get $ka) (i32.const 0))
    (i64.store offset=${DK_INDICES} (local.get $ka) (i64.const -1))
    ${Array.from({ length: (DICT.UNICODE_ENTRY_BYTES * MINSIZE_USABLE) / 8 }, (_, i) => `(i64.store offset=${MINSIZE_ENTRIES + 8 * i} (local.get $ka) (i64.const 0))`).join(' ')}
    (i32.store ${w('(global.get $emptyKeys)')} (i32.sub (i32.load ${w('(global.get $emptyKeys)')}) (i32.const 1)))
    (i32.store offset=${MA_KEYS} ${w(get('h'))} (local.get $k))
    (i32.store offset=${MA_VALUES} ${w(get('h'))} (i32.const 0))
    ${maintainTracking('k0', 'v0')}
    (i32.store8 offset=${DK_INDICES} (i32.add (local.get $ka) (i32.and (local.get $s0) (i32.const ${MINSIZE_SLOTS - 1}))) (i32.const 0))
    (i32.store offset=${MINSIZE_ENTRIES} (local.get $ka) (local.get $k0))
    (i32.store offset=${MINSIZE_ENTRIES + 4} (local.get $ka) (local.get $v0))
    (i32.store offset=${MA_USED} ${w(get('h'))} (i32.const 1))
    (i32.store offset=${DK_USABLE} (local.get $ka) (i32.const ${MINSIZE_USABLE - 1}))
    (i32.store offset=${DK_NENTRIES} (local.get $ka) (i32.const 1))
    ${Array.from({ length: KERNEL_MAX_DISPLAY - 1 }, (_, i) => displayPair(i + 1)).join('\n')}
    (local.get $h))

  ;; subtype_dealloc of a 3.11 instance whose class has no __del__ and that
  ;; no weak reference points to (instance.ts dealloc; the others are JavaScript's):
  ;; its __dict__, or its inline values, then the object.
  (func $instanceDealloc (param $h i32)
    (local $type i32) (local $flags i32) (local $weaklist i32) (local $d i32) (local $values i32) (local $i i32) (local $n i32) (local $x i32) ${SCRATCH}
    (local.set $type (i32.load offset=${TYPE} ${w(get('h'))}))
    (local.set $flags (i32.load8_u offset=${FLAGS} (i32.add (global.get $annex) (local.get $type))))
    (local.set $weaklist (i32.load8_s offset=${WEAKLIST} (i32.add (global.get $annex) (local.get $type))))
    (if (i32.or
          (i32.ne (i32.and (local.get $flags) (i32.const ${F_FINALIZE | F_MANAGED_DICT})) (i32.const ${F_MANAGED_DICT}))
          (i32.and (i32.ne (local.get $weaklist) (i32.const 0))
                   (i32.ne (i32.load ${w(`(i32.add (local.get $h) (local.get $weaklist))`)}) (i32.const 0))))
      (then (call $deallocKind (local.get $h)) (return)))
    ${untrack(get('h'))}
    ${trashBegin(get('h'))}
    (local.set $d (i32.load ${w(`(i32.sub (local.get $h) (i32.const ${-MANAGED_DICT}))`)}))
    (if (local.get $d)
      (then
        (i32.store ${w(`(i32.sub (local.get $h) (i32.const ${-MANAGED_DICT}))`)} (i32.const 0))
        ${xdecref('d')})
      (else
        ;; _PyObject_FreeInstanceAttributes: the values, in index order, then their block
        (local.set $values (i32.load ${w(`(i32.sub (local.get $h) (i32.const ${-MANAGED_VALUES}))`)}))
        (if (local.get $values)
          (then
            (i32.store ${w(`(i32.sub (local.get $h) (i32.const ${-MANAGED_VALUES}))`)} (i32.const 0))
            (local.set $n (i32.load offset=${DK_NENTRIES}
              ${w(`(i32.load offset=${CACHED_KEYS} (i32.add (global.get $annex) (i32.shl (local.get $type) (i32.const 2))))`)}))
            ${xdecrefEach(get('values'))}
            ${free(`(i32.sub (local.get $values) (i32.shr_u (i32.load8_u (i32.sub ${w(get('values'))} (i32.const 1))) (i32.const 2)))`)}))))
    ${gcDelUntracked(get('h'), PRESIZE_MANAGED_WORDS)}
    ${trashEnd})

  ;; cls(v0, .., v(n-1)) for a 3.11 class with inline values whose __init__
  ;; stores each argument as an attribute, at its index in the class's shared
  ;; keys $keys (1..4 arguments, the indexes a byte each in $ix): the
  ;; arguments' tuple, tp_new (gc_alloc with the managed-dict pre-header,
  ;; tracked, init_inline_values), the stores (STORE_ATTR_INSTANCE_VALUE), the
  ;; tuple dropped. What Python.newWith does through the JavaScript paths.
  (func (export "instanceNew") (param $type i32) (param $basicBytes i32) (param $keys i32) (param $n i32) (param $ix i32)
      (param $v0 i32) (param $v1 i32) (param $v2 i32) (param $v3 i32) (result i32)
    (local $args i32) (local $h i32) (local $head i32) (local $a i32) (local $end i32) (local $usable i32) (local $size i32)
    (local $prefix i32) (local $p i32) (local $values i32) (local $slot i32) (local $old i32) (local $order i32) (local $t i32) ${SCRATCH}
    ${refuseUnlessAllLive(KERNEL_MAX_ATTRIBUTES)}
    ;; the arguments' tuple (tupleNew)
    ${tupleAlloc()}
    (local.set $args (local.get $h))
    (local.set $a (i32.add ${w(get('args'))} (i32.const ${TUPLE_ITEMS})))
    ${storeItems(KERNEL_MAX_ATTRIBUTES)}
    ${track(get('args'))}
    ;; tp_new
    ${gcNew('h', get('type'), get('basicBytes'), `(i32.const ${PRESIZE_MANAGED_WORDS})`)}
    (local.set $a (i32.add ${w(get('h'))} (i32.const 8)))
    (local.set $end (i32.add ${w(get('h'))} (local.get $basicBytes)))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $a) (local.get $end)))
        (i32.store (local.get $a) (i32.const 0))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br $zero)))
    ${track(get('h'))}
    ;; init_inline_values: the shared keys give up one usable slot (while more than one), then new_values(size)
    (local.set $usable (i32.load offset=${DK_USABLE} ${w(get('keys'))}))
    (if (i32.gt_s (local.get $usable) (i32.const 1))
      (then
        (local.set $usable (i32.sub (local.get $usable) (i32.const 1)))
        (i32.store offset=${DK_USABLE} ${w(get('keys'))} (local.get $usable))))
    (local.set $size (i32.add (i32.load offset=${DK_NENTRIES} ${w(get('keys'))}) (local.get $usable)))
    (local.set $prefix (i32.and (i32.add (local.get $size) (i32.const ${2 + 7})) (i32.const -8)))
    ${malloc('p', '(i32.add (local.get $prefix) (i32.shl (local.get $size) (i32.const 3)))')}
    (local.set $values (i32.add (local.get $p) (i32.shr_u (local.get $prefix) (i32.const 2))))
    (i32.store8 (i32.sub ${w(get('values'))} (i32.const 1)) (local.get $prefix))
    (i32.store8 (i32.sub ${w(get('values'))} (i32.const 2)) (i32.const 0))
    (local.set $a ${w(get('values'))})
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $size) (i32.const 2))))
    (block $cleared
      (loop $clear
        (br_if $cleared (i32.ge_u (local.get $a) (local.get $end)))
        (i32.store (local.get $a) (i32.const 0))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br $clear)))
    (i32.store ${w(`(i32.sub (local.get $h) (i32.const ${-MANAGED_VALUES}))`)} (local.get $values))
    ;; the stores
    ${Array.from({ length: KERNEL_MAX_ATTRIBUTES }, (_, i) => storeInline(i)).join('\n')}
    ;; the arguments' tuple goes
    ${xdecref('args')}
    (local.get $h))
)`;

/** What the kernel asks of the object model and the heap (see the imports above). */
export interface KernelImports {
  /** The heap's PyObject_Malloc, with the hooks (ObjectSpace.objectMalloc). */
  mallocSlow(nbytes: number): number;
  /** The heap's PyObject_Calloc, with the hooks (ObjectSpace.objectCalloc). */
  callocSlow(nelem: number, elsize: number): number;
  /** The heap's PyObject_Free, with the hooks (ObjectSpace.objectFree). */
  freeSlow(p: number): void;
  /** tracemalloc re-attributes a free-list object's block (ObjectSpace.newReference's hook). */
  newReferenceHook(h: number): void;
  /** A reference count in a page shared with the master was written (copy-on-write). */
  touch(h: number): void;
  /** Generation 0 is over its threshold: the collector decides and collects. */
  collectDue(): void;
  /** tp_dealloc of a kind the kernel does not do itself (the deallocation is counted). */
  deallocKind(h: number): void;
  /** _PyTrash_thread_destroy_chain */
  trashDestroyChain(): void;
}

/** Where the kernel works: the heap's geometry and the interpreter's state, as word addresses. */
export interface KernelPlace {
  usedpools: number;
  alignShift: number;
  smallThreshold: number;
  poolMask: number;
  arenaRegion: number;
  rawRegion: number;
  /** Byte address of the memory's annex. */
  annex: number;
  static: number;
  gc: number;
  tupleFreeMax: number;
  emptyKeys: number;
  /** 1 for 3.8/3.9's dicts (dict.ts legacyDicts). */
  legacyDicts: number;
  keysHeaderBytes: number;
  /** The API's handles: from handleStart, handleSpan words (api.ts isLive). */
  handleStart: number;
  handleSpan: number;
}

export interface ObjectKernel {
  gcNew(type: number, nbytes: number, presizeWords: number): number;
  dealloc(h: number): void;
  /** Py_DECREF of a non-NULL object. */
  decref(h: number): void;
  tupleAlloc(n: number): number;
  tupleNew(n: number, v0: number, v1: number, v2: number, v3: number, v4: number, v5: number, v6: number, v7: number): number;
  tupleDealloc(h: number): void;
  listAlloc(): number;
  listNew(n: number, v0: number, v1: number, v2: number, v3: number, v4: number, v5: number, v6: number, v7: number): number;
  /** tupleNew and listNew for the API: 0, having done nothing, unless the n items are live objects. */
  tupleNewChecked(n: number, v0: number, v1: number, v2: number, v3: number, v4: number, v5: number, v6: number, v7: number): number;
  listNewChecked(n: number, v0: number, v1: number, v2: number, v3: number, v4: number, v5: number, v6: number, v7: number): number;
  /** The same of up to four items. */
  tupleNewChecked4(n: number, v0: number, v1: number, v2: number, v3: number): number;
  listNewChecked4(n: number, v0: number, v1: number, v2: number, v3: number): number;
  listDealloc(h: number): void;
  dictDealloc(h: number): void;
  keysDecref(k: number): void;
  releaseKeys(k: number): void;
  /** 0, having done nothing, unless the n values are live objects (likewise dictFromConstKeys). */
  instanceNew(type: number, basicBytes: number, keys: number, n: number, ix: number, v0: number, v1: number, v2: number, v3: number): number;
  /** `set`: the byte address of the keys' set in the annex (ObjectSpace.constKeySet). */
  dictFromConstKeys(n: number, set: number, v0: number, v1: number, v2: number, v3: number, v4: number): number;
}

/** Compiling the kernel takes about 100 ms. */
const compiled = new CompiledModule(SOURCE);

/** The compiled kernel (src/wasm/compiled-module.ts): the supervisor hands it to its threads. */
export function kernelModule(): WebAssembly.Module {
  return compiled.get();
}

/** Takes a kernel another thread compiled (kernelModule), instead of compiling here. */
export function useKernelModule(module: WebAssembly.Module): void {
  compiled.use(module);
}

export function instantiateKernel(memory: WebAssembly.Memory, place: KernelPlace, imports: KernelImports): ObjectKernel {
  const globals = (names: readonly (keyof KernelPlace)[]): Record<string, WebAssembly.Global> =>
    Object.fromEntries(names.map((name) => [name, new WebAssembly.Global({ value: 'i32', mutable: false }, place[name] | 0)]));
  const instance = new WebAssembly.Instance(kernelModule(), {
    env: { memory },
    heap: globals(['usedpools', 'alignShift', 'smallThreshold', 'poolMask', 'arenaRegion', 'rawRegion', 'annex']),
    space: globals(['static', 'gc', 'tupleFreeMax', 'emptyKeys', 'legacyDicts', 'keysHeaderBytes', 'handleStart', 'handleSpan']),
    model: { ...imports },
  });
  return instance.exports as unknown as ObjectKernel;
}

/** Indices of kernelAnnex's counters. */
export const COUNTER_ALLOCATIONS = 0;
export const COUNTER_DEALLOCATIONS = 1;

/** The kernel's tables and counters as views of the annex (from byte `annexByte` of `buffer`). */
export function kernelAnnex(
  buffer: ArrayBufferLike,
  annexByte: number,
): { kinds: Uint8Array; flags: Uint8Array; weaklistOffsets: Int8Array; cachedKeys: Int32Array; known: Uint8Array; constKeySets: Int32Array; counters: Float64Array; hooks: Int32Array } {
  return {
    kinds: new Uint8Array(buffer, annexByte + KINDS, MAX_TYPES),
    known: new Uint8Array(buffer, annexByte + KNOWN, MAX_TYPES),
    constKeySets: new Int32Array(buffer, annexByte + CONST_KEY_SETS, CONST_KEY_SET_WORDS * MAX_CONST_KEY_SETS),
    flags: new Uint8Array(buffer, annexByte + FLAGS, MAX_TYPES),
    weaklistOffsets: new Int8Array(buffer, annexByte + WEAKLIST, MAX_TYPES),
    cachedKeys: new Int32Array(buffer, annexByte + CACHED_KEYS, MAX_TYPES),
    counters: new Float64Array(buffer, annexByte + COUNTERS, 2),
    hooks: new Int32Array(buffer, annexByte + HOOKS, 1),
  };
}
