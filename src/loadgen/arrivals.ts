/**
 * ★ Start here: arrival processes, shared by the virtual-time engine and the
 * real-time load generator. Both clocks ask the same objects for the same
 * numbers; only what they do with a time differs (schedule an event, or wait
 * for the wall clock and enqueue a job).
 *
 *   load spec ──compileLoad──▶ open:   ArrivalProcess.next() → t₁ ≤ t₂ ≤ … ≤ duration, then Infinity
 *                              closed: ClosedUsers.initialArrivals(), afterCompletion(u, t)
 *   (the spec's schema: src/workload/load-schema.ts)
 *
 * Open model (arrivals ignore the service; a slow service builds a queue):
 *
 *   arrival    rate profile λ(t) (rate-profile.ts)        spacing
 *   constant   ConstantRate                               even: the n-th at n/rate
 *   poisson    ConstantRate                               exponential gaps
 *   stages     StagesRate (k6 ramping-arrival-rate)       poisson (default) | even (k6's own schedule)
 *   bursts     PulseRate (rate × multiplier for a while)  poisson | even
 *              or ConstantRate + BatchBursts (N extra requests per period)
 *   diurnal    DiurnalRate (sinusoid, period 24 h)        poisson | even
 *
 * Every open process is `OpenArrivals` (open-arrivals.ts) over a profile: the
 * time-rescaling construction turns unit-rate event times into arrivals at
 * rate λ(t) — a non-homogeneous Poisson process, or k6's evenly spaced
 * schedule. `next()` allocates nothing.
 *
 * Closed model (closed-users.ts): N users, each with one request at a time
 * and a think time between a response and its next request; the caller
 * reports completions because only it knows them.
 *
 * Endpoint choice per request: `EndpointMix` (endpoint-mix.ts).
 *
 * Times are seconds from the start of the load; rates requests per second
 * (k6's timeUnit is fixed at 1 s). Randomness comes only from the `Rng`
 * passed in (the caller's "arrivals" stream); for the same spec and stream the
 * arrival times are identical on both clocks.
 */
import type { Rng } from '../sim/rng.js';
import { compileDistribution } from '../workload/distributions.js';
import { ClosedUsers } from './closed-users.js';
import { loadDurationS, type LoadSpec } from '../workload/load-schema.js';
import { BatchBursts, OpenArrivals } from './open-arrivals.js';
import { ConstantRate, DiurnalRate, PulseRate, type RateProfile, StagesRate } from './rate-profile.js';

/** How unit-rate event times are spaced before rescaling: exponential gaps, or exactly 1 apart. */
export type Spacing = 'poisson' | 'even';

/** An open-model arrival process: successive arrival times. */
export interface ArrivalProcess {
  /** When arrivals stop (seconds from the start). */
  readonly durationS: number;
  /** The next arrival time (seconds from the start, non-decreasing), or Infinity once the load is over. */
  next(): number;
}

export interface OpenLoad {
  readonly model: 'open';
  readonly arrivals: ArrivalProcess;
  /** λ(t) of the load, batch bursts excepted (they are instants, not a rate). */
  readonly profile: RateProfile;
  /** The expected number of arrivals over the whole load (exact for even spacing and for batches). */
  readonly expectedArrivals: number;
  readonly durationS: number;
  readonly warmupS: number;
}

export interface ClosedLoad {
  readonly model: 'closed';
  readonly users: ClosedUsers;
  readonly durationS: number;
  readonly warmupS: number;
}

export type CompiledLoad = OpenLoad | ClosedLoad;

/** Build the arrival process of a validated `load` section; `rng` is the arrivals stream. */
export function compileLoad(load: LoadSpec, rng: Rng): CompiledLoad {
  const durationS = loadDurationS(load);
  const warmupS = load.warmup;
  if (load.arrival === 'closed') {
    const users = new ClosedUsers({ users: load.users, thinkTime: compileDistribution(load.think_time), rampUpS: load.ramp_up, durationS }, rng);
    return { model: 'closed', users, durationS, warmupS };
  }
  const profile = rateProfileOf(load);
  const spacing: Spacing = load.arrival === 'constant' ? 'even' : load.arrival === 'poisson' ? 'poisson' : load.spacing;
  const open = new OpenArrivals(profile, rng, spacing);
  if (load.arrival === 'bursts' && load.burst_requests !== undefined) {
    const arrivals = new BatchBursts(open, load.burst_requests, load.every, load.burst_duration, load.burst_offset);
    return { model: 'open', arrivals, profile, expectedArrivals: arrivals.expectedArrivals, durationS, warmupS };
  }
  return { model: 'open', arrivals: open, profile, expectedArrivals: open.expectedArrivals, durationS, warmupS };
}

/** λ(t) of an open load. */
export function rateProfileOf(load: Exclude<LoadSpec, { arrival: 'closed' }>): RateProfile {
  switch (load.arrival) {
    case 'constant':
    case 'poisson':
      return new ConstantRate(load.rate, load.duration);
    case 'stages':
      return new StagesRate(
        load.start_rate,
        load.stages.map((s) => ({ durationS: s.duration, target: s.target })),
      );
    case 'bursts':
      return load.burst_multiplier !== undefined
        ? new PulseRate(load.rate, load.burst_multiplier, load.every, load.burst_duration, load.burst_offset, load.duration)
        : new ConstantRate(load.rate, load.duration);
    case 'diurnal':
      return new DiurnalRate(load.min_rate, load.max_rate, load.period, load.peak_at ?? load.period / 2, load.duration);
  }
}
