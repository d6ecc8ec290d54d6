/**
 * Distributions as a scenario writes them, their schema, and their compiled
 * samplers.
 *
 * A scenario field that varies per use (a payload's size, a think time, a
 * request's CPU time) holds a distribution spec:
 *
 *   12                                          shorthand for { kind: constant, value: 12 }
 *   { kind: constant,    value }
 *   { kind: uniform,     min, max }               min <= max; draws in [min, max)
 *   { kind: normal,      mean, stddev, min?, max? }  draws clamped to [min, max] when given
 *   { kind: lognormal,   median, p99 }            the way latencies are quoted, or
 *   { kind: lognormal,   mu, sigma }              the parameters of ln X ~ Normal(mu, sigma)
 *   { kind: exponential, mean }
 *   { kind: pareto,      scale, alpha, max? }     scale = x_m (the minimum), alpha = shape;
 *                                                with max, the bounded Pareto
 *   { kind: empirical,   values, weights? }       one of the values, uniformly or by weight
 *
 * Values are plain numbers; the field that holds the distribution decides
 * their unit. `distributionSchema` takes plain numbers (counts, lengths);
 * `durationDistributionSchema` is in seconds and also takes "250ms", "2s";
 * `byteSizeDistributionSchema` is in bytes and also takes "4KiB", "1MB".
 * Shape parameters (sigma, alpha, weights) are unitless in every case.
 *
 * A compiled `Sampler` is one class for every kind (a numeric kind code and
 * four parameters), so `sample` call sites stay monomorphic, and a draw
 * allocates nothing. A sampler keeps no state between draws (no cached second
 * Box–Muller normal): the numbers a stream sees never depend on which other
 * stream used the same sampler before it.
 */
import { z } from 'zod';
import type { Rng } from '../sim/rng.js';
import { byteSizeSchema, durationSchema } from './units.js';
import { WeightedChoice } from './weighted-choice.js';

/** Φ⁻¹(0.99), the standard normal's 99th percentile (Python: statistics.NormalDist().inv_cdf(0.99)). */
export const Z_P99 = 2.3263478740408408;

export const DISTRIBUTION_KINDS = ['constant', 'uniform', 'normal', 'lognormal', 'exponential', 'pareto', 'empirical'] as const;
export type DistributionKind = (typeof DISTRIBUTION_KINDS)[number];

/** What a value field takes as input: a plain number, or also a string with a unit. */
type ValueSchema = z.ZodType<number, unknown>;

/**
 * The schema of a distribution whose values go through `value` (a plain number
 * schema, or one that also parses unit strings). `unit` names the unit in the
 * descriptions.
 */
