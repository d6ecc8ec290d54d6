/**
 * The collector's state (Include/internal/pycore_gc.h, `struct _gc_runtime_state`),
 * as words of the interpreter state area so that another thread can read the
 * counts and statistics (offsets from the GC state base, src/objects/static-area.ts).
 */
/** NUM_GENERATIONS */
export const NUM_GENERATIONS = 3;
/** Two-word list heads: generations 0, 1, 2, then the permanent generation (gc.freeze()). */
export const GEN_HEADS = 0;
export const PERMANENT_HEAD = 6;
/** generations[i].count */
export const COUNTS = 8;
/** generations[i].threshold: (700, 10, 10) by default (_PyGC_InitState). */
export const THRESHOLDS = 11;
/** generation_stats[i]: collections, collected, uncollectable. */
export const STAT_COLLECTIONS = 14;
export const STAT_COLLECTED = 17;
export const STAT_UNCOLLECTABLE = 20;
export const ENABLED = 23;
export const COLLECTING = 24;
export const LONG_LIVED_TOTAL = 25;
export const LONG_LIVED_PENDING = 26;
/** List heads a collection uses (CPython's are on the C stack). */
export const UNREACHABLE_HEAD = 28;
export const FINALIZERS_HEAD = 30;
export const WRCB_HEAD = 32;
export const SEEN_HEAD = 34;
export const FINAL_UNREACHABLE_HEAD = 36;
/** Float64 words (index = (base + F64_*) / 2): modelled pause time, total and longest, in ns. */
export const F64_PAUSE_TOTAL_NS = 40;
export const F64_PAUSE_MAX_NS = 42;

export const DEFAULT_THRESHOLDS = [700, 10, 10] as const;

export function genHead(base: number, generation: number): number {
  return base + GEN_HEADS + 2 * generation;
}
