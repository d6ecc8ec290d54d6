/**
 * ★ Start here: recycle policies as pure decisions, shared by the virtual-time
 * engine and the real-time supervisor. A policy never touches a clock, a
 * thread or a heap: the caller tells it what happened (a worker spawned, a
 * request started or finished, a periodic check or a timer is due) with the
 * figures it needs, and the policy answers what the server it models would
 * do. A policy keeps no state between calls: everything it decides on is in
 * the facts, so asking twice gives the same answer (which is what lets a
 * deferred recycle simply be asked for again).
 *
 * Times are seconds on the caller's clock (virtual or wall); memory is bytes.
 * Each server's module cites the source file and function of every rule:
 * gunicorn.ts (Gunicorn's sync worker), celery.ts (Celery prefork on
 * billiard), uwsgi.ts; container.ts is the cgroup memory limit and the
 * kubelet's restart back-off; guards.ts the options no server has (recycle
 * spacing, spawn-before-kill); schema.ts builds a policy from a scenario's
 * policy section.
 *
 * A worker's life as the caller runs it:
 *
 *   spawn ─► booting ─► idle ⇄ busy
 *      │        │          │      │
 *      │        │          ▼      ▼
 *      │        │        draining (a 'graceful' verdict took effect: it takes
 *      │        │          │       no new work; it exits once idle)
 *      │        ▼          ▼
 *      │      aborted (an 'abort' verdict: the server signalled it to die now;
 *      │               the next check kills it if it is still there)
 *      ▼
 *   killed (a 'kill' verdict or the container's OOM killer, from any state)
 *
 * Who calls what, and when:
 *   limitsAtSpawn   once per process, as it is forked
 *   onRequestStart  as a request begins (facts.requestsStarted already counts it)
 *   onRequestEnd    as it ends, before the worker takes the next one
 *   onCheck         every checkIntervalS for each live worker (the master's
 *                   loop), and at nextTimerS(worker)
 *   nextTimerS      after every event on the worker (spawn, ready, request
 *                   start and end): when the server's own timer for it fires
 *   spawnStaggerS   after each spawn: how long the master pauses before the next
 *   defersRecycle   (guards.ts) before a graceful verdict takes effect
 * The caller applies every verdict it gets, except that a worker already
 * leaving is not given a second graceful verdict, and a deferred one is
 * dropped (its rule fires again at the next opportunity).
 *
 * Why the interface has what it has (each item is a semantic a server has
 * that the plainer shape could not express):
 * - Verdict mode 'abort': Gunicorn's arbiter first sends SIGABRT to a worker
 *   past its timeout and only kills it with SIGKILL on a later pass
 *   (arbiter.py, murder_workers); `WorkerFacts.abortedAtS` tells the policy
 *   it already did the first step.
 * - `WorkerFacts.drainingSinceS`: uWSGI does not re-curse a worker it already
 *   told to finish (master_checks.c tests manage_next_request), and it kills
 *   one that takes too long to die (master.c, uwsgi_master_check_mercy); a
 *   per-worker drain deadline is the policy's business, not the caller's,
 *   because servers differ (Gunicorn has none for a max_requests exit).
 * - `WorkerFacts.sampledRssBytes` and `rssSampleIntervalS`: uWSGI's
 *   evil-reload-on-rss compares what a sampler thread last wrote, every 3 s,
 *   not the worker's RSS at the moment of the check (uwsgi.c, mem_collector).
 * - `nextTimerS`: Celery's parent arms a timer per task for task_time_limit
 *   and per new child for worker_proc_alive_timeout; they fire on time, not on
 *   a periodic scan (celery/concurrency/asynpool.py).
 * - `spawnStaggerS` (formerly replacementDelayS): Gunicorn forks first and
 *   sleeps afterwards (arbiter.py, spawn_workers), so the random pause
 *   separates consecutive spawns rather than delaying each one.
 * - `preloaded`, `bootFailure`: whether a spawn imports the app, and whether a
 *   worker that fails to boot is replaced or stops the service (Gunicorn
 *   halts: arbiter.py, reap_workers raises HaltServer).
 * - `guards`: the restart-storm guard and spawn-before-kill are options of
 *   the policy section, so they travel with the policy.
 */
import type { Rng } from '../sim/rng.js';

