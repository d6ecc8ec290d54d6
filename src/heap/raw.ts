/**
 * The raw allocator: a model of glibc malloc's main arena (glibc 2.36, x86-64,
 * malloc/malloc.c), for the blocks pymalloc declines (over 512 bytes, or 0) and
 * CPython's own raw allocations, so that their resident memory follows.
 * docs/glibc-malloc.md gathers the sources and measurements behind it, and
 * test/unit/raw-allocator.test.ts runs the same calls through the real glibc.
 *
 * Chunks live in the heap's raw region (layout.ts) in glibc's own format, in
 * words: prev_size at +0 (meaningful while the previous chunk is free), size |
 * flags at +2 (PREV_INUSE 1, IS_MMAPPED 2; sizes in words, multiples of 4), the
 * user pointer at +4, and a free chunk's fd/bk at +4/+6. Bin 1 is the unsorted
 * bin, bins 2..63 the exact-size small bins (chunks below 1024 bytes, FIFO),
 * bins 64..126 the large bins (sorted by size, descending).
 *
 *   __libc_malloc(n), nb = max(32, (n + 23) & ~15) bytes:
 *     tcache (chunks ≤ 1040 bytes, 7 per size, LIFO; calloc skips it), then
 *   _int_malloc:
 *     0. nb ≤ 128: the newest chunk of its fastbin (the rest refills the tcache);
 *     1. small nb: the oldest chunk of its exact small bin (the rest of that bin
 *        refills the tcache); large nb: malloc_consolidate if fastbins hold chunks;
 *     2. the unsorted bin, oldest first: the last_remainder rule for small
 *        requests; an exact fit is returned (or cached in the tcache while it has
 *        room, one returned at the end); everything else is filed in its bin;
 *     3. large nb: the best fit in its own large bin (the second chunk of a
 *        size, as glibc does to keep its skip list);
 *     4. the smallest chunk of the next non-empty bin (binmap);
 *        a split leaves its remainder in the unsorted bin;
 *     5. the top chunk, if it keeps at least MINSIZE; else, if fastbins hold
 *        chunks, malloc_consolidate and retry from 2;
 *     6. sysmalloc: mmap when nb ≥ mmap_threshold (128 KiB at first), else grow
 *        the break by ALIGN_UP(nb + top_pad + MINSIZE − top, page), top_pad 128 KiB.
 *   free(p):
 *     mmapped: freeing an S-byte chunk with mmap_threshold < S ≤ 32 MiB raises
 *     mmap_threshold to S and trim_threshold to 2S, then munmap;
 *     else the tcache if it has room; else a fastbin for chunks ≤ 128 bytes;
 *     else coalesce with free neighbours and put
 *     the chunk in the unsorted bin, or merge it into top; when the merged size
 *     is ≥ 64 KiB and top ≥ trim_threshold, systrim returns
 *     ALIGN_DOWN(top − MINSIZE − 1 − top_pad, page) to the OS.
 *   realloc: mmapped chunks are mremapped and stay mmapped; heap chunks shrink
 *     in place (a tail ≥ MINSIZE is freed), grow into top or a free successor,
 *     else malloc + copy + free.
 *
 * Resident memory: the brk heap's pages up to the highest byte ever written
 * (the unwritten pad above top is not resident), less what trimming returns;
 * mmapped chunks count whole, except lazily-touched ones (the interpreter's own
 * calloc'd tables) which count their first page until written. Free chunks
 * inside the heap stay resident: free() never returns them (only malloc_trim
 * does, and CPython never calls it).
 *
 * Chunks of at most 128 bytes freed while their tcache bin is full go to
 * fastbins (LIFO, still "in use" for their neighbours) until malloc_consolidate
 * merges them: before a large request, when nothing else fits, and on a free
 * of 64 KiB or more.
 *
 * Not modelled: the tcache_unsorted_limit (0 by default), thread arenas
 * (CPython allocates under the GIL), the MALLOC_* tunables, pointer mangling;
 * calloc'd brk memory counts as written.
 */
import { PyheapError } from '../errors.js';
import { AddressSpace, roundUpToPage } from './address-space.js';
import {
  CTRL_RAW_LIVE_BLOCKS,
  F64_RAW_LIVE_BYTES,
  F64_RAW_MMAP_BYTES,
  F64_RAW_MMAP_RESIDENT_BYTES,
  PAGE_SIZE_BYTES,
  RAW_BIN_SENTINEL_WORDS as BIN_SENTINEL_WORDS,
  RAW_BINMAP as R_BINMAP,
  RAW_BINS as R_BINS,
  RAW_BRK as R_BRK,
  RAW_FASTBINS as R_FASTBINS,
  RAW_HAVE_FASTCHUNKS as R_HAVE_FASTCHUNKS,
  RAW_HEAP_START as R_HEAP_START,
  RAW_LAST_REMAINDER as R_LAST_REMAINDER,
  RAW_MMAP_THRESHOLD as R_MMAP_THRESHOLD,
  RAW_N_MMAPS as R_N_MMAPS,
  RAW_NBINS as NBINS,
  RAW_TCACHE_COUNT as R_TCACHE_COUNT,
  RAW_TCACHE_HEAD as R_TCACHE_HEAD,
  RAW_TCACHE_READY as R_TCACHE_READY,
  RAW_TOP as R_TOP,
  RAW_TOUCHED_END as R_TOUCHED_END,
  RAW_TRIM_THRESHOLD as R_TRIM_THRESHOLD,
  WORD_BYTES,
} from './layout.js';

