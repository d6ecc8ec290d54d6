import { describe, expect, it } from 'vitest';
import { GunicornPolicy, type GunicornOptions } from '../../src/policy/gunicorn.js';
import { Rng } from '../../src/sim/rng.js';
import { MutableFacts } from '../support/worker-facts.js';

const DEFAULTS: GunicornOptions = { maxRequests: 0, maxRequestsJitter: 0, timeoutS: 30, gracefulTimeoutS: 30, preloadApp: false };

function gunicorn(options: Partial<GunicornOptions> = {}): GunicornPolicy {
  return new GunicornPolicy({ ...DEFAULTS, ...options });
}

describe('Gunicorn max_requests and max_requests_jitter (workers/base.py, Worker.__init__)', () => {
  it('draws max_requests + randint(0, jitter), both ends included, over many seeds', () => {
    const policy = gunicorn({ maxRequests: 1000, maxRequestsJitter: 4 });
    const seen = new Map<number, number>();
    for (let seed = 0; seed < 2000; seed++) {
      const { maxRequests } = policy.limitsAtSpawn(0, new Rng(seed).stream('worker-0'));
      expect(Number.isInteger(maxRequests)).toBe(true);
      expect(maxRequests).toBeGreaterThanOrEqual(1000);
      expect(maxRequests).toBeLessThanOrEqual(1004);
      seen.set(maxRequests, (seen.get(maxRequests) ?? 0) + 1);
    }
    // Five values, each about 400 times: the upper end is reachable (randint is inclusive).
    expect([...seen.keys()].sort()).toEqual([1000, 1001, 1002, 1003, 1004]);
    for (const count of seen.values()) expect(count).toBeGreaterThan(300);
  });

  it('gives each worker its own draw from its own stream', () => {
    const policy = gunicorn({ maxRequests: 1000, maxRequestsJitter: 500 });
    const root = new Rng(42);
    const limits = Array.from({ length: 8 }, (_, slot) => policy.limitsAtSpawn(slot, root.stream(`worker-${slot}`)).maxRequests);
    expect(new Set(limits).size).toBeGreaterThan(4);
    const again = policy.limitsAtSpawn(3, new Rng(42).stream('worker-3')).maxRequests;
    expect(again).toBe(limits[3]);
  });

  it('without jitter the limit is max_requests exactly', () => {
    const policy = gunicorn({ maxRequests: 50 });
    for (let seed = 0; seed < 50; seed++) expect(policy.limitsAtSpawn(0, new Rng(seed)).maxRequests).toBe(50);
  });

  it('max_requests 0 means no limit and draws nothing', () => {
    const policy = gunicorn({ maxRequests: 0, maxRequestsJitter: 100 });
    const rng = new Rng(7);
    expect(policy.limitsAtSpawn(0, rng).maxRequests).toBe(0);
    expect(rng.next()).toBe(new Rng(7).next());
    const facts = new MutableFacts();
    for (let i = 0; i < 2000; i++) expect(policy.onRequestStart(facts.start(i), { maxRequests: 0 }, i)).toBeNull();
  });
});

describe('Gunicorn sync worker: the count rises as a request starts (workers/sync.py, handle_request)', () => {
  it('the request reaching the limit is announced at its start as the last one, and completes', () => {
    const policy = gunicorn({ maxRequests: 3 });
    const limits = { maxRequests: 3 };
    const facts = new MutableFacts();
    for (let n = 1; n <= 2; n++) {
      expect(policy.onRequestStart(facts.start(n), limits, n)).toBeNull();
      expect(policy.onRequestEnd(facts.end(), limits, n + 0.5)).toBeNull();
    }
    const verdict = policy.onRequestStart(facts.start(3), limits, 3);
    expect(verdict).toMatchObject({ reason: 'recycled_requests', mode: 'graceful' });
    // Nothing kills the request in flight: the exit happens after it.
    expect(policy.onCheck(facts, limits, 3.5)).toBeNull();
    expect(policy.onRequestEnd(facts.end(), limits, 4)).toBeNull();
  });

  it('a deferred recycle fires again at the next request (nr >= max_requests)', () => {
    const policy = gunicorn({ maxRequests: 3 });
    const facts = new MutableFacts({ requestsStarted: 3 });
    expect(policy.onRequestStart(facts.start(10), { maxRequests: 3 }, 10)?.mode).toBe('graceful');
  });
});

describe('Gunicorn timeout (arbiter.py, murder_workers)', () => {
  const limits = { maxRequests: 0 };

  it('aborts a request silent for more than timeout, strictly, then kills at a later check', () => {
    const policy = gunicorn({ timeoutS: 30 });
    const facts = new MutableFacts().start(100);
    expect(policy.onCheck(facts, limits, 129)).toBeNull();
    expect(policy.onCheck(facts, limits, 130)).toBeNull();
    const abort = policy.onCheck(facts, limits, 130.4);
    expect(abort).toMatchObject({ reason: 'timeout', mode: 'abort' });
    facts.abortedAtS = 130.4;
    expect(policy.onCheck(facts, limits, 130.4)).toBeNull();
    expect(policy.onCheck(facts, limits, 131.4)).toMatchObject({ reason: 'timeout', mode: 'kill' });
  });

  it('never times out an idle worker, nor a booting one', () => {
    const policy = gunicorn({ timeoutS: 30 });
    const idle = new MutableFacts({ spawnedAtS: 0, readyAtS: 1 });
    const booting = new MutableFacts({ spawnedAtS: 0, readyAtS: null });
    for (let t = 1; t < 1000; t++) {
      expect(policy.onCheck(idle, limits, t)).toBeNull();
      expect(policy.onCheck(booting, limits, t)).toBeNull();
    }
  });

  it('timeout 0 disables it', () => {
    const policy = gunicorn({ timeoutS: 0 });
    const facts = new MutableFacts().start(0);
    expect(policy.onCheck(facts, limits, 1e6)).toBeNull();
  });

  it('applies to the last request of a recycling worker as to any other', () => {
    const policy = gunicorn({ timeoutS: 30, maxRequests: 1 });
    const facts = new MutableFacts().start(0);
    facts.drainingSinceS = 0;
    expect(policy.onCheck(facts, { maxRequests: 1 }, 31)?.mode).toBe('abort');
  });

  it('the arbiter checks about once a second and has no timers of its own', () => {
    const policy = gunicorn();
    expect(policy.checkIntervalS).toBe(1);
    expect(policy.nextTimerS(new MutableFacts().start(0), limits)).toBe(Infinity);
  });
});

describe('Gunicorn replacement and boot (arbiter.py, spawn_workers, reap_workers)', () => {
  it('pauses 0 to 100 ms after each spawn', () => {
    const policy = gunicorn();
    const rng = new Rng(1);
    const pauses = Array.from({ length: 1000 }, () => policy.spawnStaggerS(rng));
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...pauses)).toBeLessThan(0.1);
    expect(Math.max(...pauses)).toBeGreaterThan(0.09);
    expect(Math.min(...pauses)).toBeLessThan(0.01);
  });

  it('skips the app import with preload_app, halts on boot failure, uses graceful_timeout for stops', () => {
    expect(gunicorn().preloaded).toBe(false);
    expect(gunicorn({ preloadApp: true }).preloaded).toBe(true);
    expect(gunicorn().bootFailure).toBe('halt');
    expect(gunicorn({ gracefulTimeoutS: 12 }).gracefulTimeoutS).toBe(12);
  });
});
