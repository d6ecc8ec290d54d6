/** Thresholds on latency metrics that measured nothing are reported as "no data", not judged on zeros. */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/report/summary-table.js';
import { evaluateThresholds, parseThresholdFlag, thresholdRecords } from '../../src/report/thresholds.js';
import { baseScenario, simulateScenario } from '../support/simulate.js';

describe('thresholds without data', () => {
  it('a latency threshold with no measured request is not evaluated, and says so', async () => {
    // No recycling: no request arrives near a restart, so latency_near_restart has no data.
    const run = await simulateScenario(baseScenario({ load: { arrival: 'poisson', rate: 5, duration: 60 } }));
    expect(run.summary.latency_seconds.near_restart.count).toBe(0);
    const results = evaluateThresholds(
      [parseThresholdFlag('latency_near_restart: p(99)<1'), parseThresholdFlag('latency: p(99)<0.001'), parseThresholdFlag('latency_near_restart: count==0')],
      run.summary,
    );
    expect(results[0]).toMatchObject({ ok: true, noData: true });
    expect(Number.isNaN(results[0].value)).toBe(true);
    // Measured latency is judged as usual (and fails this bound); a count is data even when it is 0.
    expect(results[1]).toMatchObject({ ok: false });
    expect(results[1].noData).toBeUndefined();
    expect(results[2]).toMatchObject({ ok: true, value: 0 });
    expect(results[2].noData).toBeUndefined();
    expect(formatSummary(run.summary, results)).toContain('  - latency_near_restart: p(99)<1  (no data: no request was measured; not evaluated)');
    expect(thresholdRecords(results)[0]).toEqual({ metric: 'latency_near_restart', expression: 'p(99)<1', value: null, ok: true, no_data: true });
  });
});
