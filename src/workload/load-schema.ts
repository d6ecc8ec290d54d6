/**
 * The scenario's `load` section: which arrival process, how fast, how long
 * (compiled into arrival processes by src/loadgen/arrivals.ts).
 * Strict (unknown keys are errors, each naming its path); rates are requests
 * per second; durations are seconds or strings such as "30s", "5m", "2h".
 *
 *   load: { arrival: poisson, rate: 40, duration: 2h, warmup: 5m }
 *   load: { arrival: constant, rate: 40, duration: 10m }
 *   load: { arrival: stages, start_rate: 0, stages: [{ duration: 5m, target: 100 }, { duration: 1h, target: 100 }] }
 *   load: { arrival: bursts, rate: 20, every: 10m, burst_requests: 500, duration: 6h }
 *   load: { arrival: bursts, rate: 20, every: 1h, burst_multiplier: 4, burst_duration: 2m, duration: 1d }
 *   load: { arrival: diurnal, min_rate: 5, max_rate: 80, duration: 3d }
 *   load: { arrival: closed, users: 50, think_time: { kind: exponential, mean: 2s }, duration: 1h }
 */
import { z } from 'zod';
import { compileDistribution, durationDistributionSchema } from './distributions.js';
import { durationSchema } from './units.js';

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

const ratePerS = (text: string) => z.number().min(0).describe(`${text} (requests/s, >= 0)`);
const positiveRatePerS = (text: string) => z.number().positive().describe(`${text} (requests/s, > 0)`);
const spacing = z
  .enum(['poisson', 'even'])
  .default('poisson')
  .describe('poisson: a non-homogeneous Poisson process with this rate (default); even: evenly spaced by the integrated rate, as k6 schedules');

const duration = durationSchema
  .refine((s) => s > 0, { message: 'duration must be > 0' })
  .describe('how long arrivals keep coming (seconds, or e.g. "30m", "2h", "3d")');
const warmup = durationSchema
  .default(0)
  .describe('the first part of the run whose measurements are left out of summaries and thresholds (default 0)');

/** warmup < the load's length, reported at `warmup`. */
function warmupCheck(lengthOf: (load: { duration?: number; stages?: readonly { duration: number }[] }) => number) {
  return (load: { warmup: number; duration?: number; stages?: readonly { duration: number }[] }, ctx: z.RefinementCtx) => {
    const length = lengthOf(load);
    if (load.warmup >= length) ctx.addIssue({ code: 'custom', message: `warmup (${load.warmup} s) must be shorter than the load (${length} s)`, path: ['warmup'] });
  };
}
const byDuration = warmupCheck((l) => l.duration ?? 0);

export const constantLoadSchema = z
  .strictObject({
    arrival: z.literal('constant'),
    rate: positiveRatePerS('arrival rate'),
    duration,
    warmup,
  })
  .superRefine(byDuration)
  .describe('Evenly spaced arrivals: the n-th at n/rate seconds.');

export const poissonLoadSchema = z
  .strictObject({
    arrival: z.literal('poisson'),
    rate: positiveRatePerS('mean arrival rate'),
    duration,
    warmup,
  })
  .superRefine(byDuration)
  .describe('A Poisson process: independent exponential gaps with mean 1/rate.');

export const stagesLoadSchema = z
  .strictObject({
    arrival: z.literal('stages'),
    start_rate: ratePerS('the rate at the start of the first stage').default(0),
    stages: z
      .array(
        z
          .strictObject({
            duration: durationSchema.describe('how long the ramp to target takes (0: jump to it)'),
            target: ratePerS('the rate reached at the end of the stage'),
          })
          .describe('one stage: the rate moves linearly to target over duration'),
      )
      .min(1)
      .describe('the stages, in order; the load lasts their total duration'),
    spacing,
    warmup,
  })
  .superRefine((load, ctx) => {
    const total = load.stages.reduce((s, st) => s + st.duration, 0);
    if (load.stages.length === 0) return;
    if (!(total > 0)) ctx.addIssue({ code: 'custom', message: 'the stages must last longer than 0 s in total', path: ['stages'] });
    else warmupCheck(() => total)(load, ctx);
  })
  .describe("k6's ramping-arrival-rate: stages of {duration, target}, the rate ramping linearly between targets.");

