/**
 * The end-of-run summary: what k6 prints at the end of a test, for a
 * simulated Python service -- latency percentiles, throughput, requests by
 * outcome, memory per worker and its slope after warm-up, fragmentation, GC
 * pauses, restarts by reason, and what recycling cost in capacity. Figures are
 * in base units (seconds, bytes); the table renders them for people.
 */
import type { RunRecorder } from '../engine/run-recorder.js';
import type { LatencySummary } from '../metrics/latency.js';

export interface Summary {
  scenario: string;
  seed: number;
  simulated_seconds: number;
  warmup_seconds: number;
  workers: number;
  requests: {
    enqueued: number;
    completed: number;
    failed: number;
    refused: number;
    retried: number;
    /** Executions whose result was refused: the job ran again elsewhere (BullMQ is at-least-once; real time only). */
    duplicated: number;
    unfinished: number;
    /** enqueued - completed - failed - unfinished: must be 0. */
    lost: number;
  };
  throughput_per_second: number;
  latency_seconds: { wait: LatencySummary; service: LatencySummary; total: LatencySummary; near_restart: LatencySummary };
  memory: {
    total_rss_bytes_start: number;
    total_rss_bytes_end: number;
    /** Least-squares slope of the service's total RSS after warm-up. */
    slope_bytes_per_hour: number;
    peak_rss_bytes_max: number;
    fragmentation: number;
    /** Per worker; shared: pages still shared with a preloading master (copy-on-write), 0 without preload. */
    workers: { slot: number; start_rss_bytes: number; end_rss_bytes: number; peak_rss_bytes: number; start_shared_bytes: number; end_shared_bytes: number }[];
  };
  gc: { collections: number[]; collected: number[]; pause_seconds_sum: number; pause_seconds_max: number };
  objects: { allocations_total: number; deallocations_total: number; modelled_object_seconds: number };
  restarts: { total: number; by_reason: Record<string, number>; deferred_by_spacing_guard: number; container_restarts: number };
  capacity: {
    /** Worker-seconds spent booting or waiting to be replaced. */
    lost_worker_seconds: number;
    /** Longest stretch with fewer than `workers` ready, after all were first ready. */
    longest_below_full_seconds: number;
    workers_ready_min: number;
    workers_booting_max: number;
  };
}

export function buildSummary(recorder: RunRecorder): Summary {
  const plan = recorder.plan;
  const final = recorder.final;
  if (final === null) throw new Error('the run has not finished');
  const simulated = recorder.endTime;
  const measuredS = Math.max(1e-9, Math.min(simulated, plan.durationS) - plan.warmupS);
  const byReason: Record<string, number> = {};
  let restarts = 0;
  for (const [reason, n] of recorder.restarts) {
    byReason[reason] = n;
    restarts += n;
  }
  const workers = recorder.workerMemory.map((m, slot) => ({
    slot,
    start_rss_bytes: m.startRssBytes,
    end_rss_bytes: m.endRssBytes,
    peak_rss_bytes: m.peakRssBytes,
    start_shared_bytes: m.startSharedBytes,
    end_shared_bytes: m.endSharedBytes,
  }));
  const rss = recorder.slopeRss;
  return {
    scenario: plan.name,
    seed: plan.seed,
    simulated_seconds: round(simulated, 6),
    warmup_seconds: plan.warmupS,
    workers: plan.workers,
    requests: {
      enqueued: recorder.jobsEnqueued,
      completed: recorder.jobsCompleted,
      failed: recorder.jobsFailed,
      refused: recorder.jobsRefused,
      retried: recorder.jobsRetried,
      duplicated: recorder.jobsDuplicated,
      unfinished: recorder.jobsUnfinished,
      lost: recorder.jobsEnqueued - recorder.jobsCompleted - recorder.jobsFailed - recorder.jobsUnfinished,
    },
    throughput_per_second: round(recorder.total.count / measuredS, 3),
    latency_seconds: {
      wait: roundLatency(recorder.wait.summary()),
      service: roundLatency(recorder.service.summary()),
      total: roundLatency(recorder.total.summary()),
      near_restart: roundLatency(recorder.nearRestart.summary()),
    },
    memory: {
      total_rss_bytes_start: rss.length > 0 ? rss[0] : 0,
      total_rss_bytes_end: rss.length > 0 ? rss[rss.length - 1] : 0,
      slope_bytes_per_hour: Math.round(slopePerSecond(recorder.slopeTimes, rss) * 3600),
      peak_rss_bytes_max: workers.reduce((max, w) => Math.max(max, w.peak_rss_bytes), 0),
      fragmentation: round(final.fragmentation, 4),
      workers,
    },
    gc: {
      collections: final.gc.collections,
      collected: final.gc.collected,
      pause_seconds_sum: round(final.gc.pauseSum, 9),
      pause_seconds_max: round(final.gc.pauseMax, 9),
    },
    objects: {
      allocations_total: final.gc.allocations,
      deallocations_total: final.gc.deallocations,
      modelled_object_seconds: round(recorder.objectSeconds, 6),
    },
    restarts: {
      total: restarts,
      by_reason: byReason,
      deferred_by_spacing_guard: recorder.deferredRecycles,
      container_restarts: recorder.containerRestarts,
    },
    capacity: {
      lost_worker_seconds: round(recorder.capacityLostSeconds, 6),
      longest_below_full_seconds: round(recorder.longestBelowFullS, 6),
      workers_ready_min: Number.isFinite(recorder.workersReadyMin) ? recorder.workersReadyMin : plan.workers,
      workers_booting_max: recorder.workersBootingMax,
    },
  };
}

/** Ordinary least squares slope of y over x (0 with fewer than two points). */
export function slopePerSecond(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function roundLatency(s: LatencySummary): LatencySummary {
  return {
    count: s.count,
    mean: round(s.mean, 6),
    min: round(s.min, 6),
    p50: round(s.p50, 6),
    p90: round(s.p90, 6),
    p99: round(s.p99, 6),
    p999: round(s.p999, 6),
    max: round(s.max, 6),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