const PREV_INUSE = 1;
const IS_MMAPPED = 2;
const FLAG_MASK = 3;
/** MINSIZE: the smallest chunk, 32 bytes = 8 words. */
const MINSIZE_WORDS = 8;
/** CHUNK_HDR_SZ: the user pointer is 16 bytes (4 words) into the chunk. */
const HEADER_WORDS = 4;
const SIZE_FIELD = 2;
const FD = 4;
const BK = 6;
/** Bytes of an mmapped chunk's header that are not usable (prev_size + size). */
const MMAP_OVERHEAD_BYTES = 16;
/** DEFAULT_TOP_PAD as shipped (sysdeps/generic/malloc-machine.h): 128 KiB. */
const TOP_PAD_BYTES = 128 * 1024;
/** DEFAULT_MMAP_THRESHOLD_MIN, DEFAULT_MMAP_THRESHOLD_MAX (64-bit), DEFAULT_TRIM_THRESHOLD, DEFAULT_MMAP_MAX. */
const MMAP_THRESHOLD_MIN = 128 * 1024;
const MMAP_THRESHOLD_MAX = 32 * 1024 * 1024;
const TRIM_THRESHOLD_DEFAULT = 128 * 1024;
const N_MMAPS_MAX = 65536;
/** FASTBIN_CONSOLIDATION_THRESHOLD: only frees of merged chunks this large consider trimming. */
const CONSOLIDATION_THRESHOLD_BYTES = 64 * 1024;
/** TCACHE_FILL_COUNT, and the largest chunk the 64 tcache bins hold (csize2tidx < 64). */
const TCACHE_FILL = 7;
const TCACHE_MAX_CHUNK_BYTES = 1040;
/** sizeof(tcache_perthread_struct) = 64 × 2 + 64 × 8 = 640 bytes, allocated by the first malloc. */
const TCACHE_STRUCT_BYTES = 640;
/** global_max_fast: DEFAULT_MXFAST (64 × SIZE_SZ / 4) = 128-byte chunks and below go to fastbins. */
const MAX_FAST_BYTES = 128;
/** MIN_LARGE_SIZE: 64 small bins of 16 bytes. */
const MIN_LARGE_BYTES = 1024;
/** MAX_ITERS of the unsorted-bin scan. */
const MAX_UNSORTED_ITERS = 10000;
const UNSORTED_BIN = 1;
const PAGE_WORDS_SHIFT = Math.log2(PAGE_SIZE_BYTES / WORD_BYTES);

/** request2size: the chunk glibc uses for an n-byte request, in bytes. */
export function chunkBytesFor(nbytes: number): number {
  return Math.max(MINSIZE_WORDS * WORD_BYTES, (nbytes + 23) & ~15);
}

/** bin_index for 64-bit glibc: smallbin_index below 1024 bytes, then largebin_index_64. */
function binIndex(bytes: number): number {
  if (bytes < MIN_LARGE_BYTES) return bytes >>> 4;
  if (bytes >>> 6 <= 48) return 48 + (bytes >>> 6);
  if (bytes >>> 9 <= 20) return 91 + (bytes >>> 9);
  if (bytes >>> 12 <= 10) return 110 + (bytes >>> 12);
  if (bytes >>> 15 <= 4) return 119 + (bytes >>> 15);
  if (bytes >>> 18 <= 2) return 124 + (bytes >>> 18);
  return 126;
}

/** fastbin_index: chunks of 32, 48, ... 128 bytes. */
function fastbinIndex(bytes: number): number {
  return (bytes >>> 4) - 2;
}

/** csize2tidx: the tcache bin of a chunk size in bytes. */
function tcacheIndex(bytes: number): number {
  return (bytes - 17) >>> 4;
}

export class RawAllocator {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly ctrl: number;
  /** The process's modelled mappings (OS addresses): where mmapped chunks and arenas land. */
  private readonly model: AddressSpace;
  /** The raw region's own layout (byte offsets): the brk heap from the bottom, mmapped chunks' bytes from the top. */
  private readonly storage: AddressSpace;
  /** Word address of the raw region's first word (storage offset 0). */
  private readonly regionWord: number;
  /** The modelled OS address of each live mmapped chunk, by chunk word address. */
  private readonly mmapOsAddress = new Map<number, number>();
  private readonly onResidentGrowth: () => void;

