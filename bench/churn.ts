/**
 * Synthetic allocator churn for the heap benchmark: alloc+free pairs on one
 * heap, with N live blocks freed in random order, or freed right after
 * allocation (LIFO). Sizes and random choices are precomputed so the timed loop
 * does only heap work.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { Heap } from '../src/heap/allocator.js';

export type ChurnKind = 'random' | 'lifo';

export interface ChurnSpec {
  kind: ChurnKind;
  pairs: number;
  liveBlocks: number;
  /** Request sizes to draw from (a realistic mix), uniformly. */
  sizes: Int32Array;
  seed: number;
  /**
   * Threads started together: each adds 1 to word 0 when ready and waits for
   * word 1 to become 1, so the timed loops overlap.
   */
  startLatch?: Int32Array;
}

export interface ChurnResult {
  pairs: number;
  seconds: number;
  pairsPerSecond: number;
}

const TABLE = 1 << 16;

export function runChurn(spec: ChurnSpec): ChurnResult {
  const rng = xoroshiro128plus(spec.seed);
  const heap = new Heap({ arenaCapacityBytes: 1 << 30, rawCapacityBytes: 1 << 26 });
  const sizes = new Int32Array(TABLE);
  const victims = new Int32Array(TABLE);
  for (let i = 0; i < TABLE; i++) {
    sizes[i] = spec.sizes[uniformInt(rng, 0, spec.sizes.length - 1)];
    victims[i] = uniformInt(rng, 0, spec.liveBlocks - 1);
  }
  const live = new Int32Array(spec.liveBlocks);
  for (let i = 0; i < live.length; i++) live[i] = heap.malloc(sizes[i & (TABLE - 1)]);
  // Warm up the JIT on the same loop before timing.
  churn(heap, live, sizes, victims, spec.kind, Math.min(spec.pairs, 1 << 20));
  if (spec.startLatch !== undefined) {
    Atomics.add(spec.startLatch, 0, 1);
    Atomics.notify(spec.startLatch, 0);
    Atomics.wait(spec.startLatch, 1, 0);
  }
  const start = process.hrtime.bigint();
  churn(heap, live, sizes, victims, spec.kind, spec.pairs);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { pairs: spec.pairs, seconds, pairsPerSecond: spec.pairs / seconds };
}

function churn(heap: Heap, live: Int32Array, sizes: Int32Array, victims: Int32Array, kind: ChurnKind, pairs: number): void {
  const mask = TABLE - 1;
  if (kind === 'random') {
    for (let i = 0; i < pairs; i++) {
      const v = victims[i & mask];
      heap.free(live[v]);
      live[v] = heap.malloc(sizes[i & mask]);
    }
  } else {
    for (let i = 0; i < pairs; i++) heap.free(heap.malloc(sizes[i & mask]));
  }
}