function distributionSchemaOf(value: ValueSchema, unit: string) {
  const v = (text: string) => value.describe(`${text} (${unit})`);
  const shape = (text: string) => z.number().describe(text);

  const constant = z
    .strictObject({ kind: z.literal('constant'), value: v('the value every draw returns') })
    .describe('Always the same value.');

  const uniform = z
    .strictObject({ kind: z.literal('uniform'), min: v('lowest value'), max: v('upper bound (never drawn unless min = max)') })
    .refine((d) => d.min <= d.max, { message: 'min must not exceed max', path: ['max'] })
    .describe('Uniform on [min, max).');

  const normal = z
    .strictObject({
      kind: z.literal('normal'),
      mean: v('mean before clamping'),
      stddev: v('standard deviation before clamping (>= 0)'),
      min: v('draws below this are raised to it (e.g. 0 for a time or a size)').optional(),
      max: v('draws above this are lowered to it').optional(),
    })
    .refine((d) => d.stddev >= 0, { message: 'stddev must be >= 0', path: ['stddev'] })
    .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { message: 'min must not exceed max', path: ['max'] })
    .describe('Normal (Gaussian), optionally clamped to [min, max].');

  const lognormal = z
    .strictObject({
      kind: z.literal('lognormal'),
      median: v('the median (50th percentile), > 0').optional(),
      p99: v('the 99th percentile, > median').optional(),
      mu: shape('mean of ln X (ln of the median), in ln of the unit').optional(),
      sigma: shape('standard deviation of ln X (>= 0)').optional(),
    })
    .superRefine((d, ctx) => {
      const quantiles = d.median !== undefined || d.p99 !== undefined;
      const logs = d.mu !== undefined || d.sigma !== undefined;
      if (quantiles === logs) {
        ctx.addIssue({ code: 'custom', message: 'give either median and p99, or mu and sigma' });
        return;
      }
      if (quantiles) {
        if (d.median === undefined) ctx.addIssue({ code: 'custom', message: 'median is required with p99', path: ['median'] });
        else if (!(d.median > 0)) ctx.addIssue({ code: 'custom', message: 'median must be > 0', path: ['median'] });
        if (d.p99 === undefined) ctx.addIssue({ code: 'custom', message: 'p99 is required with median', path: ['p99'] });
        else if (d.median !== undefined && !(d.p99 > d.median)) ctx.addIssue({ code: 'custom', message: 'p99 must exceed median', path: ['p99'] });
      } else {
        if (d.mu === undefined) ctx.addIssue({ code: 'custom', message: 'mu is required with sigma', path: ['mu'] });
        if (d.sigma === undefined) ctx.addIssue({ code: 'custom', message: 'sigma is required with mu', path: ['sigma'] });
        else if (!(d.sigma >= 0)) ctx.addIssue({ code: 'custom', message: 'sigma must be >= 0', path: ['sigma'] });
      }
    })
    .describe('Log-normal: ln X is normal. Give median and p99 (sigma = ln(p99/median)/2.3263), or mu and sigma.');

  const exponential = z
    .strictObject({ kind: z.literal('exponential'), mean: v('the mean (> 0)') })
    .refine((d) => d.mean > 0, { message: 'mean must be > 0', path: ['mean'] })
    .describe('Exponential (memoryless), e.g. Poisson inter-arrival times.');

  const pareto = z
    .strictObject({
      kind: z.literal('pareto'),
      scale: v('x_m, the smallest value (> 0)'),
      alpha: shape('the shape (> 0): P(X > x) = (x_m/x)^alpha; the mean is finite for alpha > 1, the variance for alpha > 2'),
      max: v('upper bound: draws come from the Pareto conditioned on X <= max (the bounded Pareto), no mass piles up at max').optional(),
    })
    .refine((d) => d.scale > 0, { message: 'scale must be > 0', path: ['scale'] })
    .refine((d) => d.alpha > 0, { message: 'alpha must be > 0', path: ['alpha'] })
    .refine((d) => d.max === undefined || d.max > d.scale, { message: 'max must exceed scale', path: ['max'] })
    .describe('Pareto (heavy tail), optionally bounded above.');

  const empirical = z
    .strictObject({
      kind: z.literal('empirical'),
      values: z.array(value).min(1).describe(`the values to draw from (${unit})`),
      weights: z.array(z.number().min(0)).optional().describe('relative weight of each value (default: all equal)'),
    })
    .refine((d) => d.weights === undefined || d.weights.length === d.values.length, {
      message: 'weights must have one entry per value',
      path: ['weights'],
    })
    .refine((d) => d.weights === undefined || d.weights.some((w) => w > 0), { message: 'weights must not all be zero', path: ['weights'] })
    .describe('One of the listed values, uniformly or by weight.');

  const object = z.discriminatedUnion('kind', [constant, uniform, normal, lognormal, exponential, pareto, empirical]);
  return z
    .union([value, object], {
      // A union reports "Invalid input" alone; name what the branch the input was meant for found.
      error: (issue) => {
        if (issue.code !== 'invalid_union') return undefined;
        const input = issue.input;
        const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
        const branch = issue.errors[isObject ? 1 : 0] ?? [];
        const typeOnly = branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
        if (!isObject && typeOnly) return `expected a number (${unit}) or a distribution {kind: ${DISTRIBUTION_KINDS.join(' | ')}, ...}`;
        const details = branch.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
        return details.length > 0 ? details.join('; ') : 'invalid distribution';
      },
    })
    .describe(`A distribution of values in ${unit}: a number (always that value) or {kind: ${DISTRIBUTION_KINDS.join(' | ')}, ...}.`);
}

