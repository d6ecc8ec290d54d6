/**
 * Distributions: draws match each distribution's closed-form moments and
 * quantiles, the compiled samplers are deterministic per seed, and bad specs
 * are refused by name.
 *
 * Tolerances are five standard errors of the estimate, computed from the
 * distribution and the sample size: the seeds are fixed, so a test cannot
 * flake, yet a wrong formula or sampler moves the estimate by far more.
 *   sample mean:      SE = σ/√n
 *   sample variance:  SE = √((μ₄ − σ⁴)/n), μ₄ estimated from the sample
 *   a proportion p:   SE = √(p(1 − p)/n)
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Rng } from '../../src/sim/rng.js';
import {
  byteSizeDistributionSchema,
  compileDistribution,
  distributionSchema,
  durationDistributionSchema,
  normalCdf,
  type Sampler,
  Z_P99,
} from '../../src/workload/distributions.js';
import { parseByteSize, parseDuration } from '../../src/workload/units.js';
import { WeightedChoice } from '../../src/workload/weighted-choice.js';

const N = 200_000;
const K = 5;

interface Moments {
  n: number;
  mean: number;
  variance: number;
  /** The fourth central moment. */
  m4: number;
  min: number;
  max: number;
  draws: Float64Array;
}

function draw(sampler: Sampler, seed = 1, n = N): Moments {
  const rng = new Rng(seed).stream('test');
  const draws = new Float64Array(n);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = sampler.sample(rng);
    draws[i] = x;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = draws[i] - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  return { n, mean, variance: m2 / (n - 1), m4: m4 / n, min, max, draws };
}

function compile(spec: unknown): Sampler {
  return compileDistribution(distributionSchema.parse(spec));
}

/** The sample mean within K standard errors of the distribution's mean. */
function expectMean(m: Moments, sampler: Sampler): void {
  const se = Math.sqrt(sampler.variance() / m.n);
  expect(Math.abs(m.mean - sampler.mean()), `mean ${m.mean} vs ${sampler.mean()} (SE ${se})`).toBeLessThanOrEqual(K * se);
}

/** The sample variance within K standard errors of the distribution's variance. */
function expectVariance(m: Moments, sampler: Sampler): void {
  const se = Math.sqrt(Math.max(0, m.m4 - m.variance * m.variance) / m.n);
  expect(Math.abs(m.variance - sampler.variance()), `variance ${m.variance} vs ${sampler.variance()} (SE ${se})`).toBeLessThanOrEqual(K * se);
}

/** The share of draws below x within K standard errors of p. */
function expectShareBelow(m: Moments, x: number, p: number): void {
  let below = 0;
  for (let i = 0; i < m.n; i++) if (m.draws[i] < x) below++;
  const se = Math.sqrt((p * (1 - p)) / m.n);
  expect(Math.abs(below / m.n - p), `P(X < ${x}) = ${below / m.n} vs ${p}`).toBeLessThanOrEqual(K * se);
}

