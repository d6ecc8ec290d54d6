/**
 * A second, deliberately naive pymalloc written from the 3.7 sources' prose
 * (Objects/obmalloc.c): JavaScript objects and arrays, linear list walks, no
 * nfp2lasta. Property tests run random operation sequences through it and
 * through the real heap and require the same blocks and the same statistics.
 */
import type { MallocStats, SizeClassStats } from '../../src/heap/stats.js';
import type { ProfileName } from '../../src/heap/profile.js';

export interface RefLayout {
  profile: ProfileName;
  arenaSize: number;
  poolSize: number;
  alignment: number;
  overhead: number;
  keepsLastFreeArena: boolean;
}

class RefPool {
  count = 0;
  szidx = -1;
  free: number[] = []; // stack of block offsets; top = last element
  nextoffset = 0;
  maxnextoffset = 0;
  constructor(
    readonly arena: RefArena,
    readonly index: number,
  ) {}
}

class RefArena {
  pools: RefPool[] = [];
  freepools: RefPool[] = []; // stack; top = last element
  nfreepools: number;
  constructor(
    readonly slot: number,
    readonly osAddress: number,
    readonly ntotalpools: number,
  ) {
    this.nfreepools = ntotalpools;
  }
}

export interface RefBlock {
  raw: boolean;
  pool?: RefPool;
  offset: number;
  size: number;
}

export class ReferencePymalloc {
  private readonly usedpools: RefPool[][];
  private usable: RefArena[] = [];
  private unused: number[] = []; // stack of slot indices; top = last
  private maxarenas = 0;
  private readonly slots: (RefArena | null)[] = [];
  private timesAllocated = 0;
  private highwater = 0;

  constructor(
    readonly layout: RefLayout,
    private readonly nextArenaAddress: () => number,
  ) {
    this.usedpools = Array.from({ length: 512 / layout.alignment }, () => []);
  }

  get currentArenas(): number {
    return this.slots.filter((a) => a !== null).length;
  }

  malloc(n: number): RefBlock {
    if (n === 0 || n > 512) return { raw: true, offset: 0, size: n };
    const idx = (n - 1) >> Math.log2(this.layout.alignment);
    const size = (idx + 1) * this.layout.alignment;
    const list = this.usedpools[idx];
    if (list.length > 0) {
      const pool = list[0];
      pool.count++;
      let offset: number;
      if (pool.free.length > 0) {
        offset = pool.free.pop()!;
      } else {
        offset = pool.nextoffset;
        pool.nextoffset += size;
      }
      if (pool.free.length === 0 && pool.nextoffset > pool.maxnextoffset) list.shift(); // full
      return { raw: false, pool, offset, size };
    }
    if (this.usable.length === 0) this.usable.push(this.newArena());
    const arena = this.usable[0];
    let pool = arena.freepools.pop();
    if (pool === undefined) {
      pool = new RefPool(arena, arena.pools.length);
      arena.pools.push(pool);
    }
    arena.nfreepools--;
    if (arena.nfreepools === 0) this.usable.shift();
    pool.count = 1;
    list.unshift(pool);
    if (pool.szidx === idx) {
      const offset = pool.free.pop()!;
      if (pool.free.length === 0 && pool.nextoffset > pool.maxnextoffset) list.shift();
      return { raw: false, pool, offset, size };
    }
    pool.szidx = idx;
    pool.free = [];
    pool.nextoffset = this.layout.overhead + size;
    pool.maxnextoffset = this.layout.poolSize - size;
    return { raw: false, pool, offset: this.layout.overhead, size };
  }

  free(block: RefBlock): void {
    if (block.raw) return;
    const pool = block.pool!;
    const wasFull = pool.free.length === 0 && pool.nextoffset > pool.maxnextoffset;
    pool.free.push(block.offset);
    pool.count--;
    const list = this.usedpools[pool.szidx];
    if (wasFull) {
      list.unshift(pool);
      return;
    }
    if (pool.count !== 0) return;
    list.splice(list.indexOf(pool), 1);
    const arena = pool.arena;
    arena.freepools.push(pool);
    arena.nfreepools++;
    const nf = arena.nfreepools;
    const at = this.usable.indexOf(arena);
    if (nf === arena.ntotalpools && (!this.layout.keepsLastFreeArena || at !== this.usable.length - 1)) {
      this.usable.splice(at, 1);
      this.slots[arena.slot] = null;
      this.unused.push(arena.slot);
      return;
    }
    if (nf === 1) {
      this.usable.unshift(arena);
      return;
    }
    // 3.7's walk: move right past arenas with fewer free pools.
    this.usable.splice(at, 1);
    let i = at;
    while (i < this.usable.length && nf > this.usable[i].nfreepools) i++;
    this.usable.splice(i, 0, arena);
  }

