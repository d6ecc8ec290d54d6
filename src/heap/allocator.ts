/**
 * ★ Start here: the simulated CPython heap.
 *
 * What is modelled: CPython's small-object allocator, pymalloc
 * (Objects/obmalloc.c, 3.11 by default; profile.ts has the other layouts),
 * byte for byte in a SharedArrayBuffer, and under it a model of glibc malloc
 * (raw.ts) and of the process's mappings (address-space.ts), from which the
 * resident memory follows (rss.ts).
 *
 *     Heap.malloc / calloc / realloc / free        PyObject_* and PyMem_* (OBJ and MEM domains)
 *        │  1 ≤ n ≤ 512                    │ n == 0, n > 512, or a block that is raw
 *        ▼                                 ▼
 *     pymalloc: size classes → pools → arenas      RawAllocator: glibc main arena
 *        │ arenas (ARENA_SIZE each)                 │ brk heap, mmapped chunks
 *        ▼                                          ▼
 *     ArenaAddressSource ──────────────▶ AddressSpace (mmap top-down)
 *
 * The allocation strategy, as obmalloc.c states it: requests are grouped in
 * size classes spaced ALIGNMENT bytes apart; a class's blocks come from pools
 * (POOL_SIZE each, one class per pool) carved from arenas (ARENA_SIZE, mmapped).
 * An allocation takes the head block of the free list of the first pool of
 * usedpools[class]; when no pool of that class has room, a pool comes from the
 * most-used arena that has one (usable_arenas, sorted by free pools), and an
 * arena is mapped only when no arena has a free pool. A free pushes the block on
 * its pool's free list; a pool whose last block is freed goes back to its arena;
 * an arena whose last pool is freed is unmapped (3.9+: unless it is the last
 * usable arena). pool.ts and arena.ts have the state machines.
 *
 * Glossary (pyheap → CPython):
 *   sizeClass                 szidx, `size` in pymalloc_alloc
 *   blockWords                INDEX2SIZE(szidx) / 4
 *   usedpoolHead(sizeClass)   usedpools[szidx + szidx] (the PTA() pseudo-pool)
 *   arena object address      struct arena_object * (arena.ts, AO_*)
 *   CTRL_USABLE_ARENAS        usable_arenas
 *   CTRL_UNUSED_ARENA_OBJECTS unused_arena_objects
 *   nfp2lastaBase             nfp2lasta[]
 *   osAddress                 arena_object.address (the mmap address)
 *   arena storage slot        the arena's bytes, in this heap's SharedArrayBuffer
 *
 * Pointers are *word addresses* into `mem` (layout.ts). A pointer below
 * `rawRegion` is pymalloc's (address_in_range / arena_map_is_used); others are
 * the raw allocator's. Object code reads and writes a block's words directly
 * through `mem`.
 *
 * Invariants (checked by test/property/heap-invariants.test.ts):
 *  - every used pool is on exactly one usedpools list, with 0 < count < NUMBLOCKS;
 *    a full pool is on no list; an empty pool is on its arena's freepools;
 *  - usable_arenas is sorted by nfreepools ascending; nfp2lasta[n] is its last
 *    arena with n free pools;
 *  - the statistics add up: blocks + available + unused pools + pool headers +
 *    quantization + alignment = arenas × ARENA_SIZE (as _PyObject_DebugMallocStats asserts).
 *
 * Not modelled: the debug allocators (PYTHONMALLOC=debug), PYTHONMALLOC=malloc,
 * valgrind detection, WITH_MEMORY_LIMITS, 32-bit builds, glibc's thread arenas.
 *
 * The public interface (what the object model calls):
 *   malloc(n), calloc(nelem, elsize), realloc(p, n), free(p)   the OBJ/MEM domains
 *   usableSize(p), isPymalloc(p)                               a block's capacity and owner
 *   mem                                                        the words of every block
 *   mallocStats()                                              sys._debugmallocstats()'s numbers
 *   memory(), rssBytes()                                       DESIGN.md's memory metrics
 *   reset()                                                    a fresh process, same buffer
 *   sharedHandle()                                             for a HeapReader on another thread
 * Errors: PYHEAP_E_HEAP_CAPACITY when the simulated process outgrows the
 * capacity reserved for it (a simulated MemoryError), PYHEAP_E_HEAP_POINTER for
 * a free of something that is not a live block.
 *
 * Read first: `malloc` and `free` below, then Arenas.allocateFromNewPool and
 * Arenas.insertToFreepool.
 */
