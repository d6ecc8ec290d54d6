/**
 * A supervisor thread reads a worker's heap figures from shared memory while
 * the worker allocates, with no message after the one-time handle.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { HeapReader, type SharedHeapHandle } from '../../src/heap/reader.js';

describe('reading a heap from another thread', () => {
  it('sees the worker heap grow, step by step, through shared memory alone', async () => {
    const latch = new Int32Array(new SharedArrayBuffer(8));
    const steps = 3;
    const blocksPerStep = 20_000; // 256-byte blocks: about 5 MiB, five 1 MiB arenas per step
    const worker = new Worker(new URL('./fixtures/allocating-worker.mjs', import.meta.url), { workerData: { latch, steps, blocksPerStep } });
    try {
      const handle = await new Promise<SharedHeapHandle>((resolve, reject) => worker.once('message', resolve).once('error', reject));
      worker.on('message', () => {
        throw new Error('the worker must not send figures');
      });
      const reader = new HeapReader(handle);
      const before = reader.memory();
      expect(before.arenas).toBe(0);
      let previous = before;
      for (let step = 1; step <= steps; step++) {
        Atomics.store(latch, 0, step);
        Atomics.notify(latch, 0);
        while (Atomics.load(latch, 1) < step) Atomics.wait(latch, 1, step - 1, 1000);
        const now = reader.memory();
        expect(now.liveBytes - previous.liveBytes).toBeGreaterThanOrEqual(blocksPerStep * 256);
        expect(now.arenas).toBeGreaterThan(previous.arenas);
        expect(now.rssBytes).toBeGreaterThan(previous.rssBytes);
        expect(now.peakRssBytes).toBe(now.rssBytes);
        previous = now;
      }
    } finally {
      await worker.terminate();
    }
  });

  it('refuses a buffer that is not a heap of that profile', () => {
    expect(() => new HeapReader({ buffer: new SharedArrayBuffer(64), profile: '3.11', arenaCapacityBytes: 1 << 20, rawCapacityBytes: 4096 })).toThrow(
      /geometry needs/,
    );
  });
});
