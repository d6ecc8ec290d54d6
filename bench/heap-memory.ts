/**
 * The simulator's own resident memory while it holds a simulated heap of N
 * arenas (run in a fresh process by bench/heap.ts): RSS before and after
 * filling the arenas with blocks of a realistic size mix.
 *
 *   node dist/bench/heap-memory.js <arenas> <sizes-json>
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { Heap } from '../src/heap/allocator.js';

const arenas = Number(process.argv[2] ?? 256);
const sizes: number[] = JSON.parse(process.argv[3] ?? '[16,32,48,64,80,96,128,256,512]');
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const rssBefore = process.memoryUsage().rss;
const heap = new Heap({ arenaCapacityBytes: (arenas + 64) << 20, rawCapacityBytes: 1 << 28 });
const rng = xoroshiro128plus(7);
const live: number[] = [];
while (heap.memory().arenas < arenas) {
  for (let i = 0; i < 4096; i++) live.push(heap.malloc(sizes[uniformInt(rng, 0, sizes.length - 1)]));
}
gc?.();
const rssAfter = process.memoryUsage().rss;
const memory = heap.memory();
process.stdout.write(
  JSON.stringify({
    arenas: memory.arenas,
    arenaBytes: memory.arenaBytes,
    simulatedRssBytes: memory.rssBytes,
    rssBefore,
    rssAfter,
    simulatorBytes: rssAfter - rssBefore,
  }),
);
