/**
 * Arenas: the arenas vector and its two lists (Objects/obmalloc.c).
 *
 *   usable_arenas         doubly linked, arenas with at least one free pool,
 *                         sorted by nfreepools ascending: new pools come from
 *                         the most-used arena, so nearly empty ones can drain
 *                         and be returned to the OS.
 *   unused_arena_objects  singly linked (LIFO), arena objects with no arena.
 *   nfp2lasta[nf]         the *last* arena in usable_arenas with exactly nf free
 *                         pools, or NULL (3.8+, bpo-37029): keeps the sort O(1).
 *
 * Key invariant (obmalloc.c): an arena object is on usable_arenas if and only
 * if its arena is allocated and nfreepools > 0; a wholly allocated arena is on
 * no list. The 3.7 sources keep the same order by walking the list (case 3
 * below moves an arena before the first one with at least as many free pools);
 * nfp2lasta reaches the same position in constant time, so one implementation
 * serves every profile.
 *
 * Arena objects live in the control block (layout.ts, AO_*); an "arena object
 * address" is the word address of its record, 0 meaning NULL, as pointers are
 * in C. arenas[i] always stores its pools in storage slot i.
 */
import type { ArenaMap } from './arena-map.js';
import { type HeapLayout } from './layout.js';
import * as heapLayout from './layout.js';
import * as pools from './pool.js';
import type { ProfileConstants, PythonProfile } from './profile.js';
import { PyheapError } from '../errors.js';

// Module-local copies of imported constants and functions: V8 compiles a
// module's own constants into its code, but loads an imported binding (and
// checks that it is initialised) at every use.
const { AO_ADDRESS, AO_FREEPOOLS, AO_INDEX, AO_NEXTARENA, AO_NFREEPOOLS, AO_NTOTALPOOLS, AO_POOL_ADDRESS, AO_PREVARENA, AO_RESIDENT_PAGES, AO_WORDS, CTRL_ARENA_RESIDENT_PAGES, CTRL_MAXARENAS, CTRL_NARENAS_CURRENT, CTRL_NARENAS_HIGHWATER, CTRL_NTIMES_ARENA_ALLOCATED, CTRL_UNALIGNED_ARENAS, CTRL_UNUSED_ARENA_OBJECTS, CTRL_USABLE_ARENAS, DUMMY_SIZE_IDX, POOL_ARENA, POOL_NEXTPOOL, POOL_SZIDX, POOL_TOUCHED, SIZEOF_ARENA_OBJECT, WORD_BYTES } = heapLayout;
const { linkFreshPool, touchPoolWords, unlinkPool } = pools;

/** Where arenas come from: the arena allocator (`_PyObject_Arena`, mmap in CPython). */
export interface ArenaAddressSource {
  /** Maps `sizeBytes` and returns the mapping's OS address (`_PyObject_ArenaMmap`). */
  mapArena(sizeBytes: number): number;
  /** Unmaps an arena (`_PyObject_ArenaMunmap`). */
  unmapArena(osAddress: number, sizeBytes: number): void;
}

/** The raw-domain calls pymalloc makes for its own bookkeeping. */
export interface RawBookkeeping {
  /** PyMem_RawRealloc of the arenas vector. */
  realloc(p: number, nbytes: number): number;
}

/** INITIAL_ARENA_OBJECTS: "# of arena objects initially allocated". */
const INITIAL_ARENA_OBJECTS = 16;

export class Arenas {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly layout: HeapLayout;
  private readonly profile: PythonProfile;
  private readonly arenaSizeBytes: number;
  private readonly poolSizeBytes: number;
  private readonly poolWords: number;
  private readonly overheadWords: number;
  private readonly alignmentShift: number;
  private readonly maxPoolsInArena: number;
  private readonly source: ArenaAddressSource;
  private readonly arenaMap: ArenaMap | null;
  private readonly raw: RawBookkeeping;
  /** Raw-domain pointer of the arenas vector (CPython's `arenas`), 0 before the first arena. */
  private vectorPointer = 0;

