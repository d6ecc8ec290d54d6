/**
 * uWSGI's master and its (single-threaded) workers, uWSGI 2.0.x and master
 * (core/utils.c, core/master.c, core/master_checks.c, core/master_utils.c,
 * core/uwsgi.c, core/init.c).
 *
 * Per request, in the worker (utils.c, uwsgi_close_request): after the
 * response, the request is counted (delta_requests++), then
 * - max-requests: delta_requests >= max_requests + (worker_id - 1) *
 *   max_requests_delta, worker_id counting from 1, so the limit is
 *   deterministic per worker, not random;
 * - reload-on-rss: the RSS read just now (get_memusage; current, not peak)
 *   >= the limit, given in MiB (uwsgi_opt_set_megabytes);
 * and *both* only when the worker has lived at least min-worker-lifetime
 * (default 10 s, init.c): end_of_request - last_spawn >= min_worker_lifetime.
 * A worker reaching its max-requests earlier keeps serving. When one fires,
 * goodbye_cruel_world() marks the worker cursed and stops its loop: no
 * request is running, so it exits at once.
 *
 * In the master, once per second (master.c, master_loop: the checks run when
 * the whole-second clock has moved; uwsgi_master_check_workers_deadline):
 * - harakiri: a request's deadline is set when it starts, now + harakiri in
 *   whole seconds (utils.c, set_harakiri); the master SIGKILLs the worker once
 *   the deadline <= its whole-second clock. (harakiri-queue-threshold defaults
 *   to 0 and harakiri-graceful-timeout to 0, so the kill is immediate.)
 * - evil-reload-on-rss: SIGKILL at once, mid-request, when the worker's
 *   rss_size >= the limit. rss_size is what a thread in the worker writes
 *   every mem-collector-freq seconds (default 3, init.c; uwsgi.c,
 *   mem_collector) and what the worker writes after each request (the memory
 *   options set force_get_memusage, config.c).
 * - max-worker-lifetime: now - last_spawn > lifetime + (worker_id - 1) *
 *   max-worker-lifetime-delta, whole seconds: the master clears
 *   manage_next_request and sends SIGWINCH, which only wakes the worker; it
 *   finishes its request and leaves. No mercy deadline is set for this one.
 * - worker-reload-mercy (default 60 s): a cursed worker still alive after
 *   cursed_at + mercy is SIGKILLed (master.c, uwsgi_master_check_mercy, run
 *   on every pass of the loop).
 * last_spawn and all these deadlines are whole seconds (time(2)), so the
 * effective limits are up to a second shorter than configured; this model
 * floors on its own clock the same way.
 *
 * uWSGI refuses to start when max-worker-lifetime is set and
 * min-worker-lifetime >= it (init.c). Without lazy-apps the app is loaded in
 * the master and workers are forked from it. A worker that fails to load the
 * app is respawned ("trying again", master.c); the master's fork-bomb pause
 * (forkbomb-delay, 2 s, when more than `processes` respawns come within a
 * check interval) is not modelled.
 */
import { z } from 'zod';
import type { Rng } from '../sim/rng.js';
import { durationSchema } from '../workload/units.js';
import { NO_GUARDS } from './guards.js';
import type { RecycleGuards, RecyclePolicy, Verdict, WorkerFacts, WorkerLimits } from './policy.js';

/** The master's check interval (master.c: master_interval defaults to 1). */
const MASTER_INTERVAL_S = 1;
const MIB = 1024 * 1024;

/** uWSGI stores these as whole seconds (uwsgi_opt_set_int / _64bit); a duration string must come to whole seconds. */
function wholeSeconds(defaultS: number) {
  return durationSchema.pipe(z.number().int({ error: 'uWSGI takes whole seconds' })).default(defaultS);
}

