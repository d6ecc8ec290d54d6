import { describe, expect, it } from 'vitest';
import {
  BACKOFF_INITIAL_S,
  BACKOFF_MAX_S,
  ContainerMemoryLimit,
  containerSchema,
  CrashLoopBackOff,
  OOM_ALL,
  OOM_NONE,
} from '../../src/policy/container.js';
import { MiB } from '../support/worker-facts.js';

describe('container memory limit: who the OOM killer ends', () => {
  const rss = [80 * MiB, 300 * MiB, 250 * MiB, 300 * MiB];

  it('nobody while the charged memory is at or under the limit', () => {
    const limit = new ContainerMemoryLimit(1000 * MiB, 'largest');
    expect(limit.oomVictim(1000 * MiB, rss, rss.length)).toBe(OOM_NONE);
    expect(new ContainerMemoryLimit(1000 * MiB, 'group').oomVictim(999 * MiB, rss, rss.length)).toBe(OOM_NONE);
  });

  it('every process with memory.oom.group', () => {
    expect(new ContainerMemoryLimit(900 * MiB, 'group').oomVictim(930 * MiB, rss, rss.length)).toBe(OOM_ALL);
  });

  it('only the largest with singleProcessOOMKill, the first found on a tie', () => {
    const limit = new ContainerMemoryLimit(900 * MiB, 'largest');
    expect(limit.oomVictim(930 * MiB, rss, rss.length)).toBe(1);
    expect(limit.oomVictim(930 * MiB, [10, 20, 30], 2)).toBe(1);
    expect(limit.oomVictim(930 * MiB, new Float64Array([5, 50, 7]), 3)).toBe(1);
  });
});

describe('kubelet restart back-off (CrashLoopBackOff)', () => {
  it('restarts at once the first time, then waits 10 s doubling to 300 s', () => {
    const backOff = new CrashLoopBackOff();
    const delays: number[] = [];
    let t = 0;
    for (let crash = 0; crash < 9; crash++) {
      const finished = t + 5; // each run lasts 5 s
      const start = backOff.restartAtS(finished);
      delays.push(start - finished);
      t = start;
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
    expect(BACKOFF_INITIAL_S).toBe(10);
    expect(BACKOFF_MAX_S).toBe(300);
  });

  it('forgets the record after a run of more than 10 minutes since the last restart', () => {
    const backOff = new CrashLoopBackOff();
    let start = backOff.restartAtS(0);
    start = backOff.restartAtS(start + 1); // waits 10
    start = backOff.restartAtS(start + 1); // waits 20
    expect(backOff.delayS(start + 600)).toBe(40);
    expect(backOff.delayS(start + 600.5)).toBe(0);
    const finished = start + 601;
    expect(backOff.restartAtS(finished)).toBe(finished);
    expect(backOff.restartAtS(finished + 1) - (finished + 1)).toBe(10);
  });

  it('delayS does not record a restart', () => {
    const backOff = new CrashLoopBackOff();
    expect(backOff.delayS(0)).toBe(0);
    expect(backOff.delayS(0)).toBe(0);
    backOff.restartAtS(0);
    expect(backOff.delayS(1)).toBe(10);
    expect(backOff.delayS(1)).toBe(10);
  });
});

describe('container schema', () => {
  it('takes Kubernetes quantities and defaults to group kills', () => {
    expect(containerSchema.parse({ memory_limit: '512Mi' })).toEqual({ memory_limit: 512 * MiB, oom_kill: 'group' });
    expect(containerSchema.parse({ memory_limit: '2Gi', oom_kill: 'largest' }).memory_limit).toBe(2 * 1024 * MiB);
    expect(containerSchema.parse({ memory_limit: 1_000_000 }).memory_limit).toBe(1_000_000);
    const limit = ContainerMemoryLimit.fromConfig(containerSchema.parse({ memory_limit: '1Gi', oom_kill: 'largest' }));
    expect(limit.limitBytes).toBe(1024 * MiB);
    expect(limit.oomKill).toBe('largest');
  });

  it('rejects unknown keys, unknown kill modes, a missing or zero limit', () => {
    const issues = (input: unknown) => containerSchema.safeParse(input).error?.issues ?? [];
    expect(issues({ memory_limit: '1Gi', swap: true })[0]).toMatchObject({ code: 'unrecognized_keys' });
    expect(issues({ memory_limit: '1Gi', oom_kill: 'random' })[0].path).toEqual(['oom_kill']);
    expect(issues({})[0].path).toEqual(['memory_limit']);
    expect(issues({ memory_limit: 0 })[0].path).toEqual(['memory_limit']);
    expect(issues({ memory_limit: '12 parsecs' })[0].path).toEqual(['memory_limit']);
  });
});