  /**
   * @param ctrl word address of RAW_CTRL_WORDS words in the control block
   * @param model the modelled address space of the process
   * @param regionWord first word of the raw region, whose bytes `storage` lays out
   */
  constructor(
    m: Int32Array,
    f64: Float64Array,
    ctrl: number,
    model: AddressSpace,
    storage: AddressSpace,
    regionWord: number,
    onResidentGrowth: () => void,
  ) {
    this.m = m;
    this.f64 = f64;
    this.ctrl = ctrl;
    this.model = model;
    this.storage = storage;
    this.regionWord = regionWord;
    this.onResidentGrowth = onResidentGrowth;
    this.reset();
  }

  /** The state of a fresh process's malloc (the control words must have been zeroed). */
  reset(): void {
    const m = this.m;
    const ctrl = this.ctrl;
    this.mmapOsAddress.clear();
    m[ctrl + R_HEAP_START] = this.regionWord;
    m[ctrl + R_BRK] = this.regionWord;
    m[ctrl + R_TOP] = this.regionWord;
    m[ctrl + R_TOUCHED_END] = this.regionWord;
    m[ctrl + R_MMAP_THRESHOLD] = MMAP_THRESHOLD_MIN;
    m[ctrl + R_TRIM_THRESHOLD] = TRIM_THRESHOLD_DEFAULT;
    for (let b = 0; b < NBINS; b++) {
      const s = this.bin(b);
      m[s + FD] = s;
      m[s + BK] = s;
    }
  }

  // ---------------------------------------------------------------- public API

  /** malloc(n) (PyMem_RawMalloc passes n ≥ 1). Returns the user pointer (a word address). */
  malloc(nbytes: number): number {
    const m = this.m;
    if (m[this.ctrl + R_TCACHE_READY] === 0) this.initTcache();
    const nb = chunkBytesFor(nbytes);
    if (nb <= TCACHE_MAX_CHUNK_BYTES) {
      const t = tcacheIndex(nb);
      if (m[this.ctrl + R_TCACHE_COUNT + t] > 0) return this.handOut(this.tcacheGet(t));
    }
    return this.intMalloc(nb, false);
  }

  /**
   * calloc(nelem, elsize): zeroed memory; goes straight to _int_malloc (no
   * tcache hit). `lazy`: fresh mmapped memory the caller barely writes (the
   * interpreter's own tables), resident only where written.
   */
  calloc(nelem: number, elsize: number, lazy = false): number {
    const nbytes = nelem * elsize;
    if (this.m[this.ctrl + R_TCACHE_READY] === 0) this.initTcache();
    const p = this.intMalloc(chunkBytesFor(nbytes), lazy);
    // Lazily-touched memory is never read by the simulation: no need to write it.
    if (!lazy) this.m.fill(0, p, p + Math.ceil(nbytes / WORD_BYTES));
    return p;
  }

  /** free(p). */
  free(p: number): void {
    const m = this.m;
    const c = p - HEADER_WORDS;
    const head = m[c + SIZE_FIELD];
    const sizeWords = head & ~FLAG_MASK;
    m[CTRL_RAW_LIVE_BLOCKS]--;
    if (head & IS_MMAPPED) {
      this.f64[F64_RAW_LIVE_BYTES] -= sizeWords * WORD_BYTES - MMAP_OVERHEAD_BYTES;
      this.freeMmapped(c, sizeWords);
      return;
    }
    this.f64[F64_RAW_LIVE_BYTES] -= sizeWords * WORD_BYTES - 8;
    this.intFree(c, sizeWords);
  }

