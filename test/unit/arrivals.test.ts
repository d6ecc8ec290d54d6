/**
 * Arrival processes: counts match the integrated rate, Poisson gaps are
 * exponential, even spacing reproduces k6's schedule, the closed model keeps
 * at most one request per user, the endpoint mix follows its weights, and the
 * load schema refuses bad sections by field.
 *
 * Tolerances are five standard errors computed from the model: a Poisson
 * count N over a window of integrated rate Λ has SD √Λ; the mean of n
 * exponential gaps has SE (1/λ)/√n and their coefficient of variation SE
 * 1/√n (delta method: n·Var(ĉ) = (μ₄ − σ⁴)/(4σ²μ²) + σ⁴/μ⁴ − μ₃/μ³ = 1 for
 * the exponential). Seeds are fixed: the tests cannot flake.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ArrivalProcess, compileLoad, type OpenLoad } from '../../src/loadgen/arrivals.js';
import { ClosedUsers } from '../../src/loadgen/closed-users.js';
import { EndpointMix } from '../../src/loadgen/endpoint-mix.js';
import { type LoadInput, loadSchema } from '../../src/workload/load-schema.js';
import { ConstantRate, DiurnalRate, PulseRate, type RateProfile, StagesRate } from '../../src/loadgen/rate-profile.js';
import { Rng } from '../../src/sim/rng.js';
import { compileDistribution } from '../../src/workload/distributions.js';

const K = 5;

function open(input: LoadInput, seed = 1): OpenLoad {
  const plan = compileLoad(loadSchema.parse(input), new Rng(seed).stream('arrivals'));
  if (plan.model !== 'open') throw new Error('expected an open load');
  return plan;
}

function collect(process: ArrivalProcess): Float64Array {
  const times: number[] = [];
  for (let t = process.next(); t !== Infinity; t = process.next()) times.push(t);
  return Float64Array.from(times);
}

function countIn(times: Float64Array, from: number, to: number): number {
  let n = 0;
  for (const t of times) if (t >= from && t < to) n++;
  return n;
}

/** A Poisson count within K·√Λ of its mean Λ. */
function expectPoissonCount(count: number, lambda: number, what: string): void {
  expect(Math.abs(count - lambda), `${what}: ${count} arrivals, expected ${lambda}`).toBeLessThanOrEqual(K * Math.sqrt(lambda));
}

/** Non-decreasing, within [0, duration]. */
function expectWellFormed(times: Float64Array, durationS: number): void {
  let bad = -1;
  for (let i = 0; i < times.length && bad < 0; i++) {
    if (times[i] < (i > 0 ? times[i - 1] : 0) || times[i] > durationS) bad = i;
  }
  expect(bad, `arrival ${bad} at ${times[bad]} s`).toBe(-1);
}

describe('constant: evenly spaced', () => {
  it('the n-th arrival at n/rate, floor(rate × duration) in all, then Infinity for good', () => {
    const plan = open({ arrival: 'constant', rate: 10, duration: 1 });
    const times = collect(plan.arrivals);
    expect(times.length).toBe(10);
    times.forEach((t, i) => expect(t).toBeCloseTo((i + 1) / 10, 12));
    expect(plan.arrivals.next()).toBe(Infinity);
    expect(plan.arrivals.next()).toBe(Infinity);
    // 0.7 × 10 is not exactly 7 in floating point; the 7th arrival still comes.
    expect(collect(open({ arrival: 'constant', rate: 0.7, duration: 10 }).arrivals).length).toBe(7);
  });
});

