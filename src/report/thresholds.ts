/**
 * Pass/fail thresholds in k6's syntax: `metric: [expression, ...]`, each
 * expression `aggregation operator number` -- `p(99)<250`, `avg<200`,
 * `count==0`, `value<5`. A run whose thresholds fail exits with k6's code 99.
 * Latencies are in milliseconds, as in k6; memory in MB (10^6 bytes).
 */
import type { Summary } from './summary.js';

export const THRESHOLD_FAILED_EXIT_CODE = 99;

type Aggregations = Record<string, (s: Summary, arg: number) => number>;

const latency = (pick: (s: Summary) => Summary['latency_seconds']['total']): Aggregations => ({
  avg: (s) => pick(s).mean * 1000,
  min: (s) => pick(s).min * 1000,
  med: (s) => pick(s).p50 * 1000,
  max: (s) => pick(s).max * 1000,
  count: (s) => pick(s).count,
  p: (s, q) => percentileOf(pick(s), q) * 1000,
});

/** Every metric a threshold may name, with its aggregations. */
export const THRESHOLD_METRICS: Readonly<Record<string, { description: string; aggregations: Aggregations }>> = {
  latency: { description: 'total request latency (queue wait + service), ms', aggregations: latency((s) => s.latency_seconds.total) },
  wait: { description: 'time queued before a worker took the request, ms', aggregations: latency((s) => s.latency_seconds.wait) },
  service: { description: 'service time on the worker, ms', aggregations: latency((s) => s.latency_seconds.service) },
  latency_near_restart: {
    description: 'latency of requests arriving shortly after a worker exit, ms',
    aggregations: latency((s) => s.latency_seconds.near_restart),
  },
  throughput: { description: 'completed requests per second after warm-up', aggregations: { value: (s) => s.throughput_per_second } },
  rss_slope_mb_per_hour: { description: 'slope of the total RSS after warm-up, MB/h', aggregations: { value: (s) => s.memory.slope_bytes_per_hour / 1e6 } },
  peak_rss_mb: { description: 'the largest peak RSS of any worker, MB', aggregations: { value: (s) => s.memory.peak_rss_bytes_max / 1e6, max: (s) => s.memory.peak_rss_bytes_max / 1e6 } },
  total_rss_mb: { description: 'total RSS at the end, MB', aggregations: { value: (s) => s.memory.total_rss_bytes_end / 1e6 } },
  fragmentation: { description: 'mean fragmentation of the workers at the end (0-1)', aggregations: { value: (s) => s.memory.fragmentation } },
  gc_pause_ms: { description: 'GC pauses, ms', aggregations: { max: (s) => s.gc.pause_seconds_max * 1000, sum: (s) => s.gc.pause_seconds_sum * 1000 } },
  restarts: { description: 'worker exits of any reason', aggregations: { count: (s) => s.restarts.total } },
  jobs_failed: {
    description: 'requests that failed (killed with their worker, refused)',
    aggregations: { count: (s) => s.requests.failed, rate: (s) => (s.requests.enqueued === 0 ? 0 : s.requests.failed / s.requests.enqueued) },
  },
  jobs_retried: { description: 'requests retried after their worker was killed', aggregations: { count: (s) => s.requests.retried } },
  jobs_duplicated: { description: 'executions whose result was refused because the job ran again elsewhere (real time)', aggregations: { count: (s) => s.requests.duplicated } },
  jobs_lost: { description: 'requests that neither completed nor failed (must be 0)', aggregations: { count: (s) => s.requests.lost } },
  capacity_lost_seconds: { description: 'worker-seconds spent booting or waiting for a replacement', aggregations: { value: (s) => s.capacity.lost_worker_seconds } },
  workers_ready_min: { description: 'fewest workers ready at once after the first full boot', aggregations: { value: (s) => s.capacity.workers_ready_min } },
};

type Operator = '<=' | '>=' | '==' | '!=' | '<' | '>';

export interface Threshold {
  metric: string;
  /** The expression as written, for reports. */
  expression: string;
  aggregation: string;
  /** p(N)'s N. */
  argument: number;
  operator: Operator;
  bound: number;
}