  /** realloc(p, n) with n ≥ 1; realloc(NULL, n) is malloc(n). Contents up to min(old usable, n) bytes are kept. */
  realloc(p: number, nbytes: number): number {
    if (p === 0) return this.malloc(nbytes);
    const m = this.m;
    const c = p - HEADER_WORDS;
    const head = m[c + SIZE_FIELD];
    const oldWords = head & ~FLAG_MASK;
    const nbWords = chunkBytesFor(nbytes) / WORD_BYTES;
    if (head & IS_MMAPPED) return this.reallocMmapped(c, oldWords, nbytes);
    const oldUsable = oldWords * WORD_BYTES - 8;
    let size = oldWords;
    if (nbWords > oldWords) {
      const next = c + oldWords;
      if (next === m[this.ctrl + R_TOP]) {
        const topWords = this.topWords();
        if (oldWords + topWords >= nbWords + MINSIZE_WORDS) {
          this.setHead(c, nbWords, m[c + SIZE_FIELD] & PREV_INUSE);
          this.setTop(c + nbWords, oldWords + topWords - nbWords);
          this.f64[F64_RAW_LIVE_BYTES] += (nbWords - oldWords) * WORD_BYTES;
          return p;
        }
      } else if (!this.inUse(next) && oldWords + this.sizeOf(next) >= nbWords) {
        size = oldWords + this.sizeOf(next);
        this.unlinkChunk(next);
      }
      if (size === oldWords) {
        // _int_realloc: "allocate, copy, free"; _int_malloc, so no tcache hit.
        const q = this.intMalloc(nbWords * WORD_BYTES, false);
        m.copyWithin(q, p, p + Math.ceil(Math.min(oldUsable, nbytes) / WORD_BYTES));
        this.free(p);
        return q;
      }
    }
    // The chunk (maybe grown into its free successor) keeps nb; a tail of at least MINSIZE is freed.
    if (size - nbWords >= MINSIZE_WORDS) {
      this.setHead(c, nbWords, m[c + SIZE_FIELD] & PREV_INUSE);
      const rest = c + nbWords;
      this.setHead(rest, size - nbWords, PREV_INUSE);
      this.setInuseAt(rest + size - nbWords);
      this.intFree(rest, size - nbWords);
      size = nbWords;
    } else {
      this.setHead(c, size, m[c + SIZE_FIELD] & PREV_INUSE);
      this.setInuseAt(c + size);
    }
    this.f64[F64_RAW_LIVE_BYTES] += (size - oldWords) * WORD_BYTES;
    return p;
  }

  /** malloc_usable_size(p). */
  usableSize(p: number): number {
    const head = this.m[p - HEADER_WORDS + SIZE_FIELD];
    const bytes = (head & ~FLAG_MASK) * WORD_BYTES;
    return head & IS_MMAPPED ? bytes - MMAP_OVERHEAD_BYTES : bytes - 8;
  }

  isMmapped(p: number): boolean {
    return (this.m[p - HEADER_WORDS + SIZE_FIELD] & IS_MMAPPED) !== 0;
  }

  /** Marks a lazily-touched mmapped block as written (all its pages resident). */
  touch(p: number): void {
    const c = p - HEADER_WORDS;
    const head = this.m[c + SIZE_FIELD];
    if (!(head & IS_MMAPPED)) return;
    const bytes = (head & ~FLAG_MASK) * WORD_BYTES;
    const resident = this.m[c + 1] * PAGE_SIZE_BYTES;
    if (resident < bytes) {
      this.m[c + 1] = bytes / PAGE_SIZE_BYTES;
      this.f64[F64_RAW_MMAP_RESIDENT_BYTES] += bytes - resident;
      this.onResidentGrowth();
    }
  }

  get mmapThresholdBytes(): number {
    return this.m[this.ctrl + R_MMAP_THRESHOLD];
  }

  get trimThresholdBytes(): number {
    return this.m[this.ctrl + R_TRIM_THRESHOLD];
  }

  get mmappedChunks(): number {
    return this.m[this.ctrl + R_N_MMAPS];
  }

  /** Places an arena in the modelled address space (the arena allocator's mmap); its bytes live elsewhere. */
  mapArena(sizeBytes: number): number {
    const os = this.model.map(sizeBytes);
    if (os < 0) throw this.outOfSpace(sizeBytes);
    return os;
  }

  unmapArena(osAddress: number, sizeBytes: number): void {
    this.model.unmap(osAddress, sizeBytes);
  }

  /** The modelled OS address of an mmapped block (for tests and reports). */
  mmapOsAddressOf(p: number): number | undefined {
    return this.mmapOsAddress.get(p - HEADER_WORDS);
  }

  // ---------------------------------------------------------------- _int_malloc