import { PyheapError } from '../errors.js';
import { AddressSpace } from './address-space.js';
import { type ArenaAddressSource, Arenas } from './arena.js';
import { ArenaMap } from './arena-map.js';
import { heapGeometry, type HeapGeometry } from './geometry.js';
import { type HeapLayout } from './layout.js';
import * as heapLayout from './layout.js';
import * as pools from './pool.js';
import { PROFILE_NAMES, type ProfileConstants, type ProfileName, type PythonProfile } from './profile.js';
import { RawAllocator } from './raw.js';
import type { SharedHeapHandle } from './reader.js';
import { type MemoryFigures, memoryFigures, notePeak, residentBytes } from './rss.js';
import { collectMallocStats, type MallocStats } from './stats.js';
import { CopyOnWrite } from './copy-on-write.js';

// Module-local copies of imported constants and functions: V8 compiles a
// module's own constants into its code, but loads an imported binding (and
// checks that it is initialised) at every use.
const { AO_ADDRESS, AO_POOL_ADDRESS, CTRL_LAYOUT_VERSION, CTRL_MAGIC, CTRL_MAXARENAS, CTRL_POOLS_IN_USE, CTRL_PROFILE_ID, CTRL_RAW_ALLOCATED_BLOCKS, F64_BASELINE_RSS_BYTES, F64_PEAK_RSS_BYTES, LAYOUT_MAGIC, LAYOUT_VERSION, PAGE_SIZE_BYTES, POOL_ARENA, POOL_FREEBLOCK, POOL_NEXTPOOL, POOL_REF_COUNT, POOL_SZIDX, POOL_TOUCHED, RAW_BRK, RAW_HEAP_START, RAW_TOUCHED_END, WORD_BYTES } = heapLayout;
const { initUsedpools, insertToUsedpool, poolExtend } = pools;

export interface HeapOptions {
  /** CPython layout to simulate (default "3.11"). */
  profile?: ProfileName;
  /** Address space reserved for arenas (default 2 GiB); more arenas than fit is a simulated MemoryError. */
  arenaCapacityBytes?: number;
  /** Bytes the raw allocator can hold: its brk heap and mmapped chunks together (default 4 GiB). */
  rawCapacityBytes?: number;
  /**
   * Stands in for ASLR: shifts the modelled mmap base by this many pages, which
   * changes which arenas are pool-aligned (63 or 64 pools). Default 0.
   */
  addressSeed?: number;
  /** Where arenas are mapped (default: the modelled address space). Trace replay supplies the recorded addresses. */
  arenaSource?: ArenaAddressSource;
  /** Overrides the profile's interpreter baseline RSS. */
  baselineRssBytes?: number;
}

/** The modelled top of the mmap area (mmap_base), below the stack as on x86-64 Linux. */
const MMAP_BASE_OS = 0x7f00_0000_0000;
/** How far down the modelled mmap area reaches (64 TiB): far more than any simulated process maps. */
const MODELLED_MMAP_AREA_BYTES = 2 ** 46;

/**
 * Bytes past the simulated heap, in the same memory, for the layers above it
 * to share with compiled code: the collector's type tables
 * (src/gc/wasm-passes.ts) and the object kernel's (src/objects/wasm-kernel.ts).
 * They are the simulator's, not the process's: no figure counts them.
 */
