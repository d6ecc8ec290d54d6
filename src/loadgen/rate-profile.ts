/**
 * Arrival-rate profiles λ(t) of the open-model arrival processes, each with
 * its integral Λ(t) = ∫₀ᵗ λ(s) ds and the inverse of that integral in closed
 * form or by a safeguarded Newton iteration. `OpenArrivals` maps unit-rate
 * event times through the inverse (time rescaling), so a profile is all a new
 * load shape needs.
 *
 * Times are seconds from the start of the load; rates are requests per
 * second. Every profile is zero after its duration.
 */

export interface RateProfile {
  /** The profile's length in seconds; λ is zero after it. */
  readonly durationS: number;
  /** λ(t): requests per second at t. */
  rateAt(tS: number): number;
  /** Λ(t): the expected number of arrivals in [0, t]. */
  cumulative(tS: number): number;
  /**
   * The earliest t with Λ(t) = units, for 0 <= units <= Λ(durationS).
   * Non-decreasing in units.
   */
  timeAt(units: number): number;
}

/** λ(t) = rate. */
export class ConstantRate implements RateProfile {
  constructor(
    readonly ratePerS: number,
    readonly durationS: number,
  ) {}

  rateAt(tS: number): number {
    return tS >= 0 && tS <= this.durationS ? this.ratePerS : 0;
  }

  cumulative(tS: number): number {
    return this.ratePerS * clamp(tS, 0, this.durationS);
  }

  timeAt(units: number): number {
    return this.ratePerS > 0 ? units / this.ratePerS : units > 0 ? Infinity : 0;
  }
}

export interface Stage {
  readonly durationS: number;
  /** The rate reached at the end of the stage (requests/s). */
  readonly target: number;
}

/**
 * k6's ramping-arrival-rate profile: the rate moves linearly from the previous
 * stage's target (`startRate` for the first stage) to this stage's target over
 * the stage's duration; a stage of duration 0 jumps. The inverse solves the
 * quadratic a·τ + (b − a)·τ²/(2D) = v per segment, as k6's `cal` does
 * (lib/executor/ramping_arrival_rate.go), in the form 2v / (a + √(a² +
 * 2(b − a)v/D)) that stays exact when a = b and loses no digits when b − a is
 * small; a negative discriminant from rounding is taken as 0 (k6's
 * noNegativeSqrt).
 */
export class StagesRate implements RateProfile {
  readonly durationS: number;
  private readonly startS: Float64Array;
  private readonly lengthS: Float64Array;
  private readonly fromRate: Float64Array;
  private readonly toRate: Float64Array;
  /** Λ at the end of each segment. */
  private readonly cumulativeAtEnd: Float64Array;

  constructor(startRate: number, stages: readonly Stage[]) {
    const n = stages.length;
    this.startS = new Float64Array(n);
    this.lengthS = new Float64Array(n);
    this.fromRate = new Float64Array(n);
    this.toRate = new Float64Array(n);
    this.cumulativeAtEnd = new Float64Array(n);
    let t = 0;
    let from = startRate;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const { durationS, target } = stages[i];
      this.startS[i] = t;
      this.lengthS[i] = durationS;
      this.fromRate[i] = from;
      this.toRate[i] = target;
      total += (durationS * (from + target)) / 2;
      this.cumulativeAtEnd[i] = total;
      t += durationS;
      from = target;
    }
    this.durationS = t;
  }

  rateAt(tS: number): number {
    if (!(tS >= 0 && tS <= this.durationS)) return 0;
    const i = this.segmentAtTime(tS);
    const d = this.lengthS[i];
    const a = this.fromRate[i];
    return d > 0 ? a + ((this.toRate[i] - a) * (tS - this.startS[i])) / d : this.toRate[i];
  }

  cumulative(tS: number): number {
    if (!(tS > 0)) return 0;
    if (tS >= this.durationS) return this.cumulativeAtEnd[this.cumulativeAtEnd.length - 1] ?? 0;
    const i = this.segmentAtTime(tS);
    const before = i > 0 ? this.cumulativeAtEnd[i - 1] : 0;
    const tau = tS - this.startS[i];
    const d = this.lengthS[i];
    const a = this.fromRate[i];
    return before + a * tau + (d > 0 ? ((this.toRate[i] - a) * tau * tau) / (2 * d) : 0);
  }

  timeAt(units: number): number {
    const ends = this.cumulativeAtEnd;
    const n = ends.length;
    if (!(units > 0)) return 0;
    if (n === 0 || units > ends[n - 1]) return Infinity;
    // The first segment whose end reaches `units`: it has positive mass.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid] >= units) hi = mid;
      else lo = mid + 1;
    }
    const v = units - (lo > 0 ? ends[lo - 1] : 0);
    const a = this.fromRate[lo];
    const b = this.toRate[lo];
    const d = this.lengthS[lo];
    const disc = a * a + (2 * (b - a) * v) / d;
    const tau = (2 * v) / (a + Math.sqrt(disc > 0 ? disc : 0));
    return this.startS[lo] + (tau < d ? tau : d);
  }

  /** The last segment starting at or before t, so after a zero-length stage (a jump) the new target holds. */
  private segmentAtTime(tS: number): number {
    let lo = 0;
    let hi = this.startS.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.startS[mid] <= tS) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * A base rate multiplied by `multiplier` during the first `burstS` seconds of
 * every `periodS`, the periods counted from `offsetS` (before it: the base
 * rate). Λ is piecewise linear, so its inverse is exact.
 */
