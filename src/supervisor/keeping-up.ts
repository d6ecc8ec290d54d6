/**
 * Whether a real-time run kept up with modelled time, and the time scale at
 * which this machine would: the verdict `run` and `serve` print at the end.
 *
 * A run whose simulator falls behind still finishes, and its figures are
 * still measured, but its queue wait, latency and refusals then include the
 * simulator's own delay: the lag is reported, and this says so where the
 * figures are read. The verdict is on the mean lag per request (one late boot
 * or one pause of the machine is not a run that fell behind).
 *
 * The suggested time scale comes from the requests themselves. A request
 * handed to its thread at wall time t is due at t + S/s (S its modelled
 * service time, s the time scale); its result came back after w seconds of
 * wall time (the hand-off and the object work), so at scale s it lags
 * max(0, s·w − S) modelled seconds. Over a sample of the run's requests that
 * gives the mean lag at any other scale; the suggestion is the largest scale
 * at which it stays within LAG_SHARE of a median service time, capped by the
 * CPU the offered load would need (the CPU the run measured per request, the
 * offered requests arriving s times faster than in modelled time, on the
 * machine's cores, with HEADROOM). A run that was overloaded measured its
 * requests slowed by the overload, so its suggestion errs low.
 */
import { Rng } from '../sim/rng.js';

/** Requests kept for the estimate (a uniform sample of all of them: reservoir sampling). */
const SAMPLE_SIZE = 8192;
/** A mean lag per request within this share of a median request's service time is within the noise of latency. */
const LAG_SHARE = 0.1;
/** Below this, a lag is timer granularity (Node's timers fire 1 ms apart), whatever the service times. */
const LAG_FLOOR_S = 0.001;
/** A run whose mean lag is this many times the allowed lag was overloaded: its requests were slowed by it. */
const OVERLOADED = 10;
/** The share of the cores the offered load may need at the suggested scale. */
const HEADROOM = 0.6;

/** A uniform sample of the requests a run handed to its threads: wall seconds to the result, modelled service seconds. */
export class RequestPaceSample {
  readonly wallS = new Float64Array(SAMPLE_SIZE);
  readonly serviceS = new Float64Array(SAMPLE_SIZE);
  /** Requests recorded (the sample holds min(seen, SAMPLE_SIZE)). */
  seen = 0;
  private readonly rng = new Rng(1).stream('request-pace-sample');

  record(wallS: number, serviceS: number): void {
    const i = this.seen < SAMPLE_SIZE ? this.seen : this.rng.int(0, this.seen);
    this.seen++;
    if (i >= SAMPLE_SIZE) return;
    this.wallS[i] = wallS;
    this.serviceS[i] = serviceS;
  }

  get size(): number {
    return Math.min(this.seen, SAMPLE_SIZE);
  }

  /** The mean lag per request, modelled seconds, had the run gone at `timeScale`. */
  meanLagAt(timeScale: number): number {
    const n = this.size;
    if (n === 0) return 0;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.max(0, timeScale * this.wallS[i] - this.serviceS[i]);
    return sum / n;
  }
}

export interface KeepingUpInput {
  timeScale: number;
  /** The simulation lag, modelled seconds: summed over the requests (and boots) that were late, and the largest. */
  lagSumS: number;
  lagMaxS: number;
  /** Median modelled service time of the completed requests, seconds (0: none). */
  serviceP50S: number;
  /** Modelled seconds the run covered. */
  modelledS: number;
  /** Requests offered (enqueued) over that time. */
  requestsOffered: number;
  /** The requests handed to a worker thread. */
  requests: RequestPaceSample;
  /** The process's CPU seconds (every thread) over the run. */
  cpuS: number;
  cores: number;
}

export interface KeepingUp {
  /** False when the mean lag per request exceeded LAG_SHARE of a median service time. */
  keptUp: boolean;
  /** The largest time scale at which this machine should keep up; null when no request ran. */
  sustainableTimeScale: number | null;
  /** What to tell the user at the end of the run (null when it kept up). */
  note: string | null;
}

export function assessKeepingUp(input: KeepingUpInput): KeepingUp {
  const { timeScale, lagMaxS, requests } = input;
  const allowedLagS = Math.max(LAG_SHARE * input.serviceP50S, LAG_FLOOR_S);
  const meanLagS = requests.seen > 0 ? input.lagSumS / requests.seen : 0;
  const keptUp = meanLagS <= allowedLagS;
  let sustainable: number | null = null;
  if (requests.size > 0) {
    let limit = largestScaleWithin(requests, allowedLagS);
    if (input.cpuS > 0 && input.requestsOffered > 0 && input.modelledS > 0) {
      const cpuPerRequestS = input.cpuS / requests.seen;
      limit = Math.min(limit, (HEADROOM * input.cores) / (cpuPerRequestS * (input.requestsOffered / input.modelledS)));
    }
    sustainable = twoDigitsDown(limit);
  }
  if (keptUp) return { keptUp, sustainableTimeScale: sustainable, note: null };
  let note =
    `WARNING: at --time-scale ${timeScale} the simulator fell behind modelled time by ${seconds(meanLagS)} per request on average ` +
    `(at most ${seconds(lagMaxS)}, modelled), against a median service time of ${seconds(input.serviceP50S)}: queue wait, latency ` +
    `and refusals include the simulator's own delay.`;
  if (sustainable !== null) {
    const caveat = meanLagS > OVERLOADED * allowedLagS ? ' (an estimate from an overloaded run errs low: a run at a lower scale gives a better one)' : '';
    note += ` On this machine this scenario should keep up at about --time-scale ${sustainable} or below${caveat}.`;
  }
  return { keptUp, sustainableTimeScale: sustainable, note };
}

/** The largest scale whose mean lag stays within `allowedLagS` (the lag grows with the scale: a bisection, in log space). */
function largestScaleWithin(requests: RequestPaceSample, allowedLagS: number): number {
  let lo = 1e-4;
  let hi = 1e6;
  if (requests.meanLagAt(hi) <= allowedLagS) return hi;
  if (requests.meanLagAt(lo) > allowedLagS) return lo;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (requests.meanLagAt(mid) <= allowedLagS) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Two significant digits, rounded down (a suggestion should not overshoot). */
function twoDigitsDown(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 0;
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.floor(x / unit) * unit).toPrecision(2));
}

function seconds(s: number): string {
  if (s >= 1) return `${s.toFixed(1)} s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}
