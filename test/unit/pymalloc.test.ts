/**
 * pymalloc's rules, one at a time, as Objects/obmalloc.c states them.
 */
import { describe, expect, it } from 'vitest';
import { Heap, type HeapOptions } from '../../src/heap/allocator.js';
import type { ArenaAddressSource } from '../../src/heap/arena.js';
import { PAGE_SIZE_BYTES } from '../../src/heap/layout.js';
import { loadProfile, profileConstants } from '../../src/heap/profile.js';
import { numBlocksPerPool } from '../../src/heap/stats.js';

/** Arena addresses chosen by the test: aligned to 1 MiB unless an offset is given. */
function addresses(...offsets: number[]): ArenaAddressSource & { unmapped: number[] } {
  let n = 0;
  const unmapped: number[] = [];
  return {
    unmapped,
    mapArena: () => 0x7f00_0000_0000 - (++n << 24) + (offsets[n - 1] ?? 0),
    unmapArena: (a) => unmapped.push(a),
  };
}

function heap(options: HeapOptions = {}): Heap {
  return new Heap({ arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20, ...options });
}

describe('size classes', () => {
  it('has the 16 KiB-pool block counts of CPython 3.11 (NUMBLOCKS)', () => {
    // From the reference table of blocks per pool (POOL_SIZE 16384, POOL_OVERHEAD 48).
    const expected = [1021, 510, 340, 255, 204, 170, 145, 127, 113, 102, 92, 85, 78, 72, 68, 63, 60, 56, 53, 51, 48, 46, 44, 42, 40, 39, 37, 36, 35, 34, 32, 31];
    expect(expected.map((_, i) => numBlocksPerPool(16384, 48, (i + 1) * 16))).toEqual(expected);
  });

  it('has the 4 KiB-pool block counts of CPython 3.9', () => {
    const expected = [253, 126, 84, 63, 50, 42, 36, 31, 28, 25, 23, 21, 19, 18, 16, 15, 14, 14, 13, 12, 12, 11, 11, 10, 10, 9, 9, 9, 8, 8, 8, 7];
    expect(expected.map((_, i) => numBlocksPerPool(4096, 48, (i + 1) * 16))).toEqual(expected);
  });

  it('sends 1..512 bytes to pymalloc and 0 or more than 512 to the raw allocator', () => {
    const h = heap();
    expect(h.isPymalloc(h.malloc(1))).toBe(true);
    expect(h.isPymalloc(h.malloc(512))).toBe(true);
    expect(h.isPymalloc(h.malloc(513))).toBe(false);
    expect(h.isPymalloc(h.malloc(0))).toBe(false);
    expect(h.usableSize(h.malloc(17))).toBe(32);
    const old = heap({ profile: '3.7' });
    expect(old.usableSize(old.malloc(17))).toBe(24);
  });
});

describe('pools', () => {
  it('serves a class from the front pool and carves a second pool when the first is full', () => {
    const h = heap({ arenaSource: addresses() });
    const per = numBlocksPerPool(16384, 48, 512);
    const blocks = Array.from({ length: per + 1 }, () => h.malloc(512));
    expect(h.mallocStats().sizeClasses).toEqual([{ sizeClass: 31, size: 512, numPools: 2, blocksInUse: per + 1, availBlocks: per - 1 }]);
    // Blocks of one pool are handed out in address order, one pool after the other.
    expect(blocks[1] - blocks[0]).toBe(512 / 4);
  });

  it('puts a full pool that gets a block back at the front of usedpools, and reuses that block first', () => {
    const h = heap({ arenaSource: addresses() });
    const per = numBlocksPerPool(16384, 48, 512);
    const first = Array.from({ length: per }, () => h.malloc(512));
    h.malloc(512); // the second pool is now the front
    h.free(first[3]);
    expect(h.malloc(512)).toBe(first[3]);
  });

  it('keeps an emptied pool on its arena and reuses it, with its free list, for the same class', () => {
    const h = heap({ arenaSource: addresses() });
    const a = h.malloc(100);
    const b = h.malloc(100);
    h.free(a);
    h.free(b); // the pool is empty: freepools, free list b -> a -> the carved third block
    const stats = h.mallocStats();
    expect(stats.sizeClasses).toEqual([]);
    expect(stats.unusedPools).toBe(64);
    expect(h.malloc(100)).toBe(b);
    expect(h.malloc(100)).toBe(a);
  });

  it('re-initialises an emptied pool taken by another class', () => {
    const h = heap({ arenaSource: addresses() });
    const a = h.malloc(100);
    h.free(a);
    const c = h.malloc(30);
    expect(c).toBe(a - ((a - h.arenaRegion) % 4096) + 48 / 4);
    expect(h.usableSize(c)).toBe(32);
  });
});

