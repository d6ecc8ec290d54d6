/**
 * A service simulated as CPython 3.11, 3.9 or 3.8 (`service.python`): the
 * whole run -- workers, requests, collections, recycling -- on that version's
 * heap layout and objects. What each version's objects allocate is checked
 * against the real interpreters in test/oracle/; here, that a scenario runs
 * under each and the version shows in its memory.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/scenario/scenario.js';
import { baseScenario, simulateScenario } from '../support/simulate.js';

function scenario(python: '3.11' | '3.9' | '3.8'): ScenarioInput {
  return baseScenario({
    service: {
      workers: 1,
      python,
      boot: { import_time: 0, modules: 10, objects: 5_000 },
    },
    endpoints: [
      {
        name: 'feed',
        io: 0.01,
        behaviours: [
          { kind: 'cache', policy: 'unbounded', key_space: 1_000_000, value: 'instance', value_size: 4 },
          { kind: 'models', count: 10, attributes: 4 },
        ],
      },
    ],
    load: { arrival: 'poisson', rate: 20, duration: 300 },
    policy: { server: 'gunicorn' },
    outputs: { sample_interval: 60 },
  } as Partial<ScenarioInput>);
}

type WorkerSample = { arena_bytes: number; arenas: number; live_bytes: number };

describe('service.python chooses the simulated CPython', () => {
  it('runs the same scenario as 3.11, 3.9 and 3.8, each with its own heap', async () => {
    const last: Record<string, WorkerSample> = {};
    for (const python of ['3.11', '3.9', '3.8'] as const) {
      const run = await simulateScenario(scenario(python));
      expect(run.summary.requests.completed).toBeGreaterThan(5000);
      expect(run.summary.requests.lost).toBe(0);
      const samples = run.samples.map((s) => (s as { workers: WorkerSample[] }).workers[0]);
      last[python] = samples[samples.length - 1];
    }
    // 3.9 and 3.8 map 256 KiB arenas, 3.11 1 MiB ones.
    expect(last['3.9'].arena_bytes / last['3.9'].arenas).toBe(256 * 1024);
    expect(last['3.11'].arena_bytes / last['3.11'].arenas).toBe(1024 * 1024);
    // The cached instances hold dicts in 3.8/3.9, inline values in 3.11: the same requests keep more live bytes.
    expect(last['3.9'].live_bytes).toBeGreaterThan(last['3.11'].live_bytes);
  });
});