describe('poisson', () => {
  const rate = 50;
  const duration = 7200;
  const plan = open({ arrival: 'poisson', rate, duration: '2h' });
  const times = collect(plan.arrivals);
  const gaps = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) gaps[i] = times[i] - (i > 0 ? times[i - 1] : 0);

  it('count within 5√(λT) of λT', () => {
    expect(plan.expectedArrivals).toBe(rate * duration);
    expectPoissonCount(times.length, rate * duration, 'total');
    expectWellFormed(times, duration);
  });

  it('inter-arrival times are exponential: mean 1/λ, coefficient of variation 1', () => {
    const n = gaps.length;
    let sum = 0;
    for (const g of gaps) sum += g;
    const mean = sum / n;
    let ss = 0;
    for (const g of gaps) ss += (g - mean) ** 2;
    const cv = Math.sqrt(ss / (n - 1)) / mean;
    expect(Math.abs(mean - 1 / rate)).toBeLessThanOrEqual((K * (1 / rate)) / Math.sqrt(n));
    expect(Math.abs(cv - 1)).toBeLessThanOrEqual(K / Math.sqrt(n));
  });

  it('inter-arrival times pass a Kolmogorov–Smirnov test against Exp(λ) at α = 1e-6', () => {
    const sorted = Float64Array.from(gaps).sort();
    const n = sorted.length;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = 1 - Math.exp(-rate * sorted[i]);
      d = Math.max(d, (i + 1) / n - f, f - i / n);
    }
    // The asymptotic critical value √(−ln(α/2)/2)/√n.
    expect(d).toBeLessThanOrEqual(Math.sqrt(-Math.log(1e-6 / 2) / 2) / Math.sqrt(n));
  });

  it('counts per second have variance ≈ mean (index of dispersion 1, SE √(2/(k−1)))', () => {
    const k = duration;
    const counts = new Float64Array(k);
    for (const t of times) counts[Math.min(k - 1, Math.floor(t))]++;
    let mean = 0;
    for (const c of counts) mean += c / k;
    let v = 0;
    for (const c of counts) v += (c - mean) ** 2 / (k - 1);
    expect(Math.abs(v / mean - 1)).toBeLessThanOrEqual(K * Math.sqrt(2 / (k - 1)));
  });
});

describe('stages (k6 ramping-arrival-rate)', () => {
  it("even spacing is k6's schedule: the n-th arrival where the integrated rate reaches n", () => {
    // The example of k6's `cal` comment: 2/s for 5 s, then a ramp to 3/s over 5 s.
    const plan = open({ arrival: 'stages', start_rate: 2, stages: [{ duration: 5, target: 2 }, { duration: 5, target: 3 }], spacing: 'even' });
    const times = collect(plan.arrivals);
    expect(plan.expectedArrivals).toBe(22.5);
    expect(times.length).toBe(22);
    for (let i = 0; i < 10; i++) expect(times[i]).toBeCloseTo((i + 1) / 2, 12);
    // 10 + 2τ + τ²/10 = n on the ramp.
    expect(times[10]).toBeCloseTo(5 - 10 + Math.sqrt(110), 12);
    expect(times[11]).toBeCloseTo(5 - 10 + Math.sqrt(120), 12);
  });

  it('poisson spacing: each stage brings its area (± 5√area)', () => {
    const plan = open({
      arrival: 'stages',
      stages: [
        { duration: '10m', target: 100 },
        { duration: '20m', target: 100 },
        { duration: '5m', target: 0 },
      ],
    });
    const times = collect(plan.arrivals);
    expect(plan.durationS).toBe(2100);
    expect(plan.expectedArrivals).toBe(30_000 + 120_000 + 15_000);
    expectWellFormed(times, 2100);
    expectPoissonCount(countIn(times, 0, 600), 30_000, 'ramp up');
    expectPoissonCount(countIn(times, 600, 1800), 120_000, 'hold');
    expectPoissonCount(countIn(times, 1800, 2100.0001), 15_000, 'ramp down');
    // The first minute of the ramp: Λ(60) = 100·60²/(2·600).
    expectPoissonCount(countIn(times, 0, 60), 300, 'first minute');
  });

  it('a stage of duration 0 jumps to its target', () => {
    const times = collect(open({ arrival: 'stages', stages: [{ duration: 0, target: 50 }, { duration: '10s', target: 50 }], spacing: 'even' }).arrivals);
    expect(times.length).toBe(500);
    expect(times[0]).toBeCloseTo(0.02, 12);
    const profile = new StagesRate(0, [
      { durationS: 0, target: 50 },
      { durationS: 10, target: 50 },
    ]);
    expect(profile.rateAt(0)).toBe(50);
  });
});