describe('samplers match their distributions', () => {
  it('a number is a constant', () => {
    const s = compile(7);
    expect(s.kind).toBe('constant');
    const m = draw(s, 1, 100);
    expect([m.min, m.max, s.mean(), s.variance()]).toEqual([7, 7, 7, 0]);
    expect(compile({ kind: 'constant', value: 3 }).sample(new Rng(1))).toBe(3);
  });

  it('uniform: mean (a+b)/2, variance (b−a)²/12, draws in [min, max)', () => {
    const s = compile({ kind: 'uniform', min: 2, max: 10 });
    expect([s.mean(), s.variance()]).toEqual([6, 64 / 12]);
    const m = draw(s);
    expect(m.min).toBeGreaterThanOrEqual(2);
    expect(m.max).toBeLessThan(10);
    expectMean(m, s);
    expectVariance(m, s);
    expectShareBelow(m, 4, 0.25);
    expect(compile({ kind: 'uniform', min: 5, max: 5 }).sample(new Rng(1))).toBe(5);
  });

  it('normal: mean, variance and Φ at ±1σ', () => {
    const s = compile({ kind: 'normal', mean: 100, stddev: 15 });
    expect([s.mean(), s.variance()]).toEqual([100, 225]);
    const m = draw(s);
    expectMean(m, s);
    expectVariance(m, s);
    expectShareBelow(m, 85, normalCdf(-1));
    expectShareBelow(m, 115, normalCdf(1));
  });

  it('normal clamped at min: the clamped mass sits at min and the moments follow the partial-moment formulas', () => {
    const s = compile({ kind: 'normal', mean: 0.5, stddev: 1, min: 0 });
    expect(s.lowest).toBe(0);
    const m = draw(s);
    expect(m.min).toBe(0);
    let atMin = 0;
    for (const x of m.draws) if (x === 0) atMin++;
    const p = normalCdf(-0.5);
    expect(Math.abs(atMin / m.n - p)).toBeLessThanOrEqual(K * Math.sqrt((p * (1 - p)) / m.n));
    // E[max(X, 0)] for X ~ N(μ, σ): μ·Φ(μ/σ) + σ·φ(μ/σ).
    const phi = Math.exp(-0.125) / Math.sqrt(2 * Math.PI);
    expect(s.mean()).toBeCloseTo(0.5 * normalCdf(0.5) + phi, 14);
    expectMean(m, s);
    expectVariance(m, s);
  });

  it('normal clamped on both sides', () => {
    const s = compile({ kind: 'normal', mean: 10, stddev: 4, min: 8, max: 11 });
    const m = draw(s);
    expect(m.min).toBe(8);
    expect(m.max).toBe(11);
    expectMean(m, s);
    expectVariance(m, s);
  });

  it('lognormal from median and p99: half the draws below the median, 99% below p99', () => {
    const s = compile({ kind: 'lognormal', median: 0.12, p99: 2 });
    const m = draw(s);
    expectShareBelow(m, 0.12, 0.5);
    expectShareBelow(m, 2, 0.99);
    expectMean(m, s);
    expectVariance(m, s);
    // mean = median·e^{σ²/2} with σ = ln(p99/median)/z₀.₉₉.
    const sigma = Math.log(2 / 0.12) / Z_P99;
    expect(s.mean()).toBeCloseTo(0.12 * Math.exp((sigma * sigma) / 2), 14);
  });

  it('lognormal from mu and sigma is the same distribution', () => {
    const a = compile({ kind: 'lognormal', median: 0.12, p99: 2 });
    const b = compile({ kind: 'lognormal', mu: Math.log(0.12), sigma: Math.log(2 / 0.12) / Z_P99 });
    expect(b.mean()).toBeCloseTo(a.mean(), 14);
    const ra = new Rng(3);
    const rb = new Rng(3);
    for (let i = 0; i < 100; i++) expect(b.sample(rb)).toBeCloseTo(a.sample(ra), 12);
  });

  it('exponential: mean, variance mean², P(X < mean) = 1 − 1/e', () => {
    const s = compile({ kind: 'exponential', mean: 0.25 });
    expect([s.mean(), s.variance()]).toEqual([0.25, 0.0625]);
    const m = draw(s);
    expect(m.min).toBeGreaterThanOrEqual(0);
    expectMean(m, s);
    expectVariance(m, s);
    expectShareBelow(m, 0.25, 1 - Math.exp(-1));
  });

  it('pareto: mean αx_m/(α−1), tail (x_m/x)^α', () => {
    const s = compile({ kind: 'pareto', scale: 2, alpha: 3 });
    expect(s.mean()).toBe(3);
    expect(s.variance()).toBeCloseTo((4 * 3) / (4 * 1), 14);
    const m = draw(s);
    expect(m.min).toBeGreaterThanOrEqual(2);
    // The fourth moment diverges at alpha = 3, so only the mean and the tail are checked.
    expectMean(m, s);
    expectShareBelow(m, 4, 1 - 0.5 ** 3);
    expectShareBelow(m, 10, 1 - 0.2 ** 3);
  });

  it('pareto without a finite mean says so', () => {
    expect(compile({ kind: 'pareto', scale: 1, alpha: 1 }).mean()).toBe(Infinity);
    expect(compile({ kind: 'pareto', scale: 1, alpha: 1.5 }).variance()).toBe(Infinity);
  });

  it('bounded pareto: draws in [x_m, max], moments of the truncated density', () => {
    const s = compile({ kind: 'pareto', scale: 1, alpha: 1.1, max: 1000 });
    const m = draw(s);
    expect(m.min).toBeGreaterThanOrEqual(1);
    expect(m.max).toBeLessThanOrEqual(1000);
    expectMean(m, s);
    expectVariance(m, s);
    // P(X <= x | X <= max) = (1 − x^−α)/(1 − max^−α).
    expectShareBelow(m, 10, (1 - 10 ** -1.1) / (1 - 1000 ** -1.1));
    // alpha = 1 and alpha = 2 take the logarithmic branch of the moment formula.
    for (const alpha of [1, 2]) {
      const b = compile({ kind: 'pareto', scale: 1, alpha, max: 50 });
      const mb = draw(b, 5);
      expectMean(mb, b);
      expectVariance(mb, b);
    }
  });

  it('empirical: uniform over the values, or by weight; weight 0 never drawn', () => {
    const u = compile({ kind: 'empirical', values: [1, 2, 4, 8] });
    expect(u.mean()).toBe(3.75);
    const mu = draw(u);
    expectMean(mu, u);
    expectVariance(mu, u);

    const w = compile({ kind: 'empirical', values: [10, 20, 30, 40], weights: [1, 0, 3, 6] });
    const mw = draw(w);
    const counts = new Map<number, number>();
    for (const x of mw.draws) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect(counts.has(20)).toBe(false);
    for (const [value, p] of [[10, 0.1], [30, 0.3], [40, 0.6]] as const) {
      const share = (counts.get(value) ?? 0) / mw.n;
      expect(Math.abs(share - p)).toBeLessThanOrEqual(K * Math.sqrt((p * (1 - p)) / mw.n));
    }
    expectMean(mw, w);
    expect([w.lowest, w.highest]).toEqual([10, 40]);
  });

  it('normalCdf matches reference values of Φ', () => {
    // Φ(z) = erfc(−z/√2)/2: mpmath's ncdf at 30 digits, rounded to doubles.
    const reference: [number, number][] = [
      [0, 0.5],
      [1, 0.8413447460685429],
      [-1, 0.15865525393145705],
      [2.9, 0.998134186699616],
      [3.1, 0.9990323967867817],
      [-5, 2.866515718791939e-07],
      [-8, 6.220960574271784e-16],
    ];
    for (const [z, p] of reference) expect(Math.abs(normalCdf(z) - p), `Φ(${z})`).toBeLessThan(1e-15);
    expect(normalCdf(-8) / 6.220960574271784e-16).toBeCloseTo(1, 10);
  });
});

