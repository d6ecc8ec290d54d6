/**
 * Everything a run measures, as the engine reports what happens: request
 * counts and latency histograms, restarts by reason, capacity lost to
 * recycling, memory per worker over time, GC totals. The summary
 * (src/report/summary.ts) is computed from this at the end.
 */
import { EXIT_REASONS, type ExitReason } from '../policy/policy.js';
import type { ProcessStats, RequestResult } from '../process/py-process.js';
import { LatencyHistogram } from '../metrics/latency.js';
import type { SimulationPlan } from '../scenario/plan.js';

/** WorkerState values (event-loop.ts), repeated here to keep this module free of the loop. */
const BOOTING = 1;
const IDLE = 2;
const BUSY = 3;
const STATE_NAMES = ['dead', 'booting', 'idle', 'busy'];

/**
 * Where a recorder reads each worker's figures: the PyProcess objects in
 * virtual time, the workers' shared memory in real time.
 */
export interface WorkerStatsSource {
  stats(slot: number): ProcessStats;
  /** rss and shared bytes now, cheaply (no pool walk). */
  rssBytes(slot: number): number;
  sharedBytes(slot: number): number;
}

export interface GcTotals {
  collections: number[];
  collected: number[];
  pauseSum: number;
  pauseMax: number;
  allocations: number;
  deallocations: number;
}

export interface WorkerMemory {
  /** RSS when the first incarnation became ready, and at the end. */
  startRssBytes: number;
  endRssBytes: number;
  peakRssBytes: number;
  /** Of which shared with the master (copy-on-write after a preloaded fork). */
  startSharedBytes: number;
  endSharedBytes: number;
}

export class RunRecorder {
  readonly plan: SimulationPlan;
  private readonly source: WorkerStatsSource;

  jobsEnqueued = 0;
  jobsCompleted = 0;
  jobsFailed = 0;
  jobsRefused = 0;
  jobsRetried = 0;
  /** Executions whose result BullMQ refused because the job had been taken back (real time only). */
  jobsDuplicated = 0;
  /** Requests still queued or running when the drain time ran out. */
  jobsUnfinished = 0;
  deferredRecycles = 0;
  containerRestarts = 0;
  readonly restarts = new Map<ExitReason, number>(EXIT_REASONS.map((r) => [r, 0]));

  readonly wait = new LatencyHistogram();
  readonly service = new LatencyHistogram();
  readonly total = new LatencyHistogram();
  /** Total latency of requests that arrived within restartWindowS after a worker exited. */
  readonly nearRestart = new LatencyHistogram();
  private lastExitAt = -Infinity;

  /** Time-weighted capacity: worker-seconds booting (and dead, waiting for a replacement). */
  capacityLostSeconds = 0;
  private readonly bootStartedAt: Float64Array;
  private readonly diedAt: Float64Array;
  private ready = 0;
  private everAllReady = false;
  private belowFullSince = -1;
  longestBelowFullS = 0;
  workersReadyMin = Infinity;
  private booting = 0;
  workersBootingMax = 0;

  /** Service-level samples after warm-up: time and total RSS, for the memory slope. */
  readonly slopeTimes: number[] = [];
  readonly slopeRss: number[] = [];
  readonly workerMemory: WorkerMemory[];
  private readonly everReady: Uint8Array;
  private lastSampleAt = 0;
  private completedAtLastSample = 0;

  /** GC and allocation totals of processes that exited (the live ones are added at the end). */
  private readonly exitedGc: GcTotals = { collections: [0, 0, 0], collected: [0, 0, 0], pauseSum: 0, pauseMax: 0, allocations: 0, deallocations: 0 };
  objectSeconds = 0;
  requestsStarted = 0;
  /** RSS of the master (arbiter) process: an interpreter, with the app imported if preloaded (set at the first fork). */
  masterRssBytes: number;
  endTime = 0;
  final: { gc: GcTotals; fragmentation: number } | null = null;

  constructor(plan: SimulationPlan, source: WorkerStatsSource, masterRssBytes: number) {
    this.plan = plan;
    this.source = source;
    const n = plan.workers;
    this.bootStartedAt = new Float64Array(n).fill(-1);
    this.diedAt = new Float64Array(n).fill(-1);
    this.workerMemory = Array.from({ length: n }, () => ({ startRssBytes: 0, endRssBytes: 0, peakRssBytes: 0, startSharedBytes: 0, endSharedBytes: 0 }));
    this.everReady = new Uint8Array(n);
    this.masterRssBytes = masterRssBytes;
  }

