/**
 * The one place that knows where everything lives in a heap's SharedArrayBuffer.
 *
 * A heap is one SharedArrayBuffer, addressed in 32-bit words: a *word address*
 * `w` names the bytes [4w, 4w+4). Every simulated pointer (a block, a pool, an
 * arena object) is a word address; 0 is NULL, which is safe because word 0 is the
 * control block's magic and no block ever lives there.
 *
 *   word 0 ┌──────────────────────────────────────────────┐
 *          │ control block                                 │ ctrlSlots arena-sized slots
 *          │   header + int32 counters        (CTRL_*)     │
 *          │   float64 counters               (F64_*)      │
 *          │   usedpools sentinels            (usedpools)  │
 *          │   nfp2lasta                                   │
 *          │   arena objects                  (arenas[])   │
 *          │   arena OS addresses (float64)                │
 *          │   interpreter state (static objects, GC, free  │
 *          │   lists: src/objects/static-area.ts)           │
 *   arenaRegion ├─────────────────────────────────────────────┤
 *          │ arena slot 0 │ arena slot 1 │ ... │ slot N-1   │ one slot per arena object:
 *          │  pool 0 │ pool 1 │ ... │ pool 63               │ arenas[i] always uses slot i
 *   rawRegion ├──────────────────────────────────────────────┤
 *          │ brk heap → (glibc main-arena chunks)           │ the raw allocator's bytes
 *          │              ...                               │ (raw.ts): chunk headers,
 *          │            ← bytes of glibc's mmapped chunks   │ bins and blocks, in glibc's format
 *   end    └──────────────────────────────────────────────┘
 *
 * Where a block *lives* (a word of this buffer) is kept apart from the OS
 * address the simulated process would see: arena i always lives in slot i, so
 * "is this pointer pymalloc's?" is one comparison (`p < rawRegion`) and an
 * arena's pools are a shift away, while its modelled OS address (which decides
 * 63 or 64 pools, CPython's `new_arena`) is kept in the arena OS address table
 * and placed by the address-space model (address-space.ts). Pages of the
 * SharedArrayBuffer are committed by the OS only when written, so the
 * simulator's own resident memory follows the pages the simulation touched.
 *
 * Counters that another thread may read (a supervisor sampling RSS) are plain
 * int32 or float64 words of the control block: int32 element accesses are
 * tear-free by the ECMAScript memory model; float64 counters are written with
 * single aligned 8-byte stores (never torn on x86-64 or AArch64). A reader that
 * needs several counters from one instant compares CTRL_SEQUENCE before and after.
 */

/** Bytes per word of the heap's Int32Array. */
export const WORD_BYTES = 4;
/** SYSTEM_PAGE_SIZE in obmalloc.c; also the page of the resident-memory model. */
export const PAGE_SIZE_BYTES = 4096;
export const LAYOUT_MAGIC = 0x50594850; // "PYHP"
export const LAYOUT_VERSION = 1;

// ---------------------------------------------------------------------------
// Control block: int32 header and counters (word offsets from 0).
export const CTRL_MAGIC = 0;
export const CTRL_LAYOUT_VERSION = 1;
export const CTRL_PROFILE_ID = 2;
/** Bumped (Atomics.add) by the owner around multi-counter updates a reader may want consistent. */
export const CTRL_SEQUENCE = 3;
/** narenas_currently_allocated */
export const CTRL_NARENAS_CURRENT = 4;
/** ntimes_arena_allocated */
export const CTRL_NTIMES_ARENA_ALLOCATED = 5;
/** narenas_highwater */
export const CTRL_NARENAS_HIGHWATER = 6;
/** maxarenas: the logical length of the arenas vector (doubles from 16). */
export const CTRL_MAXARENAS = 7;
/** usable_arenas: arena object address or 0. */
export const CTRL_USABLE_ARENAS = 8;
/** unused_arena_objects: arena object address or 0. */
export const CTRL_UNUSED_ARENA_OBJECTS = 9;
/** raw_allocated_blocks: live blocks pymalloc handed to the raw allocator. */
export const CTRL_RAW_ALLOCATED_BLOCKS = 10;
/** Pages of arena memory touched since each arena was mapped, summed over live arenas. */
export const CTRL_ARENA_RESIDENT_PAGES = 11;
/** Arenas whose modelled OS address is not pool-aligned (63 pools). */
export const CTRL_UNALIGNED_ARENAS = 12;
/** Pools holding at least one block (used or full). */
export const CTRL_POOLS_IN_USE = 13;
/** Live blocks of the raw allocator (all callers). */
export const CTRL_RAW_LIVE_BLOCKS = 14;
export const CTRL_INT_WORDS = 32;