/** Unitless values: counts, lengths, ratios. */
export const distributionSchema = distributionSchemaOf(z.number(), 'plain numbers');
/** Values in seconds; strings with a unit ("250ms", "2s", "5m") are accepted. */
export const durationDistributionSchema = distributionSchemaOf(durationSchema, 'seconds');
/** Values in bytes; strings with a unit ("512B", "4KiB", "1MB") are accepted. */
export const byteSizeDistributionSchema = distributionSchemaOf(byteSizeSchema, 'bytes');

/** A validated distribution spec (values already in the field's unit). */
export type DistributionSpec = z.output<typeof distributionSchema>;
type ObjectSpec = Exclude<DistributionSpec, number>;

// Kind codes: a small integer switch keeps `sample` monomorphic.
const CONSTANT = 0;
const UNIFORM = 1;
const NORMAL = 2;
const LOGNORMAL = 3;
const EXPONENTIAL = 4;
const PARETO = 5;
const EMPIRICAL = 6;

/** The choice an empirical sampler of no values would have: never drawn from. */
const NO_CHOICE = new WeightedChoice([1]);
const NO_VALUES = new Float64Array(0);

/**
 * A compiled distribution. `mean()` and `variance()` are exact (closed forms,
 * clamping and bounds included) so tests and queueing-theory checks can use
 * them; they are Infinity where the moment diverges (Pareto with alpha <= 1
 * or <= 2).
 */
export class Sampler {
  readonly kind: DistributionKind;
  private readonly code: number;
  // Parameters by kind (see `compileDistribution`).
  private readonly a: number;
  private readonly b: number;
  private readonly c: number;
  private readonly d: number;
  private readonly values: Float64Array;
  private readonly choice: WeightedChoice;
  private readonly meanValue: number;
  private readonly varianceValue: number;
  /** The smallest and largest values a draw can take (-Infinity/Infinity when unbounded). */
  readonly lowest: number;
  readonly highest: number;

  /** Use `compileDistribution`: it validates nothing here and derives the moments. */
  constructor(
    kind: DistributionKind,
    code: number,
    params: readonly [number, number, number, number],
    moments: readonly [number, number],
    bounds: readonly [number, number],
    values: Float64Array,
    choice: WeightedChoice,
  ) {
    this.kind = kind;
    this.code = code;
    this.a = params[0];
    this.b = params[1];
    this.c = params[2];
    this.d = params[3];
    this.values = values;
    this.choice = choice;
    this.meanValue = moments[0];
    this.varianceValue = moments[1];
    this.lowest = bounds[0];
    this.highest = bounds[1];
  }

  /** One draw. */
  sample(rng: Rng): number {
    switch (this.code) {
      case UNIFORM:
        return this.a + this.b * rng.next();
      case NORMAL: {
        const x = this.a + this.b * standardNormal(rng);
        return x < this.c ? this.c : x > this.d ? this.d : x;
      }
      case LOGNORMAL:
        return Math.exp(this.a + this.b * standardNormal(rng));
      case EXPONENTIAL:
        return -this.a * Math.log(rng.nextOpen());
      case PARETO:
        // Inverse transform: 1 - u·c is in (0, 1] for u in [0, 1) (c = 1 unbounded).
        return this.a / Math.pow(1 - rng.next() * this.c, this.b);
      case EMPIRICAL:
        return this.values[this.choice.pick(rng)];
      default:
        return this.a;
    }
  }

  mean(): number {
    return this.meanValue;
  }

  variance(): number {
    return this.varianceValue;
  }
}

/** Compile a validated spec (a schema's output) into a sampler. */
export function compileDistribution(spec: DistributionSpec): Sampler {
  if (typeof spec === 'number') return constantSampler(spec);
  return compileObject(spec);
}

