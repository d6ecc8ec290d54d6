/** What the engine does when the simulated processes fail: boots that run out of heap, requests that raise. */
import { describe, expect, it } from 'vitest';
import { baseScenario, simulateScenario } from '../support/simulate.js';

/** A heap too small for the app's import: every boot fails with a simulated MemoryError. */
const tinyHeap = { arena_capacity: 1024 * 1024, raw_capacity: 1024 * 1024 };

describe('failures inside the simulated processes', () => {
  it("Gunicorn halts when a worker cannot boot: the service stays down and every request fails, none lost", async () => {
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 2, boot: { import_time: 1, modules: 10, objects: 100_000 }, heap: tinyHeap },
        load: { arrival: 'poisson', rate: 5, duration: 60 },
        policy: { server: 'gunicorn' },
      }),
    );
    expect(run.events.filter((e) => e.type === 'boot_error').length).toBeGreaterThanOrEqual(1);
    expect(run.events.filter((e) => e.type === 'halt')).toHaveLength(1);
    expect(run.summary.requests.completed).toBe(0);
    expect(run.summary.requests.failed).toBe(run.summary.requests.enqueued);
    expect(run.summary.requests.lost).toBe(0);
    expect(run.summary.restarts.by_reason.boot_error).toBeGreaterThanOrEqual(1);
  });

  it('Celery respawns a child that cannot boot, no faster than once a second', async () => {
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 1, boot: { import_time: 1, modules: 10, objects: 30_000 }, heap: tinyHeap },
        load: { arrival: 'poisson', rate: 2, duration: 30 },
        policy: { server: 'celery' },
      }),
    );
    const failures = run.events.filter((e) => e.type === 'boot_error').map((e) => e.t as number);
    expect(failures.length).toBeGreaterThan(5);
    for (let i = 1; i < failures.length; i++) expect(failures[i] - failures[i - 1]).toBeGreaterThanOrEqual(1);
    expect(run.events.some((e) => e.type === 'halt')).toBe(false);
  });

  it('a request that raises crashes its worker, which is replaced; the request is retried while it has attempts', async () => {
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 2, boot: { import_time: 0.5, modules: 0, objects: 0 }, attempts: 2, heap: { arena_capacity: 1024 * 1024, raw_capacity: 64 * 1024 * 1024 } },
        // Each request keeps an 8 MiB buffer: the eighth or so exhausts the 64 MiB of raw capacity.
        endpoints: [{ name: 'hog', io: 0.01, behaviours: [{ kind: 'buffers', size: '8MiB', keep_probability: 1 }] }],
        load: { arrival: 'poisson', rate: 5, duration: 120 },
        policy: { server: 'gunicorn' },
      }),
    );
    const crashes = run.events.filter((e) => e.type === 'crash');
    expect(crashes.length).toBeGreaterThan(0);
    expect(crashes[0].error).toBe('PYHEAP_E_HEAP_CAPACITY');
    expect(run.summary.restarts.by_reason.crashed).toBe(crashes.length);
    expect(run.summary.requests.retried).toBeGreaterThan(0);
    expect(run.summary.requests.lost).toBe(0);
    expect(run.summary.requests.completed).toBeGreaterThan(0);
  });
});
