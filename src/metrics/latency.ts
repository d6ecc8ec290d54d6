/**
 * Latency distributions: HDR histograms (3 significant digits) of seconds,
 * recorded in microseconds, with the percentiles the summary and the
 * thresholds read.
 */
import * as hdr from 'hdr-histogram-js';

const MICROS = 1e6;
/** One day, in microseconds: the longest latency kept exactly (longer ones saturate). */
const HIGHEST_MICROS = 86_400 * MICROS;

export interface LatencySummary {
  count: number;
  /** Seconds. */
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_MICROS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /** Records a latency in seconds. */
  record(seconds: number): void {
    const micros = Math.min(HIGHEST_MICROS, Math.max(0, Math.round(seconds * MICROS)));
    this.histogram.recordValue(micros);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at percentile p (0-100), seconds; 0 when empty. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(p) / MICROS;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: h.totalCount,
      mean: h.mean / MICROS,
      min: h.minNonZeroValue / MICROS,
      p50: h.getValueAtPercentile(50) / MICROS,
      p90: h.getValueAtPercentile(90) / MICROS,
      p99: h.getValueAtPercentile(99) / MICROS,
      p999: h.getValueAtPercentile(99.9) / MICROS,
      max: h.maxValue / MICROS,
    };
  }
}