describe('determinism', () => {
  const specs: unknown[] = [
    { kind: 'uniform', min: 0, max: 1 },
    { kind: 'normal', mean: 0, stddev: 1 },
    { kind: 'lognormal', mu: 0, sigma: 1 },
    { kind: 'exponential', mean: 1 },
    { kind: 'pareto', scale: 1, alpha: 2, max: 100 },
    { kind: 'empirical', values: [1, 2, 3], weights: [1, 2, 3] },
  ];

  it('the same seed gives the same sequence; another seed another', () => {
    for (const spec of specs) {
      const s = compile(spec);
      const a = draw(s, 42, 1000).draws;
      const b = draw(s, 42, 1000).draws;
      const c = draw(s, 43, 1000).draws;
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(c)).not.toEqual(Array.from(a));
    }
  });

  it("one sampler shared by two streams: each stream's numbers do not depend on the other's draws", () => {
    const s = compile({ kind: 'normal', mean: 0, stddev: 1 });
    const alone = new Rng(9).stream('a');
    const expected = Array.from({ length: 50 }, () => s.sample(alone));
    const a = new Rng(9).stream('a');
    const b = new Rng(9).stream('b');
    const interleaved: number[] = [];
    for (let i = 0; i < 50; i++) {
      interleaved.push(s.sample(a));
      s.sample(b);
    }
    expect(interleaved).toEqual(expected);
  });
});

describe('weighted choice (alias method)', () => {
  it('picks each index with its weight; zero weights never', () => {
    const weights = [0, 5, 1, 0, 3, 1];
    const choice = new WeightedChoice(weights);
    const rng = new Rng(11);
    const counts = new Array<number>(weights.length).fill(0);
    for (let i = 0; i < N; i++) counts[choice.pick(rng)]++;
    expect(counts[0]).toBe(0);
    expect(counts[3]).toBe(0);
    for (let i = 0; i < weights.length; i++) {
      const p = weights[i] / 10;
      expect(choice.probability(i)).toBeCloseTo(p, 15);
      expect(Math.abs(counts[i] / N - p), `index ${i}`).toBeLessThanOrEqual(K * Math.sqrt((p * (1 - p)) / N));
    }
  });

  it('refuses empty, negative and all-zero weights', () => {
    expect(() => new WeightedChoice([])).toThrow(RangeError);
    expect(() => new WeightedChoice([1, -1])).toThrow(/weight 1/);
    expect(() => new WeightedChoice([0, 0])).toThrow(/zero/);
  });
});