export const HEAP_ANNEX_BYTES = 2 * 65536;
/** A WebAssembly memory grows in pages of 64 KiB, to at most 65536 of them (4 GiB). */
const WASM_PAGE_BYTES = 65536;
const WASM_MAX_PAGES = 65536;

/**
 * The heap's storage: a shared WebAssembly memory, so that compiled code can
 * work on the heap in place, with the annex after the heap; or, for a heap
 * too large for one (over 4 GiB with its annex), a plain SharedArrayBuffer.
 */
function heapStorage(heapBytes: number): { buffer: SharedArrayBuffer; memory: WebAssembly.Memory | null } {
  const pages = Math.ceil((heapBytes + HEAP_ANNEX_BYTES) / WASM_PAGE_BYTES);
  if (pages > WASM_MAX_PAGES) return { buffer: new SharedArrayBuffer(heapBytes), memory: null };
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return { buffer: memory.buffer as SharedArrayBuffer, memory };
}

export class Heap {
  /** The heap's memory, as words. Object code reads and writes blocks through it. */
  readonly mem: Int32Array;
  readonly f64: Float64Array;
  /** The heap's storage; with `wasmMemory`, its bytes from layout.totalBytes on are the annex (HEAP_ANNEX_BYTES). */
  readonly buffer: SharedArrayBuffer;
  /** The WebAssembly memory whose buffer `buffer` is, or null for a heap too large for one. */
  readonly wasmMemory: WebAssembly.Memory | null;
  readonly profile: PythonProfile;
  readonly constants: ProfileConstants;
  readonly layout: HeapLayout;
  readonly raw: RawAllocator;
  readonly arenas: Arenas;
  readonly arenaMap: ArenaMap | null;
  /** The simulated process's mappings, by OS address: arenas and glibc's mmapped chunks. */
  readonly addressSpace: AddressSpace;
  /** How the raw region's bytes are used: the brk heap and the bytes of mmapped chunks. */
  private readonly rawStorage: AddressSpace;
  private readonly baselineRssBytes: number;
  private readonly geometry: HeapGeometry;

  // Hot-path constants, copied into fields so V8 keeps them in one object shape.
  private readonly alignmentShift: number;
  private readonly blockWordsShift: number;
  private readonly smallThreshold: number;
  private readonly usedpoolsBase: number;
  private readonly poolWordMask: number;
  /** First word of arena storage; pymalloc pointers lie in [arenaRegion, rawRegion). */
  readonly arenaRegion: number;
  readonly rawRegion: number;

  constructor(options: HeapOptions = {}) {
    const geometry = heapGeometry(options.profile, options.arenaCapacityBytes, options.rawCapacityBytes);
    const { profile, constants, layout } = geometry;
    this.geometry = geometry;
    const storage = heapStorage(layout.totalBytes);
    this.buffer = storage.buffer;
    this.wasmMemory = storage.memory;
    this.mem = new Int32Array(this.buffer, 0, layout.totalBytes / WORD_BYTES);
    this.f64 = new Float64Array(this.buffer, 0, (layout.arenaRegion * WORD_BYTES) / 8);
    this.profile = profile;
    this.constants = constants;
    this.layout = layout;

    this.baselineRssBytes = options.baselineRssBytes ?? profile.baselineRssBytes;
    this.initControlBlock();

    const m = this.mem;
    const rawBytes = (layout.endWord - layout.rawRegion) * WORD_BYTES;
    const seedPages = Math.abs(Math.trunc(options.addressSeed ?? 0)) % 4096;
    const mmapBase = MMAP_BASE_OS - seedPages * PAGE_SIZE_BYTES;
    this.addressSpace = new AddressSpace(mmapBase - MODELLED_MMAP_AREA_BYTES, MODELLED_MMAP_AREA_BYTES);
    this.rawStorage = new AddressSpace(0, rawBytes);
    this.raw = new RawAllocator(m, this.f64, layout.rawCtrlBase, this.addressSpace, this.rawStorage, layout.rawRegion, () =>
      this.notePeak(),
    );
    this.arenaMap = profile.hasArenaMap ? new ArenaMap(profile.arenaBits, this.raw) : null;
    this.arenas = new Arenas(m, this.f64, layout, profile, constants, options.arenaSource ?? this.raw, this.arenaMap, this.raw);

    this.alignmentShift = profile.alignmentShift;
    this.blockWordsShift = profile.alignmentShift - 2;
    this.smallThreshold = profile.smallRequestThreshold;
    this.usedpoolsBase = layout.usedpoolsBase;
    this.poolWordMask = ~(constants.poolSizeBytes / WORD_BYTES - 1);
    this.arenaRegion = layout.arenaRegion;
    this.rawRegion = layout.rawRegion;
    this.notePeak();
  }

