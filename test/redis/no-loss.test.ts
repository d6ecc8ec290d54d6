/**
 * The real-time service against a real Redis (one this file starts on a free
 * loopback port): under every fault -- recycling, harakiri, container OOM, a
 * worker that throws, malformed jobs, a serve process killed with SIGKILL,
 * Redis itself restarted -- every job ends completed or failed and the run's
 * books balance: enqueued = completed + failed, jobs_lost = 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import type { ScenarioInput } from '../../src/scenario/scenario.js';
import type { LocalRedis } from '../../src/transport/local-redis.js';
import { baseScenario } from '../support/simulate.js';
import { HAVE_REDIS_SERVER, killStartedClis, ownRedis, parseServiceJson, type ServiceJson, startCli, tempDir, waitFor, writeScenario } from '../support/service.js';

const dir = tempDir();
let redis: LocalRedis;

beforeAll(async () => {
  if (HAVE_REDIS_SERVER) redis = await ownRedis();
});
afterAll(async () => {
  killStartedClis();
  await redis?.stop();
});

let runs = 0;
async function run(scenario: ScenarioInput, timeScale: number, extra: string[] = []): Promise<ServiceJson> {
  const path = writeScenario(dir, scenario, `scenario-${++runs}.yaml`);
  const cli = startCli(['run', path, '--redis', redis.url, '--time-scale', String(timeScale), '--json', '-q', '--runs', `${dir}/runs`, ...extra]);
  const end = await cli.done;
  if (end.status !== 0 && end.status !== 99) throw new Error(`pyheap run exited ${end.status ?? end.signal}: ${end.stderr}`);
  return parseServiceJson(end.stdout);
}

function expectBalanced(out: ServiceJson): void {
  const b = out.books;
  expect(b.lost).toBe(0);
  expect(b.unfinished).toBe(0);
  expect(b.completed + b.failed).toBe(b.enqueued);
  expect(out.requests.lost).toBe(0);
  expect(out.requests.enqueued).toBe(b.enqueued);
}

describe.skipIf(!HAVE_REDIS_SERVER)('no job lost: pyheap run against Redis', () => {
  it('recycles workers by max_requests under load, every job completed', async () => {
    const out = await run(
      baseScenario({
        service: { workers: 2, boot: { import_time: 0.2, modules: 2, objects: 200 } },
        endpoints: [{ name: 'work', cpu: 0.005, behaviours: [{ kind: 'parse_payload', fields: 5, items: 3, depth: 1 }] }],
        load: { arrival: 'constant', rate: 50, duration: 20 },
        policy: { server: 'gunicorn', max_requests: 100, max_requests_jitter: 20 },
      }),
      10,
    );
    expectBalanced(out);
    expect(out.books.enqueued).toBe(1000);
    expect(out.books.completed).toBe(1000);
    expect(out.restarts.by_reason.recycled_requests).toBeGreaterThanOrEqual(6);
  });

  it('spawn_before_kill: each replacement boots before its worker leaves, and takes its slot at once', async () => {
    const out = await run(
      baseScenario({
        service: { workers: 2, boot: { import_time: 1, modules: 2, objects: 200 } },
        endpoints: [{ name: 'work', cpu: 0.005, io: 0.01 }],
        load: { arrival: 'constant', rate: 40, duration: 20 },
        policy: { server: 'gunicorn', max_requests: 100, guards: { spawn_before_kill: true } },
      }),
      10,
    );
    expectBalanced(out);
    const events = readFileSync(join(out.run_directory, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; slot: number; t: number; reason?: string; spawn_before_kill?: boolean });
    const early = events.filter((e) => e.type === 'spawn_before_kill');
    const adopted = events.filter((e) => e.type === 'spawn' && e.spawn_before_kill === true);
    expect(out.restarts.by_reason.recycled_requests).toBeGreaterThanOrEqual(3);
    expect(early.length).toBeGreaterThanOrEqual(out.restarts.by_reason.recycled_requests);
    // Every recycle the slot came back from was taken over by its early replacement; a worker that
    // finishes draining once the run is stopping is not replaced (its slot's last exit).
    const recycles = events.filter((e) => e.type === 'exit' && e.reason === 'recycled_requests');
    expect(recycles.length).toBe(out.restarts.by_reason.recycled_requests);
    const replaced = recycles.filter((x) => events.some((e) => e.type === 'spawn' && e.slot === x.slot && e.t >= x.t));
    expect(replaced.length).toBeGreaterThanOrEqual(recycles.length - 2);
    expect(adopted.length).toBe(replaced.length);
    // Each adopted replacement was spawned before its predecessor's exit: its 1 s of modelled import
    // earlier, less Node's timer granularity (a millisecond of wall time is 10 ms at time scale 10).
    for (const a of adopted) {
      const started = early.filter((e) => e.slot === a.slot && e.t <= a.t).at(-1);
      expect(started).toBeDefined();
      expect(a.t - started!.t).toBeGreaterThanOrEqual(0.97);
    }
  });

  it('a full listen backlog refuses requests, as in virtual time; refused jobs are failed and counted', async () => {
    const out = (await run(
      baseScenario({
        service: { workers: 1, backlog: 5, boot: { import_time: 0.1, modules: 0, objects: 0 } },
        endpoints: [{ name: 'slow', io: 0.5 }],
        load: { arrival: 'constant', rate: 20, duration: 10 },
        policy: { server: 'gunicorn' },
      }),
      10,
    )) as ServiceJson & { requests: { refused: number } };
    expectBalanced(out);
    // One worker serves 2 requests a second of the 20 arriving: most are refused.
    expect(out.requests.refused).toBeGreaterThan(100);
    expect(out.books.failed).toBe(out.requests.refused);
    expect(out.books.completed).toBeGreaterThanOrEqual(20);
  });

  it('harakiri kills workers mid-job; their jobs are retried while they have attempts', async () => {
    const out = await run(
      baseScenario({
        service: { workers: 2, attempts: 3, boot: { import_time: 0.2, modules: 0, objects: 0 } },
        // One request in ten waits 5 s on I/O: uWSGI's harakiri (2 s) kills its worker.
        endpoints: [{ name: 'work', cpu: 0.002, io: { kind: 'empirical', values: [0.01, 5], weights: [9, 1] } }],
        load: { arrival: 'constant', rate: 20, duration: 20 },
        policy: { server: 'uwsgi', harakiri: 2 },
      }),
      10,
    );
    expectBalanced(out);
    expect(out.restarts.by_reason.timeout).toBeGreaterThan(0);
    expect(out.books.retried).toBeGreaterThan(0);
  });

  it('the container OOM killer ends the largest worker; the service goes on', async () => {
    const out = await run(
      baseScenario({
        service: { workers: 2, attempts: 2, boot: { import_time: 0.2, modules: 0, objects: 0 } },
        endpoints: [{ name: 'hog', cpu: 0.005, behaviours: [{ kind: 'buffers', size: '2MiB', keep_probability: 1 }] }],
        load: { arrival: 'constant', rate: 20, duration: 20 },
        policy: { server: 'gunicorn' },
        environment: { container: { memory_limit: '80MiB', oom_kill: 'largest' } },
      }),
      10,
    );
    expectBalanced(out);
    expect(out.restarts.by_reason.oom_killed).toBeGreaterThan(0);
    expect(out.books.completed).toBeGreaterThan(0);
  });

  it('a worker thread that throws is replaced and its job retried', async () => {
    const out = await run(
      baseScenario({
        // Each request keeps an 8 MiB buffer: the eighth or so exhausts 64 MiB of raw capacity (a simulated MemoryError).
        service: { workers: 2, attempts: 2, boot: { import_time: 0.2, modules: 0, objects: 0 }, heap: { arena_capacity: 1024 * 1024, raw_capacity: 64 * 1024 * 1024 } },
        endpoints: [{ name: 'hog', io: 0.01, behaviours: [{ kind: 'buffers', size: '8MiB', keep_probability: 1 }] }],
        load: { arrival: 'constant', rate: 10, duration: 10 },
        policy: { server: 'gunicorn' },
      }),
      10,
    );
    expectBalanced(out);
    expect(out.restarts.by_reason.crashed).toBeGreaterThan(0);
    expect(out.books.retried).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAVE_REDIS_SERVER)('no job lost: serve and enqueue', () => {
  const stallFast = { lock_duration: 1, stalled_interval: 0.5, max_stalled_count: 2 };

  it('fails malformed jobs with a reason and keeps serving', async () => {
    const runId = 'malformed';
    const path = writeScenario(dir, baseScenario({ name: 'malformed', endpoints: [{ name: 'work', io: 0.01 }] }), 'malformed.yaml');
    const queue = new Queue('malformed', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) }, prefix: `pyheap:{${runId}}` });
    // A job from some other producer, not a pyheap job at all.
    await queue.add('bad', { endpoint: 42 });
    const serve = startCli(['serve', path, '--redis', redis.url, '--run-id', runId, '--duration', '4', '--json', '-q', '--runs', `${dir}/runs`]);
    const common = ['--queue', 'malformed', '--run-id', runId, '--redis', redis.url, '--arrival', 'constant', '-q'];
    // Without a scenario, enqueue cannot know the endpoint names: these name one the service lacks.
    const unknown = startCli(['enqueue', ...common, '--endpoint-mix', 'nope=1', '--rate', '2', '--duration', '1s']);
    const good = startCli(['enqueue', ...common, '--endpoint-mix', 'work=1', '--rate', '5', '--duration', '2s']);
    expect((await unknown.done).status).toBe(0);
    expect((await good.done).status).toBe(0);
    const end = await serve.done;
    expect(end.status, end.stderr).toBe(0);
    const failed = await queue.getFailed();
    const reasons = failed.map((j) => j.failedReason);
    expect(reasons.filter((r) => /^malformed job data: endpoint: /.test(r))).toHaveLength(1);
    expect(reasons.filter((r) => r === 'unknown endpoint "nope"')).toHaveLength(2);
    const out = parseServiceJson(end.stdout);
    expectBalanced(out);
    // The ten good jobs, the two for an unknown endpoint, and the foreign one counted when it was received.
    expect(out.books.enqueued).toBe(13);
    expect(out.books.completed).toBe(10);
    expect(out.books.failed).toBe(3);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('a serve process killed with SIGKILL mid-run: another serve gets its jobs back through stalled-job recovery', async () => {
    const runId = 'sigkill';
    const scenario = baseScenario({
      name: 'sigkill',
      service: { workers: 2, boot: { import_time: 0.1, modules: 0, objects: 0 } },
      endpoints: [{ name: 'slow', io: 1.5 }],
      transport: stallFast,
    });
    const path = writeScenario(dir, scenario, 'sigkill.yaml');
    const queue = new Queue('sigkill', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) }, prefix: `pyheap:{${runId}}` });
    const first = startCli(['serve', path, '--redis', redis.url, '--run-id', runId, '--json', '-q', '--runs', `${dir}/runs`]);
    const enqueue = startCli(['enqueue', path, '--redis', redis.url, '--run-id', runId, '--rate', '4', '--arrival', 'constant', '--duration', '2s', '-q']);
    expect((await enqueue.done).status).toBe(0);
    await waitFor(async () => (await queue.getActiveCount()) >= 2, 15_000, 'two jobs running in the first serve process');
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const second = startCli(['serve', path, '--redis', redis.url, '--run-id', runId, '--duration', '12', '--json', '-q', '--runs', `${dir}/runs`]);
    const end = await second.done;
    expect(end.status, end.stderr).toBe(0);
    const out = parseServiceJson(end.stdout);
    expect(out.books.enqueued).toBe(8);
    expect(out.books.completed).toBe(8);
    expect(out.books.lost).toBe(0);
    expect(out.books.unfinished).toBe(0);
    expect(out.books.stalled).toBeGreaterThanOrEqual(2);
    expect(out.books.retried).toBeGreaterThanOrEqual(2);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('Redis restarted in the middle of a run: the run finishes and the books balance', async () => {
    const persist = tempDir('pyheap-redis-');
    const own = await ownRedis(persist);
    const port = Number(new URL(own.url).port);
    let restarted: LocalRedis | null = null;
    try {
      const path = writeScenario(
        dir,
        baseScenario({
          name: 'redis-restart',
          service: { workers: 2, boot: { import_time: 0.1, modules: 0, objects: 0 } },
          endpoints: [{ name: 'work', cpu: 0.004, io: 0.02 }],
          load: { arrival: 'constant', rate: 50, duration: 40 },
        }),
        'redis-restart.yaml',
      );
      const cli = startCli(['run', path, '--redis', own.url, '--time-scale', '10', '--json', '-q', '--runs', `${dir}/runs`]);
      await new Promise((r) => setTimeout(r, 1500));
      await own.stop();
      await new Promise((r) => setTimeout(r, 1000));
      restarted = await ownRedis(persist, port);
      const end = await cli.done;
      expect(end.status, end.stderr).toBe(0);
      const out = parseServiceJson(end.stdout) as ServiceJson & { jobs_added_twice: number };
      // A bulk add in flight when Redis went away is sent again on reconnect (ioredis resends
      // unanswered commands): its jobs are in the queue twice, run, and are counted.
      expect(out.books.enqueued).toBe(2000 + out.jobs_added_twice);
      expectBalanced(out);
    } finally {
      await own.stop();
      await restarted?.stop();
    }
  });
});