describe('arenas', () => {
  it('has 63 pools when the arena address is not pool-aligned, and reports the lost head', () => {
    const h = heap({ arenaSource: addresses(4096) });
    h.malloc(8);
    const stats = h.mallocStats();
    expect(stats.unusedPools).toBe(62);
    expect(stats.bytesLostToArenaAlignment).toBe(16384);
    expect(stats.totalBytes).toBe(1 << 20);
  });

  it('3.9+: keeps a wholly free arena while it is the last usable one (bpo-37257); 3.8 releases it', () => {
    for (const [profile, released] of [['3.11', 0], ['3.9', 0], ['3.8', 1], ['3.7', 1]] as const) {
      const source = addresses();
      const h = heap({ profile, arenaSource: source });
      h.free(h.malloc(64));
      expect(source.unmapped.length, profile).toBe(released);
      expect(h.mallocStats().arenasAllocatedCurrent, profile).toBe(1 - released);
    }
  });

  it('releases a wholly free arena that is not last, and takes new pools from the most-used arena', () => {
    const source = addresses();
    const h = heap({ profile: '3.9', arenaSource: source });
    const c = profileConstants(loadProfile('3.9'));
    const perArena = (c.arenaSizeBytes / c.poolSizeBytes) * numBlocksPerPool(4096, 48, 512);
    const first = Array.from({ length: perArena }, () => h.malloc(512));
    const second = Array.from({ length: 14 }, () => h.malloc(512)); // two full pools of the second arena
    expect(h.mallocStats().arenasAllocatedCurrent).toBe(2);
    // Free one pool's worth in the first arena: it becomes usable (case 2, head of usable_arenas)...
    for (const p of first.slice(0, 7)) h.free(p);
    // ...and has fewer free pools (1) than the second arena (62), so the next new pool comes from it.
    const next = Array.from({ length: 7 }, () => h.malloc(512));
    expect(next.every((p) => p >= first[0] && p <= first[first.length - 1])).toBe(true);
    // Emptying the second arena entirely releases it (it is not last: the first is).
    for (const p of second) h.free(p);
    for (const p of [...first.slice(7), ...next]) h.free(p);
    expect(source.unmapped.length).toBe(1);
    expect(h.mallocStats().arenasAllocatedCurrent).toBe(1);
  });
});

