import { describe, expect, it } from 'vitest';
import { CeleryPolicy, type CeleryOptions } from '../../src/policy/celery.js';
import { Rng } from '../../src/sim/rng.js';
import { MiB, MutableFacts } from '../support/worker-facts.js';

const NO_LIMIT = { maxRequests: 0 };

const OFF: CeleryOptions = { maxTasksPerChild: 0, maxMemoryPerChildKiB: 0, taskTimeLimitS: 0, procAliveTimeoutS: 4 };

function celery(options: Partial<CeleryOptions> = {}): CeleryPolicy {
  return new CeleryPolicy({ ...OFF, ...options });
}

describe('Celery worker_max_memory_per_child (billiard pool.py Worker.workloop, compat.py mem_rss)', () => {
  const limits = { maxRequests: 0 };

  it('recycles on the peak (ru_maxrss) after the task, even when the current RSS fell back', () => {
    const policy = celery({ maxMemoryPerChildKiB: 200 * 1024 });
    const facts = new MutableFacts().setRss(100 * MiB);
    facts.start(0);
    facts.setRss(300 * MiB); // one spiky task
    facts.setRss(110 * MiB); // its memory freed before it ended
    const verdict = policy.onRequestEnd(facts.end(), limits, 1);
    expect(facts.rssBytes).toBeLessThan(200 * 1024 * 1024);
    expect(verdict).toMatchObject({ reason: 'recycled_memory', mode: 'graceful' });
    expect(verdict?.detail).toContain(`${300 * 1024}KiB / ${200 * 1024}KiB`);
  });

  it('compares whole KiB with a strict greater-than', () => {
    const policy = celery({ maxMemoryPerChildKiB: 1000 });
    const at = new MutableFacts({ peakRssBytes: 1000 * 1024 + 1023, rssBytes: 0 });
    expect(policy.onRequestEnd(at, limits, 1)).toBeNull();
    const over = new MutableFacts({ peakRssBytes: 1001 * 1024, rssBytes: 0 });
    expect(policy.onRequestEnd(over, limits, 1)?.reason).toBe('recycled_memory');
  });

  it('is checked only after a task, never as one starts or mid-task', () => {
    const policy = celery({ maxMemoryPerChildKiB: 1000, taskTimeLimitS: 100 });
    const facts = new MutableFacts({ peakRssBytes: 10 * MiB }).start(0);
    expect(policy.onRequestStart(facts, limits, 0)).toBeNull();
    expect(policy.onCheck(facts, limits, 50)).toBeNull();
  });

  it('a child whose inherited peak is above the limit recycles after its first task', () => {
    const policy = celery({ maxMemoryPerChildKiB: 100 * 1024 });
    // peakRssBytes of a fresh fork starts at what it inherited from the parent
    const child = new MutableFacts({ rssBytes: 90 * MiB, peakRssBytes: 150 * MiB }).start(0).end();
    expect(policy.onRequestEnd(child, limits, 1)?.reason).toBe('recycled_memory');
  });
});

describe('Celery worker_max_tasks_per_child (pool.py, Worker.workloop)', () => {
  it('the child completes its last task, then exits', () => {
    const policy = celery({ maxTasksPerChild: 3 });
    const limits = policy.limitsAtSpawn(0, new Rng(1));
    expect(limits.maxRequests).toBe(3);
    const facts = new MutableFacts();
    for (let n = 1; n <= 2; n++) expect(policy.onRequestEnd(facts.start(n).end(), limits, n)).toBeNull();
    facts.start(3);
    expect(policy.onRequestStart(facts, limits, 3)).toBeNull();
    expect(policy.onRequestEnd(facts.end(), limits, 3.5)).toMatchObject({ reason: 'recycled_requests', mode: 'graceful' });
  });

  it('the memory check comes first when both fire', () => {
    const policy = celery({ maxTasksPerChild: 1, maxMemoryPerChildKiB: 1 });
    const facts = new MutableFacts({ peakRssBytes: MiB }).start(0).end();
    expect(policy.onRequestEnd(facts, policy.limitsAtSpawn(0, new Rng(1)), 1)?.reason).toBe('recycled_memory');
  });

  it('no limit draws nothing and never recycles', () => {
    const policy = celery();
    const facts = new MutableFacts();
    for (let n = 1; n < 2000; n++) expect(policy.onRequestEnd(facts.start(n).end(), policy.limitsAtSpawn(0, new Rng(1)), n)).toBeNull();
  });
});

describe('Celery task_time_limit (asynpool.py timers, pool.py on_hard_timeout)', () => {
  const limits = { maxRequests: 0 };

  it('arms a timer at the task start and kills the child when it fires', () => {
    const policy = celery({ taskTimeLimitS: 60 });
    const facts = new MutableFacts().start(10);
    expect(policy.nextTimerS(facts, NO_LIMIT)).toBe(70);
    expect(policy.onCheck(facts, limits, 69.999)).toBeNull();
    expect(policy.onCheck(facts, limits, 70)).toMatchObject({ reason: 'timeout', mode: 'kill' });
  });

  it('a timer outliving its task is harmless', () => {
    const policy = celery({ taskTimeLimitS: 60 });
    const facts = new MutableFacts().start(10).end();
    expect(policy.nextTimerS(facts, NO_LIMIT)).toBe(Infinity);
    expect(policy.onCheck(facts, limits, 70)).toBeNull();
    facts.start(65);
    expect(policy.onCheck(facts, limits, 70)).toBeNull();
    expect(policy.nextTimerS(facts, NO_LIMIT)).toBe(125);
  });

  it('without a limit tasks run as long as they like; there is no periodic check', () => {
    const policy = celery();
    const facts = new MutableFacts().start(0);
    expect(policy.nextTimerS(facts, NO_LIMIT)).toBe(Infinity);
    expect(policy.onCheck(facts, limits, 1e7)).toBeNull();
    expect(policy.checkIntervalS).toBe(Infinity);
  });
});

describe('Celery worker_proc_alive_timeout (asynpool.py, verify_process_alive)', () => {
  it('kills a child that has not finished booting 4 s after its spawn', () => {
    const policy = celery();
    const facts = new MutableFacts({ spawnedAtS: 5, readyAtS: null });
    expect(policy.nextTimerS(facts, NO_LIMIT)).toBe(9);
    expect(policy.onCheck(facts, { maxRequests: 0 }, 8.99)).toBeNull();
    expect(policy.onCheck(facts, { maxRequests: 0 }, 9)).toMatchObject({ reason: 'timeout', mode: 'kill' });
    facts.readyAtS = 8;
    expect(policy.onCheck(facts, { maxRequests: 0 }, 9)).toBeNull();
  });

  it('children are forked from the loaded app and replaced at once; a failed boot is respawned', () => {
    const policy = celery();
    expect(policy.preloaded).toBe(true);
    expect(policy.spawnStaggerS(new Rng(1))).toBe(0);
    expect(policy.bootFailure).toBe('respawn');
    expect(policy.limitsAtSpawn(0, new Rng(1))).toBe(policy.limitsAtSpawn(0, new Rng(1)));
  });
});
