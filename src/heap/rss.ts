/**
 * The resident-memory model of a simulated process, computed from the heap's
 * control block alone, so the owning thread and a supervisor sampling the same
 * SharedArrayBuffer get the same figures without messages.
 *
 *   rss = interpreter baseline                    (profile; measured)
 *       + pages of live arenas written since each was mapped
 *       + brk-heap pages written and not trimmed  (raw.ts)
 *       + written pages of glibc's mmapped chunks (raw.ts)
 *
 * An arena's pages count from the moment a pool header or block on them is
 * written (a pool is carved, a block handed out) until the arena is unmapped:
 * empty pools and freed blocks keep their pages, as in a real process.
 * What is not modelled: the pages of the 3.11 frame data stack, of thread
 * stacks, and of C extensions' own allocations -- part of the baseline.
 */
import {
  AO_ADDRESS,
  AO_POOL_ADDRESS,
  AO_WORDS,
  CTRL_ARENA_RESIDENT_PAGES,
  CTRL_MAXARENAS,
  CTRL_NARENAS_CURRENT,
  CTRL_POOLS_IN_USE,
  F64_BASELINE_RSS_BYTES,
  F64_PEAK_RSS_BYTES,
  F64_RAW_LIVE_BYTES,
  F64_RAW_MMAP_BYTES,
  F64_RAW_MMAP_RESIDENT_BYTES,
  type HeapLayout,
  PAGE_SIZE_BYTES,
  POOL_REF_COUNT,
  POOL_SZIDX,
  RAW_BRK,
  RAW_HEAP_START,
  RAW_TOUCHED_END,
  WORD_BYTES,
} from './layout.js';
import { roundUpToPage } from './address-space.js';

/** The per-worker memory metrics of DESIGN.md, in bytes. */
export interface MemoryFigures {
  /** rss_bytes */
  rssBytes: number;
  /** peak_rss_bytes: the high-water mark, what ru_maxrss (and Celery's memory limit) reads. */
  peakRssBytes: number;
  /** arena_bytes: arenas × ARENA_SIZE. */
  arenaBytes: number;
  arenas: number;
  /** pools_used: pools holding at least one block. */
  poolsUsed: number;
  /** live_bytes: bytes in allocated pymalloc blocks + usable bytes of live raw blocks. */
  liveBytes: number;
  /** Memory the allocators hold from the OS: arenas + brk heap + mmapped chunks. */
  footprintBytes: number;
  /** fragmentation: 1 − live / footprint (0 for an empty heap). */
  fragmentation: number;
  rawResidentBytes: number;
  baselineRssBytes: number;
}

export function brkResidentBytes(m: Int32Array, layout: HeapLayout): number {
  const c = layout.rawCtrlBase;
  const end = Math.min(m[c + RAW_TOUCHED_END], m[c + RAW_BRK]);
  return roundUpToPage((end - m[c + RAW_HEAP_START]) * WORD_BYTES);
}

export function brkHeapBytes(m: Int32Array, layout: HeapLayout): number {
  const c = layout.rawCtrlBase;
  return (m[c + RAW_BRK] - m[c + RAW_HEAP_START]) * WORD_BYTES;
}

export function residentBytes(m: Int32Array, f64: Float64Array, layout: HeapLayout): number {
  return (
    f64[F64_BASELINE_RSS_BYTES] +
    m[CTRL_ARENA_RESIDENT_PAGES] * PAGE_SIZE_BYTES +
    brkResidentBytes(m, layout) +
    f64[F64_RAW_MMAP_RESIDENT_BYTES]
  );
}

/** Called by the owner whenever resident memory may have grown: keeps the peak. */
export function notePeak(m: Int32Array, f64: Float64Array, layout: HeapLayout): void {
  const rss = residentBytes(m, f64, layout);
  if (rss > f64[F64_PEAK_RSS_BYTES]) f64[F64_PEAK_RSS_BYTES] = rss;
}

/**
 * Bytes in allocated pymalloc blocks: a walk over the allocated arenas' carved
 * pools, as `_PyObject_DebugMallocStats` does. Counting on every malloc/free
 * would tax the hot paths; a reader samples rarely. A reader on another thread
 * may see a pool mid-update and be off by a block for that sample.
 */
export function pymallocLiveBytes(m: Int32Array, layout: HeapLayout, poolSizeBytes: number, alignmentShift: number): number {
  const poolWords = poolSizeBytes / WORD_BYTES;
  let bytes = 0;
  const maxarenas = Math.min(m[CTRL_MAXARENAS], layout.maxArenas);
  for (let i = 0; i < maxarenas; i++) {
    const ao = layout.arenaObjectsBase + i * AO_WORDS;
    const base = m[ao + AO_ADDRESS];
    if (base === 0) continue;
    const end = Math.min(m[ao + AO_POOL_ADDRESS], base + layout.arenaWords);
    for (let pool = base; pool < end; pool += poolWords) {
      const count = m[pool + POOL_REF_COUNT];
      if (count > 0) bytes += count * ((m[pool + POOL_SZIDX] + 1) << alignmentShift);
    }
  }
  return bytes;
}

export function memoryFigures(
  m: Int32Array,
  f64: Float64Array,
  layout: HeapLayout,
  arenaSizeBytes: number,
  poolSizeBytes: number,
  alignmentShift: number,
): MemoryFigures {
  const arenas = m[CTRL_NARENAS_CURRENT];
  const arenaBytes = arenas * arenaSizeBytes;
  const rawResidentBytes = brkResidentBytes(m, layout) + f64[F64_RAW_MMAP_RESIDENT_BYTES];
  const liveBytes = pymallocLiveBytes(m, layout, poolSizeBytes, alignmentShift) + f64[F64_RAW_LIVE_BYTES];
  const footprintBytes = arenaBytes + brkHeapBytes(m, layout) + f64[F64_RAW_MMAP_BYTES];
  return {
    rssBytes: residentBytes(m, f64, layout),
    peakRssBytes: f64[F64_PEAK_RSS_BYTES],
    arenaBytes,
    arenas,
    poolsUsed: m[CTRL_POOLS_IN_USE],
    liveBytes,
    footprintBytes,
    fragmentation: footprintBytes === 0 ? 0 : 1 - liveBytes / footprintBytes,
    rawResidentBytes,
    baselineRssBytes: f64[F64_BASELINE_RSS_BYTES],
  };
}
