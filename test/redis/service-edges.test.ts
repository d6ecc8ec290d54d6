/**
 * The service's edges: Prometheus metrics while serving (the `worker` label is
 * the slot, two serve processes share a queue), what happens without Redis
 * (`run` starts a temporary redis-server, `serve` stops with a message and
 * never shows a password), and the warning when Redis may evict BullMQ's keys.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type LocalRedis } from '../../src/transport/local-redis.js';
import { pyheap } from '../support/cli.js';
import { baseScenario } from '../support/simulate.js';
import { HAVE_REDIS_SERVER, killStartedClis, ownRedis, parseServiceJson, startCli, tempDir, waitFor, writeScenario } from '../support/service.js';

const dir = tempDir();
let redis: LocalRedis;

beforeAll(async () => {
  if (HAVE_REDIS_SERVER) redis = await ownRedis();
});
afterAll(async () => {
  killStartedClis();
  await redis?.stop();
});

const slowish = baseScenario({
  name: 'edges',
  service: { workers: 2, boot: { import_time: 0.1, modules: 2, objects: 100 } },
  endpoints: [{ name: 'work', cpu: 0.01, io: 0.05 }],
  load: { arrival: 'constant', rate: 20, duration: 10 },
});

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Linux: each thread of a process and its nice value (proc(5): stat field 19). */
function threadNiceValues(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function metricsPort(stderr: string): number | null {
  const m = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr);
  return m === null ? null : Number(m[1]);
}

