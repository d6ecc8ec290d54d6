/**
 * What none of the servers has, as options whose benefit a run can measure:
 *
 * - A restart-storm guard (`min_recycle_spacing`). With max_requests and a
 *   small jitter, or a memory limit that every worker crosses at about the
 *   same time, recycles bunch up and the service loses several workers' worth
 *   of capacity at once. The guard spaces graceful recycles service-wide: one
 *   that would come too soon after the previous one is deferred and the
 *   worker keeps serving. Gunicorn's jitter and uWSGI's max-requests-delta
 *   only spread the *limits*; nothing in them looks at when the other workers
 *   last restarted.
 * - Spawn-before-kill (`spawn_before_kill`). All three servers reap the old
 *   worker first and fork the replacement afterwards (arbiter.py
 *   reap_workers then manage_workers; billiard's _maintain_pool; uWSGI's
 *   master respawns in its reap loop), so a slot serves nothing while its
 *   replacement boots. With the guard, the replacement boots first.
 *
 * Kills (timeouts, evil reloads, OOM) are never deferred: they exist because
 * the worker must not go on.
 */
import { z } from 'zod';
import { durationSchema } from '../workload/units.js';
import type { RecycleGuards, Verdict } from './policy.js';

export const guardsSchema = z
  .strictObject({
    min_recycle_spacing: durationSchema
      .default(0)
      .describe(
        'restart-storm guard: a graceful recycle coming less than this long after the previous one (any worker) is deferred and the worker keeps serving; 0 = off',
      ),
    spawn_before_kill: z
      .boolean()
      .default(false)
      .describe('for graceful recycles, boot the replacement before the old worker stops taking work (one extra process meanwhile)'),
  })
  .describe('options no server has, to measure what they would buy');

export type GuardsConfig = z.output<typeof guardsSchema>;

export const NO_GUARDS: RecycleGuards = Object.freeze({ minRecycleSpacingS: 0, spawnBeforeKill: false });

export function guardsFromConfig(config: GuardsConfig): RecycleGuards {
  return Object.freeze({ minRecycleSpacingS: config.min_recycle_spacing, spawnBeforeKill: config.spawn_before_kill });
}

/**
 * True when `verdict` must wait: it is graceful and the previous graceful
 * recycle that went ahead, at `lastGracefulRecycleS` (-Infinity if none), was
 * less than the spacing ago. The caller records `nowS` as the last recycle
 * when it lets one go ahead.
 */
export function defersRecycle(guards: RecycleGuards, verdict: Verdict, lastGracefulRecycleS: number, nowS: number): boolean {
  return verdict.mode === 'graceful' && nowS - lastGracefulRecycleS < guards.minRecycleSpacingS;
}
