/**
 * Gunicorn's arbiter and sync worker (gunicorn 22.0 to 26.x; files are
 * gunicorn/workers/base.py, gunicorn/workers/sync.py, gunicorn/arbiter.py,
 * gunicorn/workers/workertmp.py).
 *
 * - max_requests + max_requests_jitter: each worker's limit is drawn when the
 *   arbiter builds the Worker object, before the fork (base.py, Worker.__init__:
 *   max_requests plus randint(0, jitter), both ends included; with
 *   max_requests 0 there is no limit and no draw). The count rises as a
 *   request starts and is compared at once (sync.py, handle_request: nr += 1,
 *   then nr >= max_requests sets alive = False), so the request that reaches
 *   the limit completes and the worker then leaves its loop and exits.
 * - timeout: a heartbeat. The worker touches a temporary file before each
 *   accept and while it waits in select() (every timeout/2: the arbiter gives
 *   workers half its timeout, arbiter.py spawn_worker), never during a
 *   request, so for sync workers it is a request timeout. The arbiter's loop
 *   runs about once a second (wait_for_signals(timeout=1.0), sooner on a
 *   signal) and murder_workers() sends SIGABRT to a worker silent for more
 *   than `timeout` seconds, and SIGKILL on a later pass if it is still there.
 *   SIGABRT's handler calls sys.exit(1) inside the request; the sync worker's
 *   handle() catches BaseException, answers 500, and the loop ends because
 *   alive is False. timeout 0 disables all this.
 * - A booting worker is never timed out: the heartbeat file's mtime starts as
 *   the wall-clock time of its creation while notify() writes
 *   time.monotonic(), which the arbiter compares against (workertmp.py, since
 *   22.0), so until the first notify the difference is hugely negative.
 *   (Before 22.0 ctime and time.time() were used and slow boots were killed.)
 * - graceful_timeout applies when the arbiter stops or reloads (arbiter.py,
 *   stop and reload), not to a worker leaving after max_requests: that one
 *   exits on its own, bounded only by the heartbeat.
 * - Replacement: SIGCHLD wakes the arbiter, reap_workers() collects the dead,
 *   manage_workers() calls spawn_workers(), which forks the missing workers
 *   one at a time and sleeps 0.1 * random.random() after each fork. Without
 *   preload_app each new worker imports the app (base.py init_process →
 *   load_wsgi); with it the app was imported in the arbiter (arbiter.py,
 *   setup).
 * - A worker exiting with WORKER_BOOT_ERROR (3) or APP_LOAD_ERROR (4) makes
 *   reap_workers() raise HaltServer: the arbiter stops every worker and exits.
 */
import { z } from 'zod';
import type { Rng } from '../sim/rng.js';
import { durationSchema } from '../workload/units.js';
import { NO_GUARDS } from './guards.js';
import type { RecycleGuards, RecyclePolicy, Verdict, WorkerFacts, WorkerLimits } from './policy.js';

/** The arbiter's main loop waits at most this long for a signal before its checks (arbiter.py, run). */
const ARBITER_LOOP_S = 1;
/** spawn_workers sleeps 0.1 * random.random() after each fork (arbiter.py). */
const SPAWN_STAGGER_MAX_S = 0.1;

export const gunicornSchema = z
  .strictObject({
    max_requests: z
      .int()
      .min(0)
      .default(0)
      .describe('requests a worker handles before it restarts; the request that reaches the limit completes first; 0 = no limit'),
    max_requests_jitter: z
      .int()
      .min(0)
      .default(0)
      .describe('each worker adds randint(0, jitter) (both ends included) to max_requests, drawn when it is spawned'),
    timeout: durationSchema
      .default(30)
      .describe('sync workers silent (busy on one request) longer than this are aborted, then killed at the next check; 0 = off'),
    graceful_timeout: durationSchema
      .default(30)
      .describe('on stop or reload, how long workers may finish their requests before they are killed'),
    preload_app: z
      .boolean()
      .default(false)
      .describe('import the app in the arbiter before forking, so a new worker skips the import'),
  })
  .describe("Gunicorn (sync workers): the arbiter's recycle settings, as gunicorn.conf.py names them");