export interface ThresholdResult extends Threshold {
  value: number;
  ok: boolean;
  /** A latency metric that measured no request (e.g. a run shorter than its warm-up): reported, not evaluated. */
  noData?: boolean;
}

/** The summary's histogram behind each latency metric, for telling "no data" from a measured value. */
const LATENCY_KIND: Readonly<Record<string, keyof Summary['latency_seconds']>> = {
  latency: 'total',
  wait: 'wait',
  service: 'service',
  latency_near_restart: 'near_restart',
};

/** Parses `p(99)<250` for `metric`; throws a RangeError saying what was expected. */
export function parseThreshold(metric: string, expression: string): Threshold {
  const known = THRESHOLD_METRICS[metric];
  if (!known) throw new RangeError(`unknown threshold metric "${metric}": expected one of ${Object.keys(THRESHOLD_METRICS).join(', ')}`);
  const m = /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|[a-z]+)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i.exec(expression);
  if (!m) throw new RangeError(`threshold "${expression}" for ${metric}: expected "aggregation operator number", e.g. "p(99)<250" or "count==0"`);
  const aggregation = m[2] !== undefined ? 'p' : m[1];
  const argument = m[2] !== undefined ? Number(m[2]) : 0;
  if (!(aggregation in known.aggregations)) {
    const names = Object.keys(known.aggregations).map((a) => (a === 'p' ? 'p(N)' : a));
    throw new RangeError(`threshold "${expression}": ${metric} has no aggregation "${m[1]}"; expected one of ${names.join(', ')}`);
  }
  if (aggregation === 'p' && !(argument > 0 && argument <= 100)) throw new RangeError(`threshold "${expression}": p(N) needs 0 < N <= 100`);
  return { metric, expression: expression.trim(), aggregation, argument, operator: m[3] as Operator, bound: Number(m[4]) };
}

/** `metric: expression` as the --threshold flag takes it. */
export function parseThresholdFlag(flag: string): Threshold {
  const colon = flag.indexOf(':');
  if (colon < 0) throw new RangeError(`--threshold "${flag}": expected "metric: expression", e.g. "latency: p(99)<250"`);
  return parseThreshold(flag.slice(0, colon).trim(), flag.slice(colon + 1));
}

/** Exact percentiles of a latency metric (seconds), when the run's histograms are at hand. */
export type PercentileSource = Partial<Record<string, { percentile(p: number): number }>>;

/**
 * Evaluates thresholds against a summary. p(N) of a latency metric reads the
 * run's histogram when given (exact for any N), else interpolates between the
 * summary's percentiles.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], summary: Summary, histograms: PercentileSource = {}): ThresholdResult[] {
  return thresholds.map((t) => {
    const kind = LATENCY_KIND[t.metric];
    if (kind !== undefined && t.aggregation !== 'count' && summary.latency_seconds[kind].count === 0) return { ...t, value: Number.NaN, ok: true, noData: true };
    const histogram = histograms[t.metric];
    const value =
      t.aggregation === 'p' && histogram !== undefined
        ? histogram.percentile(t.argument) * 1000
        : THRESHOLD_METRICS[t.metric].aggregations[t.aggregation](summary, t.argument);
    return { ...t, value, ok: compare(value, t.operator, t.bound) };
  });
}

/** The results as summary.json records them. */
export function thresholdRecords(results: readonly ThresholdResult[]): object[] {
  return results.map(({ metric, expression, value, ok, noData }) => (noData ? { metric, expression, value: null, ok, no_data: true } : { metric, expression, value, ok }));
}

function compare(value: number, operator: Operator, bound: number): boolean {
  switch (operator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    case '!=':
      return value !== bound;
  }
}

function percentileOf(l: Summary['latency_seconds']['total'], q: number): number {
  // The summary keeps the usual percentiles; others are interpolated between them.
  const points: [number, number][] = [
    [0, l.min],
    [50, l.p50],
    [90, l.p90],
    [99, l.p99],
    [99.9, l.p999],
    [100, l.max],
  ];
  for (let i = 1; i < points.length; i++) {
    const [q1, v1] = points[i];
    const [q0, v0] = points[i - 1];
    if (q <= q1) return q1 === q0 ? v1 : v0 + ((v1 - v0) * (q - q0)) / (q1 - q0);
  }
  return l.max;
}