  // ------------------------------------------------------------------ the public interface

  /**
   * Empties the heap: the state of a freshly started process, as if every block
   * had never been allocated. The SharedArrayBuffer is kept (its pages stay
   * committed), so reusing a heap costs no new memory; pointers from before are
   * invalid.
   */
  reset(): void {
    this.cow = null;
    this.arenas.onRelease = null;
    this.mem.fill(0, 0, this.arenaRegion);
    this.initControlBlock();
    this.addressSpace.reset();
    this.rawStorage.reset();
    this.raw.reset();
    this.arenaMap?.reset();
    this.arenas.reset();
    this.notePeak();
  }

  /**
   * PyObject_Malloc / PyMem_Malloc (_PyObject_Malloc): pymalloc for 1..512
   * bytes, otherwise the raw allocator (malloc(1) for 0). Returns a word address.
   */
  malloc(nbytes: number): number {
    const p = (nbytes - 1) >>> 0 < this.smallThreshold ? this.pymallocAlloc((nbytes - 1) >> this.alignmentShift) : this.rawMalloc(nbytes);
    if (this.cow !== null) this.cowWrite(p);
    return p;
  }

  /** PyObject_Calloc / PyMem_Calloc (_PyObject_Calloc): zeroed memory. */
  calloc(nelem: number, elsize: number): number {
    const nbytes = nelem * elsize;
    let p: number;
    if ((nbytes - 1) >>> 0 < this.smallThreshold) {
      p = this.pymallocAlloc((nbytes - 1) >> this.alignmentShift);
      // Stores, not TypedArray.fill: for a block of at most 512 bytes the call costs more.
      const m = this.mem;
      for (let i = p, end = p + ((nbytes + WORD_BYTES - 1) >> 2); i < end; i++) m[i] = 0;
    } else {
      this.mem[CTRL_RAW_ALLOCATED_BLOCKS]++;
      // PyMem_RawCalloc: "if (nelem == 0 || elsize == 0) { nelem = 1; elsize = 1; }"
      p = nbytes === 0 ? this.raw.calloc(1, 1) : this.raw.calloc(nelem, elsize);
    }
    if (this.cow !== null) this.cowWrite(p);
    return p;
  }

  /**
   * PyObject_Realloc / PyMem_Realloc (_PyObject_Realloc, pymalloc_realloc).
   * A pymalloc block stays in place when the new size fits its class and is
   * more than 3/4 of it; otherwise malloc, copy, *then* free. A raw block stays
   * raw at any size. Size 0 is not a free: it moves the block to malloc(1).
   */
  realloc(p: number, nbytes: number): number {
    if (p === 0) return this.malloc(nbytes);
    if (this.cow !== null) this.cowWrite(p);
    if (p >= this.rawRegion) {
      const q = this.raw.realloc(p, nbytes === 0 ? 1 : nbytes);
      if (this.cow !== null) this.cowWrite(q);
      return q;
    }
    const m = this.mem;
    const pool = p & this.poolWordMask;
    this.checkLiveBlock(p, pool);
    const size = (m[pool + POOL_SZIDX] + 1) << this.alignmentShift;
    let copyBytes = size;
    if (nbytes <= size) {
      if (4 * nbytes > 3 * size) return p;
      copyBytes = nbytes;
    }
    const q = this.malloc(nbytes);
    m.copyWithin(q, p, p + ((copyBytes + WORD_BYTES - 1) >> 2));
    this.pymallocFree(p, pool);
    return q;
  }

