import { describe, expect, it } from 'vitest';
import { defersRecycle, guardsFromConfig, guardsSchema, NO_GUARDS } from '../../src/policy/guards.js';
import type { Verdict } from '../../src/policy/policy.js';
import { policyFromConfig, policySchema } from '../../src/policy/schema.js';

const graceful: Verdict = { reason: 'recycled_requests', mode: 'graceful', detail: '' };
const kill: Verdict = { reason: 'evil_reload', mode: 'kill', detail: '' };
const abort: Verdict = { reason: 'timeout', mode: 'abort', detail: '' };

describe('restart-storm guard (min_recycle_spacing)', () => {
  const guards = { minRecycleSpacingS: 30, spawnBeforeKill: false };

  it('defers a graceful recycle coming too soon after the previous one, allows it afterwards', () => {
    expect(defersRecycle(guards, graceful, 100, 100)).toBe(true);
    expect(defersRecycle(guards, graceful, 100, 129.9)).toBe(true);
    expect(defersRecycle(guards, graceful, 100, 130)).toBe(false);
    expect(defersRecycle(guards, graceful, -Infinity, 0)).toBe(false);
  });

  it('never defers kills or aborts', () => {
    expect(defersRecycle(guards, kill, 100, 101)).toBe(false);
    expect(defersRecycle(guards, abort, 100, 101)).toBe(false);
  });

  it('is off by default', () => {
    expect(defersRecycle(NO_GUARDS, graceful, 100, 100)).toBe(false);
  });

  it('spaces a burst of recycles: a caller asking again at each opportunity gets them one spacing apart', () => {
    // Eight workers all reach their limit at t = 0; each asks again at its next request end (every 2 s).
    let last = -Infinity;
    const went: number[] = [];
    const waiting = new Set([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let t = 0; waiting.size > 0; t += 2) {
      for (const w of [...waiting]) {
        if (defersRecycle(guards, graceful, last, t)) continue;
        last = t;
        went.push(t);
        waiting.delete(w);
      }
    }
    expect(went).toEqual([0, 30, 60, 90, 120, 150, 180, 210]);
  });
});

describe('guards schema', () => {
  it('defaults to off and takes durations', () => {
    expect(guardsFromConfig(guardsSchema.parse({}))).toEqual({ minRecycleSpacingS: 0, spawnBeforeKill: false });
    expect(guardsFromConfig(guardsSchema.parse({ min_recycle_spacing: '2m', spawn_before_kill: true }))).toEqual({
      minRecycleSpacingS: 120,
      spawnBeforeKill: true,
    });
    expect(guardsSchema.safeParse({ spacing: 1 }).success).toBe(false);
  });

  it('travel with the policy', () => {
    const policy = policyFromConfig(policySchema.parse({ server: 'celery', guards: { min_recycle_spacing: 45, spawn_before_kill: true } }));
    expect(policy.guards).toEqual({ minRecycleSpacingS: 45, spawnBeforeKill: true });
    expect(policyFromConfig(policySchema.parse({ server: 'uwsgi' })).guards).toEqual(NO_GUARDS);
  });
});
