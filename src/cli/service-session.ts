/**
 * What `pyheap run` and `pyheap serve` do around the service: Redis, the run
 * directory, signals (the first SIGINT/SIGTERM drains gracefully, a second
 * SIGINT stops at once), the load for `run`, and the end: the books checked,
 * the summary printed, thresholds turned into the exit code.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Enqueuer } from '../loadgen/enqueuer.js';
import { evaluateThresholds, THRESHOLD_FAILED_EXIT_CODE, type Threshold, thresholdRecords, type ThresholdResult } from '../report/thresholds.js';
import { duration, formatSummary } from '../report/summary-table.js';
import type { Summary } from '../report/summary.js';
import { compileScenario } from '../scenario/compile.js';
import { loadScenario } from '../scenario/scenario-file.js';
import { type Books, ensureRedis, Service } from '../supervisor/service.js';
import { redactRedisUrl } from '../transport/bullmq/redis-url.js';
import { Progress } from './progress.js';
import { freshRunId, queueAddress, type ServiceFlags } from './service-flags.js';
import { scenarioThresholds } from './threshold-options.js';

export interface SessionFlags extends ServiceFlags {
  seed?: number;
  out?: string;
  runs: string;
  threshold: Threshold[];
  json?: boolean;
  quiet?: boolean;
  metricsPort?: number;
  metricsHost: string;
  /** The worker threads' nice value once booted (Linux). */
  workerNice: number;
  /** serve: stop by itself after this many wall seconds. */
  duration?: number;
  /** run: keep the queue's keys in Redis at the end. */
  keepQueue?: boolean;
}

/** Runs the session; resolves true when it was stopped at once (the caller exits: BullMQ's connections are left open). */
export async function runSession(path: string, flags: SessionFlags, mode: 'run' | 'serve'): Promise<boolean> {
  const log = (line: string) => {
    if (!flags.quiet) process.stderr.write(`${line}\n`);
  };
  const { scenario } = loadScenario(path);
  const thresholds = [...scenarioThresholds(path, scenario.outputs.thresholds), ...flags.threshold];
  const plan = await compileScenario(scenario, { scenarioPath: path, seed: flags.seed });
  const address = queueAddress(flags, plan.name, mode === 'run' ? freshRunId() : plan.name);
  const redis = await ensureRedis(address.redisUrl, mode === 'run', (line) => process.stderr.write(`${line}\n`));
  address.redisUrl = redis.url;
  const runPath = flags.out ?? join(flags.runs, mode === 'run' ? `${plan.name}-${address.runId}` : `${plan.name}-${address.runId}-serve-${hostname()}-${process.pid}`);
  let service: Service | null = null;
  let enqueuer: Enqueuer | null = null;
  // Installed before the service starts: a signal while the workers boot drains (or stops) as one later does.
  const signals = new SignalHandling();
  signals.install(
    () => {
      log(`pyheap ${mode}: draining (finishing the jobs in progress; Ctrl-C again to stop at once)`);
      enqueuer?.stop();
    },
    () => {
      log(`pyheap ${mode}: stopping now; jobs in progress return to the queue through BullMQ's stalled-job recovery`);
      void service?.stopNow();
    },
  );
  try {
    service = await Service.start({
      scenarioPath: path,
      scenario,
      plan,
      address,
      timeScale: flags.timeScale,
      workerNice: flags.workerNice,
      runDirectory: runPath,
      metrics: flags.metricsPort === undefined ? null : { port: flags.metricsPort, host: flags.metricsHost },
      log,
    });
    const where = `queue "${address.queue}", run id "${address.runId}", Redis ${redactRedisUrl(address.redisUrl)}`;
    log(`pyheap ${mode}: ${plan.workers} workers of ${plan.name} on ${where}; time scale ${flags.timeScale}`);
    if (service.metricsPort !== null) log(`pyheap ${mode}: metrics at http://${flags.metricsHost}:${service.metricsPort}/metrics`);
    log(`pyheap ${mode}: run directory ${runPath}; Ctrl-C drains gracefully, a second Ctrl-C stops at once`);

    const running = service;
    if (signals.stoppedNow) void running.stopNow();

    if (mode === 'run') {
      const progress = new Progress(!flags.quiet && process.stderr.isTTY === true);
      enqueuer = new Enqueuer({
        load: plan.load,
        endpoints: plan.endpoints,
        seed: plan.seed,
        timeScale: flags.timeScale,
        attempts: plan.attempts,
        producer: running.producer,
        address,
        onProgress: (p) => {
          running.supervisor.jobsEnqueued = p.enqueued;
          progress.update(
            () =>
              `running ${duration(p.modelledS)} / ${duration(p.durationS)}  enqueued ${p.enqueued.toLocaleString('en-US')}  completed ${running.supervisor.jobsCompleted.toLocaleString('en-US')}  lag ${running.supervisor.lagMaxS.toFixed(2)} s`,
          );
        },
      });
      if (signals.draining) enqueuer.stop();
      const report = await enqueuer.run();
      running.supervisor.jobsEnqueued = report.enqueued;
      progress.done();
      if (!signals.draining) {
        // Requests still in flight when the load ends get the scenario's drain time (modelled).
        await running.waitUntilSettled((plan.drainS / flags.timeScale) * 1000, report.enqueued);
      }
    } else {
      await signals.drainRequested(flags.duration === undefined ? undefined : flags.duration * 1000);
    }
    if (!signals.stoppedNow) await running.drain();
    const books = await running.books();
    const results: ThresholdResult[] = [];
    const summary = running.finish(books, (s) => {
      results.push(...evaluateThresholds(thresholds, s, { latency: running.supervisor.recorder.total, wait: running.supervisor.recorder.wait, service: running.supervisor.recorder.service, latency_near_restart: running.supervisor.recorder.nearRestart }));
      return thresholdRecords(results);
    });
    printEnd(summary, results, books, flags, runPath, running, mode, mode === 'run' ? running.supervisor.jobsEnqueued : null);
    if (mode === 'run' && !flags.keepQueue) await running.producer.obliterate().catch(() => {});
    if (mode === 'run' && !flags.keepQueue) await running.counters.remove().catch(() => {});
    if (results.some((r) => !r.ok)) process.exitCode = THRESHOLD_FAILED_EXIT_CODE;
    else if (books.lost !== 0) process.exitCode = 1;
  } finally {
    signals.uninstall();
    await service?.close();
    await redis.temporary?.stop();
  }
  return signals.stoppedNow;
}