  /** PyObject_Free / PyMem_Free (_PyObject_Free); NULL (0) is ignored. */
  free(p: number): void {
    if (p === 0) return;
    if (this.cow !== null) this.cowWrite(p);
    if (p < this.rawRegion) {
      const pool = p & this.poolWordMask;
      this.checkLiveBlock(p, pool);
      this.pymallocFree(p, pool);
      return;
    }
    this.mem[CTRL_RAW_ALLOCATED_BLOCKS]--;
    this.raw.free(p);
  }

  /**
   * Whether a subclass watches the allocator's calls by overriding malloc,
   * calloc, realloc and free (a test's log of them): the object layer's
   * compiled paths (src/objects/wasm-kernel.ts) then call them rather than
   * taking and returning pymalloc blocks themselves.
   */
  get watchesCalls(): boolean {
    return false;
  }

  /**
   * After a fork: pages still shared with the master (copy-on-write), or null
   * for a process that was not forked from one. See forkSnapshot().
   */
  cow: CopyOnWrite | null = null;

  /**
   * This heap's resident pages become shared with a master it is forked from:
   * the touched pages of every carved pool and the brk heap (glibc's mmapped
   * chunks stay private). Writes through the allocator make pages private
   * from then on; the object model and the collector report theirs.
   */
  forkSnapshot(): CopyOnWrite {
    const m = this.mem;
    const cow = new CopyOnWrite(this.layout.endWord, this.baselineRssBytes);
    const poolWords = this.constants.poolSizeBytes / WORD_BYTES;
    for (let i = 0; i < m[CTRL_MAXARENAS]; i++) {
      const ao = this.arenas.arenaObject(i);
      const base = m[ao + AO_ADDRESS];
      if (base === 0) continue;
      for (let pool = base, end = m[ao + AO_POOL_ADDRESS]; pool < end; pool += poolWords) {
        const touched = m[pool + POOL_TOUCHED];
        if (touched > 0) cow.markShared(pool, pool + touched);
      }
    }
    const c = this.layout.rawCtrlBase;
    const brkEnd = Math.min(m[c + RAW_TOUCHED_END], m[c + RAW_BRK]);
    if (brkEnd > m[c + RAW_HEAP_START]) cow.markShared(m[c + RAW_HEAP_START], brkEnd);
    this.arenas.onRelease = (start, end) => this.cow?.release(start, end);
    this.cow = cow;
    return cow;
  }

  /** The allocator writes a block's words and, for pymalloc, its pool header. */
  private cowWrite(p: number): void {
    const cow = this.cow!;
    cow.touch(p);
    cow.touch(p < this.rawRegion ? p & this.poolWordMask : p - 2);
  }

  /** Whether pymalloc owns this pointer (address_in_range). */
  isPymalloc(p: number): boolean {
    return p >= this.arenaRegion && p < this.rawRegion;
  }

  /** Bytes the block can hold: its size class for pymalloc, malloc_usable_size for raw. */
  usableSize(p: number): number {
    if (p >= this.rawRegion) return this.raw.usableSize(p);
    return (this.mem[(p & this.poolWordMask) + POOL_SZIDX] + 1) << this.alignmentShift;
  }

  /** What another thread needs to read this heap's figures from shared memory (reader.ts). */
  sharedHandle(): SharedHeapHandle {
    return {
      buffer: this.buffer,
      profile: this.profile.name,
      arenaCapacityBytes: this.geometry.arenaCapacityBytes,
      rawCapacityBytes: this.geometry.rawCapacityBytes,
    };
  }

  /** The pymalloc part of sys._debugmallocstats(), by walking the arenas as CPython does. */
  mallocStats(): MallocStats {
    return collectMallocStats(this);
  }

