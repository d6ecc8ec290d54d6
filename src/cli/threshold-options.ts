/**
 * Thresholds on the command line (simulate, run, serve): from the
 * scenario file and from --threshold flags, and integer flags.
 */
import { InvalidArgumentError } from 'commander';
import { PyheapError } from '../errors.js';
import { parseThreshold, parseThresholdFlag, type Threshold } from '../report/thresholds.js';

export const THRESHOLD_HELP = `Threshold metrics: latency, wait, service, latency_near_restart (ms; avg, min, med,
max, count, p(N)), throughput, rss_slope_mb_per_hour, peak_rss_mb, total_rss_mb,
fragmentation (value), gc_pause_ms (max, sum), restarts, jobs_failed (count, rate),
jobs_retried, jobs_duplicated, jobs_lost (count), capacity_lost_seconds,
workers_ready_min (value).`;

export function scenarioThresholds(path: string, spec: Record<string, string[]>): Threshold[] {
  const out: Threshold[] = [];
  for (const [metric, expressions] of Object.entries(spec)) {
    for (const [i, expression] of expressions.entries()) {
      try {
        out.push(parseThreshold(metric, expression));
      } catch (e) {
        throw new PyheapError('PYHEAP_E_SCENARIO', `${path}: outputs.thresholds.${metric}[${i}]: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

export function collectThreshold(value: string, previous: Threshold[]): Threshold[] {
  try {
    return [...previous, parseThresholdFlag(value)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}