  constructor(
    m: Int32Array,
    f64: Float64Array,
    layout: HeapLayout,
    profile: PythonProfile,
    constants: ProfileConstants,
    source: ArenaAddressSource,
    arenaMap: ArenaMap | null,
    raw: RawBookkeeping,
  ) {
    this.m = m;
    this.f64 = f64;
    this.layout = layout;
    this.profile = profile;
    this.arenaSizeBytes = constants.arenaSizeBytes;
    this.poolSizeBytes = constants.poolSizeBytes;
    this.poolWords = constants.poolSizeBytes / WORD_BYTES;
    this.overheadWords = profile.poolOverheadBytes / WORD_BYTES;
    this.alignmentShift = profile.alignmentShift;
    this.maxPoolsInArena = constants.maxPoolsInArena;
    this.source = source;
    this.arenaMap = arenaMap;
    this.raw = raw;
  }

  /** Forgets the arenas vector (the control block itself is cleared by the heap). */
  reset(): void {
    this.vectorPointer = 0;
  }

  /** The arena object at index i of the arenas vector. */
  arenaObject(i: number): number {
    return this.layout.arenaObjectsBase + i * AO_WORDS;
  }

  /** The modelled OS address of an allocated arena. */
  osAddress(ao: number): number {
    return this.f64[this.layout.arenaOsAddressF64Base + this.m[ao + AO_INDEX]];
  }

  /**
   * new_arena: take an arena object (growing the vector when none is unused),
   * map ARENA_SIZE bytes, and carve nothing yet. 63 pools fit instead of 64 when
   * the OS address is not pool-aligned ("excess").
   */
  private newArena(): number {
    const m = this.m;
    if (m[CTRL_UNUSED_ARENA_OBJECTS] === 0) this.growVector();
    const ao = m[CTRL_UNUSED_ARENA_OBJECTS];
    m[CTRL_UNUSED_ARENA_OBJECTS] = m[ao + AO_NEXTARENA];
    const osAddress = this.source.mapArena(this.arenaSizeBytes);
    this.arenaMap?.markUsed(osAddress, true);
    const index = m[ao + AO_INDEX];
    const storage = this.layout.arenaRegion + index * this.layout.arenaWords;
    m[ao + AO_ADDRESS] = storage;
    this.f64[this.layout.arenaOsAddressF64Base + index] = osAddress;
    const current = ++m[CTRL_NARENAS_CURRENT];
    m[CTRL_NTIMES_ARENA_ALLOCATED]++;
    if (current > m[CTRL_NARENAS_HIGHWATER]) m[CTRL_NARENAS_HIGHWATER] = current;
    m[ao + AO_FREEPOOLS] = 0;
    m[ao + AO_POOL_ADDRESS] = storage;
    let nfreepools = this.maxPoolsInArena;
    if (osAddress % this.poolSizeBytes !== 0) {
      // The pools start at the first pool-aligned OS address; in storage the
      // arena's pools start at its slot, and the slot's last pool stays unused.
      nfreepools--;
      m[CTRL_UNALIGNED_ARENAS]++;
    }
    m[ao + AO_NFREEPOOLS] = nfreepools;
    m[ao + AO_NTOTALPOOLS] = nfreepools;
    m[ao + AO_RESIDENT_PAGES] = 0;
    return ao;
  }

  /**
   * new_arena's vector growth: `maxarenas ? maxarenas << 1 : INITIAL_ARENA_OBJECTS`
   * objects, the new ones linked onto unused_arena_objects in index order. The
   * heap's arena capacity caps the logical length; the raw reallocation keeps
   * CPython's size.
   */
  private growVector(): void {
    const m = this.m;
    const max = m[CTRL_MAXARENAS];
    const wanted = max === 0 ? INITIAL_ARENA_OBJECTS : max * 2;
    const capacity = this.layout.maxArenas;
    if (max >= capacity) {
      throw new PyheapError('PYHEAP_E_HEAP_CAPACITY',
        `the simulated heap's arena capacity (${capacity} arenas of ${this.arenaSizeBytes} bytes) is exhausted`,
      );
    }
    const numarenas = Math.min(wanted, capacity);
    this.vectorPointer = this.raw.realloc(this.vectorPointer, wanted * SIZEOF_ARENA_OBJECT);
    for (let i = max; i < numarenas; i++) {
      const ao = this.arenaObject(i);
      m[ao + AO_ADDRESS] = 0;
      m[ao + AO_INDEX] = i;
      m[ao + AO_NEXTARENA] = i < numarenas - 1 ? this.arenaObject(i + 1) : 0;
    }
    m[CTRL_UNUSED_ARENA_OBJECTS] = this.arenaObject(max);
    m[CTRL_MAXARENAS] = numarenas;
  }