describe('schema', () => {
  const wrap = z.strictObject({ size: distributionSchema });
  function errorOf(spec: unknown, schema: z.ZodType = wrap): string {
    const r = schema.safeParse({ size: spec });
    if (r.success) throw new Error(`accepted ${JSON.stringify(spec)}`);
    return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  }

  it('refuses bad specs, naming the field', () => {
    expect(errorOf({ kind: 'uniform', min: 5, max: 1 })).toMatch(/size\.max: min must not exceed max/);
    expect(errorOf({ kind: 'normal', mean: 1, stddev: -1 })).toMatch(/size\.stddev: stddev must be >= 0/);
    expect(errorOf({ kind: 'normal', mean: 1, stddev: 1, min: 3, max: 2 })).toMatch(/size\.max: min must not exceed max/);
    expect(errorOf({ kind: 'normal', mean: 1 })).toMatch(/size: stddev: .*expected number/);
    expect(errorOf({ kind: 'normal', mean: 1, stddev: 1, clamp: 0 })).toMatch(/size: Unrecognized key: "clamp"/);
    expect(errorOf({ kind: 'gamma', shape: 2 })).toMatch(/size: kind: .*Expected 'constant' \| 'uniform'/);
    expect(errorOf('twelve')).toMatch(/size: expected a number \(plain numbers\) or a distribution/);
    expect(errorOf({ kind: 'lognormal', median: 1, p99: 0.5 })).toMatch(/size\.p99: p99 must exceed median/);
    expect(errorOf({ kind: 'lognormal', median: 1, sigma: 1 })).toMatch(/give either median and p99, or mu and sigma/);
    expect(errorOf({ kind: 'lognormal', median: 0, p99: 1 })).toMatch(/size\.median: median must be > 0/);
    expect(errorOf({ kind: 'exponential', mean: 0 })).toMatch(/size\.mean: mean must be > 0/);
    expect(errorOf({ kind: 'pareto', scale: 1, alpha: 0 })).toMatch(/size\.alpha: alpha must be > 0/);
    expect(errorOf({ kind: 'pareto', scale: 10, alpha: 2, max: 5 })).toMatch(/size\.max: max must exceed scale/);
    expect(errorOf({ kind: 'empirical', values: [] })).toMatch(/size\.values/);
    expect(errorOf({ kind: 'empirical', values: [1, 2], weights: [1] })).toMatch(/size\.weights: weights must have one entry per value/);
    expect(errorOf({ kind: 'empirical', values: [1, 2], weights: [0, 0] })).toMatch(/size\.weights: weights must not all be zero/);
    expect(errorOf({ kind: 'empirical', values: [1, 2], weights: [1, -1] })).toMatch(/size\.weights\.1/);
  });

  it('duration distributions take seconds or strings with units', () => {
    expect(durationDistributionSchema.parse('250ms')).toBe(0.25);
    expect(durationDistributionSchema.parse({ kind: 'lognormal', median: '120ms', p99: '2s' })).toEqual({ kind: 'lognormal', median: 0.12, p99: 2 });
    expect(durationDistributionSchema.parse({ kind: 'uniform', min: 1, max: '1m30s' })).toEqual({ kind: 'uniform', min: 1, max: 90 });
    const wrapped = z.strictObject({ size: durationDistributionSchema });
    expect(errorOf({ kind: 'uniform', min: '1s', max: 'soon' }, wrapped)).toMatch(/"soon" is not a duration/);
    expect(errorOf(-2, wrapped)).toMatch(/>= 0, got -2/);
  });

  it('byte-size distributions take bytes or strings with units', () => {
    expect(byteSizeDistributionSchema.parse({ kind: 'empirical', values: ['1KiB', 4096, '1MB'] })).toEqual({ kind: 'empirical', values: [1024, 4096, 1e6] });
    expect(byteSizeDistributionSchema.parse('1.5MiB')).toBe(1.5 * 2 ** 20);
  });

  it('plain-number distributions refuse unit strings', () => {
    expect(errorOf('4KiB')).toMatch(/expected a number/);
  });
});

describe('units', () => {
  it('parses durations, compounds included', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('250ms')).toBe(0.25);
    expect(parseDuration('1.5 min')).toBe(90);
    for (const bad of ['', '5', '5 parsecs', '-1s', 'm5', '1h 30']) expect(() => parseDuration(bad), bad).toThrow(/not a duration/);
  });

  it('parses byte sizes, IEC binary and SI decimal', () => {
    expect(parseByteSize('512')).toBe(512);
    expect(parseByteSize('512B')).toBe(512);
    expect(parseByteSize('64KiB')).toBe(65536);
    expect(parseByteSize('64Ki')).toBe(65536);
    expect(parseByteSize('2GB')).toBe(2e9);
    expect(parseByteSize('1 kB')).toBe(1000);
    for (const bad of ['512m', '1.5k', 'KiB', '-1B']) expect(() => parseByteSize(bad), bad).toThrow(/not a byte size/);
    expect(() => parseByteSize('1.5B')).toThrow(/whole number of bytes/);
  });
});
