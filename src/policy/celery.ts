/**
 * Celery's prefork pool: the parent process and its billiard children
 * (billiard/pool.py, billiard/compat.py; celery/worker/worker.py,
 * celery/worker/components.py, celery/concurrency/asynpool.py).
 *
 * - worker_max_tasks_per_child and worker_max_memory_per_child are passed to
 *   billiard as maxtasksperchild and max_memory_per_child
 *   (components.py, Pool.create) and enforced by the child itself after each
 *   task, once the result has been sent (pool.py, Worker.workloop):
 *   `completed` rises after the task, then the memory check returns
 *   EX_RECYCLE when used > limit, then the loop stops once completed reaches
 *   maxtasks. The task always completes; the child then exits and the parent
 *   forks a replacement as soon as it sees the exit (asynpool.py,
 *   _event_process_exit → maintain_pool).
 * - "used" is getrusage(RUSAGE_SELF).ru_maxrss in KiB on Linux (compat.py,
 *   mem_rss and maxrss_to_kb): the *peak* resident memory of the child's
 *   life, not its current RSS. One spiky task therefore recycles the child
 *   even after the memory was freed, and since a forked child's peak starts
 *   at what it inherited from the parent, a limit below the parent's RSS
 *   recycles every child after every task.
 * - task_time_limit (hard): the parent arms a timer when a child acknowledges
 *   a task (asynpool.py, on_timeout_set via ApplyResult._ack); when it fires
 *   the task fails with TimeLimitExceeded and the child gets SIGTERM, then
 *   SIGKILL 0.1 s later (pool.py, TimeoutHandler.on_hard_timeout and
 *   _trywaitkill), and is replaced.
 * - worker_proc_alive_timeout (4 s): a new child must report WORKER_UP (after
 *   its initializer ran) within this long or the parent kills it with
 *   SIGKILL (asynpool.py, verify_process_alive).
 * - Children fork from a parent that already imported the app; a child that
 *   dies while booting is simply replaced (billiard's restart-frequency limit
 *   of 100 abnormal exits per second is not modelled).
 */
import { z } from 'zod';
import type { Rng } from '../sim/rng.js';
import { byteSizeSchema, durationSchema } from '../workload/units.js';
import { NO_GUARDS } from './guards.js';
import type { RecycleGuards, RecyclePolicy, Verdict, WorkerFacts, WorkerLimits } from './policy.js';

/** Celery's default worker_proc_alive_timeout (celery/app/defaults.py; asynpool.py PROC_ALIVE_TIMEOUT). */
const PROC_ALIVE_TIMEOUT_S = 4;

/** A count: a number is KiB as Celery takes it; a string with a unit ("200MiB") is converted. */
const kibSchema = z.union([
  z.int().min(1),
  byteSizeSchema.pipe(
    z
      .number()
      .min(1024, { error: 'expected at least 1KiB' })
      .refine((bytes) => bytes % 1024 === 0, { error: 'expected a whole number of KiB' })
      .transform((bytes) => bytes / 1024),
  ),
]);

export const celerySchema = z
  .strictObject({
    worker_max_tasks_per_child: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe('tasks a pool child runs before it is replaced (checked after each task); null = no limit'),
    worker_max_memory_per_child: kibSchema
      .nullable()
      .default(null)
      .describe(
        'KiB of *peak* resident memory (ru_maxrss) above which a child is replaced after its current task; a number is KiB as Celery takes it, or a size such as "200MiB"; null = no limit',
      ),
    task_time_limit: durationSchema
      .nullable()
      .default(null)
      .describe('hard time limit: a task running longer is failed and its child killed and replaced; null = none'),
    worker_proc_alive_timeout: durationSchema
      .default(PROC_ALIVE_TIMEOUT_S)
      .describe('a new child that has not finished booting within this long is killed'),
  })
  .describe("Celery prefork: the pool's recycle settings, as the Celery configuration names them");

export type CeleryConfig = z.output<typeof celerySchema>;