  /**
   * allocate_from_new_pool: no used pool of this class has a free block. Take a
   * pool from the head of usable_arenas (allocating an arena when there is none):
   * its most recently emptied pool if any, else carve the next one. Returns the
   * block, and the pages touched are added to the arena's resident pages.
   */
  allocateFromNewPool(sizeClass: number): number {
    const m = this.m;
    const nfp2lasta = this.layout.nfp2lastaBase;
    let usable = m[CTRL_USABLE_ARENAS];
    if (usable === 0) {
      usable = this.newArena();
      m[CTRL_USABLE_ARENAS] = usable;
      m[usable + AO_NEXTARENA] = 0;
      m[usable + AO_PREVARENA] = 0;
      m[nfp2lasta + m[usable + AO_NFREEPOOLS]] = usable;
    }
    // "This arena already had the smallest nfreepools value, so decreasing
    // nfreepools doesn't change that" -- only the fingers move.
    const nf = m[usable + AO_NFREEPOOLS];
    if (m[nfp2lasta + nf] === usable) m[nfp2lasta + nf] = 0;
    if (nf > 1) m[nfp2lasta + nf - 1] = usable;

    let pool = m[usable + AO_FREEPOOLS];
    if (pool !== 0) {
      m[usable + AO_FREEPOOLS] = m[pool + POOL_NEXTPOOL];
    } else {
      // Carve off a new pool.
      pool = m[usable + AO_POOL_ADDRESS];
      m[pool + POOL_ARENA] = usable;
      m[pool + POOL_SZIDX] = DUMMY_SIZE_IDX;
      m[pool + POOL_TOUCHED] = 0;
      m[usable + AO_POOL_ADDRESS] = pool + this.poolWords;
    }
    if (--m[usable + AO_NFREEPOOLS] === 0) {
      // Wholly allocated: unlink from the head of usable_arenas.
      const next = m[usable + AO_NEXTARENA];
      m[CTRL_USABLE_ARENAS] = next;
      if (next !== 0) m[next + AO_PREVARENA] = 0;
    }
    const blockWords = (sizeClass + 1) << (this.alignmentShift - 2);
    const block = linkFreshPool(m, this.layout.usedpoolsBase, pool, sizeClass, blockWords, this.overheadWords, this.poolWords);
    this.addResidentPages(usable, touchPoolWords(m, pool, this.overheadWords + 2 * blockWords));
    return block;
  }

  /** Adds pages newly touched in a pool of arena `ao` to the resident-page counters. */
  addResidentPages(ao: number, pages: number): void {
    if (pages === 0) return;
    this.m[ao + AO_RESIDENT_PAGES] += pages;
    this.m[CTRL_ARENA_RESIDENT_PAGES] += pages;
  }

