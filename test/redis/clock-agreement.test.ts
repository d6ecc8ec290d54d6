/**
 * One model, two clocks: the same scenario run in virtual time (`pyheap
 * simulate`) and in real time (`pyheap run --time-scale 10`, worker threads,
 * BullMQ on a redis-server of the test's own) agrees on what it measures.
 * The runs draw different random numbers (threads and the engine use their
 * own streams), so the tolerances are statistical: latency percentiles of
 * ~950 requests within 25% (p50, p90) and 35% (p99) -- the real-time run
 * shares two cores with the other test files -- the memory slope within
 * 25%, the same request count, and the simulator's lag under 1 modelled second.
 * Real time has one delay virtual time has not: a job's delivery from Redis
 * to the supervisor, wall time that the time scale multiplies into queue wait
 * (the run reports it); the latencies are compared without its median.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRedis } from '../../src/transport/local-redis.js';
import { pyheap, ROOT } from '../support/cli.js';
import { HAVE_REDIS_SERVER, killStartedClis, ownRedis, startCli, tempDir } from '../support/service.js';

const scenario = `${ROOT}test/fixtures/service/agreement.yaml`;
let redis: LocalRedis;

beforeAll(async () => {
  if (HAVE_REDIS_SERVER) redis = await ownRedis();
});
afterAll(async () => {
  killStartedClis();
  await redis?.stop();
});

interface Figures {
  requests: { enqueued: number; completed: number; lost: number };
  latency_seconds: { total: { p50: number; p90: number; p99: number } };
  memory: { slope_bytes_per_hour: number };
  simulation_lag_seconds_max?: number;
  kept_up?: boolean;
  delivery_seconds?: { p50: number; p99: number } | null;
}

const TIME_SCALE = 10;

function within(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected) / expected, `${actual} vs ${expected} (tolerance ${tolerance * 100}%)`).toBeLessThanOrEqual(tolerance);
}

describe.skipIf(!HAVE_REDIS_SERVER)('virtual time and real time agree', () => {
  it('latency percentiles and the memory slope of simulate and run --time-scale 10', async () => {
    const dir = tempDir();
    const simulated = pyheap(['simulate', scenario, '--json', '-q', '--out', `${dir}/sim`]);
    expect(simulated.status, simulated.stderr).toBe(0);
    const virtual = JSON.parse(simulated.stdout) as Figures;
    const cli = startCli(['run', scenario, '--time-scale', String(TIME_SCALE), '--redis', redis.url, '--json', '-q', '--out', `${dir}/run`]);
    const end = await cli.done;
    expect(end.status, end.stderr).toBe(0);
    const real = JSON.parse(end.stdout) as Figures;

    expect(real.requests.enqueued).toBe(virtual.requests.enqueued);
    expect(real.requests.completed).toBe(virtual.requests.completed);
    expect(real.requests.lost).toBe(0);
    expect(real.simulation_lag_seconds_max).toBeLessThan(1);
    // The run that agrees with virtual time is the one judged to have kept up with it.
    expect(real.kept_up).toBe(true);
    const v = virtual.latency_seconds.total;
    const r = real.latency_seconds.total;
    expect(real.delivery_seconds).toBeDefined();
    const delivery = (real.delivery_seconds?.p50 ?? 0) * TIME_SCALE;
    within(r.p50 - delivery, v.p50, 0.25);
    within(r.p90 - delivery, v.p90, 0.25);
    within(r.p99 - delivery, v.p99, 0.35);
    expect(virtual.memory.slope_bytes_per_hour).toBeGreaterThan(50e6);
    within(real.memory.slope_bytes_per_hour, virtual.memory.slope_bytes_per_hour, 0.25);
  });
});
