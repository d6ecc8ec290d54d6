/**
 * The simulated process's address space for mappings: where Linux puts each
 * mmap (pymalloc arenas, glibc's mmapped chunks) relative to the others.
 *
 * Modelled on the kernel's top-down layout (mm/mmap.c,
 * `arch_get_unmapped_area_topdown` → `vm_unmapped_area` with
 * VM_UNMAPPED_AREA_TOPDOWN): a new mapping goes into the *highest* gap below
 * mmap_base that fits it, so mappings pack downwards and a freed hole is reused
 * by the next mapping that fits. Mappings are page-granular. Because an arena's
 * address modulo POOL_SIZE decides whether it holds 63 or 64 pools, the order
 * and sizes of all mappings matter; mmap_base itself is randomised by ASLR at
 * page granularity, which the heap's `addressSeed` stands for.
 *
 * Addresses are byte addresses (doubles: OS addresses exceed 2^32). The heap
 * uses two instances: the process's modelled mappings by OS address (arenas and
 * glibc's mmapped chunks, which decides the arenas' alignment), and the layout
 * of its raw region's own bytes (the brk heap growing up from the floor, the
 * bytes of mmapped chunks packed down from the top; the two must not meet).
 *
 * Not modelled: the gap between the brk heap and the mmap area of a real
 * process, guard pages, and mappings pyheap does not simulate (shared
 * libraries, thread stacks, the 3.11 frame data stack).
 */
import { PAGE_SIZE_BYTES } from './layout.js';

export class AddressSpace {
  readonly floorOs: number;
  readonly topOs: number;
  /** Mapped intervals, sorted by start: starts[i] < ends[i] <= starts[i+1]. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Lowest address the mmap area may reach (the brk heap's end). */
  private brkLimitOs: number;
  private mappedBytesTotal = 0;

  constructor(floorOs: number, sizeBytes: number) {
    if (floorOs % PAGE_SIZE_BYTES !== 0 || sizeBytes % PAGE_SIZE_BYTES !== 0) {
      throw new RangeError('address space bounds must be page-aligned');
    }
    this.floorOs = floorOs;
    this.topOs = floorOs + sizeBytes;
    this.brkLimitOs = floorOs;
  }

  /** Forgets every mapping: the address space of a fresh process. */
  reset(): void {
    this.starts.length = 0;
    this.ends.length = 0;
    this.brkLimitOs = this.floorOs;
    this.mappedBytesTotal = 0;
  }

  get mappedBytes(): number {
    return this.mappedBytesTotal;
  }

  /** The lowest mapped address, or topOs when nothing is mapped. */
  get lowestMappingOs(): number {
    return this.starts.length === 0 ? this.topOs : this.starts[0];
  }

  /** Tells the model how far the brk heap reaches; returns false if that would overlap a mapping. */
  setBrk(brkOs: number): boolean {
    if (brkOs > this.lowestMappingOs) return false;
    this.brkLimitOs = brkOs;
    return true;
  }

  /**
   * mmap(NULL, length): the highest gap that fits, or -1 when none does
   * (ENOMEM). `length` is rounded up to pages.
   */
  map(length: number): number {
    const size = roundUpToPage(length);
    let gapEnd = this.topOs;
    for (let i = this.starts.length - 1; i >= -1; i--) {
      const gapStart = i >= 0 ? this.ends[i] : this.brkLimitOs;
      if (gapEnd - gapStart >= size) {
        const start = gapEnd - size;
        this.insertAt(i + 1, start, gapEnd);
        return start;
      }
      if (i >= 0) gapEnd = this.starts[i];
    }
    return -1;
  }

  /** munmap of a whole mapping made by map(). */
  unmap(start: number, length: number): void {
    const i = this.indexOf(start);
    if (this.ends[i] - start !== roundUpToPage(length)) {
      throw new RangeError(`munmap of ${length} bytes at ${start.toString(16)} does not match its mapping`);
    }
    this.mappedBytesTotal -= this.ends[i] - start;
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
  }

  /**
   * mremap(old, oldLength, newLength, MREMAP_MAYMOVE): shrink in place, grow in
   * place when the pages above are free, else move to a new gap. Returns the
   * new start or -1.
   */
  remap(start: number, newLength: number): number {
    const i = this.indexOf(start);
    const newSize = roundUpToPage(newLength);
    const oldSize = this.ends[i] - start;
    const ceiling = i + 1 < this.starts.length ? this.starts[i + 1] : this.topOs;
    if (newSize <= oldSize || start + newSize <= ceiling) {
      this.mappedBytesTotal += newSize - oldSize;
      this.ends[i] = start + newSize;
      return start;
    }
    const moved = this.map(newSize);
    if (moved < 0) return -1;
    this.unmap(start, oldSize);
    return moved;
  }

  private indexOf(start: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.starts[mid];
      if (s === start) return mid;
      if (s < start) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new RangeError(`no mapping starts at ${start.toString(16)}`);
  }

  private insertAt(i: number, start: number, end: number): void {
    this.starts.splice(i, 0, start);
    this.ends.splice(i, 0, end);
    this.mappedBytesTotal += end - start;
  }
}

export function roundUpToPage(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE_BYTES) * PAGE_SIZE_BYTES;
}