  /** _int_malloc for a chunk of nb bytes; returns the user pointer. */
  private intMalloc(nb: number, lazy: boolean): number {
    const m = this.m;
    const ctrl = this.ctrl;
    const nbWords = nb / WORD_BYTES;
    const small = nb < MIN_LARGE_BYTES;
    const cacheable = nb <= TCACHE_MAX_CHUNK_BYTES;
    const t = tcacheIndex(nb);

    if (nb <= MAX_FAST_BYTES) {
      const head = ctrl + R_FASTBINS + fastbinIndex(nb);
      const victim = m[head];
      if (victim !== 0) {
        m[head] = m[victim + FD];
        // Stash the rest of this fastbin in the tcache while it has room.
        while (m[head] !== 0 && m[ctrl + R_TCACHE_COUNT + t] < TCACHE_FILL) {
          const extra = m[head];
          m[head] = m[extra + FD];
          this.tcachePut(extra, t);
        }
        return this.handOut(victim);
      }
    }
    if (small) {
      const bin = this.bin(binIndex(nb));
      const victim = m[bin + BK];
      if (victim !== bin) {
        this.unlinkChunk(victim);
        this.setInuseAt(victim + nbWords);
        while (cacheable && m[ctrl + R_TCACHE_COUNT + t] < TCACHE_FILL) {
          const extra = m[bin + BK];
          if (extra === bin) break;
          this.unlinkChunk(extra);
          this.setInuseAt(extra + nbWords);
          this.tcachePut(extra, t);
        }
        return this.handOut(victim);
      }
    } else if (m[ctrl + R_HAVE_FASTCHUNKS] !== 0) {
      this.consolidate();
    }

    let returnCached = false;
    for (;;) {
      // The unsorted bin, oldest first.
      const unsorted = this.bin(UNSORTED_BIN);
      for (let iters = 0; iters < MAX_UNSORTED_ITERS; iters++) {
        const victim = m[unsorted + BK];
        if (victim === unsorted) break;
        const size = this.sizeOf(victim);
        if (small && m[victim + BK] === unsorted && victim === m[ctrl + R_LAST_REMAINDER] && size > nbWords + MINSIZE_WORDS) {
          // "If a small request, try to use last remainder if it is the only chunk in unsorted bin."
          this.unlinkChunk(victim);
          m[ctrl + R_LAST_REMAINDER] = this.split(victim, size, nbWords);
          return this.handOut(victim);
        }
        this.unlinkChunk(victim);
        if (size === nbWords) {
          this.setInuseAt(victim + size);
          if (cacheable && m[ctrl + R_TCACHE_COUNT + t] < TCACHE_FILL) {
            this.tcachePut(victim, t);
            returnCached = true;
            continue;
          }
          return this.handOut(victim);
        }
        this.placeInBin(victim, size);
      }
      if (returnCached) return this.handOut(this.tcacheGet(t));

      if (!small) {
        // Best fit within the request's own large bin.
        const bin = this.bin(binIndex(nb));
        let victim = m[bin + BK]; // the smallest
        if (victim !== bin && this.sizeOf(m[bin + FD]) >= nbWords) {
          while (this.sizeOf(victim) < nbWords) victim = m[victim + BK];
          // Go to the first chunk of that size, then take the second if there is one.
          const size = this.sizeOf(victim);
          while (m[victim + BK] !== bin && this.sizeOf(m[victim + BK]) === size) victim = m[victim + BK];
          if (victim !== m[bin + BK] && this.sizeOf(m[victim + FD]) === size) victim = m[victim + FD];
          this.unlinkChunk(victim);
          this.takeSplit(victim, size, nbWords, false);
          return this.handOut(victim);
        }
      }

      // The binmap: the smallest chunk of the next non-empty bin.
      for (let b = binIndex(nb) + 1; b < NBINS; b++) {
        const word = m[ctrl + R_BINMAP + (b >>> 5)];
        if (word >>> (b & 31) === 0) {
          b |= 31;
          continue;
        }
        if ((word & (1 << (b & 31))) === 0) continue;
        const bin = this.bin(b);
        const victim = m[bin + BK];
        if (victim === bin) {
          m[ctrl + R_BINMAP + (b >>> 5)] &= ~(1 << (b & 31));
          continue;
        }
        this.unlinkChunk(victim);
        this.takeSplit(victim, this.sizeOf(victim), nbWords, small);
        return this.handOut(victim);
      }

      const fromTop = this.takeFromTop(nbWords);
      if (fromTop !== 0) return this.handOut(fromTop);
      if (m[ctrl + R_HAVE_FASTCHUNKS] === 0) break;
      this.consolidate();
    }
    const mmapped = this.sysmalloc(nb, lazy);
    if (mmapped !== 0) return mmapped;
    return this.handOut(this.takeFromTop(nbWords));
  }

  /**
   * malloc_consolidate: every fastbin chunk, bin by bin and newest first, is
   * coalesced with its free neighbours and put in the unsorted bin (or top).
   */
  private consolidate(): void {
    const m = this.m;
    m[this.ctrl + R_HAVE_FASTCHUNKS] = 0;
    for (let f = 0; f <= fastbinIndex(MAX_FAST_BYTES); f++) {
      let p = m[this.ctrl + R_FASTBINS + f];
      m[this.ctrl + R_FASTBINS + f] = 0;
      while (p !== 0) {
        const nextp = m[p + FD];
        this.coalesce(p, this.sizeOf(p));
        p = nextp;
      }
    }
  }

  /** Counts a chunk handed to the caller and returns its user pointer. */
  private handOut(c: number): number {
    this.m[CTRL_RAW_LIVE_BLOCKS]++;
    this.f64[F64_RAW_LIVE_BYTES] += this.sizeOf(c) * WORD_BYTES - 8;
    return c + HEADER_WORDS;
  }

