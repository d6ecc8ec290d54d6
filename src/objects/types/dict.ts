/**
 * dict (Objects/dictobject.c, 3.11; 3.8 and 3.9 where marked): a 64-byte GC
 * object (with the GC head) and a separate keys object holding the hash index
 * and the entries:
 *
 *   keys object = 32 bytes + (1 << log2_index_bytes) index bytes
 *               + usable × (16 bytes for all-str keys, 24 otherwise)
 *               (3.8/3.9: a 40-byte header and 24-byte entries for all keys:
 *               168 bytes for 8 slots, 296 for 16 -- new_keys_object)
 *   usable = 2/3 of the table size (USABLE_FRACTION)
 *
 * An empty dict shares the static Py_EMPTY_KEYS; the first insert allocates
 * an 8-slot table. An insert that finds no usable slot resizes to the
 * smallest table of at least used × 3 slots (GROWTH_RATE); deleting never
 * shrinks. A non-str key turns an all-str table into a general one (a resize).
 * Up to 80 dict objects and 80 8-slot str-keyed keys objects wait on free
 * lists. Dicts start untracked by the GC and are tracked once they hold
 * something that may be a container (MAINTAIN_TRACKING).
 *
 * Instances of ordinary classes keep their attributes in a *values array*
 * (PyMem, 8 bytes per slot after a small prefix) indexed by the class's shared
 * keys (ht_cached_keys: a split keys object of 64 slots, at most 30 keys);
 * a real dict object appears only when `__dict__` is asked for, sharing those
 * keys (a split table).
 *
 * 3.8 and 3.9 differ (dictobject.c before 3.10): every entry is a
 * PyDictKeyEntry (hash, key, value), and a table's kind only says how it is
 * looked up (dk_lookup: all-str, or general once a non-str key was inserted
 * or looked up); the first insert into an empty dict is an ordinary
 * insertion_resize; an 8-slot keys object of any kind goes to the free list.
 * Instances have no inline values: a class's first instance that stores an
 * attribute gets a real dict sharing the class's keys (a *split table*: an
 * 8-slot keys object whose entries have no values, and a values array of
 * PyMem, 8 bytes per usable slot). Instances add keys to the shared keys in
 * the order they store them; an instance storing in another order, a deletion
 * or a sixth attribute turns its dict combined (a resize), and the class keeps
 * sharing only if no other instance shares (_PyObjectDict_SetItem; instance.ts).
 *
 * Words here:
 *   dict object   h+2 ma_used   h+3 ma_keys   h+4 ma_values (0: combined)
 *   keys object   +0 dk_refcnt  +1 dk_log2_size  +2 dk_log2_index_bytes
 *                 +3 dk_kind  +4 dk_version  +5 dk_usable  +6 dk_nentries
 *                 +7.. the indices (int8/16/32 by size), then the entries:
 *                 all-str (key, value) or general and 3.8/3.9 (hash, key, value)
 *   values array  3.11: prefix bytes before the values pointer: [-1] prefix
 *                 size, [-2] entries in insertion order, [-3-i] their indices;
 *                 3.8/3.9: the values only, in the keys' order
 *
 * dict_dealloc, free_keys_object (with the keys free list) and 3.11's
 * BUILD_CONST_KEY_MAP of up to five identifier keys run in the object kernel
 * (../wasm-kernel.ts), over LAYOUT below; the rest is here.
 */
import type { ObjectSpace } from '../object-space.js';
import * as staticArea from '../static-area.js';
import * as typeTable from '../type-table.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { DICT_FREE, DICT_NUMFREE, KEYS_FREE, KEYS_NUMFREE } = staticArea;
const { T_DICT, T_STR } = typeTable;

/** ma_used, ma_keys and ma_values, in words from the handle. */
const MA_USED = 2;
const MA_KEYS = 3;
const MA_VALUES = 4;
// This module uses the names above, which V8 compiles into its code; other
// modules import the exported ones (an exported binding is loaded, and checked
// that it is initialised, at every use, in its own module too).
export const USED = MA_USED;
export const KEYS = MA_KEYS;
export const VALUES = MA_VALUES;

const DK_REFCNT = 0;
const DK_LOG2_SIZE = 1;
const DK_LOG2_INDEX_BYTES = 2;
const DK_KIND = 3;
const DK_VERSION = 4;
const DK_USABLE = 5;
const DK_NENTRIES = 6;
const DK_INDICES = 7;

/**
 * dk_kind. Entries of GENERAL and WIDE_UNICODE tables are (hash, key, value),
 * of UNICODE and SPLIT (3.11) (key, value): `kind <= KIND_GENERAL` is the
 * wide layout. WIDE_UNICODE is 3.8/3.9's all-str table (dk_lookup
 * lookdict_unicode[_nodummy] or lookdict_split), GENERAL its lookdict.
 */
const KIND_WIDE_UNICODE = -1;
const KIND_GENERAL = 0;
const KIND_UNICODE = 1;
const KIND_SPLIT = 2;

