/**
 * Copy-on-write after a preloaded fork, measured rather than assumed: the
 * workers start sharing nearly all of their memory with the master; writes
 * make pages private; full collections, which write the GC header of every
 * long-lived object, take the most -- unless gc.freeze() before the fork put
 * those objects in the permanent generation, or the GC is off (the shape
 * Instagram reported: shared memory per worker falls soon after the fork,
 * far less with the GC kept away from the imported objects).
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/scenario.js';
import { baseScenario, simulateScenario } from '../support/simulate.js';

function scenario(options: { preload: boolean; freeze: boolean; gc: boolean }): ScenarioInput {
  return baseScenario({
    service: {
      workers: 2,
      boot: { import_time: 2, modules: 40, objects: 60_000, touched_per_request: 50, hot_objects: 500 },
      gc: { thresholds: [500, 5, 3], freeze_after_boot: options.freeze, enabled: options.gc },
    },
    endpoints: [
      {
        name: 'feed',
        io: 0.01,
        behaviours: [
          // an unbounded cache: net survivors fill the young generations, so full collections come
          { kind: 'cache', policy: 'unbounded', key_space: 1_000_000, value: 'instance', value_size: 4 },
          { kind: 'models', count: 10, attributes: 4 },
        ],
      },
    ],
    load: { arrival: 'poisson', rate: 40, duration: 1800, warmup: 60 },
    policy: { server: 'gunicorn', preload_app: options.preload },
    outputs: { sample_interval: 60 },
  });
}

type WorkerSample = { rss_bytes: number; shared_bytes: number; private_bytes: number };
const workerSamples = (samples: Record<string, unknown>[]) => samples.map((s) => (s as { workers: WorkerSample[] }).workers[0]);

describe('copy-on-write after preload', () => {
  it('shared memory falls as workers write; freeze and a disabled GC keep more of it shared', async () => {
    const [plain, frozen, noGc, unshared] = await Promise.all([
      simulateScenario(scenario({ preload: true, freeze: false, gc: true })),
      simulateScenario(scenario({ preload: true, freeze: true, gc: true })),
      simulateScenario(scenario({ preload: true, freeze: false, gc: false })),
      simulateScenario(scenario({ preload: false, freeze: false, gc: true })),
    ]);
    const start = (run: typeof plain) => run.summary.memory.workers[0].start_shared_bytes;
    const end = (run: typeof plain) => run.summary.memory.workers[0].end_shared_bytes;
    const rssAtStart = plain.summary.memory.workers[0].start_rss_bytes;

    // Right after the fork nearly everything is shared; without preload, nothing.
    expect(start(plain)).toBeGreaterThan(0.95 * rssAtStart);
    expect(start(unshared)).toBe(0);
    expect(workerSamples(unshared.samples).every((w) => w.shared_bytes === 0 && w.private_bytes === w.rss_bytes)).toBe(true);

    // Writes take pages: all three lose some; the plain one loses the most.
    for (const run of [plain, frozen, noGc]) expect(end(run)).toBeLessThan(start(run));
    expect(plain.summary.gc.collections[2]).toBeGreaterThan(0);
    expect(end(plain)).toBeLessThan(0.8 * end(frozen));
    expect(end(plain)).toBeLessThan(0.8 * end(noGc));
    // Freezing keeps about what turning the GC off keeps.
    expect(Math.abs(end(frozen) - end(noGc))).toBeLessThan(0.05 * end(noGc));

    // Shared pages are charged once to the container: preloading costs less memory.
    expect(frozen.summary.memory.total_rss_bytes_end).toBeLessThan(unshared.summary.memory.total_rss_bytes_end);
    // Shared memory never exceeds what is resident.
    for (const w of workerSamples(plain.samples)) expect(w.shared_bytes).toBeLessThanOrEqual(w.rss_bytes);
  }, 180_000);
});