export const uwsgiSchema = z
  .strictObject({
    'max-requests': z.int().min(0).default(0).describe('reload a worker after this many requests (counted as they end); 0 = off'),
    'max-requests-delta': z
      .int()
      .min(0)
      .default(0)
      .describe('worker i (from 0) reloads after max-requests + i * delta requests: a deterministic spread, not a random one'),
    'reload-on-rss': z
      .number()
      .min(0)
      .default(0)
      .describe('MiB: after a request, reload the worker if its current RSS is at least this much (not before min-worker-lifetime); 0 = off'),
    'evil-reload-on-rss': z
      .number()
      .min(0)
      .default(0)
      .describe('MiB: the master SIGKILLs a worker, mid-request, once its sampled RSS is at least this much; 0 = off'),
    'mem-collector-freq': wholeSeconds(3).describe('seconds between the RSS samples evil-reload-on-rss looks at'),
    harakiri: wholeSeconds(0).describe('seconds: the master SIGKILLs a worker whose request runs this long; 0 = off'),
    'min-worker-lifetime': wholeSeconds(10).describe(
      'seconds a worker must have lived before max-requests or reload-on-rss may reload it',
    ),
    'max-worker-lifetime': wholeSeconds(0).describe('seconds: reload a worker once it has lived longer (after its current request); 0 = off'),
    'max-worker-lifetime-delta': wholeSeconds(0).describe('worker i (from 0) gets max-worker-lifetime + i * delta seconds'),
    'worker-reload-mercy': wholeSeconds(60).describe('seconds a worker told to reload may take to die before it is SIGKILLed'),
    'lazy-apps': z.boolean().default(false).describe('load the app in each worker instead of once in the master before forking'),
  })
  .superRefine((c, ctx) => {
    if (c['max-worker-lifetime'] > 0 && c['min-worker-lifetime'] >= c['max-worker-lifetime']) {
      ctx.addIssue({
        code: 'custom',
        path: ['min-worker-lifetime'],
        message: `invalid min-worker-lifetime value (${c['min-worker-lifetime']}), must be lower than max-worker-lifetime (${c['max-worker-lifetime']})`,
      });
    }
  })
  .describe("uWSGI: the master's recycle options, as uwsgi.ini names them");

export type UwsgiConfig = z.output<typeof uwsgiSchema>;

export interface UwsgiOptions {
  readonly maxRequests: number;
  readonly maxRequestsDelta: number;
  /** 0 = off. */
  readonly reloadOnRssBytes: number;
  /** 0 = off. */
  readonly evilReloadOnRssBytes: number;
  readonly memCollectorFreqS: number;
  /** 0 = off. */
  readonly harakiriS: number;
  readonly minWorkerLifetimeS: number;
  /** 0 = off. */
  readonly maxWorkerLifetimeS: number;
  readonly maxWorkerLifetimeDeltaS: number;
  readonly workerReloadMercyS: number;
  readonly lazyApps: boolean;
}

export function uwsgiOptions(config: UwsgiConfig): UwsgiOptions {
  return {
    maxRequests: config['max-requests'],
    maxRequestsDelta: config['max-requests-delta'],
    reloadOnRssBytes: Math.floor(config['reload-on-rss'] * MIB),
    evilReloadOnRssBytes: Math.floor(config['evil-reload-on-rss'] * MIB),
    memCollectorFreqS: config['mem-collector-freq'],
    harakiriS: config.harakiri,
    minWorkerLifetimeS: config['min-worker-lifetime'],
    maxWorkerLifetimeS: config['max-worker-lifetime'],
    maxWorkerLifetimeDeltaS: config['max-worker-lifetime-delta'],
    workerReloadMercyS: config['worker-reload-mercy'],
    lazyApps: config['lazy-apps'],
  };
}

export class UwsgiPolicy implements RecyclePolicy {
  readonly server = 'uwsgi';
  readonly checkIntervalS = MASTER_INTERVAL_S;
  readonly gracefulTimeoutS: number;
  readonly rssSampleIntervalS: number;
  readonly preloaded: boolean;
  readonly bootFailure = 'respawn';
  readonly guards: RecycleGuards;
  readonly options: UwsgiOptions;