describe('bursts', () => {
  it('batches: N requests at each burst instant, on top of the base process', () => {
    const onlyBursts = collect(open({ arrival: 'bursts', rate: 0, every: '10m', burst_requests: 500, duration: '1h' }).arrivals);
    // Bursts at 0, 600, …, 3600 (the end is included).
    expect(onlyBursts.length).toBe(7 * 500);
    for (let k = 0; k <= 6; k++) expect(countIn(onlyBursts, k * 600, k * 600 + 1e-9)).toBe(500);

    const plan = open({ arrival: 'bursts', rate: 20, every: '10m', burst_requests: 500, duration: '1h' });
    const times = collect(plan.arrivals);
    expect(plan.expectedArrivals).toBe(72_000 + 3500);
    expectWellFormed(times, 3600);
    expectPoissonCount(times.length - 3500, 72_000, 'base');
  });

  it('batches spread evenly over burst_duration, cut off at the end of the load', () => {
    const plan = open({ arrival: 'bursts', rate: 0, every: 100, burst_requests: 10, burst_duration: 20, burst_offset: 50, duration: 260 });
    const times = collect(plan.arrivals);
    // Bursts at 50 and 150 whole; the one at 250 stops at 260 (250, 252, …, 260).
    expect(Array.from(times.slice(0, 10))).toEqual([50, 52, 54, 56, 58, 60, 62, 64, 66, 68]);
    expect(times.length).toBe(10 + 10 + 6);
    expect(plan.expectedArrivals).toBe(26);
  });

  it('a rate multiplier: the burst windows bring rate × multiplier × burst_duration each', () => {
    const input: LoadInput = { arrival: 'bursts', rate: 20, every: '10m', burst_multiplier: 5, burst_duration: '1m', duration: '1h' };
    const plan = open(input);
    const times = collect(plan.arrivals);
    expect(plan.expectedArrivals).toBe(72_000 + 20 * 4 * 60 * 6);
    let inBursts = 0;
    for (let k = 0; k < 6; k++) inBursts += countIn(times, k * 600, k * 600 + 60);
    expectPoissonCount(inBursts, 100 * 60 * 6, 'in bursts');
    expectPoissonCount(times.length - inBursts, 20 * 540 * 6, 'between bursts');
    expect(collect(open({ ...input, spacing: 'even' }).arrivals).length).toBe(100_800);
  });
});

describe('diurnal', () => {
  it('one period brings mean rate × period; the peak and trough windows their integrals', () => {
    const plan = open({ arrival: 'diurnal', min_rate: 10, max_rate: 100, period: '1h', duration: '1h' });
    const times = collect(plan.arrivals);
    expect(plan.expectedArrivals).toBeCloseTo(55 * 3600, 6);
    expectWellFormed(times, 3600);
    expectPoissonCount(times.length, 55 * 3600, 'period');
    const p = plan.profile;
    // The peak is half a period in by default: the load starts at the trough.
    expect(p.rateAt(0)).toBeCloseTo(10, 12);
    expect(p.rateAt(1800)).toBeCloseTo(100, 12);
    const peak = p.cumulative(2100) - p.cumulative(1500);
    const trough = p.cumulative(300);
    expect(peak).toBeGreaterThan(5 * trough);
    expectPoissonCount(countIn(times, 1500, 2100), peak, 'peak window');
    expectPoissonCount(countIn(times, 0, 300), trough, 'trough window');
  });

  it('defaults to a 24 h period; even spacing gives floor(Λ) arrivals, also when the rate touches 0', () => {
    const load = loadSchema.parse({ arrival: 'diurnal', min_rate: 0.5, max_rate: 2, duration: '1d' });
    expect(load.arrival === 'diurnal' && load.period).toBe(86_400);
    expectPoissonCount(collect(open({ arrival: 'diurnal', min_rate: 0.5, max_rate: 2, duration: '1d' }).arrivals).length, 1.25 * 86_400, 'a day');

    const even = open({ arrival: 'diurnal', min_rate: 0, max_rate: 10, period: 100, duration: 300, spacing: 'even' });
    const times = collect(even.arrivals);
    expect(times.length).toBe(1500);
    expectWellFormed(times, 300);
    // The n-th arrival where Λ reaches n.
    for (const i of [0, 1, 99, 750, 1499]) expect(even.profile.cumulative(times[i])).toBeCloseTo(i + 1, 6);
  });
});

