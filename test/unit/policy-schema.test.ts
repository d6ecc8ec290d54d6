import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CeleryPolicy, celerySchema } from '../../src/policy/celery.js';
import { GunicornPolicy, gunicornSchema } from '../../src/policy/gunicorn.js';
import { policyFromConfig, policySchema } from '../../src/policy/schema.js';
import { UwsgiPolicy, uwsgiSchema } from '../../src/policy/uwsgi.js';
import { MiB } from '../support/worker-facts.js';

function issues(input: unknown) {
  return policySchema.safeParse(input).error?.issues ?? [];
}

describe('policy section: defaults as the servers have them', () => {
  it('gunicorn (config.py: max_requests 0, max_requests_jitter 0, timeout 30, graceful_timeout 30, preload_app False)', () => {
    expect(policySchema.parse({ server: 'gunicorn' })).toEqual({
      server: 'gunicorn',
      max_requests: 0,
      max_requests_jitter: 0,
      timeout: 30,
      graceful_timeout: 30,
      preload_app: false,
      guards: { min_recycle_spacing: 0, spawn_before_kill: false },
    });
  });

  it('celery (app/defaults.py: no task or memory limit per child, no time limit, proc_alive_timeout 4.0)', () => {
    expect(policySchema.parse({ server: 'celery' })).toMatchObject({
      worker_max_tasks_per_child: null,
      worker_max_memory_per_child: null,
      task_time_limit: null,
      worker_proc_alive_timeout: 4,
    });
  });

  it('uwsgi (core/init.c: min-worker-lifetime 10, worker-reload-mercy 60, mem-collector-freq 3; the rest off)', () => {
    expect(policySchema.parse({ server: 'uwsgi' })).toMatchObject({
      'max-requests': 0,
      'max-requests-delta': 0,
      'reload-on-rss': 0,
      'evil-reload-on-rss': 0,
      'mem-collector-freq': 3,
      harakiri: 0,
      'min-worker-lifetime': 10,
      'max-worker-lifetime': 0,
      'max-worker-lifetime-delta': 0,
      'worker-reload-mercy': 60,
      'lazy-apps': false,
    });
  });

  it('every setting says what it does', () => {
    for (const schema of [gunicornSchema, celerySchema, uwsgiSchema] as z.ZodObject[]) {
      expect(schema.description).toBeTruthy();
      for (const [key, field] of Object.entries(schema.shape)) expect(field.description, key).toBeTruthy();
    }
    expect(policySchema.description).toBeTruthy();
  });
});

describe('policy section: validation', () => {
  it('rejects unknown keys, naming them (another server’s option included)', () => {
    expect(issues({ server: 'gunicorn', max_request: 10 })[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['max_request'] });
    expect(issues({ server: 'celery', max_requests: 10 })[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['max_requests'] });
    expect(issues({ server: 'uwsgi', guards: { spacing: 1 } })[0]).toMatchObject({ path: ['guards'], code: 'unrecognized_keys' });
  });

  it('requires a known server', () => {
    expect(issues({ server: 'waitress' })[0].path).toEqual(['server']);
    expect(issues({ max_requests: 10 })[0].path).toEqual(['server']);
  });

  it('names the field of a bad value', () => {
    expect(issues({ server: 'gunicorn', max_requests: -1 })[0].path).toEqual(['max_requests']);
    expect(issues({ server: 'gunicorn', max_requests_jitter: 1.5 })[0].path).toEqual(['max_requests_jitter']);
    expect(issues({ server: 'gunicorn', timeout: '30 parsecs' })[0].path).toEqual(['timeout']);
    expect(issues({ server: 'celery', worker_max_tasks_per_child: 0 })[0].path).toEqual(['worker_max_tasks_per_child']);
    expect(issues({ server: 'uwsgi', harakiri: '1.5s' })[0]).toMatchObject({ path: ['harakiri'], message: 'uWSGI takes whole seconds' });
  });

  it('refuses min-worker-lifetime >= max-worker-lifetime as uWSGI does (core/init.c)', () => {
    const [issue] = issues({ server: 'uwsgi', 'max-worker-lifetime': 10 });
    expect(issue.path).toEqual(['min-worker-lifetime']);
    expect(issue.message).toContain('must be lower than max-worker-lifetime');
    expect(policySchema.safeParse({ server: 'uwsgi', 'max-worker-lifetime': 11 }).success).toBe(true);
  });
});

describe('policy section: units', () => {
  it('durations are seconds or strings with units', () => {
    const parse = (timeout: unknown) => policySchema.parse({ server: 'gunicorn', timeout });
    expect(parse(45)).toMatchObject({ timeout: 45 });
    expect(parse('30s')).toMatchObject({ timeout: 30 });
    expect(parse('5m')).toMatchObject({ timeout: 300 });
    expect(parse('1h')).toMatchObject({ timeout: 3600 });
    expect(policySchema.parse({ server: 'uwsgi', harakiri: '2m', 'max-worker-lifetime': '1h' })).toMatchObject({
      harakiri: 120,
      'max-worker-lifetime': 3600,
    });
  });

  it('celery memory: a number is KiB as Celery takes it, a size string is converted', () => {
    expect(policySchema.parse({ server: 'celery', worker_max_memory_per_child: 200000 })).toMatchObject({ worker_max_memory_per_child: 200000 });
    expect(policySchema.parse({ server: 'celery', worker_max_memory_per_child: '200MiB' })).toMatchObject({
      worker_max_memory_per_child: 200 * 1024,
    });
    expect(issues({ server: 'celery', worker_max_memory_per_child: '1000B' })[0].path).toEqual(['worker_max_memory_per_child']);
  });

  it('uwsgi memory options are MiB, as uWSGI takes them', () => {
    const policy = policyFromConfig(policySchema.parse({ server: 'uwsgi', 'reload-on-rss': 512, 'evil-reload-on-rss': 0.5 }));
    expect(policy).toBeInstanceOf(UwsgiPolicy);
    expect((policy as UwsgiPolicy).options.reloadOnRssBytes).toBe(512 * MiB);
    expect((policy as UwsgiPolicy).options.evilReloadOnRssBytes).toBe(MiB / 2);
  });
});

describe('policyFromConfig', () => {
  it('builds each server’s policy with its settings in our units', () => {
    const g = policyFromConfig(policySchema.parse({ server: 'gunicorn', max_requests: 1000, max_requests_jitter: 50, timeout: '1m', preload_app: true }));
    expect(g).toBeInstanceOf(GunicornPolicy);
    expect((g as GunicornPolicy).options).toEqual({ maxRequests: 1000, maxRequestsJitter: 50, timeoutS: 60, gracefulTimeoutS: 30, preloadApp: true });
    expect(g.preloaded).toBe(true);

    const c = policyFromConfig(
      policySchema.parse({ server: 'celery', worker_max_tasks_per_child: 100, worker_max_memory_per_child: 300000, task_time_limit: '10m' }),
    );
    expect(c).toBeInstanceOf(CeleryPolicy);
    expect((c as CeleryPolicy).options).toEqual({ maxTasksPerChild: 100, maxMemoryPerChildKiB: 300000, taskTimeLimitS: 600, procAliveTimeoutS: 4 });

    const u = policyFromConfig(policySchema.parse({ server: 'uwsgi', 'max-requests': 500, 'max-requests-delta': 20, 'lazy-apps': true }));
    expect(u.server).toBe('uwsgi');
    expect(u.limitsAtSpawn(2, undefined as never).maxRequests).toBe(540);
    expect(u.preloaded).toBe(false);
  });
});
