/**
 * The glibc model against glibc itself: the same calls run through the real
 * malloc (test/support/glibc-probe.c, compiled here when gcc is present) and
 * through RawAllocator, comparing after every call the program break, whether
 * the block is mmapped, and its usable size, and at checkpoints the resident
 * size of the brk heap (the [heap] mapping's Rss in /proc/self/smaps).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { afterAll, describe, expect, it } from 'vitest';
import { Heap } from '../../src/heap/allocator.js';
import { brkHeapBytes, brkResidentBytes } from '../../src/heap/rss.js';

type Call = ['m', number, number] | ['c', number, number, number] | ['r', number, number] | ['f', number] | ['s'];

const dir = mkdtempSync(join(tmpdir(), 'pyheap-glibc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let probe: string | null = join(dir, 'glibc-probe');
try {
  execFileSync('gcc', ['-O2', '-o', probe, new URL('../support/glibc-probe.c', import.meta.url).pathname], { stdio: 'ignore' });
} catch {
  probe = null;
}

function runGlibc(calls: Call[]): string[] {
  const input = calls.map((c) => c.join(' ')).join('\n') + '\n';
  return execFileSync(probe!, { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
}

function runModel(calls: Call[]): string[] {
  const heap = new Heap({ rawCapacityBytes: 1 << 30, arenaCapacityBytes: 1 << 20 });
  const raw = heap.raw;
  const blocks = new Map<number, number>();
  return calls.map((call) => {
    let p = 0;
    if (call[0] === 's') return `${brkHeapBytes(heap.mem, heap.layout)} ${brkResidentBytes(heap.mem, heap.layout) / 1024} 0`;
    switch (call[0]) {
      case 'm':
        p = raw.malloc(call[2]);
        break;
      case 'c':
        p = raw.calloc(call[2], call[3]);
        break;
      case 'r':
        p = raw.realloc(blocks.get(call[1]) ?? 0, call[2]);
        break;
      case 'f':
        raw.free(blocks.get(call[1])!);
        blocks.delete(call[1]);
        break;
    }
    if (p !== 0) blocks.set(call[1], p);
    const brk = brkHeapBytes(heap.mem, heap.layout);
    return p === 0 ? `${brk} 0 0` : `${brk} ${raw.isMmapped(p) ? 1 : 0} ${raw.usableSize(p)}`;
  });
}

describe.skipIf(probe === null)('the raw allocator follows glibc malloc (needs gcc)', () => {
  it('grows the heap by nb + top_pad + MINSIZE, page-rounded, and reuses tcache chunks', () => {
    const calls: Call[] = [['m', 0, 600], ['f', 0], ['m', 1, 600], ['m', 2, 1000], ['m', 3, 513]];
    expect(runModel(calls)).toEqual(runGlibc(calls));
  });

  it('mmaps above the threshold and raises the threshold when such a chunk is freed', () => {
    const calls: Call[] = [
      ['m', 0, 200_000], ['f', 0], ['m', 1, 200_000], ['m', 2, 250_000], ['m', 3, 600_000], ['f', 3], ['m', 4, 600_000],
      ['f', 4], ['m', 5, 40 << 20], ['f', 5], ['m', 6, 40 << 20], ['f', 1], ['f', 2], ['f', 6],
    ];
    expect(runModel(calls)).toEqual(runGlibc(calls));
  });

  it('keeps free chunks below a live one resident and trims the top only when it grows past the threshold', () => {
    const calls: Call[] = [];
    for (let i = 0; i < 10_000; i++) calls.push(['m', i, 1000]);
    calls.push(['s']);
    for (let i = 0; i < 9_999; i++) calls.push(['f', i]);
    calls.push(['s']);
    calls.push(['f', 9_999]);
    calls.push(['s']);
    expect(runModel(calls)).toEqual(runGlibc(calls));
  });

  it('reallocates in place into top, moves when blocked, and keeps mmapped chunks mmapped', () => {
    const calls: Call[] = [
      ['m', 0, 700], ['r', 0, 900], ['r', 0, 5000], ['m', 1, 800], ['r', 0, 9000], ['r', 0, 600],
      ['m', 2, 4 << 20], ['r', 2, 2000], ['r', 2, 300_000], ['c', 3, 100, 80], ['f', 1], ['r', 3, 20_000],
    ];
    expect(runModel(calls)).toEqual(runGlibc(calls));
  });

  function randomCalls(seed: number, count: number, smallShare: number): Call[] {
    const rng = xoroshiro128plus(seed);
    const calls: Call[] = [];
    const live: number[] = [];
    let next = 0;
    const size = (): number => {
      const kind = uniformInt(rng, 0, 99);
      if (kind < smallShare) return uniformInt(rng, 1, 120);
      if (kind < 90) return uniformInt(rng, 513, 8192);
      return uniformInt(rng, 8192, 400_000);
    };
    for (let i = 0; i < count; i++) {
      if (i % 500 === 499) calls.push(['s']);
      const action = uniformInt(rng, 0, 99);
      if (action < 45 && live.length > 0) {
        const at = uniformInt(rng, 0, live.length - 1);
        calls.push(['f', live[at]]);
        live[at] = live[live.length - 1];
        live.pop();
      } else if (action < 55 && live.length > 0) {
        calls.push(['r', live[uniformInt(rng, 0, live.length - 1)], size()]);
      } else if (action < 60) {
        calls.push(['c', next, uniformInt(rng, 1, 64), 8 * uniformInt(rng, 1, 200)]);
        live.push(next++);
      } else {
        calls.push(['m', next, size()]);
        live.push(next++);
      }
    }
    return calls;
  }

  for (const [seed, tinyShare] of [[1, 0], [2026, 0], [77_777, 0], [5, 40], [9, 70]]) {
    it(`matches glibc call for call over 20,000 random requests (seed ${seed}, ${tinyShare}% tiny ones)`, () => {
      const calls = randomCalls(seed, 20_000, tinyShare);
      expect(runModel(calls)).toEqual(runGlibc(calls));
    });
  }
});