export type GunicornConfig = z.output<typeof gunicornSchema>;

export interface GunicornOptions {
  readonly maxRequests: number;
  readonly maxRequestsJitter: number;
  /** 0 disables the heartbeat. */
  readonly timeoutS: number;
  readonly gracefulTimeoutS: number;
  readonly preloadApp: boolean;
}

export function gunicornOptions(config: GunicornConfig): GunicornOptions {
  return {
    maxRequests: config.max_requests,
    maxRequestsJitter: config.max_requests_jitter,
    timeoutS: config.timeout,
    gracefulTimeoutS: config.graceful_timeout,
    preloadApp: config.preload_app,
  };
}

export class GunicornPolicy implements RecyclePolicy {
  readonly server = 'gunicorn';
  readonly checkIntervalS = ARBITER_LOOP_S;
  readonly gracefulTimeoutS: number;
  readonly rssSampleIntervalS = Infinity;
  readonly preloaded: boolean;
  readonly bootFailure = 'halt';
  readonly guards: RecycleGuards;
  readonly options: GunicornOptions;

  constructor(options: GunicornOptions, guards: RecycleGuards = NO_GUARDS) {
    this.options = options;
    this.gracefulTimeoutS = options.gracefulTimeoutS;
    this.preloaded = options.preloadApp;
    this.guards = guards;
  }

  /** base.py, Worker.__init__: the draw happens only when max_requests is on. */
  limitsAtSpawn(_slot: number, rng: Rng): WorkerLimits {
    const { maxRequests, maxRequestsJitter } = this.options;
    if (maxRequests <= 0) return NO_LIMIT;
    return { maxRequests: maxRequests + rng.int(0, maxRequestsJitter) };
  }

  /** sync.py, handle_request: counted as the request starts, compared with >=. */
  onRequestStart(facts: WorkerFacts, limits: WorkerLimits, _nowS: number): Verdict | null {
    const limit = limits.maxRequests;
    if (limit <= 0 || facts.requestsStarted < limit) return null;
    return {
      reason: 'recycled_requests',
      mode: 'graceful',
      detail: `Autorestarting worker after current request (max_requests ${limit}, request ${facts.requestsStarted})`,
    };
  }

  onRequestEnd(_facts: WorkerFacts, _limits: WorkerLimits, _nowS: number): Verdict | null {
    return null;
  }

  /** arbiter.py, murder_workers: silent for more than `timeout` (strictly); SIGABRT first, SIGKILL on a later pass. */
  onCheck(facts: WorkerFacts, _limits: WorkerLimits, nowS: number): Verdict | null {
    const timeoutS = this.options.timeoutS;
    const since = facts.busySinceS;
    // Idle workers notify every timeout/2 and booting ones are never compared (see the file comment).
    if (timeoutS <= 0 || since === null || nowS - since <= timeoutS) return null;
    const aborted = facts.abortedAtS;
    if (aborted === null) {
      return { reason: 'timeout', mode: 'abort', detail: `WORKER TIMEOUT: silent ${formatS(nowS - since)}s > timeout ${timeoutS}s, SIGABRT` };
    }
    if (nowS > aborted) {
      return { reason: 'timeout', mode: 'kill', detail: `WORKER TIMEOUT: still alive after SIGABRT, SIGKILL` };
    }
    return null;
  }

  nextTimerS(_facts: WorkerFacts, _limits: WorkerLimits): number {
    return Infinity;
  }

  spawnStaggerS(rng: Rng): number {
    return SPAWN_STAGGER_MAX_S * rng.next();
  }
}

const NO_LIMIT: WorkerLimits = Object.freeze({ maxRequests: 0 });

function formatS(s: number): string {
  return s.toFixed(1);
}