// Float64 counters (index into the Float64Array view; word offset = 2 × index).
const F64_FIRST = CTRL_INT_WORDS / 2;
/** Resident bytes of the interpreter outside the simulated heap (the profile's baseline). */
export const F64_BASELINE_RSS_BYTES = F64_FIRST + 0;
/** Highest resident bytes ever reached (what ru_maxrss reports). */
export const F64_PEAK_RSS_BYTES = F64_FIRST + 1;
/** Bytes of live raw blocks, as malloc_usable_size reports them. */
export const F64_RAW_LIVE_BYTES = F64_FIRST + 2;
/** Resident bytes of glibc's mmapped chunks. */
export const F64_RAW_MMAP_RESIDENT_BYTES = F64_FIRST + 3;
/** Bytes of glibc's mmapped chunks (mapped, resident or not). */
export const F64_RAW_MMAP_BYTES = F64_FIRST + 4;
export const F64_COUNT = 8;

// ---------------------------------------------------------------------------
// Raw allocator (glibc model, raw.ts) state, at layout.rawCtrlBase. Word offsets.
export const RAW_HEAP_START = 0; //      start of the brk heap (word address)
export const RAW_BRK = 1; //             current program break
export const RAW_TOP = 2; //             the top chunk
export const RAW_TOUCHED_END = 3; //     highest word of the brk heap ever written (resident pages end)
export const RAW_MMAP_THRESHOLD = 4; //  mp_.mmap_threshold, bytes
export const RAW_TRIM_THRESHOLD = 5; //  mp_.trim_threshold, bytes
export const RAW_N_MMAPS = 6; //         mp_.n_mmaps
export const RAW_TCACHE_READY = 7; //    the tcache_perthread_struct has been allocated
export const RAW_BINMAP = 8; //          4 words: one bit per bin
export const RAW_LAST_REMAINDER = 12; // av->last_remainder
export const RAW_HAVE_FASTCHUNKS = 13; // av->have_fastchunks
export const RAW_TCACHE_BINS = 64;
export const RAW_TCACHE_COUNT = 16; //   64 words
export const RAW_TCACHE_HEAD = RAW_TCACHE_COUNT + RAW_TCACHE_BINS; // 64 words
export const RAW_NFASTBINS = 10;
export const RAW_FASTBINS = RAW_TCACHE_HEAD + RAW_TCACHE_BINS; // 10 words: singly linked LIFO heads
export const RAW_NBINS = 128;
/** A bin head is a pseudo-chunk whose fd/bk sit at the chunk offsets (glibc's bin_at). */
export const RAW_BIN_SENTINEL_WORDS = 8;
export const RAW_BINS = RAW_FASTBINS + RAW_NFASTBINS;
export const RAW_CTRL_WORDS = RAW_BINS + RAW_NBINS * RAW_BIN_SENTINEL_WORDS;

// ---------------------------------------------------------------------------
// Pool header, at the start of every pool (struct pool_header). Word offsets.
export const POOL_REF_COUNT = 0; //       ref.count: blocks in use
export const POOL_FREEBLOCK = 1; //       freeblock: head of the pool's free list, 0 = NULL
export const POOL_NEXTPOOL = 2; //        nextpool
export const POOL_PREVPOOL = 3; //        prevpool
export const POOL_ARENA = 4; //           arenaindex, stored as the arena object's address
export const POOL_SZIDX = 5; //           szidx; DUMMY_SIZE_IDX while a carved pool is not yet set up
export const POOL_NEXTOFFSET = 6; //      nextoffset, in words from the pool start
export const POOL_MAXNEXTOFFSET = 7; //   maxnextoffset, in words
export const POOL_TOUCHED = 8; //         pyheap: words of this pool ever written since its arena was mapped
export const POOL_HEADER_WORDS = 9;
/** DUMMY_SIZE_IDX in obmalloc.c: "size class of newly cached pools". */
export const DUMMY_SIZE_IDX = 0xffff;

/** A usedpools[] list head: only nextpool/prevpool are used, at the pool offsets (CPython's PTA trick). */
export const USEDPOOL_SENTINEL_WORDS = 4;