describe.skipIf(!HAVE_REDIS_SERVER)('serve: metrics and several consumers', () => {
  it('two serve processes share a queue; each exposes its workers by slot', async () => {
    const path = writeScenario(dir, slowish, 'edges.yaml');
    const common = ['--redis', redis.url, '--run-id', 'edges', '--metrics-port', '0', '--time-scale', '2', '--runs', `${dir}/runs`];
    const a = startCli(['serve', path, ...common, '--duration', '10', '--json']);
    const b = startCli(['serve', path, ...common, '--duration', '10', '--json', '--worker-nice', '7']);
    await waitFor(() => metricsPort(a.stderrSoFar()) !== null && metricsPort(b.stderrSoFar()) !== null, 15_000, 'both metrics endpoints');
    if (process.platform === 'linux') {
      // The booted workers' threads run at the nice value asked, the supervisor's at the one it inherited; by default all at that.
      const inherited = getPriority();
      const asked = threadNiceValues(b.child.pid!);
      expect(asked.get(b.child.pid!)).toBe(inherited);
      expect([...asked.values()].filter((n) => n === 7).length).toBeGreaterThanOrEqual(2);
      expect(new Set(threadNiceValues(a.child.pid!).values())).toEqual(new Set([inherited]));
    }
    const enqueue = startCli(['enqueue', path, '--redis', redis.url, '--run-id', 'edges', '--time-scale', '2', '-q']);
    expect((await enqueue.done).status).toBe(0);
    for (const serve of [a, b]) {
      const text = await scrape(metricsPort(serve.stderrSoFar())!);
      expect(text).toMatch(/^pyheap_rss_bytes\{worker="0"\} \d+/m);
      expect(text).toMatch(/^pyheap_rss_bytes\{worker="1"\} \d+/m);
      expect(text).not.toMatch(/worker="2"/);
      expect(text).toMatch(/^# TYPE pyheap_latency_seconds histogram/m);
      expect(text).toMatch(/^pyheap_latency_seconds_bucket\{le="\+Inf",kind="total"\} \d+/m);
      expect(text).toMatch(/^pyheap_requests_served_total\{worker="0"\} \d+/m);
      expect(text).toMatch(/^pyheap_queue_depth \d+/m);
    }
    // The workers beside the metrics: figures, a heap snapshot, gc.collect.
    const port = metricsPort(a.stderrSoFar())!;
    const workers = (await (await fetch(`http://127.0.0.1:${port}/workers`)).json()) as { slot: number; state: string; rssBytes: number }[];
    expect(workers.map((w) => w.slot)).toEqual([0, 1]);
    expect(workers.every((w) => w.rssBytes > 0)).toBe(true);
    const snapshot = (await (await fetch(`http://127.0.0.1:${port}/workers/0/snapshot`)).json()) as { malloc_stats_text: string; most_common_types: [string, number][] };
    expect(snapshot.malloc_stats_text).toMatch(/^Small block threshold = 512, in 32 size classes\./);
    expect(snapshot.most_common_types.map(([type]) => type)).toContain('dict');
    const fullCollections = async (): Promise<number> =>
      ((await (await fetch(`http://127.0.0.1:${port}/workers`)).json()) as { gcCollections: number[] }[])[1].gcCollections[2];
    const before = await fullCollections();
    const gc = await fetch(`http://127.0.0.1:${port}/workers/1/gc?generation=2`, { method: 'POST' });
    expect(gc.status).toBe(200);
    expect(Number.isInteger(((await gc.json()) as { collected: number }).collected)).toBe(true);
    // The collection ran in that worker's process: its count of full collections, read from shared memory, went up.
    expect(await fullCollections()).toBeGreaterThan(before);
    expect((await fetch(`http://127.0.0.1:${port}/workers/7/snapshot`)).status).toBe(404);
    const [endA, endB] = await Promise.all([a.done, b.done]);
    expect(endA.status, endA.stderr).toBe(0);
    expect(endB.status, endB.stderr).toBe(0);
    const outA = parseServiceJson(endA.stdout);
    const outB = parseServiceJson(endB.stdout);
    // Both consumed: each process's own completions, and the run's books, which both read from Redis.
    const servedA = outA.latency_seconds.total.count;
    const servedB = outB.latency_seconds.total.count;
    expect(servedA).toBeGreaterThan(0);
    expect(servedB).toBeGreaterThan(0);
    expect(outB.books.enqueued).toBe(200);
    expect(outB.books.completed).toBe(200);
    expect(outB.books.lost).toBe(0);
  });

  it('SIGTERM drains: the running jobs finish, then serve exits 0; a second SIGINT stops at once with 130', async () => {
    const slow = baseScenario({
      name: 'drain',
      service: { workers: 2, boot: { import_time: 0.1, modules: 0, objects: 0 } },
      endpoints: [{ name: 'slow', io: 1.5 }],
      transport: { lock_duration: 1, stalled_interval: 0.5, max_stalled_count: 1 },
    });
    const path = writeScenario(dir, slow, 'drain.yaml');
    const queue = new Queue('drain', { connection: { host: '127.0.0.1', port: Number(new URL(redis.url).port) }, prefix: 'pyheap:{drain}' });
    const common = ['--redis', redis.url, '--run-id', 'drain', '--metrics-port', '0', '--json', '--runs', `${dir}/runs`];
    const enqueueTwo = () => startCli(['enqueue', path, '--redis', redis.url, '--run-id', 'drain', '--rate', '2', '--arrival', 'constant', '--duration', '1s', '-q']).done;

    // Gunicorn's graceful_timeout (30 s) and Celery's warm shutdown (no limit) both let 1.5 s jobs finish.
    let completed = 0;
    for (const server of ['gunicorn', 'celery'] as const) {
      const serverPath = writeScenario(dir, { ...slow, policy: { server } }, `drain-${server}.yaml`);
      const graceful = startCli(['serve', serverPath, ...common]);
      expect((await enqueueTwo()).status).toBe(0);
      await waitFor(async () => (await queue.getActiveCount()) === 2, 15_000, 'two running jobs');
      graceful.child.kill('SIGTERM');
      const end = await graceful.done;
      expect(end.status, end.stderr).toBe(0);
      completed += 2;
      const out = parseServiceJson(end.stdout);
      expect(out.books.completed).toBe(completed);
      expect(out.restarts.total).toBe(0);
      expect(await queue.getActiveCount()).toBe(0);
    }

    const quick = startCli(['serve', path, ...common]);
    expect((await enqueueTwo()).status).toBe(0);
    await waitFor(async () => (await queue.getActiveCount()) === 2, 15_000, 'two running jobs');
    quick.child.kill('SIGINT');
    await waitFor(() => quick.stderrSoFar().includes('draining'), 5_000, 'the drain to start');
    quick.child.kill('SIGINT');
    const stopped = await quick.done;
    expect(stopped.status, stopped.stderr).toBe(130);
    // The two jobs were abandoned, not completed: they wait for stalled recovery.
    const counts = await queue.getJobCounts('active', 'waiting', 'completed');
    expect(counts.active + counts.waiting).toBe(2);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('says when the simulator could not keep up with modelled time, and at what time scale it would', async () => {
    // 1 ms requests at --time-scale 1000 are due 1 µs after they start: no hand-off to a thread is that fast.
    const path = writeScenario(dir, { ...slowish, endpoints: [{ name: 'work', cpu: 0.001 }], load: { arrival: 'constant', rate: 20, duration: 6 } }, 'too-fast.yaml');
    const fast = pyheap(['run', path, '--redis', redis.url, '--time-scale', '1000', '--json', '--runs', `${dir}/runs`]);
    expect(fast.status, fast.stderr).toBe(0);
    const behind = parseServiceJson(fast.stdout);
    expect(behind.kept_up).toBe(false);
    expect(behind.sustainable_time_scale).toBeGreaterThan(0);
    expect(behind.sustainable_time_scale).toBeLessThan(1000);
    expect(fast.stderr).toMatch(
      /pyheap run: WARNING: at --time-scale 1000 the simulator fell behind modelled time by [\d.]+ m?s per request on average .*: queue wait, latency and refusals include the simulator's own delay\. On this machine this scenario should keep up at about --time-scale [\d.]+ or below/,
    );
    // Requests of 200 ms at --time-scale 2 are due 100 ms after they start: the result is back long before, even on a busy machine.
    const easy = writeScenario(dir, { ...slowish, endpoints: [{ name: 'work', cpu: 0.001, io: 0.2 }], load: { arrival: 'constant', rate: 5, duration: 6 } }, 'easy.yaml');
    const slow = pyheap(['run', easy, '--redis', redis.url, '--time-scale', '2', '--json', '--runs', `${dir}/runs`]);
    expect(slow.status, slow.stderr).toBe(0);
    expect(parseServiceJson(slow.stdout).kept_up).toBe(true);
    expect(slow.stderr).not.toMatch(/WARNING/);
  });

  it('warns when Redis may evict keys', async () => {
    const own = await ownRedis();
    try {
      const client = new Redis(own.url);
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      client.disconnect();
      const path = writeScenario(dir, { ...slowish, load: { arrival: 'constant', rate: 10, duration: 2 } }, 'evict.yaml');
      const out = pyheap(['run', path, '--redis', own.url, '--time-scale', '10', '--runs', `${dir}/runs`]);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stderr).toMatch(/WARNING: Redis at redis:\/\/127\.0\.0\.1:\d+ has maxmemory-policy allkeys-lru; BullMQ needs noeviction/);
    } finally {
      await own.stop();
    }
  });
});

describe('without Redis', () => {
  it('serve stops with a message saying how to start Redis, and never prints the password', async () => {
    const port = await freePort();
    const path = writeScenario(dir, slowish, 'nored.yaml');
    const out = pyheap(['serve', path, '--redis', `redis://app:hunter2@127.0.0.1:${port}`, '--metrics-port', '0']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`no Redis answers at redis://app:***@127.0.0.1:${port}`);
    expect(out.stderr).toContain('docker compose up -d redis');
    expect(out.stderr).toContain('[PYHEAP_E_REDIS]');
    expect(out.stderr).not.toContain('hunter2');
  });

  it.skipIf(!HAVE_REDIS_SERVER)('run starts a temporary redis-server and stops it at the end', async () => {
    const port = await freePort();
    const path = writeScenario(dir, { ...slowish, load: { arrival: 'constant', rate: 10, duration: 2 } }, 'temp.yaml');
    const out = pyheap(['run', path, '--redis', `redis://127.0.0.1:${port}`, '--time-scale', '10', '--json', '--runs', `${dir}/runs`]);
    expect(out.status, out.stderr).toBe(0);
    const m = /started a temporary redis-server at (redis:\/\/127\.0\.0\.1:\d+) \(pid (\d+)\)/.exec(out.stderr);
    expect(m).not.toBeNull();
    expect(parseServiceJson(out.stdout).books.completed).toBe(20);
    // Stopped by pid at the end.
    expect(() => process.kill(Number(m![2]), 0)).toThrow();
  });
});