  /** Splits a chunk taken from a bin: a remainder ≥ MINSIZE goes to the unsorted bin. */
  private takeSplit(victim: number, size: number, nbWords: number, remainderIsLast: boolean): void {
    if (size - nbWords < MINSIZE_WORDS) {
      this.setInuseAt(victim + size);
      return;
    }
    const remainder = this.split(victim, size, nbWords);
    if (remainderIsLast) this.m[this.ctrl + R_LAST_REMAINDER] = remainder;
  }

  /** Carves nb off the front of a free chunk and files the rest at the head of the unsorted bin. */
  private split(victim: number, size: number, nbWords: number): number {
    const remainder = victim + nbWords;
    this.setHead(victim, nbWords, this.m[victim + SIZE_FIELD] & PREV_INUSE);
    this.setHead(remainder, size - nbWords, PREV_INUSE);
    this.setFoot(remainder, size - nbWords);
    this.linkAfter(this.bin(UNSORTED_BIN), remainder);
    return remainder;
  }

  /** Files a chunk from the unsorted bin: small bins at the head, large bins in size order. */
  private placeInBin(c: number, size: number): void {
    const m = this.m;
    const b = binIndex(size * WORD_BYTES);
    const bin = this.bin(b);
    let after = bin;
    if (size * WORD_BYTES >= MIN_LARGE_BYTES && m[bin + FD] !== bin) {
      if (size < this.sizeOf(m[bin + BK])) {
        after = m[bin + BK]; // smaller than all: last
      } else {
        let fwd = m[bin + FD];
        while (size < this.sizeOf(fwd)) fwd = m[fwd + FD];
        // A size already present: insert as its second chunk; else before the smaller ones.
        after = size === this.sizeOf(fwd) ? fwd : m[fwd + BK];
      }
    }
    this.linkAfter(after, c);
    m[this.ctrl + R_BINMAP + (b >>> 5)] |= 1 << (b & 31);
  }

  /** The first malloc sets up the thread's tcache_perthread_struct on the heap (tcache_init). */
  private initTcache(): void {
    this.m[this.ctrl + R_TCACHE_READY] = 1;
    const nbWords = chunkBytesFor(TCACHE_STRUCT_BYTES) / WORD_BYTES;
    if (this.takeFromTop(nbWords) === 0) {
      this.sysmalloc(nbWords * WORD_BYTES, false);
      this.takeFromTop(nbWords);
    }
  }

  private tcacheGet(t: number): number {
    const m = this.m;
    const c = m[this.ctrl + R_TCACHE_HEAD + t];
    m[this.ctrl + R_TCACHE_HEAD + t] = m[c + FD];
    m[this.ctrl + R_TCACHE_COUNT + t]--;
    return c;
  }

  private tcachePut(c: number, t: number): void {
    const m = this.m;
    m[c + FD] = m[this.ctrl + R_TCACHE_HEAD + t];
    m[this.ctrl + R_TCACHE_HEAD + t] = c;
    m[this.ctrl + R_TCACHE_COUNT + t]++;
  }

  /** Splits nb off the bottom of top if top keeps at least MINSIZE; else 0. */
  private takeFromTop(nbWords: number): number {
    const top = this.m[this.ctrl + R_TOP];
    const topWords = this.topWords();
    if (topWords < nbWords + MINSIZE_WORDS) return 0;
    this.setHead(top, nbWords, PREV_INUSE);
    this.setTop(top + nbWords, topWords - nbWords);
    return top;
  }

  /**
   * sysmalloc: mmap a chunk for a large request, else grow the brk heap so that
   * top can serve nb. Returns the mmapped user pointer, or 0 after growing brk.
   */
  private sysmalloc(nb: number, lazy: boolean): number {
    const m = this.m;
    if (nb >= m[this.ctrl + R_MMAP_THRESHOLD] && m[this.ctrl + R_N_MMAPS] < N_MMAPS_MAX) {
      const size = roundUpToPage(nb + 8);
      const offset = this.storage.map(size);
      const os = offset < 0 ? -1 : this.model.map(size);
      if (offset >= 0 && os < 0) this.storage.unmap(offset, size);
      if (os >= 0) {
        const c = this.wordOf(offset);
        this.mmapOsAddress.set(c, os);
        m[c] = 0;
        // pyheap keeps the chunk's resident pages in the unused high word of prev_size.
        m[c + 1] = lazy ? 1 : size / PAGE_SIZE_BYTES;
        m[c + SIZE_FIELD] = (size / WORD_BYTES) | IS_MMAPPED;
        m[this.ctrl + R_N_MMAPS]++;
        this.f64[F64_RAW_MMAP_BYTES] += size;
        this.f64[F64_RAW_MMAP_RESIDENT_BYTES] += m[c + 1] * PAGE_SIZE_BYTES;
        this.f64[F64_RAW_LIVE_BYTES] += size - MMAP_OVERHEAD_BYTES;
        m[CTRL_RAW_LIVE_BLOCKS]++;
        this.onResidentGrowth();
        return c + HEADER_WORDS;
      }
    }
    const topWords = this.topWords();
    const grow = roundUpToPage(nb + TOP_PAD_BYTES + MINSIZE_WORDS * WORD_BYTES - topWords * WORD_BYTES);
    const brk = m[this.ctrl + R_BRK] + grow / WORD_BYTES;
    if (!this.storage.setBrk(this.offsetOf(brk))) throw this.outOfSpace(nb);
    m[this.ctrl + R_BRK] = brk;
    this.setTop(m[this.ctrl + R_TOP], topWords + grow / WORD_BYTES);
    return 0;
  }