/** DKIX_EMPTY, DKIX_DUMMY */
const EMPTY = -1;
const DUMMY = -2;
/** PyDict_LOG_MINSIZE, PERTURB_SHIFT, SHARED_KEYS_MAX_SIZE, NEXT_LOG2_SHARED_KEYS_MAX_SIZE */
const LOG_MINSIZE = 3;
const PERTURB_SHIFT = 5;
const SHARED_KEYS_MAX_SIZE = 30;
const NEXT_LOG2_SHARED_KEYS_MAX_SIZE = 6;
/** sizeof(PyDictUnicodeEntry), sizeof(PyDictKeyEntry); sizeof(PyDictKeysObject) is the version's (space.keysHeaderBytes). */
const UNICODE_ENTRY_BYTES = 16;
const GENERAL_ENTRY_BYTES = 24;
/** sizeof(PyDictObject); with the GC head, a 64-byte block. */
const DICT_BASIC_BYTES = 48;
const DICT_OBJECT_BYTES = 64;

/** The layout above, for the object kernel (wasm-kernel.ts), which frees dicts and builds dict displays. */
export const LAYOUT = {
  MA_USED,
  MA_KEYS,
  MA_VALUES,
  DK_REFCNT,
  DK_LOG2_SIZE,
  DK_LOG2_INDEX_BYTES,
  DK_KIND,
  DK_VERSION,
  DK_USABLE,
  DK_NENTRIES,
  DK_INDICES,
  KIND_GENERAL,
  KIND_UNICODE,
  LOG_MINSIZE,
  PERTURB_SHIFT,
  UNICODE_ENTRY_BYTES,
  DICT_BASIC_BYTES,
} as const;

// ------------------------------------------------------------------ keys objects

/** USABLE_FRACTION */
function usableFraction(n: number): number {
  return Math.floor((n << 1) / 3);
}

/** USABLE_FRACTION(1 << log2), looked up: a division costs more than new_keys_object's other work. */
const USABLE_BY_LOG2 = Int32Array.from({ length: 31 }, (_, log2) => usableFraction(2 ** log2));
/** dict_new_presized's limits: USABLE_FRACTION(PyDict_MINSIZE) and USABLE_FRACTION(1 << 17). */
const PRESIZE_MIN_USED = usableFraction(8);
const PRESIZE_MAX_USED = usableFraction(1 << 17);

/** calculate_log2_keysize: the smallest table of at least minsize slots (at least 8). */
export function calculateLog2KeySize(minsize: number): number {
  const x = (minsize | 8) - 1;
  return 32 - Math.clz32(x | 7);
}

/** estimate_log2_keysize: a table that holds n entries without resizing. */
function estimateLog2KeySize(n: number): number {
  return calculateLog2KeySize(Math.floor((n * 3 + 1) / 2));
}

function log2IndexBytes(log2Size: number): number {
  if (log2Size < 8) return log2Size;
  if (log2Size < 16) return log2Size + 1;
  return log2Size + 2;
}

/** Where the entries of a PyDict_MINSIZE table start, in words from the keys object (entriesBase). */
const MINSIZE_ENTRIES = DK_INDICES + ((1 << log2IndexBytes(LOG_MINSIZE)) >> 2);

/** Entries of (key, value): a 3.11 all-str or split table. */
function isNarrowKind(space: ObjectSpace, k: number): boolean {
  return space.mem[k + DK_KIND] > KIND_GENERAL;
}

/** Keys looked up as all-str (3.11: entries without hashes; 3.8/3.9: lookdict_unicode). */
function isUnicodeKind(space: ObjectSpace, k: number): boolean {
  return space.mem[k + DK_KIND] !== KIND_GENERAL;
}

function entriesBase(space: ObjectSpace, k: number): number {
  return k + DK_INDICES + ((1 << space.mem[k + DK_LOG2_INDEX_BYTES]) >> 2);
}

/**
 * dictkeys_get_index: slot i of the hash index of a table of 1 << log2Size
 * slots (int8, int16 or int32 entries by size). Probe loops read dk_log2_size
 * once and pass it: every read of the heap is a bounds-checked load.
 */
function indexAt(space: ObjectSpace, k: number, log2Size: number, i: number): number {
  const byteBase = (k + DK_INDICES) * 4;
  if (log2Size < 8) return (space.u8[byteBase + i] << 24) >> 24;
  if (log2Size < 16) return (space.u16[byteBase / 2 + i] << 16) >> 16;
  return space.mem[k + DK_INDICES + i];
}

/** dictkeys_set_index, likewise. */
function setIndexAt(space: ObjectSpace, k: number, log2Size: number, i: number, ix: number): void {
  const byteBase = (k + DK_INDICES) * 4;
  if (log2Size < 8) space.u8[byteBase + i] = ix & 0xff;
  else if (log2Size < 16) space.u16[byteBase / 2 + i] = ix & 0xffff;
  else space.mem[k + DK_INDICES + i] = ix;
}

function setIndex(space: ObjectSpace, k: number, i: number, ix: number): void {
  setIndexAt(space, k, space.mem[k + DK_LOG2_SIZE], i, ix);
}

/** Entry i's key / value word address, by table layout. */
function keyAddr(space: ObjectSpace, k: number, i: number): number {
  const e = entriesBase(space, k);
  return space.mem[k + DK_KIND] <= KIND_GENERAL ? e + 3 * i + 1 : e + 2 * i;
}

function valueAddr(space: ObjectSpace, k: number, i: number): number {
  const e = entriesBase(space, k);
  return space.mem[k + DK_KIND] <= KIND_GENERAL ? e + 3 * i + 2 : e + 2 * i + 1;
}