describe('rate profiles', () => {
  const profiles: [string, RateProfile][] = [
    ['constant', new ConstantRate(7, 100)],
    [
      'stages',
      new StagesRate(3, [
        { durationS: 10, target: 20 },
        { durationS: 0, target: 5 },
        { durationS: 30, target: 5 },
        { durationS: 20, target: 0 },
      ]),
    ],
    ['pulse', new PulseRate(4, 3, 25, 5, 7, 200)],
    ['diurnal', new DiurnalRate(0, 12, 50, 10, 200)],
  ];

  it('Λ is the integral of λ, and timeAt inverts Λ', () => {
    for (const [name, p] of profiles) {
      for (let t = 0.5; t < p.durationS; t += 0.731) {
        const h = 1e-4;
        const slope = (p.cumulative(t + h) - p.cumulative(t - h)) / (2 * h);
        const rate = p.rateAt(t);
        // Away from the profiles' kinks, the central difference is the rate.
        if (Math.abs(p.rateAt(t + h) - p.rateAt(t - h)) < 1e-2) expect(slope, `${name} λ(${t})`).toBeCloseTo(rate, 4);
        const units = p.cumulative(t);
        expect(p.cumulative(p.timeAt(units)), `${name} Λ(Λ⁻¹(${units}))`).toBeCloseTo(units, 8);
        // Where λ is near 0, Λ is flat and t is ill-conditioned (and no arrival lands there).
        if (rate > 1e-3) expect(p.timeAt(units), `${name} Λ⁻¹(Λ(${t}))`).toBeCloseTo(t, 6);
      }
    }
  });
});

describe('closed model', () => {
  /**
   * Drives ClosedUsers as an engine would: `servers` parallel servers, FIFO
   * queue, exponential service times; returns the arrivals and the largest
   * number of requests outstanding (arrived, not completed).
   */
  function run(users: number, servers: number, serviceMeanS: number, serviceSeed: number, think = compileDistribution({ kind: 'exponential', mean: 1 })) {
    const durationS = 2000;
    const closed = new ClosedUsers({ users, thinkTime: think, rampUpS: 0, durationS }, new Rng(3).stream('arrivals'));
    const service = compileDistribution({ kind: 'exponential', mean: serviceMeanS });
    const serviceRng = new Rng(serviceSeed);
    const nextArrival = Float64Array.from(closed.initialArrivals());
    const completion = new Float64Array(users).fill(Infinity);
    const queue: number[] = [];
    const thinks: number[][] = Array.from({ length: users }, () => []);
    let busy = 0;
    let outstanding = 0;
    let maxOutstanding = 0;
    let maxPending = 0;
    let arrivals = 0;
    while (true) {
      let u = -1;
      let t = Infinity;
      let isArrival = false;
      for (let i = 0; i < users; i++) {
        if (completion[i] < t) [u, t, isArrival] = [i, completion[i], false];
        if (nextArrival[i] < t) [u, t, isArrival] = [i, nextArrival[i], true];
      }
      if (u < 0) break;
      if (isArrival) {
        nextArrival[u] = Infinity;
        arrivals++;
        outstanding++;
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        maxPending = Math.max(maxPending, closed.outstanding);
        if (busy < servers) {
          busy++;
          completion[u] = t + service.sample(serviceRng);
        } else queue.push(u);
      } else {
        completion[u] = Infinity;
        outstanding--;
        const next = closed.afterCompletion(u, t);
        if (next !== Infinity) thinks[u].push(next - t);
        nextArrival[u] = next;
        const waiting = queue.shift();
        if (waiting === undefined) busy--;
        else completion[waiting] = t + service.sample(serviceRng);
      }
    }
    return { arrivals, maxOutstanding, maxPending, thinks, closed };
  }

  it('never more than N requests outstanding, even when they queue', () => {
    const r = run(20, 2, 0.5, 1);
    expect(r.maxOutstanding).toBeLessThanOrEqual(20);
    expect(r.maxPending).toBeLessThanOrEqual(20);
    // Two servers at 0.5 s against 20 users thinking 1 s: the queue fills up to all users.
    expect(r.maxOutstanding).toBeGreaterThan(15);
    expect(r.closed.outstanding).toBe(0);
  });

  it('without queueing, throughput is N/(S + Z) (the interactive response time law)', () => {
    const users = 20;
    const r = run(users, users, 0.5, 1);
    // Each user is a renewal process with cycle S + Z (mean 1.5 s, variance 0.25 + 1):
    // count ≈ T/μ per user with variance T·σ²/μ³, plus at most a couple for the edges.
    const mean = (users * 2000) / 1.5;
    const sd = Math.sqrt((users * 2000 * 1.25) / 1.5 ** 3);
    expect(Math.abs(r.arrivals - mean)).toBeLessThanOrEqual(K * sd + 2 * users);
  });

  it("a user's think times do not depend on when other users' requests complete", () => {
    const a = run(10, 1, 0.3, 1);
    const b = run(10, 10, 0.1, 2);
    for (let u = 0; u < 10; u++) {
      const n = Math.min(a.thinks[u].length, b.thinks[u].length);
      expect(n).toBeGreaterThan(100);
      for (let i = 0; i < n; i++) expect(b.thinks[u][i]).toBeCloseTo(a.thinks[u][i], 9);
    }
  });

  it('ramps users up evenly and refuses completions it did not schedule', () => {
    const closed = new ClosedUsers({ users: 5, thinkTime: compileDistribution(2), rampUpS: 10, durationS: 100 }, new Rng(1));
    expect(Array.from(closed.initialArrivals())).toEqual([0, 2, 4, 6, 8]);
    expect(() => closed.initialArrivals()).toThrow(/already/);
    expect(closed.afterCompletion(1, 3)).toBe(5);
    expect(() => closed.afterCompletion(4, 7)).toThrow(/before it arrived/);
    expect(() => closed.afterCompletion(7, 1)).toThrow(/no user 7/);
    expect(closed.afterCompletion(0, 99)).toBe(Infinity);
    expect(() => closed.afterCompletion(0, 99.5)).toThrow(/no request pending/);
    expect(closed.outstanding).toBe(4);
  });

  it('compiles from the load section', () => {
    const plan = compileLoad(
      loadSchema.parse({ arrival: 'closed', users: 3, think_time: { kind: 'lognormal', median: '200ms', p99: '3s' }, duration: '10m', ramp_up: '30s' }),
      new Rng(1),
    );
    expect(plan.model).toBe('closed');
    if (plan.model === 'closed') expect(Array.from(plan.users.initialArrivals())).toEqual([0, 10, 20]);
  });
});