export class PulseRate implements RateProfile {
  /** Λ over one whole period. */
  private readonly perPeriod: number;
  private readonly perBurst: number;
  private readonly beforeOffset: number;

  constructor(
    readonly baseRatePerS: number,
    readonly multiplier: number,
    readonly periodS: number,
    readonly burstS: number,
    readonly offsetS: number,
    readonly durationS: number,
  ) {
    this.perBurst = baseRatePerS * multiplier * burstS;
    this.perPeriod = this.perBurst + baseRatePerS * (periodS - burstS);
    this.beforeOffset = baseRatePerS * offsetS;
  }

  rateAt(tS: number): number {
    if (!(tS >= 0 && tS <= this.durationS)) return 0;
    if (tS < this.offsetS) return this.baseRatePerS;
    const x = (tS - this.offsetS) % this.periodS;
    return x < this.burstS ? this.baseRatePerS * this.multiplier : this.baseRatePerS;
  }

  cumulative(tS: number): number {
    const t = clamp(tS, 0, this.durationS);
    if (t <= this.offsetS) return this.baseRatePerS * t;
    const s = t - this.offsetS;
    const k = Math.floor(s / this.periodS);
    const x = s - k * this.periodS;
    const within = x < this.burstS ? this.baseRatePerS * this.multiplier * x : this.perBurst + this.baseRatePerS * (x - this.burstS);
    return this.beforeOffset + k * this.perPeriod + within;
  }

  timeAt(units: number): number {
    if (!(units > 0)) return 0;
    if (units <= this.beforeOffset) return units / this.baseRatePerS;
    if (!(this.perPeriod > 0)) return Infinity;
    const w = units - this.beforeOffset;
    const k = Math.floor(w / this.perPeriod);
    const rem = w - k * this.perPeriod;
    let x: number;
    if (rem <= 0) x = 0;
    else if (rem <= this.perBurst) x = rem / (this.baseRatePerS * this.multiplier);
    else x = this.burstS + (rem - this.perBurst) / this.baseRatePerS;
    return this.offsetS + k * this.periodS + x;
  }
}

/**
 * A daily (or any period's) cycle: λ(t) = m + A·cos(2π(t − peak)/P) with
 * m = (min + max)/2 and A = (max − min)/2, so the rate is `max` at `peakS`
 * (and every period after) and `min` half a period away. Its integral is
 * Λ(t) = m·t + A·P/(2π)·(sin(2π(t − peak)/P) + sin(2π·peak/P)), and
 * Λ(t + P) = Λ(t) + m·P, so the inverse reduces to one period and a
 * Newton iteration kept inside a shrinking bracket (bisection when a step
 * would leave it, as in Numerical Recipes' rtsafe), since λ may touch zero.
 */
export class DiurnalRate implements RateProfile {
  private readonly mean: number;
  private readonly amplitude: number;
  private readonly omega: number;
  private readonly perPeriod: number;
  private readonly phase0: number;

  constructor(
    readonly minRatePerS: number,
    readonly maxRatePerS: number,
    readonly periodS: number,
    readonly peakS: number,
    readonly durationS: number,
  ) {
    this.mean = (minRatePerS + maxRatePerS) / 2;
    this.amplitude = (maxRatePerS - minRatePerS) / 2;
    this.omega = (2 * Math.PI) / periodS;
    this.perPeriod = this.mean * periodS;
    this.phase0 = Math.sin(this.omega * peakS);
  }

  rateAt(tS: number): number {
    if (!(tS >= 0 && tS <= this.durationS)) return 0;
    return this.rate(tS);
  }

  cumulative(tS: number): number {
    const t = clamp(tS, 0, this.durationS);
    const k = Math.floor(t / this.periodS);
    return k * this.perPeriod + this.withinPeriod(t - k * this.periodS);
  }

  timeAt(units: number): number {
    if (!(units > 0)) return 0;
    if (!(this.perPeriod > 0)) return Infinity;
    const k = Math.floor(units / this.perPeriod);
    const rem = units - k * this.perPeriod;
    const tolerance = 1e-12 * Math.max(1, this.perPeriod);
    let lo = 0;
    let hi = this.periodS;
    let x = clamp(rem / this.mean, lo, hi);
    for (let i = 0; i < 100; i++) {
      const f = this.withinPeriod(x) - rem;
      if (Math.abs(f) <= tolerance) break;
      if (f > 0) hi = x;
      else lo = x;
      const slope = this.rate(x);
      let next = slope > 0 ? x - f / slope : NaN;
      if (!(next > lo && next < hi)) next = (lo + hi) / 2;
      x = next;
      if (hi - lo <= 1e-12 * this.periodS) break;
    }
    return k * this.periodS + x;
  }

  private rate(tS: number): number {
    const r = this.mean + this.amplitude * Math.cos(this.omega * (tS - this.peakS));
    return r > 0 ? r : 0;
  }

  private withinPeriod(x: number): number {
    return this.mean * x + (this.amplitude / this.omega) * (Math.sin(this.omega * (x - this.peakS)) + this.phase0);
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
