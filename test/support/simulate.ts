/** Runs a scenario (given as the YAML's object) in the virtual-time engine and keeps its events and samples. */
import { Simulation } from '../../src/engine/event-loop.js';
import type { RunRecorder } from '../../src/engine/run-recorder.js';
import { buildSummary, type Summary } from '../../src/report/summary.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { type ScenarioInput, scenarioSchema } from '../../src/scenario/scenario.js';

export interface SimulatedRun {
  summary: Summary;
  recorder: RunRecorder;
  events: Record<string, unknown>[];
  samples: Record<string, unknown>[];
}

export async function simulateScenario(input: ScenarioInput, scenarioPath = 'test.yaml'): Promise<SimulatedRun> {
  const scenario = scenarioSchema.parse(input);
  const plan = await compileScenario(scenario, { scenarioPath });
  const events: Record<string, unknown>[] = [];
  const samples: Record<string, unknown>[] = [];
  const recorder = new Simulation(plan, {
    event: (e) => events.push(e as Record<string, unknown>),
    sample: (s) => samples.push(s as Record<string, unknown>),
  }).run();
  return { summary: buildSummary(recorder), recorder, events, samples };
}

/** A small service: no import cost, GC on, Gunicorn with no recycling, unless overridden. */
export function baseScenario(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'test',
    seed: 1,
    service: { workers: 2, boot: { import_time: 0, modules: 0, objects: 0 } },
    endpoints: [{ name: 'work', io: 0.01 }],
    load: { arrival: 'poisson', rate: 10, duration: 60 },
    policy: { server: 'gunicorn' },
    outputs: { sample_interval: 10 },
    ...overrides,
  } as ScenarioInput;
}