/** Why a worker process ended: the taxonomy events and metrics share (`restarts{reason}`). */
export const EXIT_REASONS = [
  'recycled_requests',
  'recycled_memory',
  'recycled_lifetime',
  'timeout',
  'evil_reload',
  'oom_killed',
  'crashed',
  'boot_error',
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

export type ServerKind = 'gunicorn' | 'celery' | 'uwsgi';

/**
 * What the caller knows about one worker process when it asks. The caller may
 * keep one mutable object per worker and update it before each question.
 */
export interface WorkerFacts {
  /** The worker's slot (0..workers-1): Gunicorn's age order, uWSGI's worker id - 1, billiard's pool index. */
  readonly slot: number;
  readonly spawnedAtS: number;
  /** When it finished booting and could take work, or null while booting. */
  readonly readyAtS: number | null;
  /** Requests (tasks) started in this process, the one running included; at onRequestEnd, those completed. */
  readonly requestsStarted: number;
  /** Start of the request running now, or null when idle. */
  readonly busySinceS: number | null;
  readonly rssBytes: number;
  /**
   * ru_maxrss: the high-water mark of rssBytes over the process's life. A
   * forked child starts at the RSS it inherited (Linux dup_mm sets
   * hiwater_rss to the copied RSS), not at zero.
   */
  readonly peakRssBytes: number;
  /**
   * The RSS the master last saw: sampled every rssSampleIntervalS after spawn
   * (first sample one interval in) and at each request end; 0 before the
   * first sample. Only policies with a finite rssSampleIntervalS read it.
   */
  readonly sampledRssBytes: number;
  /** When a graceful verdict took effect (the worker stopped taking work), or null. */
  readonly drainingSinceS: number | null;
  /** When an 'abort' verdict took effect and the worker has not exited since, or null. */
  readonly abortedAtS: number | null;
}

/** What a policy fixes for a worker when it is spawned (e.g. its max-requests limit with jitter). */
export interface WorkerLimits {
  /** Requests after which the worker recycles; 0 = no limit. */
  readonly maxRequests: number;
}

/**
 * A decision.
 * - `graceful`: the worker takes no new work, finishes the request it is
 *   running (if any), then exits. Given at onRequestStart it means "this
 *   request is the last one".
 * - `abort`: the server signals the worker to die now. A worker running
 *   Python code ends its request with an error and exits; one that cannot
 *   (stuck in C code) stays, and the policy's next onCheck kills it.
 * - `kill`: it dies now; a running request is lost with it.
 */
export interface Verdict {
  readonly reason: ExitReason;
  readonly mode: 'graceful' | 'abort' | 'kill';
  /** What the server would log, for events (e.g. "max_requests 1042 reached"). */
  readonly detail: string;
}

/** The options no server has (guards.ts); both off by default. */
export interface RecycleGuards {
  /**
   * A graceful recycle coming less than this long after the previous one that
   * went ahead (any worker) is deferred: the worker keeps serving, and its
   * rule fires again at its next opportunity. Kills are never deferred.
   */
  readonly minRecycleSpacingS: number;
  /**
   * For graceful recycles: the replacement is spawned first, and the old
   * worker keeps serving until the replacement is ready, then drains. The
   * caller runs one extra process meanwhile (and counts its memory).
   */
  readonly spawnBeforeKill: boolean;
}

export interface RecyclePolicy {
  readonly server: ServerKind;
  /** How often the master/arbiter runs its periodic checks (seconds), or Infinity when it has none. */
  readonly checkIntervalS: number;
  /**
   * How long the master waits for workers to finish when the whole service
   * stops or reloads before killing them (Gunicorn graceful_timeout, uWSGI
   * worker-reload-mercy; Celery's warm shutdown waits without limit). Not a
   * deadline for recycles: where a server has one, onCheck applies it.
   */
  readonly gracefulTimeoutS: number;
  /** Interval of the master's RSS samples behind facts.sampledRssBytes, or Infinity when nothing samples. */
  readonly rssSampleIntervalS: number;
  /** Workers are forked from a master that already imported the app: a spawn skips the import. */
  readonly preloaded: boolean;
  /**
   * What a worker failing to boot does to the service: 'respawn' replaces it;
   * 'halt' stops the service as the master does on shutdown (every worker
   * told to go, killed after gracefulTimeoutS) and the master exits, which in
   * a container means the kubelet restarts it (container.ts).
   */
  readonly bootFailure: 'halt' | 'respawn';
  readonly guards: RecycleGuards;

  /** At spawn: the worker's own limits (random draws from `rng`, the slot's stream). */
  limitsAtSpawn(slot: number, rng: Rng): WorkerLimits;

  /** A request is about to start on the worker (`facts.requestsStarted` already counts it). */
  onRequestStart(facts: WorkerFacts, limits: WorkerLimits, nowS: number): Verdict | null;

  /** The request finished; the worker is about to take the next one. */
  onRequestEnd(facts: WorkerFacts, limits: WorkerLimits, nowS: number): Verdict | null;

  /** The periodic check of one live worker (booting, idle, busy, draining or aborted), or one of its timers. */
  onCheck(facts: WorkerFacts, limits: WorkerLimits, nowS: number): Verdict | null;

  /** When the server's own timer for this worker fires next (Infinity: none); onCheck is then asked. */
  nextTimerS(facts: WorkerFacts, limits: WorkerLimits): number;

  /** The master's pause after spawning a worker before it spawns the next (`rng`: the master's stream). */
  spawnStaggerS(rng: Rng): number;
}
