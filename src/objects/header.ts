/**
 * Where an object's fields live, in words relative to its handle.
 *
 * A handle is the word address of the object's PyObject header, as a
 * PyObject* is in CPython; what CPython puts *before* that pointer sits before
 * the handle here too:
 *
 *   managed-dict pre-header   h-8 values   h-6 dict      (3.11 instances with __dict__;
 *                                                        3.8/3.9 keep the dict at h+2, instance.ts)
 *   PyGC_Head                 h-4 next  h-3 prev  h-2 gc_refs  h-1 flags   (GC types)
 *   PyObject                  h+0 ob_refcnt   h+1 ob_type
 *   the type's own fields     h+2 ...          (types/*.ts)
 *
 * The GC head's fields are the collector's (src/gc/gc-head.ts). Every field
 * the simulation stores fits inside the block CPython would have allocated: a
 * pointer is one word here, eight bytes there.
 */
export { GC_COLLECTING, GC_FINALIZED, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT, GC_PREV, GC_REFS, GC_UNREACHABLE, OB_REFCNT, OB_TYPE } from '../gc/gc-head.js';

/** First word of a type's own fields. */
export const OB_FIELDS = 2;

/** The 3.11 managed-dict pre-header: values at obj-4 pointers, dict at obj-3 pointers. */
export const PRE_HEADER_WORDS = 4;
export const MANAGED_VALUES = -8;
export const MANAGED_DICT = -6;
