/**
 * Every scenario in scenarios/ validates, and runs -- shortened to a few
 * simulated minutes, so the suite stays quick -- without losing a request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scenarioSchema } from '../../src/scenario/scenario.js';
import { validateYaml } from '../../src/workload/yaml-validation.js';
import { simulateScenario } from '../support/simulate.js';

const DIR = new URL('../../scenarios/', import.meta.url).pathname;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

/** The scenario with its load cut to `seconds` (stages: the first ones up to that long). */
function shortened(raw: Record<string, unknown>, seconds: number): Record<string, unknown> {
  const load = { ...(raw.load as Record<string, unknown>) };
  if (load.arrival === 'stages') {
    let total = 0;
    const stages = [];
    for (const st of load.stages as { duration: number | string }[]) {
      if (total >= seconds) break;
      stages.push({ ...st, duration: Math.min(seconds - total, 60) });
      total += 60;
    }
    load.stages = stages;
  } else {
    load.duration = seconds;
  }
  load.warmup = Math.min(10, seconds / 4);
  return { ...raw, load, outputs: { ...(raw.outputs as object), thresholds: {} } };
}

describe('shipped scenarios', () => {
  it('there are at least the nine the README lists', () => {
    for (const name of ['quickstart', 'healthy-api', 'leaky-api', 'unbounded-cache', 'gc-cycles', 'fragmentation', 'celery-dataframes', 'restart-storm', 'restart-storm-jitter']) {
      expect(files).toContain(`${name}.yaml`);
    }
  });

  for (const file of files) {
    describe(file, () => {
      const text = readFileSync(join(DIR, file), 'utf8');

      it('opens with a comment saying what it demonstrates, and validates', () => {
        expect(text.startsWith('# ')).toBe(true);
        const result = validateYaml(file, text, scenarioSchema);
        expect(result.ok ? [] : result.problems).toEqual([]);
      });

      it('runs a few simulated minutes with every request accounted for', async () => {
        const run = await simulateScenario(shortened(parse(text) as Record<string, unknown>, 120) as never, join(DIR, file));
        const r = run.summary.requests;
        expect(r.enqueued).toBeGreaterThan(0);
        expect(r.completed).toBeGreaterThan(0);
        expect(r.lost).toBe(0);
        expect(r.enqueued).toBe(r.completed + r.failed + r.unfinished);
        expect(run.samples.length).toBeGreaterThan(2);
      }, 120_000);
    });
  }
});
