/**
 * What changes in the object model from one CPython version to the next: one
 * fixed-shape table per heap profile, chosen once when a `Python` is made, so
 * that no operation compares version names. The object space copies the
 * figures its hot paths read into fields of its own.
 *
 *   profile  objects of        calls make a   instance attributes          dict keys object
 *                              frame object
 *   3.11     CPython 3.11      no             inline values (pre-header)   32-byte header; str-keyed entries 16 bytes
 *   3.9      CPython 3.9       yes            a split-table __dict__       40-byte header; 24-byte entries for all keys
 *   3.8      CPython 3.8       yes            a split-table __dict__       as 3.9
 *
 * The other differences are sizes and formulas, each with its source below.
 * The measured facts, side by side, are in docs/cpython-3.8-3.9-objects.md;
 * the "3.7" heap profile has no object table (nothing of 3.7's objects was
 * measured), so a `Python` refuses it.
 */
import type { ProfileName } from '../heap/profile.js';

export interface ObjectVersion {
  readonly name: '3.11' | '3.9' | '3.8';
  /**
   * A Python call allocates a frame object (Objects/frameobject.c,
   * _PyFrame_New_NoTrack), unless its code object's zombie frame is free;
   * 3.11 keeps frames on the thread's data stack (Python/ceval.c).
   */
  readonly frameObjects: boolean;
  /**
   * Instances of ordinary classes keep their attributes in a values array
   * behind the object (Py_TPFLAGS_MANAGED_DICT, 3.11); before, in a `__dict__`
   * at tp_dictoffset, made on the first attribute store (_PyObjectDict_SetItem).
   */
  readonly inlineValues: boolean;
  /** sizeof(PyDictKeysObject): 32 in 3.11 (Include/internal/pycore_dict.h), 40 in 3.8/3.9 (Objects/dict-common.h: dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries). */
  readonly keysHeaderBytes: number;
  /** 3.11's PyDictUnicodeEntry (16 bytes) for all-str tables; 3.8/3.9 have only PyDictKeyEntry (24). */
  readonly unicodeEntries: boolean;
  /** list_resize (Objects/listobject.c): 3.8's `n + (n >> 3) + (n < 9 ? 3 : 6)`, or 3.9's `(n + (n >> 3) + 6) & ~3`, kept by 3.11. */
  readonly listGrowth: ListGrowth;
  /**
   * What PyLong_FromLong asks of PyObject_Malloc for a one-digit int
   * (Objects/longobject.c): 3.11's _PyLong_FromMedium, sizeof(PyLongObject) =
   * 32; 3.8/3.9's _PyLong_New(1), offsetof(ob_digit) + 4 = 28.
   */
  readonly mediumIntBytes: number;
  /**
   * The fewest digits int.__sizeof__ counts (int___sizeof___impl,
   * Objects/longobject.c): 3.11 counts one for 0 (28 bytes), 3.8/3.9 none (24).
   */
  readonly intSizeOfMinDigits: number;
  /**
   * The longest tuple tupledealloc puts on a free list (Objects/tupleobject.c):
   * 3.8/3.9 `len < PyTuple_MAXSAVESIZE` (19); 3.11's maybe_freelist_push takes
   * `len <= PyTuple_MAXSAVESIZE` (20) though only 19 are taken back out.
   */
  readonly tupleFreeListMaxLength: number;
  /**
   * Modules/gcmodule.c: 3.8's check_garbage keeps every object a collection
   * found unreachable when a finalizer resurrected any of them; 3.9's
   * handle_resurrected_objects keeps only what the resurrected ones reach.
   */
  readonly resurrectionKeepsAll: boolean;
  /** tp_basicsize of function (Include/funcobject.h): 3.11 adds func_builtins, func_version and more. */
  readonly functionBasicBytes: number;
  /** tp_basicsize of weakref (Include/weakrefobject.h): 3.11 adds vectorcall. */
  readonly weakrefBasicBytes: number;
  /** tp_basicsize of generator (Include/genobject.h), its frame outside it (3.8/3.9) or from gi_iframe on (3.11). */
  readonly generatorBasicBytes: number;
}

/** 3.8 list_resize: n + (n >> 3) + (n < 9 ? 3 : 6). */
export const LIST_GROWTH_38 = 0;
/** 3.9 list_resize (kept by 3.10 and 3.11): (n + (n >> 3) + 6) & ~3, or (n + 3) & ~3 when that would not cover the growth. */
export const LIST_GROWTH_39 = 1;
export type ListGrowth = typeof LIST_GROWTH_38 | typeof LIST_GROWTH_39;

const PYTHON_311: ObjectVersion = Object.freeze({
  name: '3.11',
  frameObjects: false,
  inlineValues: true,
  keysHeaderBytes: 32,
  unicodeEntries: true,
  listGrowth: LIST_GROWTH_39,
  mediumIntBytes: 32,
  intSizeOfMinDigits: 1,
  tupleFreeListMaxLength: 20,
  resurrectionKeepsAll: false,
  functionBasicBytes: 136,
  weakrefBasicBytes: 64,
  // offsetof(PyGenObject, gi_iframe) + the frame's fixed part; the frame's locals come after.
  generatorBasicBytes: 160,
});

const PYTHON_39: ObjectVersion = Object.freeze({
  name: '3.9',
  frameObjects: true,
  inlineValues: false,
  keysHeaderBytes: 40,
  unicodeEntries: false,
  listGrowth: LIST_GROWTH_39,
  mediumIntBytes: 28,
  intSizeOfMinDigits: 0,
  tupleFreeListMaxLength: 19,
  resurrectionKeepsAll: false,
  functionBasicBytes: 120,
  weakrefBasicBytes: 56,
  generatorBasicBytes: 96,
});

const PYTHON_38: ObjectVersion = Object.freeze({ ...PYTHON_39, name: '3.8', listGrowth: LIST_GROWTH_38, resurrectionKeepsAll: true });

const VERSIONS: Partial<Record<ProfileName, ObjectVersion>> = { '3.11': PYTHON_311, '3.9': PYTHON_39, '3.8': PYTHON_38 };

/** The object table of a heap profile, or null when pyheap has none for it (3.7). */
export function objectVersion(profile: ProfileName): ObjectVersion | null {
  return VERSIONS[profile] ?? null;
}

/** The profiles a `Python` accepts. */
export const OBJECT_PROFILES: readonly ProfileName[] = Object.keys(VERSIONS) as ProfileName[];