// ---------------------------------------------------------------------------
// Arena object (struct arena_object), in the control block. Word offsets.
export const AO_ADDRESS = 0; //        address: word address of the arena's storage slot, 0 = unassociated
export const AO_POOL_ADDRESS = 1; //   pool_address: next never-carved pool
export const AO_NFREEPOOLS = 2; //     nfreepools: empty pools + never-carved pools
export const AO_NTOTALPOOLS = 3; //    ntotalpools: 64, or 63 when the OS address is not pool-aligned
export const AO_FREEPOOLS = 4; //      freepools: singly linked list of empty pools (via nextpool)
export const AO_NEXTARENA = 5; //      nextarena (usable_arenas or unused_arena_objects)
export const AO_PREVARENA = 6; //      prevarena
export const AO_INDEX = 7; //          this object's index in arenas[] (= storage slot)
export const AO_RESIDENT_PAGES = 8; // pyheap: pages of this arena touched since it was mapped
export const AO_WORDS = 9;

/** Bytes of one `struct arena_object` on 64-bit CPython (for the arenas vector's raw allocation). */
export const SIZEOF_ARENA_OBJECT = 48;

export interface HeapLayoutInput {
  arenaSizeBytes: number;
  numSizeClasses: number;
  maxPoolsInArena: number;
  /** Arena objects the heap can hold at once (its arena capacity). */
  maxArenas: number;
  /** Bytes of modelled address space for the raw allocator (brk heap + mmap area). */
  rawRegionBytes: number;
  /** Words reserved for the interpreter state that lives outside pymalloc (src/objects). */
  interpreterStateWords: number;
}

/**
 * The interpreter's own static state -- what CPython keeps in static memory or
 * in the interpreter state struct, never in pymalloc: the small-int cache, the
 * one-character strings, None/True/False, the GC generations, the free lists.
 * The objects layer decides what goes where inside it (src/objects/static-area.ts).
 */
export const DEFAULT_INTERPRETER_STATE_WORDS = 16384;

export interface HeapLayout {
  readonly totalBytes: number;
  readonly arenaWords: number;
  readonly rawCtrlBase: number;
  readonly usedpoolsBase: number;
  readonly nfp2lastaBase: number;
  readonly arenaObjectsBase: number;
  readonly arenaOsAddressF64Base: number;
  /** First word of the interpreter state area, 16-byte aligned. */
  readonly interpreterStateBase: number;
  readonly interpreterStateWords: number;
  readonly maxArenas: number;
  /** First word of arena slot 0. */
  readonly arenaRegion: number;
  /** First word of the raw region; every pymalloc pointer is below it. */
  readonly rawRegion: number;
  /** One past the last word. */
  readonly endWord: number;
}

/** The largest heap a word-addressed Int32Array can span (2^31 words). */
export const MAX_HEAP_BYTES = 2 ** 31 * WORD_BYTES;

export function computeLayout(input: HeapLayoutInput): HeapLayout {
  const arenaWords = input.arenaSizeBytes / WORD_BYTES;
  let w = CTRL_INT_WORDS + F64_COUNT * 2;
  const rawCtrlBase = w;
  w += RAW_CTRL_WORDS;
  const usedpoolsBase = w;
  w += input.numSizeClasses * USEDPOOL_SENTINEL_WORDS;
  const nfp2lastaBase = w;
  w += input.maxPoolsInArena + 1;
  const arenaObjectsBase = w;
  w += input.maxArenas * AO_WORDS;
  w += w & 1; // float64 alignment
  const arenaOsAddressF64Base = w / 2;
  w += input.maxArenas * 2;
  w = (w + 3) & ~3; // 16-byte alignment, as for any object
  const interpreterStateBase = w;
  w += input.interpreterStateWords;
  const ctrlSlots = Math.ceil(w / arenaWords);
  const arenaRegion = ctrlSlots * arenaWords;
  const rawRegion = arenaRegion + input.maxArenas * arenaWords;
  const rawWords = Math.ceil(input.rawRegionBytes / PAGE_SIZE_BYTES) * (PAGE_SIZE_BYTES / WORD_BYTES);
  const endWord = rawRegion + rawWords;
  const totalBytes = endWord * WORD_BYTES;
  if (totalBytes > MAX_HEAP_BYTES) {
    throw new RangeError(
      `heap capacity too large: ${totalBytes} bytes; arenas and raw region together must stay below ${MAX_HEAP_BYTES} bytes (2^31 words)`,
    );
  }
  return {
    totalBytes,
    arenaWords,
    rawCtrlBase,
    usedpoolsBase,
    nfp2lastaBase,
    arenaObjectsBase,
    arenaOsAddressF64Base,
    interpreterStateBase,
    interpreterStateWords: input.interpreterStateWords,
    maxArenas: input.maxArenas,
    arenaRegion,
    rawRegion,
    endWord,
  };
}
