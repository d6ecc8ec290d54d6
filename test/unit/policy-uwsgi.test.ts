import { describe, expect, it } from 'vitest';
import type { RecyclePolicy, Verdict } from '../../src/policy/policy.js';
import { UwsgiPolicy, type UwsgiOptions } from '../../src/policy/uwsgi.js';
import { Rng } from '../../src/sim/rng.js';
import { MiB, MutableFacts } from '../support/worker-facts.js';

const DEFAULTS: UwsgiOptions = {
  maxRequests: 0,
  maxRequestsDelta: 0,
  reloadOnRssBytes: 0,
  evilReloadOnRssBytes: 0,
  memCollectorFreqS: 3,
  harakiriS: 0,
  minWorkerLifetimeS: 10,
  maxWorkerLifetimeS: 0,
  maxWorkerLifetimeDeltaS: 0,
  workerReloadMercyS: 60,
  lazyApps: false,
};

function uwsgi(options: Partial<UwsgiOptions> = {}): UwsgiPolicy {
  return new UwsgiPolicy({ ...DEFAULTS, ...options });
}

const NO_LIMIT = { maxRequests: 0 };

describe('uWSGI max-requests and max-requests-delta (core/utils.c, uwsgi_close_request)', () => {
  it('worker i gets max_requests + i * delta, whatever the random stream', () => {
    const policy: RecyclePolicy = uwsgi({ maxRequests: 1000, maxRequestsDelta: 25 });
    for (let slot = 0; slot < 8; slot++) {
      for (let seed = 0; seed < 5; seed++) expect(policy.limitsAtSpawn(slot, new Rng(seed)).maxRequests).toBe(1000 + slot * 25);
    }
    expect(uwsgi({ maxRequestsDelta: 25 }).limitsAtSpawn(3, new Rng(0)).maxRequests).toBe(0);
  });

  it('counts requests as they end and reloads after the one reaching the limit', () => {
    const policy = uwsgi({ maxRequests: 3 });
    const limits = policy.limitsAtSpawn(0, new Rng(0));
    const facts = new MutableFacts({ spawnedAtS: 0 });
    for (let n = 1; n <= 3; n++) {
      facts.start(100 + n);
      expect(policy.onRequestStart(facts, limits, 100 + n)).toBeNull();
      const verdict = policy.onRequestEnd(facts.end(), limits, 100.5 + n);
      if (n < 3) expect(verdict).toBeNull();
      else expect(verdict).toMatchObject({ reason: 'recycled_requests', mode: 'graceful' });
    }
  });

  it('does not reload a worker younger than min-worker-lifetime, even past max-requests', () => {
    const policy = uwsgi({ maxRequests: 2, minWorkerLifetimeS: 10 });
    const facts = new MutableFacts({ spawnedAtS: 50, requestsStarted: 5 });
    expect(policy.onRequestEnd(facts, { maxRequests: 2 }, 59.9)).toBeNull();
    expect(policy.onRequestEnd(facts, { maxRequests: 2 }, 60)?.reason).toBe('recycled_requests');
  });

  it('measures the lifetime from the whole second of the spawn (last_spawn is time(2))', () => {
    const policy = uwsgi({ maxRequests: 1, minWorkerLifetimeS: 10 });
    const facts = new MutableFacts({ spawnedAtS: 50.9, requestsStarted: 1 });
    expect(policy.onRequestEnd(facts, { maxRequests: 1 }, 59.95)).toBeNull();
    expect(policy.onRequestEnd(facts, { maxRequests: 1 }, 60)?.reason).toBe('recycled_requests');
  });
});

describe('uWSGI reload-on-rss (utils.c, uwsgi_close_request)', () => {
  it('is not applied before min-worker-lifetime, and is after', () => {
    const policy = uwsgi({ reloadOnRssBytes: 200 * MiB, minWorkerLifetimeS: 10 });
    const facts = new MutableFacts({ spawnedAtS: 0 }).setRss(250 * MiB);
    for (let t = 1; t < 10; t += 0.5) expect(policy.onRequestEnd(facts, NO_LIMIT, t)).toBeNull();
    expect(policy.onRequestEnd(facts, NO_LIMIT, 10)).toMatchObject({ reason: 'recycled_memory', mode: 'graceful' });
  });

  it('compares the RSS at the end of the request (>=), not its peak', () => {
    const policy = uwsgi({ reloadOnRssBytes: 200 * MiB, minWorkerLifetimeS: 0 });
    const facts = new MutableFacts().setRss(300 * MiB).setRss(150 * MiB);
    expect(policy.onRequestEnd(facts, NO_LIMIT, 20)).toBeNull();
    facts.setRss(200 * MiB);
    expect(policy.onRequestEnd(facts, NO_LIMIT, 21)?.reason).toBe('recycled_memory');
  });

  it('never acts mid-request or from the master', () => {
    const policy = uwsgi({ reloadOnRssBytes: MiB, minWorkerLifetimeS: 0 });
    const facts = new MutableFacts().setRss(500 * MiB).start(30);
    for (let t = 31; t < 100; t++) expect(policy.onCheck(facts, NO_LIMIT, t)).toBeNull();
  });
});