function entryHash(space: ObjectSpace, k: number, i: number): number {
  const e = entriesBase(space, k);
  if (space.mem[k + DK_KIND] <= KIND_GENERAL) return space.mem[e + 3 * i];
  return space.hash(space.mem[e + 2 * i]);
}

/** The static Py_EMPTY_KEYS (3.8/3.9: dk_size 1, dk_lookup lookdict_split; its dict's ma_values is empty_values, here 0). */
export function initEmptyKeys(space: ObjectSpace, k: number): void {
  const m = space.mem;
  m[k + DK_REFCNT] = 1;
  m[k + DK_LOG2_SIZE] = 0;
  m[k + DK_LOG2_INDEX_BYTES] = 0;
  m[k + DK_KIND] = space.legacyDicts ? KIND_WIDE_UNICODE : KIND_UNICODE;
  m[k + DK_VERSION] = 1;
  m[k + DK_USABLE] = 0;
  m[k + DK_NENTRIES] = 0;
  space.u8.fill(0xff, (k + DK_INDICES) * 4, (k + DK_INDICES) * 4 + 8);
}

/**
 * new_keys_object: all-str (`unicode`) or general. 3.8/3.9 make every table
 * of PyDictKeyEntry (lookdict_unicode_nodummy until a non-str key comes), and
 * take an 8-slot one of any kind from the free list; 3.11 only all-str ones.
 */
function newKeys(space: ObjectSpace, log2Size: number, unicode: boolean): number {
  const m = space.mem;
  const b = space.staticBase;
  const usable = USABLE_BY_LOG2[log2Size];
  const log2Bytes = log2IndexBytes(log2Size);
  const kind = !unicode ? KIND_GENERAL : space.legacyDicts ? KIND_WIDE_UNICODE : KIND_UNICODE;
  const narrow = kind === KIND_UNICODE;
  let k: number;
  if (log2Size === LOG_MINSIZE && (narrow || space.legacyDicts) && m[b + KEYS_NUMFREE] > 0) {
    k = m[b + KEYS_FREE + --m[b + KEYS_NUMFREE]];
  } else {
    k = space.objectMalloc(space.keysHeaderBytes + (1 << log2Bytes) + (narrow ? UNICODE_ENTRY_BYTES : GENERAL_ENTRY_BYTES) * usable);
  }
  m[k + DK_REFCNT] = 1;
  m[k + DK_LOG2_SIZE] = log2Size;
  m[k + DK_LOG2_INDEX_BYTES] = log2Bytes;
  m[k + DK_KIND] = kind;
  m[k + DK_NENTRIES] = 0;
  m[k + DK_USABLE] = usable;
  m[k + DK_VERSION] = 0;
  // Word stores rather than TypedArray.fill, which costs more than the few
  // stores of a small table; the index is at least 8 bytes, whole words.
  const indexWords = (1 << log2Bytes) >> 2;
  const e = k + DK_INDICES + indexWords;
  for (let i = k + DK_INDICES; i < e; i++) m[i] = -1;
  for (let i = e, end = e + usable * (narrow ? 2 : 3); i < end; i++) m[i] = 0;
  return k;
}

// free_keys_object and the keys free list are the object kernel's (wasm-kernel.ts).

/** The end of free_keys_object / dictresize: the 8-slot free list (3.11: str-keyed only), else PyObject_Free. */
function releaseKeysBlock(space: ObjectSpace, k: number): void {
  space.kernel.releaseKeys(k);
}

/** dictkeys_decref: the keys object is freed (its entries decref'd) when the last reference goes. */
export function keysDecref(space: ObjectSpace, k: number): void {
  space.kernel.keysDecref(k);
}

// ------------------------------------------------------------------ values arrays

/** new_values: PyMem_Malloc(prefix + 8 × size), prefix = size + 2 rounded up to 8. */
export function newValues(space: ObjectSpace, size: number): number {
  const prefix = (size + 2 + 7) & ~7;
  const p = space.objectMalloc(prefix + 8 * size);
  const v = p + (prefix >> 2);
  space.u8[v * 4 - 1] = prefix;
  space.u8[v * 4 - 2] = 0;
  const m = space.mem;
  for (let i = v; i < v + size; i++) m[i] = 0;
  return v;
}

/** free_values (3.11: the block starts at the prefix; 3.8/3.9 have none). */
export function freeValues(space: ObjectSpace, v: number): void {
  space.objectFree(space.legacyDicts ? v : v - (space.u8[v * 4 - 1] >> 2));
}

function valuesAddToOrder(space: ObjectSpace, v: number, ix: number): void {
  const sizeByte = v * 4 - 2;
  const size = space.u8[sizeByte] + 1;
  space.u8[sizeByte - size] = ix;
  space.u8[sizeByte] = size;
}

function valuesDeleteFromOrder(space: ObjectSpace, v: number, ix: number): void {
  const sizeByte = v * 4 - 2;
  const size = space.u8[sizeByte];
  let i = 1;
  while (space.u8[sizeByte - i] !== ix) i++;
  for (; i < size; i++) space.u8[sizeByte - i] = space.u8[sizeByte - i - 1];
  space.u8[sizeByte] = size - 1;
}

/** The index of a split dict's i-th value in insertion order: 3.8/3.9 split tables only append, in the keys' order. */
function orderAt(space: ObjectSpace, v: number, i: number): number {
  return space.legacyDicts ? i : space.u8[v * 4 - 3 - i];
}

