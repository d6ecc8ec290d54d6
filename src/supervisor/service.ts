/**
 * One real-time service session, as `pyheap serve` and `pyheap run` start it:
 * Redis checked (or a temporary one started), the run directory opened, the
 * supervisor and its workers booted, the queue's depth polled, Prometheus
 * served; at the end the books of the run read back from Redis -- enqueued,
 * completed, failed, still queued -- and checked to balance.
 */
import { availableParallelism } from 'node:os';
import { PyheapError } from '../errors.js';
import { formatMallocStats } from '../heap/stats.js';
import { ServiceMetrics } from '../metrics/prometheus.js';
import { PyProcess } from '../process/py-process.js';
import { buildSummary, type Summary } from '../report/summary.js';
import { RunDirectory } from '../report/run-directory.js';
import type { SimulationPlan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/scenario.js';
import { checkRedis, JobProducer, type QueueAddress, RunCounters, type StallSettings } from '../transport/bullmq/queue.js';
import { redactRedisUrl } from '../transport/bullmq/redis-url.js';
import { type LocalRedis, redisServerInstalled, startLocalRedis } from '../transport/local-redis.js';
import { assessKeepingUp, type KeepingUp } from './keeping-up.js';
import { DEFAULT_WORKER_NICE, Supervisor } from './supervisor.js';

const STATE_NAMES = ['dead', 'booting', 'idle', 'busy'];

export interface ServiceOptions {
  scenarioPath: string;
  scenario: Scenario;
  plan: SimulationPlan;
  address: QueueAddress;
  timeScale: number;
  /** The worker threads' nice value once booted (Linux; 0: unchanged; default DEFAULT_WORKER_NICE). */
  workerNice?: number;
  runDirectory: string;
  /** Where /metrics is served; null: not served. */
  metrics: { port: number; host: string } | null;
  log(line: string): void;
}

/** The run's books as Redis holds them: every producer's and consumer's counts. */
export interface Books {
  /** Jobs ever added to the queue, by any producer. */
  enqueued: number;
  completed: number;
  failed: number;
  retried: number;
  duplicated: number;
  stalled: number;
  /** Waiting, delayed or running now. */
  unfinished: number;
  /** enqueued - completed - failed - unfinished: must be 0. */
  lost: number;
}

export class Service {
  readonly supervisor: Supervisor;
  readonly counters: RunCounters;
  readonly producer: JobProducer;
  readonly directory: RunDirectory;
  readonly metrics: ServiceMetrics | null;
  metricsPort: number | null = null;
  readonly address: QueueAddress;
  private readonly o: ServiceOptions;
  private depthTimer: NodeJS.Timeout | null = null;
  /** The process's CPU use when the supervisor's clock started. */
  private cpuAtStart = process.cpuUsage();

  private constructor(o: ServiceOptions) {
    this.o = o;
    this.address = o.address;
    this.counters = new RunCounters(o.address);
    this.producer = new JobProducer(o.address);
    this.directory = new RunDirectory(o.runDirectory, { ...o.scenario, seed: o.plan.seed });
    const stall: StallSettings = {
      lockDurationS: o.scenario.transport.lock_duration,
      stalledIntervalS: o.scenario.transport.stalled_interval,
      maxStalledCount: o.scenario.transport.max_stalled_count,
    };
    this.metrics = o.metrics === null ? null : new ServiceMetrics(() => this.figures());
    this.supervisor = new Supervisor({
      plan: o.plan,
      scenario: o.scenario,
      scenarioPath: o.scenarioPath,
      address: o.address,
      timeScale: o.timeScale,
      workerNice: o.workerNice ?? DEFAULT_WORKER_NICE,
      stall,
      prefetchMultiplier: o.scenario.transport.prefetch_multiplier,
      counters: this.counters,
      sink: { sample: (line) => this.directory.sample(line), event: (line) => this.directory.event(line) },
      // The master holds an interpreter (the app too once a preloading master imports it: the supervisor updates this).
      masterRssBytes: new PyProcess(o.plan.process).heap.rssBytes(),
      onRequestDone: (waitS, serviceS, totalS) => this.metrics?.observe(waitS, serviceS, totalS),
    });
  }

  static async start(o: ServiceOptions): Promise<Service> {
    const service = new Service(o);
    try {
      if (o.metrics !== null && service.metrics !== null) {
        try {
          service.metricsPort = await service.metrics.listen(o.metrics.port, o.metrics.host, (method, path) => service.workerEndpoint(method, path));
        } catch (e) {
          throw new PyheapError('PYHEAP_E_SERVICE', `cannot serve metrics on ${o.metrics.host}:${o.metrics.port}: ${(e as Error).message} (choose another --metrics-port, or 0 for any free port)`, { cause: e });
        }
      }
      await service.supervisor.start();
      service.cpuAtStart = process.cpuUsage();
      service.depthTimer = setInterval(() => void service.pollDepth(), 1000);
      await service.pollDepth();
    } catch (e) {
      await service.close();
      throw e;
    }
    return service;
  }

  private async pollDepth(): Promise<void> {
    try {
      const counts = await this.producer.counts();
      this.supervisor.setQueueDepth((counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0));
    } catch {
      // Redis is away for a moment: keep the last depth; BullMQ reconnects by itself.
    }
  }

  /** The run's books, read from Redis (after pushing this process's pending increments). */
  async books(): Promise<Books> {
    await this.counters.flush();
    const [c, ledger] = await Promise.all([this.counters.read(), this.producer.ledger()]);
    return {
      enqueued: ledger.added,
      completed: ledger.completed,
      failed: ledger.failed,
      retried: c.retried,
      duplicated: c.duplicated,
      stalled: c.stalled,
      unfinished: ledger.unfinished,
      lost: ledger.added - ledger.completed - ledger.failed - ledger.unfinished,
    };
  }

  /** Resolves once every enqueued job completed or failed, or when `timeoutMs` has passed. */
  async waitUntilSettled(timeoutMs: number, expectedEnqueued?: number): Promise<Books> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      let books: Books | null = null;
      try {
        books = await this.books();
      } catch {
        books = null; // Redis away: wait for it
      }
      if (books !== null && books.unfinished === 0 && books.completed + books.failed >= (expectedEnqueued ?? books.enqueued)) return books;
      if (performance.now() >= deadline) return books ?? (await this.books());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM: finish the running jobs within the policy's graceful timeout, then stop. */
  async drain(): Promise<void> {
    await this.supervisor.drain();
  }

  /** A second SIGINT: stop now; running jobs return to the queue through BullMQ's stalled-job recovery. */
  async stopNow(): Promise<void> {
    await this.supervisor.stop();
  }

  /** The verdict of finish(): whether the simulator kept up (null before). */
  keptUp: KeepingUp | null = null;

  /**
   * Whether the simulator kept up with modelled time, and the time scale at
   * which it would have. The requests offered: the ones this process's load
   * generator added (run), or else the ones this process took (serve).
   */
  private keepingUp(): KeepingUp {
    const s = this.supervisor;
    const cpu = process.cpuUsage(this.cpuAtStart);
    return assessKeepingUp({
      timeScale: this.o.timeScale,
      lagSumS: s.lagSumS,
      lagMaxS: s.lagMaxS,
      serviceP50S: s.recorder.service.percentile(50),
      modelledS: s.now(),
      requestsOffered: s.jobsEnqueued > 0 ? s.jobsEnqueued : s.requestPace.seen + s.recorder.jobsRefused,
      requests: s.requestPace,
      cpuS: (cpu.user + cpu.system) / 1e6,
      cores: availableParallelism(),
    });
  }

  /** The summary, with the run-wide books from Redis; written to the run directory. */
  finish(books: Books, thresholdResults: (summary: Summary) => object[]): Summary {
    const recorder = this.supervisor.recorder;
    recorder.jobsEnqueued = books.enqueued;
    recorder.jobsCompleted = books.completed;
    recorder.jobsFailed = books.failed;
    recorder.jobsRetried = books.retried;
    recorder.jobsDuplicated = books.duplicated;
    recorder.jobsUnfinished = books.unfinished;
    const summary = buildSummary(recorder);
    const keepingUp = this.keepingUp();
    this.keptUp = keepingUp;
    const extra = {
      real_time: {
        time_scale: this.o.timeScale,
        simulation_lag_seconds_max: round6(this.supervisor.lagMaxS),
        simulation_lag_seconds_sum: round6(this.supervisor.lagSumS),
        delivery_wall_seconds: this.supervisor.delivery.summary(),
        kept_up: keepingUp.keptUp,
        sustainable_time_scale: keepingUp.sustainableTimeScale,
        jobs_stalled: books.stalled,
        queue: this.o.address.queue,
        run_id: this.o.address.runId,
        redis: redactRedisUrl(this.o.address.redisUrl),
      },
    };
    this.directory.finish({ ...summary, ...extra, thresholds: thresholdResults(summary) });
    return summary;
  }

  /** Closes the connections and the metrics server (the threads are already stopped). */
  async close(): Promise<void> {
    if (this.depthTimer) clearInterval(this.depthTimer);
    this.depthTimer = null;
    await this.metrics?.close();
    await this.counters.close();
    await this.producer.close().catch(() => {});
  }

  /**
   * The workers over HTTP, beside /metrics:
   *   GET  /workers                          each slot's state and figures
   *   GET  /workers/<slot>/snapshot          sys._debugmallocstats()'s pymalloc part and objgraph's most common types
   *   POST /workers/<slot>/gc?generation=N   gc.collect(N) in the simulated process (default 2)
   */
  async workerEndpoint(method: string, path: string): Promise<{ status: number; body: unknown } | null> {
    const url = new URL(path, 'http://localhost');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] !== 'workers') return null;
    const s = this.supervisor;
    if (parts.length === 1 && method === 'GET') {
      return {
        status: 200,
        body: Array.from({ length: this.o.plan.workers }, (_, slot) => {
          const stats = s.stats(slot);
          return { slot, state: s.isDraining(slot) ? 'draining' : STATE_NAMES[s.stateOf(slot)], ...stats };
        }),
      };
    }
    const slot = Number(parts[1]);
    if (parts.length !== 3 || !Number.isInteger(slot) || slot < 0 || slot >= this.o.plan.workers) return null;
    const handle = s.handleOf(slot);
    if (handle === null) return { status: 409, body: { error: `worker ${slot} is not running (${STATE_NAMES[s.stateOf(slot)]})` } };
    if (parts[2] === 'snapshot' && method === 'GET') {
      const snap = await handle.snapshot();
      return { status: 200, body: { slot, malloc_stats_text: formatMallocStats(snap.mallocStats), malloc_stats: snap.mallocStats, most_common_types: snap.mostCommonTypes } };
    }
    if (parts[2] === 'gc' && method === 'POST') {
      const generation = Number(url.searchParams.get('generation') ?? 2);
      if (!(generation === 0 || generation === 1 || generation === 2)) return { status: 400, body: { error: 'generation must be 0, 1 or 2' } };
      return { status: 200, body: { slot, generation, collected: await handle.gcCollect(generation) } };
    }
    return null;
  }

  private figures() {
    const s = this.supervisor;
    const recorder = s.recorder;
    const workers = [];
    let ready = 0;
    let booting = 0;
    let totalRss = recorder.masterRssBytes;
    for (let slot = 0; slot < this.o.plan.workers; slot++) {
      const state = s.stateOf(slot);
      const stats = s.stats(slot);
      if (state === 2 || state === 3) ready++;
      if (state === 1) booting++;
      if (state !== 0) totalRss += stats.privateBytes;
      workers.push({ stats, state: s.isDraining(slot) ? 'draining' : STATE_NAMES[state] });
    }
    return {
      workers,
      queueDepth: s.queueDepthNow,
      jobs: { enqueued: s.jobsEnqueued, completed: s.jobsCompleted, failed: recorder.jobsFailed, retried: recorder.jobsRetried, duplicated: s.jobsDuplicated },
      restarts: recorder.restarts,
      capacityLostSeconds: recorder.capacityLostSecondsSoFar(s.now()),
      workersReady: ready,
      workersBooting: booting,
      simulationLagSeconds: s.lagMaxS,
      totalRssBytes: totalRss,
    };
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Redis at `url`, or -- when `allowTemporary` and nothing answers -- a
 * temporary redis-server on a free loopback port. Warns when Redis may evict
 * keys (BullMQ loses jobs then).
 */
export async function ensureRedis(url: string, allowTemporary: boolean, log: (line: string) => void): Promise<{ url: string; temporary: LocalRedis | null }> {
  let temporary: LocalRedis | null = null;
  let check;
  try {
    check = await checkRedis(url);
  } catch (e) {
    if (!allowTemporary || !redisServerInstalled()) {
      throw new PyheapError(
        'PYHEAP_E_REDIS',
        `no Redis answers at ${redactRedisUrl(url)} (${(e as Error).message}). Start one with \`docker compose up -d redis\` ` +
          `(or \`redis-server --save "" --appendonly no\`), or point REDIS_URL / --redis at yours.`,
        { cause: e },
      );
    }
    temporary = await startLocalRedis();
    log(`pyheap: no Redis at ${redactRedisUrl(url)}; started a temporary redis-server at ${temporary.url} (pid ${temporary.pid}), stopped at the end`);
    url = temporary.url;
    check = await checkRedis(url);
  }
  if (check.maxmemoryPolicy !== null && check.maxmemoryPolicy !== 'noeviction') {
    log(
      `pyheap: WARNING: Redis at ${redactRedisUrl(url)} has maxmemory-policy ${check.maxmemoryPolicy}; BullMQ needs noeviction or it loses jobs ` +
        `when memory is full (redis-cli CONFIG SET maxmemory-policy noeviction)`,
    );
  }
  return { url, temporary };
}