  // ---------------------------------------------------------------- _int_free

  private freeMmapped(c: number, sizeWords: number): void {
    const m = this.m;
    const bytes = sizeWords * WORD_BYTES;
    // __libc_free compares chunksize_nomask(p), which still has the IS_MMAPPED bit.
    if (bytes + IS_MMAPPED > m[this.ctrl + R_MMAP_THRESHOLD] && bytes + IS_MMAPPED <= MMAP_THRESHOLD_MAX) {
      m[this.ctrl + R_MMAP_THRESHOLD] = bytes;
      m[this.ctrl + R_TRIM_THRESHOLD] = 2 * bytes;
    }
    this.f64[F64_RAW_MMAP_RESIDENT_BYTES] -= m[c + 1] * PAGE_SIZE_BYTES;
    this.f64[F64_RAW_MMAP_BYTES] -= bytes;
    m[this.ctrl + R_N_MMAPS]--;
    this.storage.unmap(this.offsetOf(c), bytes);
    this.model.unmap(this.mmapOsAddress.get(c)!, bytes);
    this.mmapOsAddress.delete(c);
  }

  /** _int_free of a heap chunk: tcache, fastbin, else coalesce into the unsorted bin or top, then maybe trim. */
  private intFree(c: number, sizeWords: number): void {
    const m = this.m;
    const bytes = sizeWords * WORD_BYTES;
    if (bytes <= TCACHE_MAX_CHUNK_BYTES) {
      const t = tcacheIndex(bytes);
      if (m[this.ctrl + R_TCACHE_COUNT + t] < TCACHE_FILL) {
        this.tcachePut(c, t);
        return;
      }
    }
    if (bytes <= MAX_FAST_BYTES) {
      // A fastbin chunk stays "in use" for its neighbours until malloc_consolidate.
      const head = this.ctrl + R_FASTBINS + fastbinIndex(bytes);
      m[c + FD] = m[head];
      m[head] = c;
      m[this.ctrl + R_HAVE_FASTCHUNKS] = 1;
      return;
    }
    const size = this.coalesce(c, sizeWords);
    if (size * WORD_BYTES >= CONSOLIDATION_THRESHOLD_BYTES) {
      if (m[this.ctrl + R_HAVE_FASTCHUNKS] !== 0) this.consolidate();
      if (this.topWords() * WORD_BYTES >= m[this.ctrl + R_TRIM_THRESHOLD]) this.systrim();
    }
  }

  /** Merges a freed chunk with free neighbours into the unsorted bin, or into top; returns the merged size. */
  private coalesce(c: number, sizeWords: number): number {
    const m = this.m;
    let size = sizeWords;
    let start = c;
    if ((m[c + SIZE_FIELD] & PREV_INUSE) === 0) {
      const prevSize = m[c];
      start = c - prevSize;
      size += prevSize;
      this.unlinkChunk(start);
    }
    const next = c + sizeWords;
    if (next === m[this.ctrl + R_TOP]) {
      size += this.topWords();
      this.setTop(start, size);
      return size;
    }
    if (!this.inUse(next)) {
      size += this.sizeOf(next);
      this.unlinkChunk(next);
    } else {
      m[next + SIZE_FIELD] &= ~PREV_INUSE;
    }
    this.setHead(start, size, PREV_INUSE);
    this.setFoot(start, size);
    this.linkAfter(this.bin(UNSORTED_BIN), start);
    return size;
  }