function newSampler(
  kind: DistributionKind,
  code: number,
  params: readonly [number, number, number, number],
  moments: readonly [number, number],
  bounds: readonly [number, number],
  values: Float64Array = NO_VALUES,
  choice: WeightedChoice = NO_CHOICE,
): Sampler {
  return new Sampler(kind, code, params, moments, bounds, values, choice);
}

function constantSampler(value: number): Sampler {
  return newSampler('constant', CONSTANT, [value, 0, 0, 0], [value, 0], [value, value]);
}

function compileObject(spec: ObjectSpec): Sampler {
  switch (spec.kind) {
    case 'constant':
      return constantSampler(spec.value);
    case 'uniform': {
      const width = spec.max - spec.min;
      return newSampler('uniform', UNIFORM, [spec.min, width, 0, 0], [spec.min + width / 2, (width * width) / 12], [spec.min, spec.max]);
    }
    case 'normal': {
      const lo = spec.min ?? -Infinity;
      const hi = spec.max ?? Infinity;
      const [mean, variance] = clampedNormalMoments(spec.mean, spec.stddev, lo, hi);
      return newSampler('normal', NORMAL, [spec.mean, spec.stddev, lo, hi], [mean, variance], [lo, hi]);
    }
    case 'lognormal': {
      const [mu, sigma] = lognormalParameters(spec);
      const s2 = sigma * sigma;
      const mean = Math.exp(mu + s2 / 2);
      // Var = (e^{σ²} − 1)·e^{2μ+σ²}; expm1 keeps small σ exact.
      const variance = Math.expm1(s2) * Math.exp(2 * mu + s2);
      return newSampler('lognormal', LOGNORMAL, [mu, sigma, 0, 0], [mean, variance], [0, Infinity]);
    }
    case 'exponential':
      return newSampler('exponential', EXPONENTIAL, [spec.mean, 0, 0, 0], [spec.mean, spec.mean * spec.mean], [0, Infinity]);
    case 'pareto': {
      const { scale, alpha } = spec;
      const max = spec.max ?? Infinity;
      const c = max === Infinity ? 1 : 1 - Math.pow(scale / max, alpha);
      const [mean, variance] = paretoMoments(scale, alpha, max);
      return newSampler('pareto', PARETO, [scale, 1 / alpha, c, 0], [mean, variance], [scale, max]);
    }
    case 'empirical': {
      const values = Float64Array.from(spec.values);
      const weights = spec.weights ?? spec.values.map(() => 1);
      const choice = new WeightedChoice(weights);
      let mean = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < values.length; i++) {
        mean += choice.probability(i) * values[i];
        if (choice.probability(i) > 0) {
          lo = Math.min(lo, values[i]);
          hi = Math.max(hi, values[i]);
        }
      }
      let variance = 0;
      for (let i = 0; i < values.length; i++) variance += choice.probability(i) * (values[i] - mean) ** 2;
      return newSampler('empirical', EMPIRICAL, [0, 0, 0, 0], [mean, variance], [lo, hi], values, choice);
    }
  }
}

/** [mu, sigma] of ln X, from whichever pair the spec gives. */
export function lognormalParameters(spec: { median?: number; p99?: number; mu?: number; sigma?: number }): [number, number] {
  if (spec.mu !== undefined && spec.sigma !== undefined) return [spec.mu, spec.sigma];
  if (spec.median !== undefined && spec.p99 !== undefined) {
    // median = e^μ and p99 = e^{μ + σ·z₀.₉₉}.
    return [Math.log(spec.median), Math.log(spec.p99 / spec.median) / Z_P99];
  }
  throw new RangeError('a lognormal needs median and p99, or mu and sigma');
}