describe('endpoint mix', () => {
  it('picks endpoints by weight; weight 0 never', () => {
    const mix = new EndpointMix([
      { name: 'GET /items', weight: 70 },
      { name: 'POST /orders', weight: 20 },
      { name: 'GET /report', weight: 10 },
      { name: 'GET /disabled', weight: 0 },
    ]);
    const n = 200_000;
    const counts = [0, 0, 0, 0];
    const rng = new Rng(5);
    for (let i = 0; i < n; i++) counts[mix.pick(rng)]++;
    expect(counts[3]).toBe(0);
    [0.7, 0.2, 0.1].forEach((p, i) => {
      expect(mix.share(i)).toBeCloseTo(p, 15);
      expect(Math.abs(counts[i] / n - p), mix.names[i]).toBeLessThanOrEqual(K * Math.sqrt((p * (1 - p)) / n));
    });
  });

  it('names the endpoint with a bad weight', () => {
    expect(() => new EndpointMix([{ name: 'a', weight: -1 }])).toThrow(/endpoint "a": weight/);
    expect(() => new EndpointMix([{ name: 'a', weight: 0 }])).toThrow(/weight > 0/);
    expect(() => new EndpointMix([])).toThrow(/at least one/);
  });
});

describe('determinism', () => {
  const loads: LoadInput[] = [
    { arrival: 'poisson', rate: 30, duration: 60 },
    { arrival: 'stages', stages: [{ duration: 30, target: 40 }, { duration: 30, target: 5 }] },
    { arrival: 'bursts', rate: 5, every: 10, burst_requests: 7, duration: 60 },
    { arrival: 'bursts', rate: 5, every: 10, burst_multiplier: 3, burst_duration: 2, duration: 60 },
    { arrival: 'diurnal', min_rate: 1, max_rate: 30, period: 20, duration: 60 },
  ];

  it('the same seed gives the same arrival times; another seed others', () => {
    for (const load of loads) {
      const a = Array.from(collect(open(load, 7).arrivals));
      expect(Array.from(collect(open(load, 7).arrivals))).toEqual(a);
      expect(Array.from(collect(open(load, 8).arrivals))).not.toEqual(a);
    }
  });
});