describe('pymalloc_realloc', () => {
  it('stays in place when the new size fits the block and is more than 3/4 of it', () => {
    const h = heap();
    const p = h.malloc(100); // class of 112 bytes
    expect(h.realloc(p, 112)).toBe(p);
    expect(h.realloc(p, 85)).toBe(p); // 4 × 85 = 340 > 336
    const q = h.realloc(p, 84); // 336 is not > 336: moves to the 96-byte class
    expect(q).not.toBe(p);
    expect(h.usableSize(q)).toBe(96);
  });

  it('moves to a new block by malloc, copy, then free', () => {
    const h = heap();
    const p = h.malloc(16);
    h.mem[p] = 1234;
    const q = h.realloc(p, 40);
    expect(h.mem[q]).toBe(1234);
    // Malloc happens before the free: the old block was still taken when the new one was chosen.
    expect(h.malloc(16)).toBe(p);
  });

  it('leaves a raw block raw, even when shrunk below 512 bytes', () => {
    const h = heap();
    const p = h.malloc(2000);
    const q = h.realloc(p, 10);
    expect(h.isPymalloc(q)).toBe(false);
  });

  it('treats size 0 as a request for the raw allocator, not as a free', () => {
    const h = heap();
    const p = h.malloc(32);
    const q = h.realloc(p, 0);
    expect(h.isPymalloc(q)).toBe(false);
    expect(h.mallocStats().sizeClasses).toEqual([]);
    const r = h.realloc(q, 64);
    expect(h.isPymalloc(r)).toBe(false);
  });

  it('calloc zeroes the block', () => {
    const h = heap();
    const p = h.malloc(64);
    h.mem.fill(-1, p, p + 16);
    h.free(p);
    const q = h.calloc(4, 16);
    expect(q).toBe(p);
    expect(Array.from(h.mem.subarray(q, q + 16))).toEqual(new Array(16).fill(0));
  });
});

describe('misuse', () => {
  it('rejects a free of a pointer that is not a live pymalloc block', () => {
    const h = heap();
    const p = h.malloc(16);
    h.free(p);
    h.malloc(16);
    const q = h.malloc(16);
    h.free(q);
    expect(() => h.free(h.arenaRegion + 100_000)).toThrow(/not a live pymalloc block/);
  });
});

describe('resident memory', () => {
  it('counts arena pages as they are written, drops them when the arena is unmapped, and keeps the peak', () => {
    const h = heap({ profile: '3.8', arenaSource: addresses(), baselineRssBytes: 0 });
    const before = h.memory();
    const blocks = Array.from({ length: 2000 }, () => h.malloc(256));
    const grown = h.memory();
    // 2000 blocks of 256 bytes in 4 KiB pools of 15 blocks: 134 pools, each one page.
    expect(grown.rssBytes - before.rssBytes - grown.rawResidentBytes).toBe(Math.ceil(2000 / 15) * PAGE_SIZE_BYTES);
    for (const p of blocks) h.free(p);
    const after = h.memory();
    expect(after.arenas).toBe(0);
    expect(after.rssBytes).toBe(after.rawResidentBytes);
    expect(after.peakRssBytes).toBe(grown.rssBytes);
    // What stays live is CPython's own arenas vector (16 arena objects of 48 bytes, a raw block).
    expect(after.liveBytes).toBe(h.raw.usableSize(h.raw.malloc(16 * 48)));
  });

  it('computes fragmentation from live bytes and the allocators’ footprint', () => {
    const h = heap({ arenaSource: addresses() });
    const blocks = [h.malloc(64)];
    // Live raw blocks of the interpreter's own: the arenas vector and the arena map's nodes.
    const own = h.memory().liveBytes - 64;
    for (let i = 1; i < 1000; i++) blocks.push(h.malloc(64));
    const dense = h.memory();
    for (let i = 0; i < blocks.length; i++) if (i % 10 !== 0) h.free(blocks[i]);
    const sparse = h.memory();
    // malloc_usable_size of: the 768-byte vector (chunk 784); the 256 KiB mid node, mmapped
    // (266,240-byte mapping less its 16-byte header); the 128 KiB bot node, which still fits
    // the heap's top chunk although it is above the mmap threshold (chunk 131,088).
    expect(own).toBe(776 + (266_240 - 16) + (131_088 - 8));
    expect(dense.liveBytes).toBe(64_000 + own);
    expect(sparse.liveBytes).toBe(6_400 + own);
    expect(dense.fragmentation).toBeCloseTo(1 - dense.liveBytes / dense.footprintBytes, 12);
    expect(sparse.fragmentation).toBeGreaterThan(dense.fragmentation);
    expect(sparse.footprintBytes).toBe(dense.footprintBytes);
  });
});