export const burstsLoadSchema = z
  .strictObject({
    arrival: z.literal('bursts'),
    rate: ratePerS('the base arrival rate between (and during) bursts'),
    every: durationSchema.describe('the period of the bursts'),
    burst_requests: z.number().int().min(1).optional().describe('extra requests per burst (with burst_duration 0, all at the same instant)'),
    burst_multiplier: z.number().min(0).optional().describe('instead of burst_requests: the base rate is multiplied by this during each burst'),
    burst_duration: durationSchema
      .default(0)
      .describe('how long a burst lasts: burst_requests are spread evenly over it (0: all at once); burst_multiplier holds for it (then > 0)'),
    burst_offset: durationSchema.default(0).describe('when the first burst starts (seconds from the start; default 0)'),
    spacing,
    duration,
    warmup,
  })
  .superRefine((load, ctx) => {
    byDuration(load, ctx);
    if (!(load.every > 0)) ctx.addIssue({ code: 'custom', message: 'every must be > 0', path: ['every'] });
    const batch = load.burst_requests !== undefined;
    const multiplied = load.burst_multiplier !== undefined;
    if (batch === multiplied) {
      ctx.addIssue({ code: 'custom', message: 'give either burst_requests (extra requests per burst) or burst_multiplier (a rate multiplier)' });
      return;
    }
    if (load.burst_duration > load.every) {
      ctx.addIssue({ code: 'custom', message: 'burst_duration must not exceed every', path: ['burst_duration'] });
    }
    if (multiplied) {
      if (!(load.burst_duration > 0)) ctx.addIssue({ code: 'custom', message: 'burst_multiplier needs burst_duration > 0', path: ['burst_duration'] });
      if (!(load.rate > 0)) ctx.addIssue({ code: 'custom', message: 'burst_multiplier needs a base rate > 0', path: ['rate'] });
    }
  })
  .describe('A base rate plus bursts every period: N extra requests, or the rate multiplied for a while.');

export const diurnalLoadSchema = z
  .strictObject({
    arrival: z.literal('diurnal'),
    min_rate: ratePerS('the lowest rate, at the trough'),
    max_rate: positiveRatePerS('the highest rate, at the peak'),
    period: durationSchema.default(DAY_S).describe('the length of one cycle (default 24h)'),
    peak_at: durationSchema.optional().describe('when the first peak comes, from the start (default: half a period, so the load starts at the trough)'),
    spacing,
    duration,
    warmup,
  })
  .superRefine((load, ctx) => {
    byDuration(load, ctx);
    if (load.min_rate > load.max_rate) ctx.addIssue({ code: 'custom', message: 'min_rate must not exceed max_rate', path: ['min_rate'] });
    if (!(load.period > 0)) ctx.addIssue({ code: 'custom', message: 'period must be > 0', path: ['period'] });
  })
  .describe('A sinusoidal rate between min_rate and max_rate with the given period.');

export const closedLoadSchema = z
  .strictObject({
    arrival: z.literal('closed'),
    users: z.number().int().min(1).describe('virtual users; each has at most one request outstanding'),
    think_time: durationDistributionSchema.describe('pause between a response and the same user\'s next request (seconds, a distribution; >= 0)'),
    ramp_up: durationSchema.default(0).describe('users start evenly over this time (default 0: all at once)'),
    duration,
    warmup,
  })
  .superRefine((load, ctx) => {
    byDuration(load, ctx);
    if (compileDistribution(load.think_time).lowest < 0) {
      ctx.addIssue({ code: 'custom', message: 'think_time can be negative: give the distribution a min of 0', path: ['think_time'] });
    }
    if (load.ramp_up > load.duration) ctx.addIssue({ code: 'custom', message: 'ramp_up must not exceed duration', path: ['ramp_up'] });
  })
  .describe('A closed model: a fixed number of users, each sending a request, waiting for its response, thinking, and again.');

export const loadSchema = z
  .discriminatedUnion('arrival', [constantLoadSchema, poissonLoadSchema, stagesLoadSchema, burstsLoadSchema, diurnalLoadSchema, closedLoadSchema])
  .describe('The load: arrival process (constant | poisson | stages | bursts | diurnal | closed), its rates and its duration.');

export type LoadSpec = z.output<typeof loadSchema>;
export type LoadInput = z.input<typeof loadSchema>;

/** How long the load lasts, in seconds. */
export function loadDurationS(load: LoadSpec): number {
  return load.arrival === 'stages' ? load.stages.reduce((s, st) => s + st.duration, 0) : load.duration;
}