  /** DESIGN.md's per-worker memory metrics, from the control block. */
  memory(): MemoryFigures {
    const c = this.constants;
    return memoryFigures(this.mem, this.f64, this.layout, c.arenaSizeBytes, c.poolSizeBytes, this.alignmentShift);
  }

  rssBytes(): number {
    return residentBytes(this.mem, this.f64, this.layout);
  }

  /** ru_maxrss: the high-water mark of rssBytes since the heap was created or reset (cheap: one read). */
  peakRssBytes(): number {
    return this.f64[F64_PEAK_RSS_BYTES];
  }

  // ------------------------------------------------------------------ pymalloc hot paths

  /** pymalloc_alloc: pop the head block of the front pool of usedpools[sizeClass]. */
  private pymallocAlloc(sizeClass: number): number {
    const m = this.mem;
    const head = this.usedpoolsBase + (sizeClass << 2);
    const pool = m[head + POOL_NEXTPOOL];
    if (pool !== head) {
      m[pool + POOL_REF_COUNT]++;
      const block = m[pool + POOL_FREEBLOCK];
      const next = m[block];
      m[pool + POOL_FREEBLOCK] = next;
      if (next === 0) {
        const pages = poolExtend(m, pool, (sizeClass + 1) << this.blockWordsShift);
        if (pages !== 0) this.addResidentPages(pool, pages);
      }
      return block;
    }
    m[CTRL_POOLS_IN_USE]++;
    const block = this.arenas.allocateFromNewPool(sizeClass);
    this.notePeak();
    return block;
  }

  /** pymalloc_free: push on the pool's free list; a full pool rejoins usedpools, an empty one its arena. */
  private pymallocFree(p: number, pool: number): void {
    const m = this.mem;
    const lastfree = m[pool + POOL_FREEBLOCK];
    m[p] = lastfree;
    m[pool + POOL_FREEBLOCK] = p;
    const count = --m[pool + POOL_REF_COUNT];
    if (lastfree === 0) {
      insertToUsedpool(m, this.usedpoolsBase, pool);
      return;
    }
    if (count !== 0) return;
    m[CTRL_POOLS_IN_USE]--;
    this.arenas.insertToFreepool(pool);
  }

  private rawMalloc(nbytes: number): number {
    this.mem[CTRL_RAW_ALLOCATED_BLOCKS]++;
    return this.raw.malloc(nbytes === 0 ? 1 : nbytes);
  }

  /**
   * A freed pymalloc pointer must lie in a pool with blocks in use. (A pool of
   * an unmapped arena was empty when the arena went, so this also rejects
   * pointers into released arenas, until the slot is reused.)
   */
  private checkLiveBlock(p: number, pool: number): void {
    if (p < this.arenaRegion || this.mem[pool + POOL_REF_COUNT] <= 0) throw notLiveBlock(p);
  }

  private addResidentPages(pool: number, pages: number): void {
    this.arenas.addResidentPages(this.mem[pool + POOL_ARENA], pages);
    this.notePeak();
  }

  private initControlBlock(): void {
    const m = this.mem;
    m[CTRL_MAGIC] = LAYOUT_MAGIC;
    m[CTRL_LAYOUT_VERSION] = LAYOUT_VERSION;
    m[CTRL_PROFILE_ID] = PROFILE_NAMES.indexOf(this.profile.name);
    this.f64[F64_BASELINE_RSS_BYTES] = this.baselineRssBytes;
    initUsedpools(m, this.layout.usedpoolsBase, this.constants.numSizeClasses);
  }

  private notePeak(): void {
    notePeak(this.mem, this.f64, this.layout);
  }
}

/** checkLiveBlock's error, built apart so that the check inlines into malloc's callers small. */
function notLiveBlock(p: number): PyheapError {
  return new PyheapError('PYHEAP_E_HEAP_POINTER', `pointer ${p} is not a live pymalloc block`);
}