  /**
   * insert_to_freepool: the pool's last block was freed. Move the pool to its
   * arena's freepools (front), then the four cases of arena management:
   *  1. every pool free: release the arena -- unless (3.9+, bpo-37257) it is the
   *     last arena of usable_arenas, which is kept to avoid mmap/munmap thrashing;
   *  2. the arena was full: put it at the head of usable_arenas;
   *  3. the arena now has more free pools than its successor: move it right, to
   *     just after nfp2lasta[old nf];
   *  4. otherwise it is already in order.
   */
  insertToFreepool(pool: number): void {
    const m = this.m;
    const nfp2lasta = this.layout.nfp2lastaBase;
    unlinkPool(m, pool);
    const ao = m[pool + POOL_ARENA];
    m[pool + POOL_NEXTPOOL] = m[ao + AO_FREEPOOLS];
    m[ao + AO_FREEPOOLS] = pool;
    let nf = m[ao + AO_NFREEPOOLS];
    const lastnf = nf === 0 ? 0 : m[nfp2lasta + nf];
    if (lastnf === ao) {
      const p = m[ao + AO_PREVARENA];
      m[nfp2lasta + nf] = p !== 0 && m[p + AO_NFREEPOOLS] === nf ? p : 0;
    }
    m[ao + AO_NFREEPOOLS] = ++nf;

    const wholeArenaFree = nf === m[ao + AO_NTOTALPOOLS];
    if (wholeArenaFree && (!this.profile.keepsLastFreeArena || m[ao + AO_NEXTARENA] !== 0)) {
      this.releaseArena(ao);
      return;
    }
    if (nf === 1) {
      // Case 2: ao was on no list; it now has the fewest free pools possible.
      const head = m[CTRL_USABLE_ARENAS];
      m[ao + AO_NEXTARENA] = head;
      m[ao + AO_PREVARENA] = 0;
      if (head !== 0) m[head + AO_PREVARENA] = ao;
      m[CTRL_USABLE_ARENAS] = ao;
      if (m[nfp2lasta + 1] === 0) m[nfp2lasta + 1] = ao;
      return;
    }
    if (m[nfp2lasta + nf] === 0) m[nfp2lasta + nf] = ao;
    if (ao === lastnf) return; // Case 4.
    // Case 3: unlink ao and insert it after lastnf.
    const prev = m[ao + AO_PREVARENA];
    const next = m[ao + AO_NEXTARENA];
    if (prev !== 0) m[prev + AO_NEXTARENA] = next;
    else m[CTRL_USABLE_ARENAS] = next;
    m[next + AO_PREVARENA] = prev;
    const after = m[lastnf + AO_NEXTARENA];
    m[ao + AO_PREVARENA] = lastnf;
    m[ao + AO_NEXTARENA] = after;
    if (after !== 0) m[after + AO_PREVARENA] = ao;
    m[lastnf + AO_NEXTARENA] = ao;
  }

  /**
   * Case 1 of insert_to_freepool: unlink the wholly free arena from
   * usable_arenas (it is on it: with 63 or more pools it had free pools before
   * this one), recycle its arena object, and unmap it.
   */
  private releaseArena(ao: number): void {
    const m = this.m;
    const prev = m[ao + AO_PREVARENA];
    const next = m[ao + AO_NEXTARENA];
    if (prev === 0) m[CTRL_USABLE_ARENAS] = next;
    else m[prev + AO_NEXTARENA] = next;
    if (next !== 0) m[next + AO_PREVARENA] = prev;
    m[ao + AO_NEXTARENA] = m[CTRL_UNUSED_ARENA_OBJECTS];
    m[CTRL_UNUSED_ARENA_OBJECTS] = ao;
    const osAddress = this.osAddress(ao);
    this.arenaMap?.markUsed(osAddress, false);
    this.source.unmapArena(osAddress, this.arenaSizeBytes);
    if (osAddress % this.poolSizeBytes !== 0) m[CTRL_UNALIGNED_ARENAS]--;
    m[CTRL_ARENA_RESIDENT_PAGES] -= m[ao + AO_RESIDENT_PAGES];
    m[ao + AO_RESIDENT_PAGES] = 0;
    this.onRelease?.(m[ao + AO_ADDRESS], m[ao + AO_ADDRESS] + this.layout.arenaWords);
    m[ao + AO_ADDRESS] = 0;
    m[CTRL_NARENAS_CURRENT]--;
  }

  /** Called with an arena's storage words when it is returned to the OS (copy-on-write bookkeeping). */
  onRelease: ((startWord: number, endWord: number) => void) | null = null;
}