describe('load schema', () => {
  function errorOf(load: unknown): string {
    const r = z.strictObject({ load: loadSchema }).safeParse({ load });
    if (r.success) throw new Error(`accepted ${JSON.stringify(load)}`);
    return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  }

  it('fills defaults and parses durations', () => {
    expect(loadSchema.parse({ arrival: 'poisson', rate: 5, duration: '2h' })).toEqual({ arrival: 'poisson', rate: 5, duration: 7200, warmup: 0 });
    expect(loadSchema.parse({ arrival: 'stages', stages: [{ duration: '5m', target: 10 }], warmup: '30s' })).toEqual({
      arrival: 'stages',
      start_rate: 0,
      stages: [{ duration: 300, target: 10 }],
      spacing: 'poisson',
      warmup: 30,
    });
    expect(loadSchema.parse({ arrival: 'bursts', rate: 1, every: '1m', burst_requests: 3, duration: 600 })).toMatchObject({
      burst_duration: 0,
      burst_offset: 0,
      spacing: 'poisson',
    });
    expect(loadSchema.parse({ arrival: 'closed', users: 2, think_time: '1s', duration: 60 })).toMatchObject({ think_time: 1, ramp_up: 0 });
  });

  it('refuses bad sections, naming the field', () => {
    expect(errorOf({ arrival: 'poisson', rate: -1, duration: 10 })).toMatch(/load\.rate: .*>0/);
    expect(errorOf({ arrival: 'constant', rate: 0, duration: 10 })).toMatch(/load\.rate/);
    expect(errorOf({ arrival: 'stages', stages: [{ duration: 10, target: -5 }] })).toMatch(/load\.stages\.0\.target: .*>=0/);
    expect(errorOf({ arrival: 'poisson', rate: 1, duration: 10, users: 3 })).toMatch(/load: Unrecognized key: "users"/);
    expect(errorOf({ arrival: 'stages', stages: [{ duration: 10, target: 5, ramp: 'linear' }] })).toMatch(/load\.stages\.0: Unrecognized key: "ramp"/);
    expect(errorOf({ arrival: 'stages', stages: [{ duration: '1m', target: 1 }], duration: '1h' })).toMatch(/Unrecognized key: "duration"/);
    expect(errorOf({ arrival: 'stages', stages: [{ duration: 0, target: 1 }] })).toMatch(/load\.stages: the stages must last longer than 0 s/);
    expect(errorOf({ arrival: 'diurnal', min_rate: 10, max_rate: 5, duration: '1d' })).toMatch(/load\.min_rate: min_rate must not exceed max_rate/);
    expect(errorOf({ arrival: 'bursts', rate: 10, every: '1m', duration: '1h' })).toMatch(/give either burst_requests .* or burst_multiplier/);
    expect(errorOf({ arrival: 'bursts', rate: 10, every: '1m', burst_requests: 5, burst_multiplier: 2, duration: '1h' })).toMatch(/give either/);
    expect(errorOf({ arrival: 'bursts', rate: 10, every: '1m', burst_multiplier: 2, duration: '1h' })).toMatch(/load\.burst_duration: burst_multiplier needs burst_duration > 0/);
    expect(errorOf({ arrival: 'bursts', rate: 10, every: '1m', burst_requests: 5, burst_duration: '2m', duration: '1h' })).toMatch(
      /load\.burst_duration: burst_duration must not exceed every/,
    );
    expect(errorOf({ arrival: 'poisson', rate: 1, duration: '1m', warmup: '2m' })).toMatch(/load\.warmup: warmup \(120 s\) must be shorter than the load \(60 s\)/);
    expect(errorOf({ arrival: 'poisson', rate: 1 })).toMatch(/load\.duration: a duration in seconds is required/);
    expect(errorOf({ arrival: 'poisson', rate: 1, duration: 'forever' })).toMatch(/load\.duration: "forever" is not a duration/);
    expect(errorOf({ arrival: 'poisson', rate: 1, duration: 0 })).toMatch(/load\.duration: duration must be > 0/);
    expect(errorOf({ arrival: 'closed', users: 0, think_time: 1, duration: 10 })).toMatch(/load\.users/);
    expect(errorOf({ arrival: 'closed', users: 3, think_time: { kind: 'normal', mean: 1, stddev: 1 }, duration: 10 })).toMatch(
      /load\.think_time: think_time can be negative/,
    );
    expect(errorOf({ arrival: 'ramp', rate: 3 })).toMatch(/load\.arrival: .*Expected 'constant' \| 'poisson' \| 'stages'/);
  });
});