  /** pymalloc_realloc's rules; returns the block now holding the data. */
  realloc(block: RefBlock, n: number): RefBlock {
    if (block.raw) return { raw: true, offset: 0, size: n };
    const size = block.size;
    if (n <= size && 4 * n > 3 * size) return block;
    const moved = this.malloc(n);
    this.free(block);
    return moved;
  }

  private newArena(): RefArena {
    if (this.unused.length === 0) {
      const grown = this.maxarenas === 0 ? 16 : this.maxarenas * 2;
      for (let i = grown - 1; i >= this.maxarenas; i--) this.unused.push(i);
      this.maxarenas = grown;
    }
    const slot = this.unused.pop()!;
    const os = this.nextArenaAddress();
    const pools = this.layout.arenaSize / this.layout.poolSize - (os % this.layout.poolSize === 0 ? 0 : 1);
    const arena = new RefArena(slot, os, pools);
    this.slots[slot] = arena;
    this.timesAllocated++;
    this.highwater = Math.max(this.highwater, this.currentArenas);
    return arena;
  }

  stats(): Omit<MallocStats, 'arenaMap' | 'profile'> {
    const { poolSize, arenaSize, alignment, overhead } = this.layout;
    const n = 512 / alignment;
    const pools = new Array<number>(n).fill(0);
    const blocks = new Array<number>(n).fill(0);
    const avail = new Array<number>(n).fill(0);
    let unusedPools = 0;
    let alignmentLoss = 0;
    let arenas = 0;
    for (const arena of this.slots) {
      if (arena === null || arena === undefined) continue;
      arenas++;
      unusedPools += arena.nfreepools;
      if (arena.osAddress % poolSize !== 0) alignmentLoss += poolSize;
      for (const pool of arena.pools) {
        if (pool.count === 0) continue;
        const size = (pool.szidx + 1) * alignment;
        pools[pool.szidx]++;
        blocks[pool.szidx] += pool.count;
        avail[pool.szidx] += Math.floor((poolSize - overhead) / size) - pool.count;
      }
    }
    const sizeClasses: SizeClassStats[] = [];
    let allocated = 0;
    let available = 0;
    let headers = 0;
    let quantization = 0;
    for (let i = 0; i < n; i++) {
      if (pools[i] === 0) continue;
      const size = (i + 1) * alignment;
      sizeClasses.push({ sizeClass: i, size, numPools: pools[i], blocksInUse: blocks[i], availBlocks: avail[i] });
      allocated += blocks[i] * size;
      available += avail[i] * size;
      headers += pools[i] * overhead;
      quantization += pools[i] * ((poolSize - overhead) % size);
    }
    return {
      smallBlockThreshold: 512,
      numSizeClasses: n,
      sizeClasses,
      arenasAllocatedTotal: this.timesAllocated,
      arenasReclaimed: this.timesAllocated - arenas,
      arenasHighwaterMark: this.highwater,
      arenasAllocatedCurrent: arenas,
      arenaSizeBytes: arenaSize,
      arenaBytes: arenas * arenaSize,
      bytesInAllocatedBlocks: allocated,
      bytesInAvailableBlocks: available,
      unusedPools,
      poolSizeBytes: poolSize,
      unusedPoolBytes: unusedPools * poolSize,
      bytesLostToPoolHeaders: headers,
      bytesLostToQuantization: quantization,
      bytesLostToArenaAlignment: alignmentLoss,
      totalBytes: arenas * arenaSize,
    };
  }

  /** (arena slot, pool index in arena, byte offset in pool) of a block. */
  position(block: RefBlock): [number, number, number] {
    return [block.pool!.arena.slot, block.pool!.index, block.offset];
  }
}