export interface CeleryOptions {
  /** 0 = no limit. */
  readonly maxTasksPerChild: number;
  /** Celery's unit: KiB of ru_maxrss; 0 = no limit. */
  readonly maxMemoryPerChildKiB: number;
  /** 0 = none. */
  readonly taskTimeLimitS: number;
  readonly procAliveTimeoutS: number;
}

export function celeryOptions(config: CeleryConfig): CeleryOptions {
  return {
    maxTasksPerChild: config.worker_max_tasks_per_child ?? 0,
    maxMemoryPerChildKiB: config.worker_max_memory_per_child ?? 0,
    taskTimeLimitS: config.task_time_limit ?? 0,
    procAliveTimeoutS: config.worker_proc_alive_timeout,
  };
}

export class CeleryPolicy implements RecyclePolicy {
  readonly server = 'celery';
  /** Nothing is scanned periodically: both deadlines are timers (nextTimerS). */
  readonly checkIntervalS = Infinity;
  /** A warm shutdown waits for running tasks without a limit. */
  readonly gracefulTimeoutS = Infinity;
  readonly rssSampleIntervalS = Infinity;
  readonly preloaded = true;
  readonly bootFailure = 'respawn';
  readonly guards: RecycleGuards;
  readonly options: CeleryOptions;
  private readonly limits: WorkerLimits;

  constructor(options: CeleryOptions, guards: RecycleGuards = NO_GUARDS) {
    this.options = options;
    this.guards = guards;
    this.limits = Object.freeze({ maxRequests: options.maxTasksPerChild });
  }

  limitsAtSpawn(_slot: number, _rng: Rng): WorkerLimits {
    return this.limits;
  }

  onRequestStart(_facts: WorkerFacts, _limits: WorkerLimits, _nowS: number): Verdict | null {
    return null;
  }

  /** pool.py, Worker.workloop: after the result is sent, the memory check first, then the task count. */
  onRequestEnd(facts: WorkerFacts, limits: WorkerLimits, _nowS: number): Verdict | null {
    const maxKiB = this.options.maxMemoryPerChildKiB;
    if (maxKiB > 0) {
      // ru_maxrss is whole KiB on Linux; billiard compares with a strict >.
      const usedKiB = Math.floor(facts.peakRssBytes / 1024);
      if (usedKiB > maxKiB) {
        return {
          reason: 'recycled_memory',
          mode: 'graceful',
          detail: `child process exiting after exceeding memory limit (${usedKiB}KiB / ${maxKiB}KiB)`,
        };
      }
    }
    const maxTasks = limits.maxRequests;
    if (maxTasks > 0 && facts.requestsStarted >= maxTasks) {
      return { reason: 'recycled_requests', mode: 'graceful', detail: `worker exiting after ${facts.requestsStarted} tasks` };
    }
    return null;
  }

  /** The two timers: worker_proc_alive_timeout while booting, task_time_limit while busy (asynpool.py). */
  onCheck(facts: WorkerFacts, _limits: WorkerLimits, nowS: number): Verdict | null {
    if (facts.readyAtS === null) {
      if (nowS >= facts.spawnedAtS + this.options.procAliveTimeoutS) {
        return { reason: 'timeout', mode: 'kill', detail: `Timed out waiting for UP message (worker_proc_alive_timeout ${this.options.procAliveTimeoutS}s)` };
      }
      return null;
    }
    const limitS = this.options.taskTimeLimitS;
    const since = facts.busySinceS;
    if (limitS > 0 && since !== null && nowS >= since + limitS) {
      return { reason: 'timeout', mode: 'kill', detail: `Hard time limit (${limitS}s) exceeded` };
    }
    return null;
  }

  nextTimerS(facts: WorkerFacts, _limits: WorkerLimits): number {
    if (facts.readyAtS === null) return facts.spawnedAtS + this.options.procAliveTimeoutS;
    const since = facts.busySinceS;
    const limitS = this.options.taskTimeLimitS;
    return limitS > 0 && since !== null ? since + limitS : Infinity;
  }

  spawnStaggerS(_rng: Rng): number {
    return 0;
  }
}