/**
 * `added`: the jobs this process's load generator added (run). The queue may
 * hold more: a bulk add that was in flight when Redis went away is sent again
 * on reconnect (at-least-once), and its jobs then run twice.
 */
function printEnd(summary: Summary, results: ThresholdResult[], books: Books, flags: SessionFlags, runPath: string, service: Service, mode: 'run' | 'serve', added: number | null): void {
  const resent = added === null ? 0 : Math.max(0, books.enqueued - added);
  const keepingUp = service.keptUp!;
  if (resent > 0 && !flags.quiet) process.stderr.write(`pyheap ${mode}: ${resent} jobs were added twice (a bulk add resent after Redis reconnected); they ran and are counted\n`);
  if (flags.json) {
    const delivery = service.supervisor.delivery.summary();
    // Delivery: wall seconds from enqueue to this process taking the job (counted in queue wait, scaled by the time scale).
    const deliverySeconds = delivery.count > 0 ? { p50: delivery.p50, p99: delivery.p99 } : null;
    process.stdout.write(
      `${JSON.stringify({ ...summary, thresholds: results, run_directory: runPath, books, jobs_added_twice: resent, simulation_lag_seconds_max: service.supervisor.lagMaxS, delivery_seconds: deliverySeconds, kept_up: keepingUp.keptUp, sustainable_time_scale: keepingUp.sustainableTimeScale }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(formatSummary(summary, results));
    const balance = `  books (all processes of the run): ${books.enqueued} enqueued = ${books.completed} completed + ${books.failed} failed + ${books.unfinished} still queued${books.lost !== 0 ? ` + ${books.lost} LOST` : ''}; ${books.retried} retried, ${books.duplicated} duplicated, ${books.stalled} stalled`;
    const d = service.supervisor.delivery.summary();
    const scale = flags.timeScale;
    const delivery =
      d.count > 0
        ? `  delivery (enqueued to taken by this process, wall): p50 ${(d.p50 * 1000).toFixed(1)} ms, p99 ${(d.p99 * 1000).toFixed(1)} ms; ` +
          `at time scale ${scale} that is ${(d.p50 * scale * 1000).toFixed(0)} / ${(d.p99 * scale * 1000).toFixed(0)} ms modelled, counted in queue wait\n`
        : '';
    process.stdout.write(`${balance}\n  simulation lag: at most ${service.supervisor.lagMaxS.toFixed(3)} modelled s behind the clock\n${delivery}`);
  }
  if (!flags.quiet && keepingUp.note !== null) process.stderr.write(`pyheap ${mode}: ${keepingUp.note}\n`);
  if (!flags.quiet) process.stderr.write(`pyheap ${mode}: run directory ${runPath}\n`);
  if (books.lost !== 0) process.stderr.write(`pyheap ${mode}: ${books.lost} jobs neither completed, failed nor queued: jobs_lost must be 0\n`);
}

/**
 * SIGINT/SIGTERM: the first asks for a graceful drain, a second SIGINT stops
 * at once (Gunicorn's arbiter: TERM graceful, a second INT quick).
 */
class SignalHandling {
  draining = false;
  stoppedNow = false;
  private resolveDrain: () => void = () => {};
  private readonly drainPromise = new Promise<void>((resolve) => (this.resolveDrain = resolve));
  private handler: ((signal: NodeJS.Signals) => void) | null = null;

  install(onDrain: () => void, onStopNow: () => void): void {
    this.handler = (signal) => {
      if (!this.draining) {
        this.draining = true;
        onDrain();
        this.resolveDrain();
        return;
      }
      if (signal === 'SIGINT' && !this.stoppedNow) {
        this.stoppedNow = true;
        onStopNow();
      }
    };
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  /** Resolves at the first signal, or after `timeoutMs`. */
  drainRequested(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined) return this.drainPromise;
    return Promise.race([this.drainPromise, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs))]);
  }

  uninstall(): void {
    if (this.handler === null) return;
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
    this.handler = null;
  }
}
