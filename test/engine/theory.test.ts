/**
 * The engine against queueing theory and the policies' arithmetic: an M/M/c
 * service's mean queue wait is Erlang C's; a leak's RSS slope is its bytes
 * times its rate; max_requests without jitter recycles every N requests; with
 * jitter, the limits are uniform on [N, N + J].
 */
import { describe, expect, it } from 'vitest';
import { baseScenario, simulateScenario } from '../support/simulate.js';

/** Erlang C: the probability that an arrival waits, for c servers at offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const top = (term * a) / c / (1 - a / c);
  return top / (sum + top);
}

describe('queueing theory', () => {
  it('M/M/c: the mean queue wait matches Erlang C within 5%', async () => {
    const c = 4;
    const mu = 10; // service rate per worker: exponential service of mean 100 ms
    const lambda = 32; // ρ = 0.8
    const run = await simulateScenario(
      baseScenario({
        service: { workers: c, boot: { import_time: 0, modules: 0, objects: 0 }, gc: { enabled: false } },
        endpoints: [{ name: 'work', io: { kind: 'exponential', mean: 1 / mu } }],
        load: { arrival: 'poisson', rate: lambda, duration: 8 * 3600, warmup: 60 },
      }),
    );
    const expectedWq = erlangC(c, lambda / mu) / (c * mu - lambda);
    const measuredWq = run.recorder.wait.summary().mean;
    expect(run.summary.requests.lost).toBe(0);
    expect(run.summary.restarts.total).toBe(0);
    expect(Math.abs(measuredWq / expectedWq - 1)).toBeLessThan(0.05);
    // The service time is the drawn one plus the (tiny) modelled cost of the empty handler.
    expect(run.recorder.service.summary().mean).toBeCloseTo(1 / mu, 2);
  }, 120_000);
});

describe('memory growth', () => {
  it("a leak's RSS slope is its size times its rate, with pymalloc's rounding, within 10%", async () => {
    const lambda = 20;
    const chars = 200;
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 2, boot: { import_time: 0, modules: 0, objects: 0 } },
        endpoints: [{ name: 'leaky', io: 0.005, behaviours: [{ kind: 'leak', probability: 1, value: 'str', size: chars }] }],
        load: { arrival: 'poisson', rate: lambda, duration: 3 * 3600, warmup: 600 },
        outputs: { sample_interval: 30 },
      }),
    );
    // A str of 200 ASCII characters asks for 48 + 201 bytes: a 256-byte block; its list slot adds 8 bytes (list_resize's 1/8 over-allocation aside).
    const perLeak = Math.ceil((48 + chars + 1) / 16) * 16 + 8;
    const expected = lambda * 3600 * perLeak;
    expect(Math.abs(run.summary.memory.slope_bytes_per_hour / expected - 1)).toBeLessThan(0.1);
  }, 120_000);
});

describe('recycling arithmetic', () => {
  it('max_requests N without jitter: every recycle happens after exactly N requests, requests/N per worker', async () => {
    const n = 200;
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 3, boot: { import_time: 0.5, modules: 0, objects: 0 } },
        load: { arrival: 'poisson', rate: 30, duration: 3600 },
        policy: { server: 'gunicorn', max_requests: n, max_requests_jitter: 0 },
      }),
    );
    const exits = run.events.filter((e) => e.type === 'exit');
    expect(exits.length).toBeGreaterThan(100);
    for (const e of exits) {
      expect(e.reason).toBe('recycled_requests');
      expect(e.requests).toBe(n);
    }
    // Per slot: the requests served across its processes, divided by N.
    const served = new Map<number, number>();
    for (const e of exits) served.set(e.slot as number, (served.get(e.slot as number) ?? 0) + (e.requests as number));
    const last = run.samples[run.samples.length - 1] as { workers: { slot: number; requests_served: number }[] };
    let expectedRestarts = 0;
    for (const w of last.workers) expectedRestarts += Math.floor(((served.get(w.slot) ?? 0) + w.requests_served) / n);
    expect(run.summary.restarts.by_reason.recycled_requests).toBe(expectedRestarts);
    expect(run.summary.requests.lost).toBe(0);
  }, 60_000);

  it('max_requests N with jitter J: limits are uniform on [N, N + J]', async () => {
    const n = 40;
    const jitter = 20;
    const run = await simulateScenario(
      baseScenario({
        service: { workers: 4, boot: { import_time: 0.2, modules: 0, objects: 0 } },
        load: { arrival: 'poisson', rate: 60, duration: 4 * 3600 },
        policy: { server: 'gunicorn', max_requests: n, max_requests_jitter: jitter },
      }),
    );
    const limits = run.events.filter((e) => e.type === 'exit').map((e) => e.requests as number);
    expect(limits.length).toBeGreaterThan(5000);
    expect(Math.min(...limits)).toBe(n);
    expect(Math.max(...limits)).toBe(n + jitter);
    const mean = limits.reduce((a, b) => a + b, 0) / limits.length;
    // Uniform on J + 1 integers: mean N + J/2, variance ((J + 1)^2 - 1) / 12; allow 5 standard errors.
    const sd = Math.sqrt(((jitter + 1) ** 2 - 1) / 12);
    expect(Math.abs(mean - (n + jitter / 2))).toBeLessThan((5 * sd) / Math.sqrt(limits.length));
    // Every value appears about equally often: a chi-square test at the 0.1% level (21 cells, 20 dof: 45.3).
    const counts = new Array<number>(jitter + 1).fill(0);
    for (const l of limits) counts[l - n]++;
    const expected = limits.length / (jitter + 1);
    const chi2 = counts.reduce((s, k) => s + (k - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(45.3);
    // So recycles spread out instead of coming together: no two workers exit at the same instant.
    const times = run.events.filter((e) => e.type === 'exit').map((e) => e.t as number);
    expect(new Set(times).size).toBe(times.length);
  }, 120_000);
});