/**
 * Mean and variance of clamp(X, lo, hi) for X ~ Normal(μ, σ): with α, β the
 * standardised bounds,
 *   E[Y]  = lo·Φ(α) + hi·(1 − Φ(β)) + μ·(Φ(β) − Φ(α)) + σ·(φ(α) − φ(β))
 *   E[Y²] = lo²·Φ(α) + hi²·(1 − Φ(β)) + (μ² + σ²)·(Φ(β) − Φ(α)) + σ·((μ + lo)·φ(α) − (μ + hi)·φ(β))
 * (the truncated-normal partial moments, e.g. Johnson, Kotz & Balakrishnan,
 * Continuous Univariate Distributions vol. 1, §13.10), with the infinite
 * bounds' terms dropped.
 */
function clampedNormalMoments(mu: number, sigma: number, lo: number, hi: number): [number, number] {
  if (sigma === 0) {
    const y = Math.min(hi, Math.max(lo, mu));
    return [y, 0];
  }
  const alpha = (lo - mu) / sigma;
  const beta = (hi - mu) / sigma;
  const pLo = lo === -Infinity ? 0 : normalCdf(alpha);
  const pHi = hi === Infinity ? 0 : 1 - normalCdf(beta);
  const dLo = lo === -Infinity ? 0 : normalPdf(alpha);
  const dHi = hi === Infinity ? 0 : normalPdf(beta);
  const inside = 1 - pLo - pHi;
  const loTerm = lo === -Infinity ? 0 : lo;
  const hiTerm = hi === Infinity ? 0 : hi;
  const m1 = loTerm * pLo + hiTerm * pHi + mu * inside + sigma * (dLo - dHi);
  const m2 = loTerm * loTerm * pLo + hiTerm * hiTerm * pHi + (mu * mu + sigma * sigma) * inside + sigma * ((mu + loTerm) * dLo - (mu + hiTerm) * dHi);
  return [m1, Math.max(0, m2 - m1 * m1)];
}

/**
 * Mean and variance of the Pareto(x_m, α), or of the bounded Pareto on
 * [x_m, max] (Harchol-Balter, "Task assignment with unknown duration", JACM
 * 2002, §2): with k = x_m, p = max and C = α·k^α / (1 − (k/p)^α),
 *   E[X^j] = C·(p^{j−α} − k^{j−α})/(j − α)   (C·ln(p/k) when j = α).
 */
function paretoMoments(k: number, alpha: number, max: number): [number, number] {
  if (max === Infinity) {
    const mean = alpha > 1 ? (alpha * k) / (alpha - 1) : Infinity;
    const variance = alpha > 2 ? (k * k * alpha) / ((alpha - 1) * (alpha - 1) * (alpha - 2)) : Infinity;
    return [mean, variance];
  }
  const c = (alpha * Math.pow(k, alpha)) / -Math.expm1(alpha * Math.log(k / max));
  const moment = (j: number) =>
    Math.abs(j - alpha) < 1e-12 ? c * Math.log(max / k) : (c * (Math.pow(max, j - alpha) - Math.pow(k, j - alpha))) / (j - alpha);
  const m1 = moment(1);
  return [m1, Math.max(0, moment(2) - m1 * m1)];
}

/** Box–Muller (one of its pair): two uniforms, no state kept between draws. */
function standardNormal(rng: Rng): number {
  const r = Math.sqrt(-2 * Math.log(rng.nextOpen()));
  return r * Math.cos(2 * Math.PI * rng.next());
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Φ(z) through erfc, accurate to ~1e-15 absolute: enough for exact-looking moments. */
export function normalCdf(z: number): number {
  const x = z / Math.SQRT2;
  return x >= 0 ? 1 - 0.5 * erfc(x) : 0.5 * erfc(-x);
}

/**
 * erfc(x) for x >= 0. Below 3: 1 − erf by the all-positive series
 * erf x = (2/√π)·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3···(2n+1)) (Abramowitz & Stegun
 * 7.1.6); from 3 on: the continued fraction A&S 7.1.14, evaluated bottom-up.
 */
function erfc(x: number): number {
  if (x < 3) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  let k = x;
  for (let n = 60; n >= 1; n--) k = x + n / 2 / k;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * k);
}
