/**
 * Random allocation sequences through the heap and through a naive reference
 * pymalloc (test/support/reference-pymalloc.ts): the same block must be chosen
 * for every allocation, the statistics must agree, and every invariant of the
 * heap must hold throughout.
 */
import fc from 'fast-check';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { Heap } from '../../src/heap/allocator.js';
import type { ArenaAddressSource } from '../../src/heap/arena.js';
import { WORD_BYTES } from '../../src/heap/layout.js';
import { loadProfile, type ProfileName, profileConstants } from '../../src/heap/profile.js';
import { checkHeapInvariants } from '../support/heap-invariants.js';
import { type RefBlock, ReferencePymalloc } from '../support/reference-pymalloc.js';

/** Page-aligned arena addresses, a random mix of pool-aligned and not. */
function arenaAddresses(seed: number): () => number {
  const rng = xoroshiro128plus(seed ^ 0x5eed);
  let next = 0x7f00_0000_0000;
  return () => {
    next -= 4 * 1024 * 1024 + uniformInt(rng, 0, 7) * 4096;
    return next;
  };
}

function runSequence(profileName: ProfileName, seed: number, ops: number, waveOps: number): void {
  const profile = loadProfile(profileName);
  const c = profileConstants(profile);
  const heapAddresses = arenaAddresses(seed);
  const source: ArenaAddressSource = { mapArena: heapAddresses, unmapArena: () => {} };
  const heap = new Heap({ profile: profileName, arenaSource: source, arenaCapacityBytes: 512 * c.arenaSizeBytes, rawCapacityBytes: 1 << 28 });
  const ref = new ReferencePymalloc(
    {
      profile: profileName,
      arenaSize: c.arenaSizeBytes,
      poolSize: c.poolSizeBytes,
      alignment: c.alignmentBytes,
      overhead: profile.poolOverheadBytes,
      keepsLastFreeArena: profile.keepsLastFreeArena,
    },
    arenaAddresses(seed),
  );
  const rng = xoroshiro128plus(seed);
  const live: { p: number; block: RefBlock }[] = [];
  const arenaWords = c.arenaSizeBytes / WORD_BYTES;
  const poolWords = c.poolSizeBytes / WORD_BYTES;
  const position = (p: number): [number, number, number] => {
    const rel = p - heap.arenaRegion;
    return [Math.floor(rel / arenaWords), Math.floor((rel % arenaWords) / poolWords), (rel % poolWords) * WORD_BYTES];
  };
  const check = (p: number, block: RefBlock, op: number): void => {
    if (block.raw !== !heap.isPymalloc(p)) throw new Error(`op ${op}: raw mismatch`);
    if (!block.raw) expect(position(p), `op ${op}`).toEqual(ref.position(block));
  };
  const size = (): number => {
    const kind = uniformInt(rng, 0, 99);
    if (kind < 2) return 0;
    if (kind < 6) return uniformInt(rng, 513, 4000);
    if (kind < 40) return uniformInt(rng, 1, 64);
    return uniformInt(rng, 1, 512);
  };
  // Waves: grow, then shrink, so arenas fill, drain and get released.
  for (let op = 0; op < ops; op++) {
    const growing = Math.floor(op / waveOps) % 2 === 0;
    const action = uniformInt(rng, 0, 99);
    const freeBias = growing ? 15 : 80;
    if (action < freeBias && live.length > 0) {
      const i = uniformInt(rng, 0, live.length - 1);
      const victim = live[i];
      live[i] = live[live.length - 1];
      live.pop();
      heap.free(victim.p);
      ref.free(victim.block);
    } else if (action < freeBias + 8 && live.length > 0) {
      const i = uniformInt(rng, 0, live.length - 1);
      const n = size();
      const p = heap.realloc(live[i].p, n);
      const block = ref.realloc(live[i].block, n);
      check(p, block, op);
      live[i] = { p, block };
    } else {
      const n = size();
      const p = heap.malloc(n);
      const block = ref.malloc(n);
      check(p, block, op);
      live.push({ p, block });
    }
    if (op % 1000 === 999) checkHeapInvariants(heap);
  }
  checkHeapInvariants(heap);
  const { profile: _p, arenaMap: _m, ...stats } = heap.mallocStats();
  expect(stats).toEqual(ref.stats());
  // The waves must have exercised arena management, or the comparison proves little.
  expect(stats.arenasHighwaterMark).toBeGreaterThanOrEqual(3);
  expect(stats.arenasReclaimed).toBeGreaterThanOrEqual(1);
}

describe('the heap chooses the same blocks as a naive reference pymalloc', () => {
  // 1 MiB arenas need longer waves than 256 KiB ones to fill several arenas.
  const cases = [
    { profile: '3.11', ops: 160_000, wave: 40_000, runs: 5 },
    { profile: '3.9', ops: 48_000, wave: 8_000, runs: 12 },
    { profile: '3.8', ops: 48_000, wave: 8_000, runs: 12 },
    { profile: '3.7', ops: 48_000, wave: 8_000, runs: 12 },
  ] as const;
  for (const { profile, ops, wave, runs } of cases) {
    it(`profile ${profile}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (seed) => {
          runSequence(profile, seed, ops, wave);
        }),
        { numRuns: runs },
      );
    });
  }
});