describe('uWSGI evil-reload-on-rss (master_checks.c; uwsgi.c mem_collector)', () => {
  it('is sampled every mem-collector-freq seconds (3 by default) only when set', () => {
    expect(uwsgi({ evilReloadOnRssBytes: MiB }).rssSampleIntervalS).toBe(3);
    expect(uwsgi({ evilReloadOnRssBytes: MiB, memCollectorFreqS: 5 }).rssSampleIntervalS).toBe(5);
    expect(uwsgi().rssSampleIntervalS).toBe(Infinity);
  });

  it('kills at once, mid-request, on the sampled RSS', () => {
    const policy = uwsgi({ evilReloadOnRssBytes: 400 * MiB });
    const facts = new MutableFacts().start(10).setRss(500 * MiB);
    facts.sampledRssBytes = 300 * MiB;
    expect(policy.onCheck(facts, NO_LIMIT, 11)).toBeNull();
    facts.sampledRssBytes = 400 * MiB;
    expect(policy.onCheck(facts, NO_LIMIT, 12)).toMatchObject({ reason: 'evil_reload', mode: 'kill' });
  });

  it('acts at the first master check after the sample that crossed the limit', () => {
    const policy = uwsgi({ evilReloadOnRssBytes: 400 * MiB });
    const interval = policy.rssSampleIntervalS;
    const facts = new MutableFacts({ spawnedAtS: 0.5 });
    facts.start(1); // one long request; its memory grows past the limit at t = 4.2
    let killedAt = -1;
    let verdict: Verdict | null = null;
    // The caller's loop: samples at spawn + k * interval, master checks every second.
    for (let step = 1; step <= 200 && killedAt < 0; step++) {
      const t = step * 0.1;
      facts.setRss(t >= 4.2 ? 450 * MiB : 100 * MiB);
      const sinceSpawn = t - facts.spawnedAtS;
      if (sinceSpawn > 0 && Math.abs(sinceSpawn / interval - Math.round(sinceSpawn / interval)) < 1e-9) facts.sampledRssBytes = facts.rssBytes;
      if (Math.abs(t - Math.round(t)) < 1e-9) {
        verdict = policy.onCheck(facts, NO_LIMIT, Math.round(t));
        if (verdict !== null) killedAt = Math.round(t);
      }
    }
    // Samples at 3.5 (100 MiB) and 6.5 (450 MiB): the check at 7 kills, the request still running.
    expect(killedAt).toBe(7);
    expect(verdict?.reason).toBe('evil_reload');
    expect(facts.busySinceS).not.toBeNull();
  });
});

describe('uWSGI harakiri (master_checks.c uwsgi_master_check_harakiri; utils.c set_harakiri)', () => {
  it('kills a request once now >= its start + harakiri, in whole seconds', () => {
    const policy = uwsgi({ harakiriS: 30 });
    const facts = new MutableFacts().start(100.5);
    expect(policy.onCheck(facts, NO_LIMIT, 129.99)).toBeNull();
    expect(policy.onCheck(facts, NO_LIMIT, 130)).toMatchObject({ reason: 'timeout', mode: 'kill' });
  });

  it('leaves idle workers alone, and is off at 0', () => {
    const facts = new MutableFacts({ spawnedAtS: 0 });
    expect(uwsgi({ harakiriS: 5 }).onCheck(facts, NO_LIMIT, 1000)).toBeNull();
    expect(uwsgi().onCheck(new MutableFacts().start(0), NO_LIMIT, 1e6)).toBeNull();
  });
});

describe('uWSGI max-worker-lifetime (master_checks.c)', () => {
  it('asks the worker to finish its request and go once it has lived longer than the lifetime', () => {
    const policy = uwsgi({ maxWorkerLifetimeS: 60, minWorkerLifetimeS: 10 });
    const facts = new MutableFacts({ spawnedAtS: 0 }).start(55);
    expect(policy.onCheck(facts, NO_LIMIT, 60)).toBeNull();
    expect(policy.onCheck(facts, NO_LIMIT, 61)).toMatchObject({ reason: 'recycled_lifetime', mode: 'graceful' });
    facts.drainingSinceS = 61;
    expect(policy.onCheck(facts, NO_LIMIT, 62)).toBeNull();
    // No mercy deadline for this one: only harakiri could end its request.
    expect(policy.onCheck(facts, NO_LIMIT, 10_000)).toBeNull();
  });

  it('gives worker i lifetime + i * max-worker-lifetime-delta', () => {
    const policy = uwsgi({ maxWorkerLifetimeS: 60, maxWorkerLifetimeDeltaS: 10 });
    const facts = new MutableFacts({ slot: 2, spawnedAtS: 0 });
    expect(policy.onCheck(facts, NO_LIMIT, 80)).toBeNull();
    expect(policy.onCheck(facts, NO_LIMIT, 81)?.reason).toBe('recycled_lifetime');
  });
});

describe('uWSGI worker-reload-mercy (master.c, uwsgi_master_check_mercy)', () => {
  it('kills a worker that was told to go after a request and is still alive after the mercy', () => {
    const policy = uwsgi({ workerReloadMercyS: 60 });
    const facts = new MutableFacts({ drainingSinceS: 100 });
    expect(policy.onCheck(facts, NO_LIMIT, 160)).toBeNull();
    expect(policy.onCheck(facts, NO_LIMIT, 161)).toMatchObject({ reason: 'timeout', mode: 'kill' });
    expect(policy.gracefulTimeoutS).toBe(60);
  });
});

describe('uWSGI boot and replacement', () => {
  it('forks from the master unless lazy-apps, respawns failed boots, no stagger', () => {
    expect(uwsgi().preloaded).toBe(true);
    expect(uwsgi({ lazyApps: true }).preloaded).toBe(false);
    expect(uwsgi().bootFailure).toBe('respawn');
    expect(uwsgi().spawnStaggerS(new Rng(1))).toBe(0);
    expect(uwsgi().checkIntervalS).toBe(1);
  });
});
