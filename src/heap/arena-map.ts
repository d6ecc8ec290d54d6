/**
 * The radix tree that tells pymalloc's own pointers from the raw allocator's
 * (3.10+, bpo-37448; Objects/obmalloc.c `arena_map_get`, `arena_map_mark_used`).
 *
 * pyheap answers "is this pymalloc's?" from its own layout (layout.ts), so this
 * models only what the tree costs and reports: interior nodes are created with
 * PyMem_RawCalloc the first time an arena lands under them and are never freed,
 * and `_PyObject_DebugMallocStats` prints their counts and sizes. The node
 * allocations are real raw-allocator calls in the simulation (they are mmapped,
 * and so shift the addresses of the arenas mapped after them).
 *
 * 64-bit 3.11 (ADDRESS_BITS 64, IGNORE_BITS 0):
 *   INTERIOR_BITS = (64 - ARENA_BITS + 2) / 3    = 15 for 1 MiB arenas
 *   MAP_BOT_BITS  = 64 - ARENA_BITS - 2 × 15     = 14
 *   root: 2^15 pointers (static), mid node: 2^15 pointers, bot node: 2^14 × {int32 tail_hi, tail_lo}
 * A mid node covers addresses sharing bits 63..(ARENA_BITS+14+15), a bot node
 * those sharing bits 63..(ARENA_BITS+14).
 */
const POINTER_BITS = 64;
const POINTER_BYTES = 8;
const ARENA_COVERAGE_BYTES = 8;

export interface RawCalloc {
  /** PyMem_RawCalloc; `lazy`: only the pages later written become resident (fresh mmap memory). */
  calloc(nelem: number, elsize: number, lazy: boolean): number;
}

export interface ArenaMapFigures {
  midNodes: number;
  botNodes: number;
  rootBytes: number;
  midBytes: number;
  botBytes: number;
}

export class ArenaMap {
  private readonly arenaSizeBytes: number;
  private readonly botShiftDivisor: number;
  private readonly midShiftDivisor: number;
  readonly rootNodeBytes: number;
  readonly midNodeBytes: number;
  readonly botNodeBytes: number;
  private readonly raw: RawCalloc;
  private readonly midNodes = new Set<number>();
  private readonly botNodes = new Set<number>();

  constructor(arenaBits: number, raw: RawCalloc) {
    const interiorBits = Math.floor((POINTER_BITS - arenaBits + 2) / 3);
    const botBits = POINTER_BITS - arenaBits - 2 * interiorBits;
    this.arenaSizeBytes = 2 ** arenaBits;
    this.botShiftDivisor = 2 ** (arenaBits + botBits);
    this.midShiftDivisor = 2 ** (arenaBits + botBits + interiorBits);
    this.rootNodeBytes = 2 ** interiorBits * POINTER_BYTES;
    this.midNodeBytes = 2 ** interiorBits * POINTER_BYTES;
    this.botNodeBytes = 2 ** botBits * ARENA_COVERAGE_BYTES;
    this.raw = raw;
  }

  /**
   * arena_map_mark_used: marking an arena creates (when `used`) the nodes under
   * its base and, when the base is not ARENA_SIZE-aligned, under the next
   * ideal arena address too. Unmarking never frees nodes.
   */
  markUsed(osAddress: number, used: boolean): void {
    if (!used) return;
    this.ensureNodes(osAddress);
    if (osAddress % this.arenaSizeBytes !== 0) this.ensureNodes(osAddress + this.arenaSizeBytes);
  }

  private ensureNodes(address: number): void {
    const mid = Math.floor(address / this.midShiftDivisor);
    if (!this.midNodes.has(mid)) {
      this.raw.calloc(1, this.midNodeBytes, true);
      this.midNodes.add(mid);
    }
    const bot = Math.floor(address / this.botShiftDivisor);
    if (!this.botNodes.has(bot)) {
      this.raw.calloc(1, this.botNodeBytes, true);
      this.botNodes.add(bot);
    }
  }

  reset(): void {
    this.midNodes.clear();
    this.botNodes.clear();
  }

  figures(): ArenaMapFigures {
    return {
      midNodes: this.midNodes.size,
      botNodes: this.botNodes.size,
      rootBytes: this.rootNodeBytes,
      midBytes: this.midNodes.size * this.midNodeBytes,
      botBytes: this.botNodes.size * this.botNodeBytes,
    };
  }
}