  constructor(options: UwsgiOptions, guards: RecycleGuards = NO_GUARDS) {
    this.options = options;
    this.guards = guards;
    this.gracefulTimeoutS = options.workerReloadMercyS;
    this.rssSampleIntervalS = options.evilReloadOnRssBytes > 0 ? options.memCollectorFreqS : Infinity;
    this.preloaded = !options.lazyApps;
  }

  /** utils.c, uwsgi_close_request: max_requests + (mywid - 1) * max_requests_delta, mywid counting from 1. */
  limitsAtSpawn(slot: number, _rng: Rng): WorkerLimits {
    const { maxRequests, maxRequestsDelta } = this.options;
    return { maxRequests: maxRequests > 0 ? maxRequests + slot * maxRequestsDelta : 0 };
  }

  onRequestStart(_facts: WorkerFacts, _limits: WorkerLimits, _nowS: number): Verdict | null {
    return null;
  }

  /** utils.c, uwsgi_close_request: max-requests, then reload-on-rss, both gated by min-worker-lifetime. */
  onRequestEnd(facts: WorkerFacts, limits: WorkerLimits, nowS: number): Verdict | null {
    const o = this.options;
    if (nowS - Math.floor(facts.spawnedAtS) < o.minWorkerLifetimeS) return null;
    const limit = limits.maxRequests;
    if (limit > 0 && facts.requestsStarted >= limit) {
      return { reason: 'recycled_requests', mode: 'graceful', detail: `max requests reached (${facts.requestsStarted} >= ${limit})` };
    }
    if (o.reloadOnRssBytes > 0 && facts.rssBytes >= o.reloadOnRssBytes) {
      return { reason: 'recycled_memory', mode: 'graceful', detail: `reload-on-rss limit reached (${facts.rssBytes} >= ${o.reloadOnRssBytes})` };
    }
    return null;
  }

  /** master.c uwsgi_master_check_mercy, then master_checks.c uwsgi_master_check_workers_deadline: harakiri, evil reload, lifetime. */
  onCheck(facts: WorkerFacts, _limits: WorkerLimits, nowS: number): Verdict | null {
    const o = this.options;
    const nowWhole = Math.floor(nowS);
    const draining = facts.drainingSinceS;
    const since = facts.busySinceS;
    // Cursed workers are those leaving after a request (goodbye_cruel_world): idle while they drain.
    if (draining !== null && since === null && nowWhole > Math.floor(draining) + o.workerReloadMercyS) {
      return { reason: 'timeout', mode: 'kill', detail: `worker ${facts.slot + 1} is taking too much time to die...NO MERCY !!!` };
    }
    if (o.harakiriS > 0 && since !== null && Math.floor(since) + o.harakiriS <= nowWhole) {
      return { reason: 'timeout', mode: 'kill', detail: `HARAKIRI ON WORKER ${facts.slot + 1} (harakiri ${o.harakiriS}s)` };
    }
    if (o.evilReloadOnRssBytes > 0 && facts.sampledRssBytes >= o.evilReloadOnRssBytes) {
      return { reason: 'evil_reload', mode: 'kill', detail: `EVIL RELOAD ON WORKER ${facts.slot + 1} RSS: ${facts.sampledRssBytes}` };
    }
    if (o.maxWorkerLifetimeS > 0 && draining === null) {
      const lifetime = nowWhole - Math.floor(facts.spawnedAtS);
      if (lifetime > o.maxWorkerLifetimeS + facts.slot * o.maxWorkerLifetimeDeltaS) {
        return { reason: 'recycled_lifetime', mode: 'graceful', detail: `worker ${facts.slot + 1} lifetime reached, it was running for ${lifetime} second(s)` };
      }
    }
    return null;
  }

  nextTimerS(_facts: WorkerFacts, _limits: WorkerLimits): number {
    return Infinity;
  }

  spawnStaggerS(_rng: Rng): number {
    return 0;
  }
}
