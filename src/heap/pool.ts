/**
 * Pools: the pool header and the usedpools[] lists (Objects/obmalloc.c).
 *
 * A pool holds blocks of one size class. Its states, as obmalloc.c names them:
 *
 *   used   some blocks allocated, some free; the pool is on usedpools[szidx],
 *          a circular doubly-linked list whose first pool serves allocations.
 *   full   every block allocated; the pool is on no list.
 *   empty  no block allocated; the pool is on its arena's freepools list (or
 *          was never carved: it lies at or above the arena's pool_address).
 *
 *   empty ──allocate_from_new_pool──▶ used ──last block taken (pool_extend)──▶ full
 *     ▲                                │ ▲                                      │
 *     └────last block freed────────────┘ └──one block freed (insert_to_usedpool)┘
 *
 * A used pool's free list is LIFO (`freeblock`, linked through the first word of
 * each free block); blocks never handed out since the pool was set up lie at
 * `nextoffset` and are carved one at a time, only when the free list runs dry.
 * An empty pool keeps its size class and free list: if it is reused for the same
 * class, allocation pops that list without re-initialising (LIFO of old frees).
 *
 * All offsets here are in words (layout.ts); `blockWords` is a size class's
 * block size in words.
 */
import * as heapLayout from './layout.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding (and checks that it
// is initialised) at every use.
const { PAGE_SIZE_BYTES, POOL_FREEBLOCK, POOL_MAXNEXTOFFSET, POOL_NEXTOFFSET, POOL_NEXTPOOL, POOL_PREVPOOL, POOL_REF_COUNT, POOL_SZIDX, POOL_TOUCHED, USEDPOOL_SENTINEL_WORDS, WORD_BYTES } = heapLayout;

const PAGE_WORDS = PAGE_SIZE_BYTES / WORD_BYTES;
const PAGE_WORDS_SHIFT = Math.log2(PAGE_WORDS);

/** The list head of usedpools[sizeClass]: a sentinel with nextpool/prevpool at pool offsets. */
export function usedpoolHead(usedpoolsBase: number, sizeClass: number): number {
  return usedpoolsBase + sizeClass * USEDPOOL_SENTINEL_WORDS;
}

/** Every usedpools[] list starts empty: the head points to itself (obmalloc's PT() initialisers). */
export function initUsedpools(m: Int32Array, usedpoolsBase: number, numSizeClasses: number): void {
  for (let i = 0; i < numSizeClasses; i++) {
    const head = usedpoolHead(usedpoolsBase, i);
    m[head + POOL_NEXTPOOL] = head;
    m[head + POOL_PREVPOOL] = head;
  }
}

/**
 * Records that the pool's first `words` words have been written, and returns how
 * many pages that newly touched (0 almost always). Pages stay touched until the
 * arena is unmapped, whatever happens to the blocks on them.
 */
export function touchPoolWords(m: Int32Array, pool: number, words: number): number {
  const before = m[pool + POOL_TOUCHED];
  if (words <= before) return 0;
  m[pool + POOL_TOUCHED] = words;
  return ((words + PAGE_WORDS - 1) >> PAGE_WORDS_SHIFT) - ((before + PAGE_WORDS - 1) >> PAGE_WORDS_SHIFT);
}

/**
 * pymalloc_pool_extend: the free list ran dry. Carve the next never-used block
 * if there is room, else the pool is full: unlink it from usedpools.
 * Returns the pages newly touched by carving.
 */
export function poolExtend(m: Int32Array, pool: number, blockWords: number): number {
  const nextoffset = m[pool + POOL_NEXTOFFSET];
  if (nextoffset <= m[pool + POOL_MAXNEXTOFFSET]) {
    const block = pool + nextoffset;
    m[pool + POOL_FREEBLOCK] = block;
    m[block] = 0;
    const end = nextoffset + blockWords;
    m[pool + POOL_NEXTOFFSET] = end;
    return touchPoolWords(m, pool, end);
  }
  const next = m[pool + POOL_NEXTPOOL];
  const prev = m[pool + POOL_PREVPOOL];
  m[next + POOL_PREVPOOL] = prev;
  m[prev + POOL_NEXTPOOL] = next;
  return 0;
}

/**
 * insert_to_usedpool: a full pool got a block back. Link it at the *front* of
 * usedpools[szidx], so the next allocation of that class reuses the block just
 * freed ("This mimics LRU pool usage for new allocations").
 */
export function insertToUsedpool(m: Int32Array, usedpoolsBase: number, pool: number): void {
  // CPython inserts the pool before usedpools[size+size], the list's first pool
  // (or the list head itself when empty): with an explicit head, right after it.
  const head = usedpoolHead(usedpoolsBase, m[pool + POOL_SZIDX]);
  const first = m[head + POOL_NEXTPOOL];
  m[pool + POOL_NEXTPOOL] = first;
  m[pool + POOL_PREVPOOL] = head;
  m[first + POOL_PREVPOOL] = pool;
  m[head + POOL_NEXTPOOL] = pool;
}

/** Unlinks a pool from whichever usedpools[] list holds it. */
export function unlinkPool(m: Int32Array, pool: number): void {
  const next = m[pool + POOL_NEXTPOOL];
  const prev = m[pool + POOL_PREVPOOL];
  m[next + POOL_PREVPOOL] = prev;
  m[prev + POOL_NEXTPOOL] = next;
}

/**
 * Makes `pool` the only member of usedpools[sizeClass] with one block in use and
 * returns that block (the tail of allocate_from_new_pool). A pool that last held
 * the same class keeps its free list; otherwise its header is set up afresh:
 * first block returned, second block the whole free list, the rest to be carved.
 * The caller accounts the touched pages with touchPoolWords(pool,
 * overheadWords + 2 * blockWords), which is a no-op for a reused pool.
 */
export function linkFreshPool(
  m: Int32Array,
  usedpoolsBase: number,
  pool: number,
  sizeClass: number,
  blockWords: number,
  overheadWords: number,
  poolWords: number,
): number {
  const head = usedpoolHead(usedpoolsBase, sizeClass);
  // "Frontlink to used pools": the list was empty, so head is both next and prev.
  m[pool + POOL_NEXTPOOL] = head;
  m[pool + POOL_PREVPOOL] = head;
  m[head + POOL_NEXTPOOL] = pool;
  m[head + POOL_PREVPOOL] = pool;
  m[pool + POOL_REF_COUNT] = 1;
  if (m[pool + POOL_SZIDX] === sizeClass) {
    // "Luckily, this pool last contained blocks of the same size class, so its
    // header and free list are already initialized."
    const block = m[pool + POOL_FREEBLOCK];
    m[pool + POOL_FREEBLOCK] = m[block];
    return block;
  }
  m[pool + POOL_SZIDX] = sizeClass;
  const block = pool + overheadWords;
  m[pool + POOL_NEXTOFFSET] = overheadWords + 2 * blockWords;
  m[pool + POOL_MAXNEXTOFFSET] = poolWords - blockWords;
  const second = block + blockWords;
  m[pool + POOL_FREEBLOCK] = second;
  m[second] = 0;
  return block;
}