  // ------------------------------------------------------------------ requests

  onArrival(): void {
    this.jobsEnqueued++;
  }

  onStart(waitS: number, arrival: number, result: RequestResult): void {
    this.requestsStarted++;
    this.objectSeconds += result.objectS;
    if (arrival >= this.plan.warmupS) this.wait.record(waitS);
  }

  onComplete(arrival: number, totalS: number, serviceS: number): void {
    this.jobsCompleted++;
    if (arrival < this.plan.warmupS) return;
    this.total.record(totalS);
    this.service.record(serviceS);
    if (arrival - this.lastExitAt <= this.plan.restartWindowS) this.nearRestart.record(totalS);
  }

  onFailed(): void {
    this.jobsFailed++;
  }

  onRefused(): void {
    this.jobsFailed++;
    this.jobsRefused++;
  }

  onRetried(): void {
    this.jobsRetried++;
  }

  onUnfinished(): void {
    this.jobsUnfinished++;
  }

  crashes = 0;

  onCrash(): void {
    this.crashes++;
  }

  onDeferredRecycle(): void {
    this.deferredRecycles++;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * A worker starts booting. Capacity figures count from the moment every
   * worker was first ready: the initial boot is the service starting, not a
   * cost of recycling.
   */
  onSpawn(slot: number, now: number): void {
    if (this.diedAt[slot] >= 0) this.capacityLostSeconds += now - this.diedAt[slot];
    this.diedAt[slot] = -1;
    this.bootStartedAt[slot] = this.everAllReady ? now : -1;
    this.booting++;
    if (this.everAllReady && this.booting > this.workersBootingMax) this.workersBootingMax = this.booting;
  }

  /** A spawn-before-kill replacement boots beside the worker it will replace. */
  onShadowBoot(): void {
    this.booting++;
    if (this.everAllReady && this.booting > this.workersBootingMax) this.workersBootingMax = this.booting;
  }

  onShadowReady(): void {
    this.booting = Math.max(0, this.booting - 1);
  }

  onReady(slot: number, now: number): void {
    if (this.bootStartedAt[slot] >= 0) {
      this.capacityLostSeconds += now - this.bootStartedAt[slot];
      this.bootStartedAt[slot] = -1;
    }
    this.booting = Math.max(0, this.booting - 1);
    this.setReady(this.ready + 1, now);
    if (this.everReady[slot] === 0) {
      this.everReady[slot] = 1;
      this.workerMemory[slot].startRssBytes = this.source.rssBytes(slot);
      this.workerMemory[slot].startSharedBytes = this.source.sharedBytes(slot);
    }
  }

  onExit(slot: number, now: number, reason: ExitReason, stats: ProcessStats, wasReady: boolean): void {
    this.restarts.set(reason, (this.restarts.get(reason) ?? 0) + 1);
    this.lastExitAt = now;
    const g = this.exitedGc;
    for (let i = 0; i < 3; i++) {
      g.collections[i] += stats.gcCollections[i];
      g.collected[i] += stats.gcCollected[i];
    }
    g.pauseSum += stats.gcPauseSecondsSum;
    g.pauseMax = Math.max(g.pauseMax, stats.gcPauseSecondsMax);
    g.allocations += stats.allocationsTotal;
    g.deallocations += stats.deallocationsTotal;
    const memory = this.workerMemory[slot];
    memory.peakRssBytes = Math.max(memory.peakRssBytes, stats.peakRssBytes);
    if (!wasReady) {
      // killed while booting
      if (this.bootStartedAt[slot] >= 0) this.capacityLostSeconds += now - this.bootStartedAt[slot];
      this.bootStartedAt[slot] = -1;
      this.booting = Math.max(0, this.booting - 1);
    } else {
      this.setReady(this.ready - 1, now);
    }
    this.diedAt[slot] = this.everAllReady ? now : -1;
  }

  /** capacityLostSeconds including the boots and vacancies still going on at `now` (for live metrics). */
  capacityLostSecondsSoFar(now: number): number {
    let lost = this.capacityLostSeconds;
    for (let slot = 0; slot < this.plan.workers; slot++) {
      if (this.bootStartedAt[slot] >= 0) lost += now - this.bootStartedAt[slot];
      if (this.diedAt[slot] >= 0) lost += now - this.diedAt[slot];
    }
    return lost;
  }

  onContainerRestart(): void {
    this.containerRestarts++;
  }

  private setReady(ready: number, now: number): void {
    const n = this.plan.workers;
    this.ready = ready;
    if (ready >= n) {
      this.everAllReady = true;
      if (this.belowFullSince >= 0) {
        this.longestBelowFullS = Math.max(this.longestBelowFullS, now - this.belowFullSince);
        this.belowFullSince = -1;
      }
      return;
    }
    if (!this.everAllReady) return;
    if (ready < this.workersReadyMin) this.workersReadyMin = ready;
    if (this.belowFullSince < 0) this.belowFullSince = now;
  }

  // ------------------------------------------------------------------ samples

  /** One samples.jsonl line: every worker's figures and the service's. */
  sample(now: number, states: Int8Array, queueDepth: number): object {
    const workers = [];
    let totalRss = this.masterRssBytes;
    let ready = 0;
    for (let slot = 0; slot < this.plan.workers; slot++) {
      const s = this.source.stats(slot);
      const state = states[slot];
      if (state === IDLE || state === BUSY) ready++;
      if (state !== 0) totalRss += s.privateBytes;
      workers.push({
        slot,
        state: STATE_NAMES[state],
        rss_bytes: s.rssBytes,
        shared_bytes: s.sharedBytes,
        private_bytes: s.privateBytes,
        peak_rss_bytes: s.peakRssBytes,
        arena_bytes: s.arenaBytes,
        arenas: s.arenas,
        pools_used: s.poolsUsed,
        live_bytes: s.liveBytes,
        fragmentation: round(s.fragmentation, 4),
        allocations_total: s.allocationsTotal,
        deallocations_total: s.deallocationsTotal,
        requests_served: s.requestsServed,
        gc_collections: s.gcCollections,
        gc_collected: s.gcCollected,
        gc_pause_seconds_sum: round(s.gcPauseSecondsSum, 9),
        gc_pause_seconds_max: round(s.gcPauseSecondsMax, 9),
      });
    }
    const elapsed = now - this.lastSampleAt;
    const throughput = elapsed > 0 ? (this.jobsCompleted - this.completedAtLastSample) / elapsed : 0;
    this.lastSampleAt = now;
    this.completedAtLastSample = this.jobsCompleted;
    if (now >= this.plan.warmupS) {
      this.slopeTimes.push(now);
      this.slopeRss.push(totalRss);
    }
    void BOOTING;
    return {
      t: round(now, 6),
      service: {
        rss_bytes_total: totalRss,
        queue_depth: queueDepth,
        workers_ready: ready,
        jobs_enqueued: this.jobsEnqueued,
        jobs_completed: this.jobsCompleted,
        jobs_failed: this.jobsFailed,
        jobs_retried: this.jobsRetried,
        throughput: round(throughput, 3),
      },
      workers,
    };
  }

  finish(now: number, states: Int8Array): void {
    this.endTime = now;
    if (this.belowFullSince >= 0) this.longestBelowFullS = Math.max(this.longestBelowFullS, now - this.belowFullSince);
    for (let slot = 0; slot < this.plan.workers; slot++) if (this.diedAt[slot] >= 0) this.capacityLostSeconds += now - this.diedAt[slot];
    const gc = { ...this.exitedGc, collections: [...this.exitedGc.collections], collected: [...this.exitedGc.collected] };
    let fragmentation = 0;
    let live = 0;
    for (let slot = 0; slot < this.plan.workers; slot++) {
      const s = this.source.stats(slot);
      const memory = this.workerMemory[slot];
      memory.endRssBytes = states[slot] === 0 ? 0 : s.rssBytes;
      memory.endSharedBytes = states[slot] === 0 ? 0 : s.sharedBytes;
      memory.peakRssBytes = Math.max(memory.peakRssBytes, s.peakRssBytes);
      if (states[slot] === 0) continue;
      live++;
      fragmentation += s.fragmentation;
      for (let i = 0; i < 3; i++) {
        gc.collections[i] += s.gcCollections[i];
        gc.collected[i] += s.gcCollected[i];
      }
      gc.pauseSum += s.gcPauseSecondsSum;
      gc.pauseMax = Math.max(gc.pauseMax, s.gcPauseSecondsMax);
      gc.allocations += s.allocationsTotal;
      gc.deallocations += s.deallocationsTotal;
    }
    this.final = { gc, fragmentation: live > 0 ? fragmentation / live : 0 };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
