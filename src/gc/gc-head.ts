/**
 * PyGC_Head (Include/internal/pycore_gc.h) as the collector sees it, in words
 * relative to the GC head address g = handle - GC_HEAD_WORDS; and the two
 * fields of the object header it reads, the refcount and the type.
 *
 * CPython's GC head is 16 bytes (two pointers, with gc_refs and the flags
 * packed into _gc_prev's bits during a collection); pyheap has the same 16
 * bytes as four words, gc_refs and the flags in words of their own.
 */
export const GC_HEAD_WORDS = 4;
export const GC_NEXT = 0; //  _gc_next: next in its generation list; 0 = untracked
export const GC_PREV = 1; //  _gc_prev
export const GC_REFS = 2; //  gc_refs while a collection runs
export const GC_FLAGS = 3; // the flags below

/** _PyGCHead_FINALIZED: tp_finalize has run (PEP 442: once per object). */
export const GC_FINALIZED = 1;
/** PREV_MASK_COLLECTING: in the generation being collected. */
export const GC_COLLECTING = 2;
/** NEXT_MASK_UNREACHABLE: tentatively unreachable (in move_unreachable). */
export const GC_UNREACHABLE = 4;
/**
 * Bits 3-4: which generation list the object is on, plus one (0: untracked,
 * or in the permanent generation). CPython has no such field; pyheap keeps
 * it so that a collection can tell, from a referent's GC head alone, whether
 * the referent is in the generations being collected before the pass that
 * marks them has reached it (Collector.subtractRefs).
 * Invariant: a tracked object in generation i has tag i + 1; every other
 * object has tag 0 (untracking clears it, as it clears the other flags).
 */
export const GC_GEN_SHIFT = 3;
export const GC_GEN_MASK = 3 << GC_GEN_SHIFT;

/** The GC_FLAGS bits of an object on generation `generation`'s list. */
export function genTag(generation: number): number {
  return (generation + 1) << GC_GEN_SHIFT;
}

/** ob_refcnt, at the object's handle. */
export const OB_REFCNT = 0;
/** ob_type: the type id, by which the collector tells a referent with a GC head (GcObjectModel.gcTypes). */
export const OB_TYPE = 1;