/** shared_keys_usable_size */
export function sharedKeysUsableSize(space: ObjectSpace, k: number): number {
  return space.mem[k + DK_NENTRIES] + space.mem[k + DK_USABLE];
}

/**
 * _PyDict_NewKeysForClass: 3.11, a split table of 64 slots, dk_usable =
 * SHARED_KEYS_MAX_SIZE; 3.8/3.9, new_keys_object(PyDict_MINSIZE) looked up
 * as a split table (8 slots, 5 usable).
 */
export function newKeysForClass(space: ObjectSpace): number {
  if (space.legacyDicts) return newKeys(space, LOG_MINSIZE, true);
  const k = newKeys(space, NEXT_LOG2_SHARED_KEYS_MAX_SIZE, true);
  space.mem[k + DK_USABLE] = SHARED_KEYS_MAX_SIZE;
  space.mem[k + DK_KIND] = KIND_SPLIT;
  return k;
}

/** init_inline_values: shrink the shared keys' usable count by one, then a values array. */
export function initInlineValues(space: ObjectSpace, k: number): number {
  const m = space.mem;
  if (m[k + DK_USABLE] > 1) m[k + DK_USABLE]--;
  return newValues(space, sharedKeysUsableSize(space, k));
}

/** insert_into_dictkeys: the shared-keys index of `name`, added if there is room; EMPTY if not. */
export function insertIntoKeys(space: ObjectSpace, k: number, name: number): number {
  const m = space.mem;
  const hash = space.hash(name);
  let ix = lookupUnicode(space, k, name, hash);
  if (ix === EMPTY) {
    if (m[k + DK_USABLE] <= 0) return EMPTY;
    space.incref(name);
    m[k + DK_VERSION] = 0;
    const hashpos = findEmptySlot(space, k, hash);
    ix = m[k + DK_NENTRIES];
    setIndex(space, k, hashpos, ix);
    m[keyAddr(space, k, ix)] = name;
    m[k + DK_USABLE]--;
    m[k + DK_NENTRIES]++;
  }
  return ix;
}

/** The shared-keys index of `name`, or EMPTY (_PyDictKeys_StringLookup). */
export function keysStringLookup(space: ObjectSpace, k: number, name: number): number {
  return lookupUnicode(space, k, name, space.hash(name));
}

/** The word holding a keys object's entry count (dk_nentries). */
export function entriesCountWord(k: number): number {
  return k + DK_NENTRIES;
}

/** Values of an instance with inline values, in index order (for traversal and teardown). */
export function keysEntries(space: ObjectSpace, k: number): number {
  return space.mem[k + DK_NENTRIES];
}

export function valuesInsertionOrderAdd(space: ObjectSpace, v: number, ix: number): void {
  valuesAddToOrder(space, v, ix);
}

export function valuesInsertionOrderDelete(space: ObjectSpace, v: number, ix: number): void {
  valuesDeleteFromOrder(space, v, ix);
}

// ------------------------------------------------------------------ dict objects

/** new_dict: from the free list, else PyObject_GC_New; untracked. Consumes the keys reference. */
function newDictWith(space: ObjectSpace, keys: number, values: number, used: number): number {
  const m = space.mem;
  const b = space.staticBase;
  let h: number;
  if (m[b + DICT_NUMFREE] > 0) {
    h = m[b + DICT_FREE + --m[b + DICT_NUMFREE]];
    space.newReference(h);
  } else {
    h = space.gcNew(T_DICT, DICT_BASIC_BYTES);
  }
  m[h + MA_KEYS] = keys;
  m[h + MA_VALUES] = values;
  m[h + MA_USED] = used;
  return h;
}

/** PyDict_New */
export function newDict(space: ObjectSpace): number {
  space.mem[space.emptyKeys + DK_REFCNT]++;
  return newDictWith(space, space.emptyKeys, 0, 0);
}

/** dict_new_presized (BUILD_MAP, dict literals): more than 5 items get a table sized for them. */
export function newPresized(space: ObjectSpace, minused: number, unicode: boolean): number {
  if (minused <= PRESIZE_MIN_USED) return newDict(space);
  const log2 = minused > PRESIZE_MAX_USED ? 17 : estimateLog2KeySize(minused);
  return newDictWith(space, newKeys(space, log2, unicode), 0, 0);
}


/** make_dict_from_instance_attributes: a split dict over the class's shared keys and these values. */
export function fromInstanceValues(space: ObjectSpace, k: number, v: number): number {
  const m = space.mem;
  m[k + DK_REFCNT]++;
  let used = 0;
  let track = false;
  const size = sharedKeysUsableSize(space, k);
  for (let i = 0; i < size; i++) {
    const value = m[v + i];
    if (value !== 0) {
      used++;
      if (space.mayBeTracked(value)) track = true;
    }
  }
  const h = newDictWith(space, k, v, used);
  if (track) space.track(h);
  return h;
}

// ------------------------------------------------------------------ 3.8/3.9 instance dicts (split tables)

/** new_dict_with_shared_keys (3.8/3.9): a values array of USABLE_FRACTION(size) slots, then the dict, which takes a reference to the keys. */
export function newWithSharedKeys(space: ObjectSpace, keys: number): number {
  const size = USABLE_BY_LOG2[space.mem[keys + DK_LOG2_SIZE]];
  const v = newValuesBefore310(space, size);
  space.mem[keys + DK_REFCNT]++;
  return newDictWith(space, keys, v, 0);
}

