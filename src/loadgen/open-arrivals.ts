/**
 * Open-model arrivals: requests arrive on their own schedule, whatever the
 * service is doing.
 *
 * `OpenArrivals` generates any rate profile by time rescaling: if E₁ < E₂ <
 * … are the event times of a unit-rate process, then Λ⁻¹(E₁) < Λ⁻¹(E₂) < …
 * are those of a process with intensity λ (Çinlar, Introduction to Stochastic
 * Processes, 1975, ch. 4; the time-rescaling theorem). With exponential gaps
 * between the Eₙ this is exactly the non-homogeneous Poisson process — one
 * uniform per arrival, however low the rate dips, unlike Lewis–Shedler
 * thinning whose rejected candidates would make every later draw depend on
 * the peak rate. With Eₙ = n ("even" spacing) it is k6's arrival-rate
 * schedule: the n-th request starts where the integrated rate reaches n.
 *
 * `BatchBursts` adds batches of simultaneous (or evenly spread) requests to a
 * base process.
 */
import type { Rng } from '../sim/rng.js';
import type { ArrivalProcess, Spacing } from './arrivals.js';
import type { RateProfile } from './rate-profile.js';

export class OpenArrivals implements ArrivalProcess {
  readonly durationS: number;
  /** Λ(duration): the expected number of arrivals (exact for even spacing, up to rounding down). */
  readonly expectedArrivals: number;
  private readonly limit: number;
  private readonly even: boolean;
  private units = 0;
  private lastS = 0;
  private finished = false;

  constructor(
    private readonly profile: RateProfile,
    private readonly rng: Rng,
    spacing: Spacing,
  ) {
    this.durationS = profile.durationS;
    this.expectedArrivals = profile.cumulative(profile.durationS);
    // Even spacing lands on whole units: a total such as 0.7 × 10 = 7.000000000000001
    // or 6.999999999999999 must still admit the 7th arrival.
    this.limit = this.expectedArrivals + 1e-9 * Math.max(1, this.expectedArrivals);
    this.even = spacing === 'even';
  }

  next(): number {
    if (this.finished) return Infinity;
    this.units += this.even ? 1 : -Math.log(this.rng.nextOpen());
    if (this.units > this.limit) {
      this.finished = true;
      return Infinity;
    }
    let t = this.profile.timeAt(this.units);
    if (t > this.durationS) t = this.durationS;
    if (t < this.lastS) t = this.lastS;
    this.lastS = t;
    return t;
  }
}

/**
 * A base process plus `requests` extra arrivals every `periodS`, the first
 * batch at `offsetS`: all at the batch's start when `spreadS` is 0 (a cron
 * job or a fan-out hitting at once), else spread evenly over `spreadS`. On a
 * tie the batch arrival comes first, so the order is fixed.
 */
export class BatchBursts implements ArrivalProcess {
  readonly durationS: number;
  readonly expectedArrivals: number;
  private nextBaseS: number;
  private batch = 0;
  private inBatch = 0;

  constructor(
    private readonly base: ArrivalProcess & { readonly expectedArrivals: number },
    private readonly requests: number,
    private readonly periodS: number,
    private readonly spreadS: number,
    private readonly offsetS: number,
  ) {
    this.durationS = base.durationS;
    let batched = 0;
    for (let k = 0; offsetS + k * periodS <= this.durationS; k++) {
      // Arrivals of a batch cut off by the end of the load are not made; the
      // times are computed as `next` computes them, so the count is exact.
      const start = offsetS + k * periodS;
      if (start + ((requests - 1) * spreadS) / requests <= this.durationS) batched += requests;
      else for (let j = 0; j < requests && start + (j * spreadS) / requests <= this.durationS; j++) batched++;
    }
    this.expectedArrivals = base.expectedArrivals + batched;
    this.nextBaseS = base.next();
  }

  next(): number {
    const b = this.offsetS + this.batch * this.periodS + (this.inBatch * this.spreadS) / this.requests;
    if (b <= this.durationS && b <= this.nextBaseS) {
      if (++this.inBatch === this.requests) {
        this.inBatch = 0;
        this.batch++;
      }
      return b;
    }
    const t = this.nextBaseS;
    if (t !== Infinity) this.nextBaseS = this.base.next();
    return t;
  }
}