  /** systrim(top_pad): give back whole pages of top above top_pad + MINSIZE. */
  private systrim(): void {
    const m = this.m;
    const topBytes = this.topWords() * WORD_BYTES;
    const topArea = topBytes - MINSIZE_WORDS * WORD_BYTES - 1;
    if (topArea <= TOP_PAD_BYTES) return;
    const extra = Math.floor((topArea - TOP_PAD_BYTES) / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
    if (extra === 0) return;
    const brk = m[this.ctrl + R_BRK] - extra / WORD_BYTES;
    m[this.ctrl + R_BRK] = brk;
    this.storage.setBrk(this.offsetOf(brk));
    if (m[this.ctrl + R_TOUCHED_END] > brk) m[this.ctrl + R_TOUCHED_END] = brk;
    this.setTop(m[this.ctrl + R_TOP], (topBytes - extra) / WORD_BYTES);
  }

  /** mremap_chunk: stays mmapped at any size; no threshold update. */
  private reallocMmapped(c: number, oldWords: number, nbytes: number): number {
    const m = this.m;
    const oldBytes = oldWords * WORD_BYTES;
    const newSize = roundUpToPage(chunkBytesFor(nbytes) + 8);
    if (newSize === oldBytes) return c + HEADER_WORDS;
    const offset = this.storage.remap(this.offsetOf(c), newSize);
    const os = offset < 0 ? -1 : this.model.remap(this.mmapOsAddress.get(c)!, newSize);
    if (os < 0) throw this.outOfSpace(newSize);
    const nc = this.wordOf(offset);
    this.mmapOsAddress.delete(c);
    this.mmapOsAddress.set(nc, os);
    if (nc !== c) m.copyWithin(nc, c, c + Math.min(oldBytes, newSize) / WORD_BYTES);
    const oldResident = m[nc + 1] * PAGE_SIZE_BYTES;
    // A written chunk stays written; a lazily-touched one keeps only its touched pages.
    const newResident = oldResident >= oldBytes ? newSize : Math.min(oldResident, newSize);
    m[nc + 1] = newResident / PAGE_SIZE_BYTES;
    m[nc + SIZE_FIELD] = (newSize / WORD_BYTES) | IS_MMAPPED;
    this.f64[F64_RAW_MMAP_RESIDENT_BYTES] += newResident - oldResident;
    this.f64[F64_RAW_LIVE_BYTES] += newSize - oldBytes;
    this.f64[F64_RAW_MMAP_BYTES] += newSize - oldBytes;
    if (newResident > oldResident) this.onResidentGrowth();
    return nc + HEADER_WORDS;
  }

  // ---------------------------------------------------------------- chunk plumbing

  /** bin_at(b): a pseudo-chunk whose fd/bk are the list head. */
  private bin(b: number): number {
    return this.ctrl + R_BINS + b * BIN_SENTINEL_WORDS;
  }

  private sizeOf(c: number): number {
    return this.m[c + SIZE_FIELD] & ~FLAG_MASK;
  }

  private topWords(): number {
    return this.m[this.ctrl + R_BRK] - this.m[this.ctrl + R_TOP];
  }

  /** Moves top to `c` with `sizeWords`; writing its header touches memory up to it. */
  private setTop(c: number, sizeWords: number): void {
    const m = this.m;
    m[this.ctrl + R_TOP] = c;
    if (sizeWords === 0) return;
    m[c + SIZE_FIELD] = sizeWords | PREV_INUSE;
    const written = c + HEADER_WORDS;
    const touchedEnd = m[this.ctrl + R_TOUCHED_END];
    if (written > touchedEnd) {
      m[this.ctrl + R_TOUCHED_END] = Math.min(written, m[this.ctrl + R_BRK]);
      if ((written - 1) >> PAGE_WORDS_SHIFT !== (touchedEnd - 1) >> PAGE_WORDS_SHIFT) this.onResidentGrowth();
    }
  }

  private setHead(c: number, sizeWords: number, flags: number): void {
    this.m[c + SIZE_FIELD] = sizeWords | flags;
  }

  /** set_foot: the next chunk's prev_size. */
  private setFoot(c: number, sizeWords: number): void {
    this.m[c + sizeWords] = sizeWords;
  }

  /** set_inuse_bit_at_offset: the chunk before `next` is in use. */
  private setInuseAt(next: number): void {
    this.m[next + SIZE_FIELD] |= PREV_INUSE;
  }

  /** A chunk is in use when its successor's PREV_INUSE bit says so. */
  private inUse(c: number): boolean {
    return (this.m[c + this.sizeOf(c) + SIZE_FIELD] & PREV_INUSE) !== 0;
  }

  /** Links `c` into a bin list right after `after` (after a bin head: at the front). */
  private linkAfter(after: number, c: number): void {
    const m = this.m;
    const before = m[after + FD];
    m[c + FD] = before;
    m[c + BK] = after;
    m[after + FD] = c;
    m[before + BK] = c;
  }

  private unlinkChunk(c: number): void {
    const m = this.m;
    const fd = m[c + FD];
    const bk = m[c + BK];
    m[bk + FD] = fd;
    m[fd + BK] = bk;
  }

  private wordOf(offset: number): number {
    return this.regionWord + offset / WORD_BYTES;
  }

  private offsetOf(word: number): number {
    return (word - this.regionWord) * WORD_BYTES;
  }

  private outOfSpace(bytes: number): PyheapError {
    return new PyheapError(
      'PYHEAP_E_HEAP_CAPACITY',
      `the simulated process's raw address space is exhausted (a ${bytes}-byte request did not fit); raise the heap's rawCapacityBytes`,
    );
  }
}