/** new_values (3.8/3.9): PyMem_NEW(PyObject *, size), every slot NULL. */
function newValuesBefore310(space: ObjectSpace, size: number): number {
  const v = space.objectMalloc(8 * size);
  space.mem.fill(0, v, v + size);
  return v;
}

/**
 * make_keys_shared (3.8/3.9): a combined all-str dict turned split, its keys
 * to be its class's shared keys -- its values move to a new values array.
 * Returns the keys (a new reference), or 0 when a non-str key makes them
 * unsharable. A table with deleted entries is first resized to its size.
 */
export function makeKeysShared(space: ObjectSpace, h: number): number {
  const m = space.mem;
  if (m[h + MA_VALUES] === 0) {
    if (m[m[h + MA_KEYS] + DK_KIND] === KIND_GENERAL) return 0;
    if (m[m[h + MA_KEYS] + DK_NENTRIES] !== m[h + MA_USED]) resize(space, h, m[m[h + MA_KEYS] + DK_LOG2_SIZE], true);
    const k = m[h + MA_KEYS];
    const size = USABLE_BY_LOG2[m[k + DK_LOG2_SIZE]];
    const v = newValuesBefore310(space, size);
    const e = entriesBase(space, k);
    for (let i = 0; i < size; i++) {
      m[v + i] = m[e + 3 * i + 2];
      m[e + 3 * i + 2] = 0;
    }
    m[h + MA_VALUES] = v;
  }
  const k = m[h + MA_KEYS];
  m[k + DK_REFCNT]++;
  return k;
}

export function keysRefcount(space: ObjectSpace, k: number): number {
  return space.mem[k + DK_REFCNT];
}

// ------------------------------------------------------------------ size and lookup from outside

export function size(space: ObjectSpace, h: number): number {
  return space.mem[h + MA_USED];
}

/**
 * sys.getsizeof (_PyDict_SizeOf): the object, the values array (3.11: the
 * shared keys' usable size; 3.8/3.9: USABLE_FRACTION of their size), and an
 * unshared keys object.
 */
export function sizeOf(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const k = m[h + MA_KEYS];
  let res = DICT_OBJECT_BYTES;
  if (m[h + MA_VALUES] !== 0) res += (space.legacyDicts ? USABLE_BY_LOG2[m[k + DK_LOG2_SIZE]] : sharedKeysUsableSize(space, k)) * 8;
  if (m[k + DK_REFCNT] === 1) {
    const entryBytes = isNarrowKind(space, k) ? UNICODE_ENTRY_BYTES : GENERAL_ENTRY_BYTES;
    res += space.keysHeaderBytes + (1 << m[k + DK_LOG2_INDEX_BYTES]) + entryBytes * USABLE_BY_LOG2[m[k + DK_LOG2_SIZE]];
  }
  return res;
}

// ------------------------------------------------------------------ lookup

function lookupUnicode(space: ObjectSpace, k: number, key: number, hash: number): number {
  const m = space.mem;
  const log2 = m[k + DK_LOG2_SIZE];
  const mask = (1 << log2) - 1;
  let perturb = hash >>> 0;
  let i = hash & mask;
  const e = entriesBase(space, k);
  const keyIsStr = m[key + 1] === T_STR;
  for (;;) {
    const ix = indexAt(space, k, log2, i);
    if (ix >= 0) {
      const candidate = m[e + 2 * ix];
      if (candidate === key || (keyIsStr && space.hash(candidate) === hash && space.equals(candidate, key))) return ix;
      if (!keyIsStr && space.hash(candidate) === hash && space.equals(candidate, key)) return ix;
    } else if (ix === EMPTY) {
      return EMPTY;
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

function lookupGeneral(space: ObjectSpace, k: number, key: number, hash: number): number {
  const m = space.mem;
  const log2 = m[k + DK_LOG2_SIZE];
  const mask = (1 << log2) - 1;
  let perturb = hash >>> 0;
  let i = hash & mask;
  const e = entriesBase(space, k);
  for (;;) {
    const ix = indexAt(space, k, log2, i);
    if (ix >= 0) {
      const candidate = m[e + 3 * ix + 1];
      if (candidate === key || (m[e + 3 * ix] === hash && space.equals(candidate, key))) return ix;
    } else if (ix === EMPTY) {
      return EMPTY;
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/**
 * _Py_dict_lookup (3.8/3.9: dk_lookup): the entry index of `key`, or EMPTY.
 * 3.8/3.9's lookdict_unicode, asked for a non-str key, makes the table general
 * for good (a combined one; lookdict_split and Py_EMPTY_KEYS stay as they are).
 */
function lookup(space: ObjectSpace, h: number, key: number, hash: number): number {
  const m = space.mem;
  const k = m[h + MA_KEYS];
  const kind = m[k + DK_KIND];
  if (kind > KIND_GENERAL) return lookupUnicode(space, k, key, hash);
  if (kind === KIND_WIDE_UNICODE && m[key + 1] !== T_STR && m[h + MA_VALUES] === 0 && k !== space.emptyKeys) m[k + DK_KIND] = KIND_GENERAL;
  return lookupGeneral(space, k, key, hash);
}

/** The value stored for entry ix (from the values array of a split dict). */
function valueOf(space: ObjectSpace, h: number, ix: number): number {
  const m = space.mem;
  const v = m[h + MA_VALUES];
  return v !== 0 ? m[v + ix] : m[valueAddr(space, m[h + MA_KEYS], ix)];
}

/** find_empty_slot (the key is known to be absent; no dummies in fresh tables). */
function findEmptySlot(space: ObjectSpace, k: number, hash: number): number {
  const log2 = space.mem[k + DK_LOG2_SIZE];
  const mask = (1 << log2) - 1;
  let i = hash & mask;
  let ix = indexAt(space, k, log2, i);
  for (let perturb = hash >>> 0; ix >= 0; ) {
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
    ix = indexAt(space, k, log2, i);
  }
  return i;
}

/** d[key]: the value (a borrowed reference), or 0. */
export function getItem(space: ObjectSpace, h: number, key: number): number {
  const ix = lookup(space, h, key, space.hash(key));
  return ix < 0 ? 0 : valueOf(space, h, ix);
}

// ------------------------------------------------------------------ insertion

/** MAINTAIN_TRACKING: an untracked dict becomes tracked when it may hold a container. */
function maintainTracking(space: ObjectSpace, h: number, key: number, value: number): void {
  if (!space.isTracked(h) && (space.mayBeTracked(key) || space.mayBeTracked(value))) space.track(h);
}

/** PyDict_SetItem: d[key] = value (new references taken here). */
export function setItem(space: ObjectSpace, h: number, key: number, value: number): void {
  space.incref(key);
  space.incref(value);
  const hash = space.hash(key);
  if (space.legacyDicts) insertDictBefore310(space, h, key, hash, value);
  else if (space.mem[h + MA_KEYS] === space.emptyKeys) insertToEmptyDict(space, h, key, hash, value);
  else insertDict(space, h, key, hash, value);
}

/** insert_to_emptydict (3.10+; consumes key and value). */
function insertToEmptyDict(space: ObjectSpace, h: number, key: number, hash: number, value: number): void {
  const m = space.mem;
  const unicode = m[key + 1] === T_STR;
  const k = newKeys(space, LOG_MINSIZE, unicode);
  m[space.emptyKeys + DK_REFCNT]--;
  m[h + MA_KEYS] = k;
  m[h + MA_VALUES] = 0;
  maintainTracking(space, h, key, value);
  setIndexAt(space, k, LOG_MINSIZE, hash & 7, 0);
  const e = k + MINSIZE_ENTRIES;
  if (unicode) {
    m[e] = key;
    m[e + 1] = value;
  } else {
    m[e] = hash;
    m[e + 1] = key;
    m[e + 2] = value;
  }
  // ma_used++, dk_usable--, dk_nentries++ of an empty dict and a fresh table.
  m[h + MA_USED] = 1;
  m[k + DK_USABLE] = USABLE_BY_LOG2[LOG_MINSIZE] - 1;
  m[k + DK_NENTRIES] = 1;
}

/** insertdict (consumes key and value). */
function insertDict(space: ObjectSpace, h: number, key: number, hash: number, value: number): void {
  const m = space.mem;
  if (isUnicodeKind(space, m[h + MA_KEYS]) && m[key + 1] !== T_STR) insertionResize(space, h, false);
  const ix = lookup(space, h, key, hash);
  maintainTracking(space, h, key, value);
  if (ix === EMPTY) {
    let k = m[h + MA_KEYS];
    m[k + DK_VERSION] = 0;
    if (m[k + DK_USABLE] <= 0) {
      insertionResize(space, h, true);
      k = m[h + MA_KEYS];
    }
    const hashpos = findEmptySlot(space, k, hash);
    const n = m[k + DK_NENTRIES];
    setIndex(space, k, hashpos, n);
    const e = entriesBase(space, k);
    if (m[k + DK_KIND] !== KIND_GENERAL) {
      m[e + 2 * n] = key;
      const v = m[h + MA_VALUES];
      if (v !== 0) {
        valuesAddToOrder(space, v, n);
        m[v + n] = value;
      } else {
        m[e + 2 * n + 1] = value;
      }
    } else {
      m[e + 3 * n] = hash;
      m[e + 3 * n + 1] = key;
      m[e + 3 * n + 2] = value;
    }
    m[h + MA_USED]++;
    m[k + DK_USABLE]--;
    m[k + DK_NENTRIES]++;
    return;
  }
  const old = valueOf(space, h, ix);
  if (old !== value) {
    const v = m[h + MA_VALUES];
    if (v !== 0) {
      m[v + ix] = value;
      if (old === 0) {
        valuesAddToOrder(space, v, ix);
        m[h + MA_USED]++;
      }
    } else {
      m[valueAddr(space, m[h + MA_KEYS], ix)] = value;
    }
  }
  space.xdecref(old);
  space.decref(key);
}

/**
 * insertdict of 3.8 and 3.9 (consumes key and value). A split table (an
 * instance's dict sharing its class's keys, or an empty dict's empty_values)
 * takes str keys only, and only in the shared keys' order: an entry may be
 * filled when it is the next one (ix == ma_used), a new key appended when
 * every shared key is filled; anything else turns the table combined first.
 */
function insertDictBefore310(space: ObjectSpace, h: number, key: number, hash: number, value: number): void {
  const m = space.mem;
  if ((m[h + MA_VALUES] !== 0 || m[h + MA_KEYS] === space.emptyKeys) && m[key + 1] !== T_STR) insertionResize(space, h, true);
  let ix = lookup(space, h, key, hash);
  maintainTracking(space, h, key, value);
  let k = m[h + MA_KEYS];
  let v = m[h + MA_VALUES];
  const used = m[h + MA_USED];
  if (v !== 0 && ((ix >= 0 && m[v + ix] === 0 && used !== ix) || (ix === EMPTY && used !== m[k + DK_NENTRIES]))) {
    insertionResize(space, h, true);
    ix = EMPTY;
    k = m[h + MA_KEYS];
    v = 0;
  }
  if (ix === EMPTY) {
    if (m[k + DK_USABLE] <= 0) {
      insertionResize(space, h, true);
      k = m[h + MA_KEYS];
      v = m[h + MA_VALUES];
    }
    const hashpos = findEmptySlot(space, k, hash);
    const n = m[k + DK_NENTRIES];
    setIndex(space, k, hashpos, n);
    const e = entriesBase(space, k) + 3 * n;
    m[e] = hash;
    m[e + 1] = key;
    if (v !== 0) m[v + n] = value;
    else m[e + 2] = value;
    m[h + MA_USED]++;
    m[k + DK_USABLE]--;
    m[k + DK_NENTRIES]++;
    return;
  }
  const old = valueOf(space, h, ix);
  if (old !== value) {
    if (v !== 0) {
      m[v + ix] = value;
      if (old === 0) m[h + MA_USED]++;
    } else {
      m[valueAddr(space, k, ix)] = value;
    }
  }
  space.xdecref(old);
  space.decref(key);
}

/** insertion_resize: to the smallest table of at least used × 3 slots (GROWTH_RATE). */
function insertionResize(space: ObjectSpace, h: number, unicode: boolean): void {
  resize(space, h, calculateLog2KeySize(space.mem[h + MA_USED] * 3), unicode);
}

/** dictresize: a new keys object first, entries moved, then the old keys/values released. */
function resize(space: ObjectSpace, h: number, log2NewSize: number, unicodeWanted: boolean): void {
  const m = space.mem;
  const oldKeys = m[h + MA_KEYS];
  const oldValues = m[h + MA_VALUES];
  const unicode = unicodeWanted && isUnicodeKind(space, oldKeys);
  const k = newKeys(space, log2NewSize, unicode);
  m[h + MA_KEYS] = k;
  const numentries = m[h + MA_USED];
  const newGeneral = m[k + DK_KIND] <= KIND_GENERAL;
  const ne = entriesBase(space, k);
  const put = (i: number, key: number, value: number): void => {
    if (newGeneral) {
      m[ne + 3 * i] = space.hash(key);
      m[ne + 3 * i + 1] = key;
      m[ne + 3 * i + 2] = value;
    } else {
      m[ne + 2 * i] = key;
      m[ne + 2 * i + 1] = value;
    }
  };
  if (oldValues !== 0) {
    // Split → combined: keys are increfed (they stay in the shared keys), values transferred.
    for (let i = 0; i < numentries; i++) {
      const index = orderAt(space, oldValues, i);
      const key = m[keyAddr(space, oldKeys, index)];
      space.incref(key);
      put(i, key, m[oldValues + index]);
    }
    buildIndices(space, k, numentries);
    keysDecref(space, oldKeys);
    m[h + MA_VALUES] = 0;
    freeValues(space, oldValues);
  } else {
    let j = 0;
    for (let i = 0; j < numentries; i++) {
      const value = m[valueAddr(space, oldKeys, i)];
      if (value === 0) continue;
      put(j++, m[keyAddr(space, oldKeys, i)], value);
    }
    buildIndices(space, k, numentries);
    if (oldKeys === space.emptyKeys) m[oldKeys + DK_REFCNT]--;
    else releaseKeysBlock(space, oldKeys);
  }
  m[k + DK_USABLE] -= numentries;
  m[k + DK_NENTRIES] = numentries;
}

/** build_indices_*: entries 0..n-1 hashed into a fresh table. */
function buildIndices(space: ObjectSpace, k: number, n: number): void {
  const log2 = space.mem[k + DK_LOG2_SIZE];
  const mask = (1 << log2) - 1;
  for (let ix = 0; ix < n; ix++) {
    const hash = entryHash(space, k, ix);
    let i = hash & mask;
    for (let perturb = hash >>> 0; indexAt(space, k, log2, i) !== EMPTY; ) {
      perturb >>>= PERTURB_SHIFT;
      i = (i * 5 + perturb + 1) & mask;
    }
    setIndexAt(space, k, log2, i, ix);
  }
}

// ------------------------------------------------------------------ deletion, clearing, teardown

/** del d[key] (delitem_common); returns false if the key is absent. */
export function delItem(space: ObjectSpace, h: number, key: number): boolean {
  const m = space.mem;
  const hash = space.hash(key);
  let ix = lookup(space, h, key, hash);
  if (ix < 0) return false;
  const old = valueOf(space, h, ix);
  if (old === 0) return false;
  if (space.legacyDicts && m[h + MA_VALUES] !== 0) {
    // 3.8/3.9: "Split table doesn't allow deletion. Combine it." (a resize to the same size)
    resize(space, h, m[m[h + MA_KEYS] + DK_LOG2_SIZE], true);
    ix = lookup(space, h, key, hash);
  }
  const k = m[h + MA_KEYS];
  const hashpos = lookdictIndex(space, k, hash, ix);
  m[h + MA_USED]--;
  const v = m[h + MA_VALUES];
  if (v !== 0) {
    m[v + ix] = 0;
    valuesDeleteFromOrder(space, v, ix);
  } else {
    m[k + DK_VERSION] = 0;
    setIndex(space, k, hashpos, DUMMY);
    const ka = keyAddr(space, k, ix);
    const oldKey = m[ka];
    m[ka] = 0;
    m[valueAddr(space, k, ix)] = 0;
    if (m[k + DK_KIND] <= KIND_GENERAL) m[ka - 1] = 0;
    space.decref(oldKey);
  }
  space.decref(old);
  return true;
}

/** lookdict_index: the table slot holding entry `index`. */
function lookdictIndex(space: ObjectSpace, k: number, hash: number, index: number): number {
  const log2 = space.mem[k + DK_LOG2_SIZE];
  const mask = (1 << log2) - 1;
  let perturb = hash >>> 0;
  let i = hash & mask;
  for (;;) {
    const ix = indexAt(space, k, log2, i);
    if (ix === index) return i;
    if (ix === EMPTY) return EMPTY;
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + perturb + 1) & mask;
  }
}

/** PyDict_Clear (dict.clear() and tp_clear): back to Py_EMPTY_KEYS, then release the old table. */
export function clear(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const oldKeys = m[h + MA_KEYS];
  const oldValues = m[h + MA_VALUES];
  if (oldKeys === space.emptyKeys) return;
  m[space.emptyKeys + DK_REFCNT]++;
  m[h + MA_KEYS] = space.emptyKeys;
  m[h + MA_VALUES] = 0;
  m[h + MA_USED] = 0;
  if (oldValues !== 0) {
    const n = m[oldKeys + DK_NENTRIES];
    for (let i = 0; i < n; i++) {
      const value = m[oldValues + i];
      m[oldValues + i] = 0;
      space.xdecref(value);
    }
    freeValues(space, oldValues);
  }
  keysDecref(space, oldKeys);
}

// dict_dealloc is the object kernel's (wasm-kernel.ts).

/** dict_traverse: values (and keys of general tables). */
export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const k = m[h + MA_KEYS];
  const n = m[k + DK_NENTRIES];
  space.ensureScratch(2 * n);
  let count = 0;
  const v = m[h + MA_VALUES];
  const kind = m[k + DK_KIND];
  if (kind === KIND_GENERAL) {
    for (let i = 0; i < n; i++) {
      if (m[valueAddr(space, k, i)] === 0) continue;
      count = space.pushReferent(count, m[valueAddr(space, k, i)]);
      count = space.pushReferent(count, m[keyAddr(space, k, i)]);
    }
  } else if (v !== 0) {
    count = space.pushReferents(0, v, n, 1);
  } else if (kind > KIND_GENERAL) {
    count = space.pushReferents(0, entriesBase(space, k) + 1, n, 2);
  } else {
    count = space.pushReferents(0, entriesBase(space, k) + 2, n, 3);
  }
  return count;
}

/** _PyDict_MaybeUntrack (full collections). */
export function maybeUntrack(space: ObjectSpace, h: number): void {
  const m = space.mem;
  if (!space.isTracked(h)) return;
  const k = m[h + MA_KEYS];
  const n = m[k + DK_NENTRIES];
  const v = m[h + MA_VALUES];
  for (let i = 0; i < n; i++) {
    const value = v !== 0 ? m[v + i] : m[valueAddr(space, k, i)];
    if (value === 0) continue;
    if (space.mayBeTracked(value)) return;
    if (m[k + DK_KIND] === KIND_GENERAL && space.mayBeTracked(m[keyAddr(space, k, i)])) return;
  }
  space.untrack(h);
}

/** _PyDict_ClearFreeList: dict objects (PyObject_GC_Del), then keys objects (PyObject_Free). */
export function clearFreeList(space: ObjectSpace): void {
  const m = space.mem;
  const b = space.staticBase;
  while (m[b + DICT_NUMFREE] > 0) space.gcDel(m[b + DICT_FREE + --m[b + DICT_NUMFREE]]);
  while (m[b + KEYS_NUMFREE] > 0) space.objectFree(m[b + KEYS_FREE + --m[b + KEYS_NUMFREE]]);
}

/** The live entries, in insertion order: [key, value] handles (borrowed). */
export function items(space: ObjectSpace, h: number): [number, number][] {
  const m = space.mem;
  const k = m[h + MA_KEYS];
  const v = m[h + MA_VALUES];
  const out: [number, number][] = [];
  if (v !== 0) {
    for (let i = 0; i < m[h + MA_USED]; i++) {
      const ix = orderAt(space, v, i);
      out.push([m[keyAddr(space, k, ix)], m[v + ix]]);
    }
    return out;
  }
  for (let i = 0; i < m[k + DK_NENTRIES]; i++) {
    const value = m[valueAddr(space, k, i)];
    if (value !== 0) out.push([m[keyAddr(space, k, i)], value]);
  }
  return out;
}
