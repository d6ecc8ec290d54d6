/**
 * The real-time service's overhead (`npm run bench:service`), on the
 * machine's Redis (REDIS_URL, default 127.0.0.1:6379), each figure next to
 * its anchor measured in the same run:
 *
 *   1. throughput: jobs per second end to end (every job added up front, the
 *      clock running from the first fetch to the last completion, after a
 *      warm-up) of BullMQ with a no-op processor at concurrency C (the
 *      anchor), of the same handing each job to one of C bare threads (the
 *      ceiling of a thread per worker), and of pyheap's service with C
 *      simulated workers on a trivial scenario at a time scale
 *      so high that the modelled 1 ms of CPU is nothing; C = 2 and 8
 *      (required: pyheap >= 75% of the anchor);
 *   2. latency at 500 jobs/s: enqueue to completion as BullMQ publishes it,
 *      p50 and p99, pyheap next to the anchor (2 workers / concurrency 2);
 *   3. thread recycle time: the old thread ended and the replacement booted
 *      (the trivial scenario compiled, the heap built, the app imported),
 *      next to ending a bare worker_threads thread and starting another.
 *
 *   npm run bench:service [-- --runs 5] [--jobs 20000] [--write]
 */
import { Queue, QueueEvents, Worker as BullWorker } from 'bullmq';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { compileScenario } from '../src/scenario/compile.js';
import { type Scenario, scenarioSchema } from '../src/scenario/scenario.js';
import { Service } from '../src/supervisor/service.js';
import { DEFAULT_WORKER_NICE } from '../src/supervisor/supervisor.js';
import { WorkerHandle } from '../src/supervisor/worker-handle.js';
import { DEFAULT_REDIS_URL, parseRedisUrl } from '../src/transport/bullmq/redis-url.js';
import { fmt, machineLine, ReportLines, repoRoot, summary, writeResultsSection } from './results.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const runs = flag('--runs', 5);
const jobs = flag('--jobs', 20_000);
/**
 * Jobs through each consumer before its throughput run is timed: the figures
 * are a running service's, not a starting one's. Without it the simulated
 * workers, new threads with their code not yet optimized, would be timed
 * warming up while BullMQ's code in this process is already warm.
 */
const WARMUP_JOBS = 2000;
const write = args.includes('--write');
const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
const connection = parseRedisUrl(redisUrl) as never;
// High enough that the modelled 1 ms of CPU is 1 µs of wall time; not so high that Gunicorn's 30 s timeout (30 ms of wall time) trips on the simulator's own latency.
const TIME_SCALE = 1000;
/** The worker threads' nice value of the extra throughput rows (README: thread priority). */
const NICE = 19;
const RATE = 500;
const LATENCY_JOBS = 5000;

const scenarioPath = join(repoRoot, 'test/fixtures/service/trivial.yaml');
const trivial: Scenario = scenarioSchema.parse(parse(readFileSync(scenarioPath, 'utf8')));
const scratch = mkdtempSync(join(tmpdir(), 'pyheap-bench-service-'));
let queues = 0;

function jobData(seq: number) {
  return { endpoint: 'noop', enqueuedAtMs: performance.timeOrigin + performance.now(), seq };
}

async function addAll(queue: Queue, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) batch.push({ name: 'noop', data: jobData(k), opts: { removeOnComplete: true } });
    await queue.addBulk(batch);
  }
}

/** CPU seconds of this process's threads (Linux /proc: this thread, and all the others) and of the Redis server (INFO cpu). */
interface CpuReading {
  main: number;
  others: number;
  redis: number;
}

const CLOCK_TICKS_PER_SECOND = 100;
const redisInfo = new Redis(connection);

async function readCpu(): Promise<CpuReading> {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let fields: string[];
    try {
      fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    } catch {
      continue; // the thread ended meanwhile
    }
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks.
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    if (tid === String(process.pid)) main += seconds;
    else others += seconds;
  }
  const info = await redisInfo.info('cpu');
  const redis = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return { main, others, redis };
}

/** CPU µs per job between two readings. */
function cpuPerJob(before: CpuReading, after: CpuReading): CpuReading {
  const per = (k: keyof CpuReading): number => ((after[k] - before[k]) * 1e6) / jobs;
  return { main: per('main'), others: per('others'), redis: per('redis') };
}

/** A throughput run's figures: jobs per second, and CPU per job over the same window. */
interface Throughput {
  perSecond: number;
  cpu: CpuReading;
}

/** Jobs per second through a plain BullMQ worker running `processor` at `concurrency`, and its CPU per job; after WARMUP_JOBS. */
async function bullmqThroughput(concurrency: number, processor: () => Promise<object>): Promise<Throughput> {
  const name = `bench-anchor-${process.pid}-${++queues}`;
  const queue = new Queue(name, { connection });
  let done = 0;
  let target = 0;
  let reached: () => void = () => {};
  const completions = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      target = n;
      reached = resolve;
    });
  const worker = new BullWorker(name, processor, { connection, concurrency });
  worker.on('completed', () => {
    if (++done === target) reached();
  });
  await worker.waitUntilReady();
  const warmedUp = completions(WARMUP_JOBS);
  await addAll(queue, WARMUP_JOBS);
  await warmedUp;
  const finished = completions(WARMUP_JOBS + jobs);
  const cpuBefore = await readCpu();
  const started = performance.now();
  await addAll(queue, jobs);
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerJob(cpuBefore, await readCpu());
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { perSecond: jobs / seconds, cpu };
}

/** Figure 1, the anchor: BullMQ, a no-op processor. */
function anchorThroughput(concurrency: number): Promise<Throughput> {
  return bullmqThroughput(concurrency, async () => ({}));
}

/** A thread that answers every message at once: the simulated worker without the simulation. */
const echoThread = join(scratch, 'echo.mjs');
writeFileSync(echoThread, "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => parentPort.postMessage(m));\n");

/**
 * Figure 1, the ceiling of a thread per simulated worker: the anchor's no-op
 * processor handing each job to a random idle one of C bare threads and
 * waiting for its answer (one message each way, as pyheap's request), with no
 * simulation and no supervisor. What this loses against the anchor, pyheap
 * loses too, whatever its own code costs.
 */
async function echoThroughput(concurrency: number): Promise<Throughput> {
  const threads = Array.from({ length: concurrency }, () => new Worker(echoThread));
  await Promise.all(threads.map((t) => new Promise((resolve) => t.once('online', resolve))));
  const idle = threads.map((_, i) => i);
  const answer: (() => void)[] = [];
  const waiting: ((slot: number) => void)[] = [];
  threads.forEach((t, slot) =>
    t.on('message', () => {
      answer[slot]();
      const next = waiting.shift();
      if (next === undefined) idle.push(slot);
      else next(slot);
    }),
  );
  const roundTrip = async (): Promise<object> => {
    const slot = idle.length > 0 ? idle.splice(Math.floor(Math.random() * idle.length), 1)[0] : await new Promise<number>((resolve) => waiting.push(resolve));
    await new Promise<void>((resolve) => {
      answer[slot] = resolve;
      threads[slot].postMessage(0);
    });
    return {};
  };
  const result = await bullmqThroughput(concurrency, roundTrip);
  await Promise.all(threads.map((t) => t.terminate()));
  return result;
}

async function startService(workers: number, timeScale: number, workerNice = DEFAULT_WORKER_NICE): Promise<Service> {
  const runId = `bench-${process.pid}-${++queues}`;
  const scenario: Scenario = { ...trivial, service: { ...trivial.service, workers } };
  const plan = await compileScenario(scenario, { scenarioPath });
  const service = await Service.start({
    scenarioPath,
    scenario,
    plan,
    address: { redisUrl, queue: 'trivial', runId },
    timeScale,
    workerNice,
    runDirectory: join(scratch, runId),
    metrics: null,
    log: () => {},
  });
  // Every worker booted and idle before the clock starts.
  while (![...Array(workers).keys()].every((slot) => service.supervisor.stateOf(slot) === 2)) await new Promise((r) => setTimeout(r, 10));
  return service;
}

async function stopService(service: Service): Promise<void> {
  await service.drain();
  await service.producer.obliterate();
  await service.counters.remove();
  await service.close();
}

/** Figure 1, pyheap: the same jobs through the simulated service. */
async function pyheapThroughput(workers: number, workerNice = DEFAULT_WORKER_NICE): Promise<Throughput> {
  const service = await startService(workers, TIME_SCALE, workerNice);
  const queue = new Queue('trivial', { connection, prefix: `pyheap:{${service.address.runId}}` });
  await addAll(queue, WARMUP_JOBS);
  while (service.supervisor.jobsCompleted + service.supervisor.recorder.jobsFailed < WARMUP_JOBS) await new Promise((r) => setTimeout(r, 2));
  const before = service.supervisor.jobsCompleted;
  const cpuBefore = await readCpu();
  const started = performance.now();
  await addAll(queue, jobs);
  const failedBefore = service.supervisor.recorder.jobsFailed;
  const ended = () => service.supervisor.jobsCompleted - before + service.supervisor.recorder.jobsFailed - failedBefore;
  while (ended() < jobs) await new Promise((r) => setTimeout(r, 2));
  const failed = service.supervisor.recorder.jobsFailed - failedBefore;
  if (failed > 0) throw new Error(`a throughput run with ${workers} workers failed ${failed} jobs (refused or lost with a worker): its figure would not be a throughput`);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerJob(cpuBefore, await readCpu());
  await queue.close();
  await stopService(service);
  return { perSecond: jobs / seconds, cpu };
}

/** Figure 2: jobs added at RATE per second; latency from add to BullMQ's completed event. */
async function latencyAt(queue: Queue, events: QueueEvents): Promise<{ p50: number; p99: number }> {
  const addedAt = new Map<string, number>();
  // A job can complete before its add's reply has been handled here: its completion waits for it.
  const completedEarly = new Map<string, number>();
  const latencies: number[] = [];
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const record = (latencyMs: number): void => {
    latencies.push(latencyMs);
    if (latencies.length === LATENCY_JOBS) finish();
  };
  events.on('completed', ({ jobId }) => {
    const t = addedAt.get(jobId);
    if (t === undefined) completedEarly.set(jobId, performance.now());
    else record(performance.now() - t);
  });
  await events.waitUntilReady();
  const started = performance.now();
  let sent = 0;
  while (sent < LATENCY_JOBS) {
    const due = Math.min(LATENCY_JOBS, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
    while (sent < due) {
      const t = performance.now();
      const job = await queue.add('noop', jobData(sent), { removeOnComplete: true });
      const early = completedEarly.get(job.id!);
      if (early === undefined) addedAt.set(job.id!, t);
      else record(early - t);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  // Every job completes within a few milliseconds; a run that has not in a minute lost an event.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a latency run saw ${latencies.length} of ${LATENCY_JOBS} completions in a minute (an event lost?)`)), 60_000);
  });
  await Promise.race([finished, stuck]).finally(() => clearTimeout(timer));
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

async function anchorLatency(): Promise<{ p50: number; p99: number }> {
  const name = `bench-anchor-${process.pid}-${++queues}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = new BullWorker(name, async () => ({}), { connection, concurrency: 2 });
  await worker.waitUntilReady();
  const result = await latencyAt(queue, events);
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return result;
}

async function pyheapLatency(): Promise<{ p50: number; p99: number }> {
  const service = await startService(2, TIME_SCALE);
  const runId = service.address.runId;
  const queue = new Queue('trivial', { connection, prefix: `pyheap:{${runId}}` });
  const events = new QueueEvents('trivial', { connection, prefix: `pyheap:{${runId}}` });
  const result = await latencyAt(queue, events);
  await events.close();
  await queue.close();
  await stopService(service);
  return result;
}

/** Figure 3: end one thread, boot its replacement; ms. */
async function pyheapRecycle(): Promise<number> {
  const data = { scenario: trivial, scenarioPath, seed: 1, slot: 0, incarnation: 1, forked: false };
  let handle = new WorkerHandle(data, () => {});
  await handle.boot();
  const started = performance.now();
  await handle.terminate();
  handle = new WorkerHandle({ ...data, incarnation: 2 }, () => {});
  await handle.boot();
  const ms = performance.now() - started;
  await handle.terminate();
  return ms;
}

const bareThread = join(scratch, 'bare.mjs');
writeFileSync(bareThread, "import { parentPort } from 'node:worker_threads'; parentPort.postMessage('ready'); parentPort.on('message', () => {});\n");

async function bareRecycle(): Promise<number> {
  const spawnBare = () =>
    new Promise<Worker>((resolve) => {
      const w = new Worker(bareThread);
      w.once('message', () => resolve(w));
    });
  let w = await spawnBare();
  const started = performance.now();
  await w.terminate();
  w = await spawnBare();
  const ms = performance.now() - started;
  await w.terminate();
  return ms;
}

function progress(line: string): void {
  process.stderr.write(`bench:service: ${line}\n`);
}

async function repeat<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

const report = new ReportLines();
report.say(machineLine('n/a (the anchor is BullMQ itself)') + ` Redis at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')}.`);
report.say(
  `Command: \`npm run bench:service\`; ${runs} runs of each figure, alternating anchor and pyheap; median (min, max). ${jobs.toLocaleString('en-US')} jobs per throughput run, ${LATENCY_JOBS.toLocaleString('en-US')} per latency run; pyheap at --time-scale ${TIME_SCALE.toExponential(0)} on test/fixtures/service/trivial.yaml.`,
);
report.say('');
report.say('| figure | anchor | pyheap | ratio (medians) | required |');
report.say('|---|---|---|---|---|');
const perSecond = (v: number): string => Math.round(v).toLocaleString('en-US');
const millis = (v: number): string => v.toFixed(2);
const cpuRows: string[] = [];
for (const c of [2, 8]) {
  const anchor: Throughput[] = [];
  const echo: Throughput[] = [];
  const ours: Throughput[] = [];
  const oursNice: Throughput[] = [];
  for (let i = 0; i < runs; i++) {
    anchor.push(await anchorThroughput(c));
    progress(`throughput, ${c} workers, run ${i + 1}: anchor ${Math.round(anchor[i].perSecond)} jobs/s`);
    echo.push(await echoThroughput(c));
    progress(`throughput, ${c} workers, run ${i + 1}: anchor + a bare thread round trip per job ${Math.round(echo[i].perSecond)} jobs/s`);
    ours.push(await pyheapThroughput(c));
    progress(`throughput, ${c} workers, run ${i + 1}: pyheap ${Math.round(ours[i].perSecond)} jobs/s`);
    oursNice.push(await pyheapThroughput(c, NICE));
    progress(`throughput, ${c} workers, run ${i + 1}: pyheap --worker-nice ${NICE} ${Math.round(oursNice[i].perSecond)} jobs/s`);
  }
  const a = summary(anchor.map((t) => t.perSecond));
  const p = summary(ours.map((t) => t.perSecond));
  const ratio = p.median / a.median;
  report.say(
    `| jobs/s end to end, ${c} workers (anchor: BullMQ no-op processor, concurrency ${c}) | ${fmt(a, perSecond)} | ${fmt(p, perSecond)} | ${(ratio * 100).toFixed(0)}% | >= 75%: ${ratio >= 0.75 ? 'met' : '**not met**'} |`,
  );
  const e = summary(echo.map((t) => t.perSecond));
  report.say(
    `| jobs/s end to end, ${c} workers: the ceiling of a thread per worker (the anchor handing each job to one of ${c} bare threads and back; same anchor runs) | ${fmt(a, perSecond)} | ${fmt(e, perSecond)} | ${((e.median / a.median) * 100).toFixed(0)}% | reported |`,
  );
  const pNice = summary(oursNice.map((t) => t.perSecond));
  report.say(
    `| jobs/s end to end, ${c} workers, pyheap with --worker-nice ${NICE} (a machine to itself; same anchor runs) | ${fmt(a, perSecond)} | ${fmt(pNice, perSecond)} | ${((pNice.median / a.median) * 100).toFixed(0)}% | reported |`,
  );
  const cpuCell = (t: Throughput[]): string => {
    const m = (k: keyof CpuReading): string => summary(t.map((x) => x.cpu[k])).median.toFixed(0);
    return `${m('main')} / ${m('others')} / ${m('redis')}`;
  };
  cpuRows.push(`| ${c} workers | ${cpuCell(anchor)} | ${cpuCell(echo)} | ${cpuCell(ours)} |`);
}
{
  const anchor = await repeat(runs, anchorLatency);
  const ours = await repeat(runs, pyheapLatency);
  for (const q of ['p50', 'p99'] as const) {
    const a = summary(anchor.map((r) => r[q]));
    const p = summary(ours.map((r) => r[q]));
    report.say(`| latency ${q} at ${RATE} jobs/s, ms (add to completed event; 2 workers) | ${fmt(a, millis)} | ${fmt(p, millis)} | ${(p.median / a.median).toFixed(2)}x | reported |`);
  }
}
{
  const bare = summary(await repeat(runs * 2, bareRecycle));
  const ours = summary(await repeat(runs * 2, pyheapRecycle));
  report.say(`| thread recycle, ms (end a thread, next one ready; anchor: bare worker_threads) | ${fmt(bare, millis)} | ${fmt(ours, millis)} | ${(ours.median / bare.median).toFixed(1)}x | reported |`);
}
report.say('');
report.say(
  `The throughput runs start the consumers, run ${WARMUP_JOBS.toLocaleString('en-US')} jobs through them untimed, then add the timed jobs in bulks of 1,000 and time until the last completion. pyheap's per-job work beyond BullMQ's: the job's data validated, an idle worker drawn, the request run in its thread (one message each way), the policy consulted, the completion paced to modelled time.`,
);
report.say('');
report.say(
  'CPU per job over the same throughput runs, µs (medians): this process\'s main thread / its other threads (the worker threads, ' +
    'V8\'s and libuv\'s helpers) / the Redis server (INFO cpu). The machine has two cores: when the sum nears two cores\' worth, ' +
    'throughput follows CPU per job.',
);
report.say('');
report.say('| | anchor | anchor + bare thread round trip | pyheap |');
report.say('|---|---|---|---|');
for (const row of cpuRows) report.say(row);
report.say('');
report.say(
  'Where the time goes (profiled separately with `node --cpu-prof`, `strace -c` and the per-thread counters in /proc; not measured by this run): ' +
    'beyond what BullMQ does for the anchor, each job wakes its worker thread (a message in, a reply out); the request itself takes about ' +
    '4 µs of simulation, and the rest of the worker threads\' CPU is waking and sleeping. The supervisor\'s thread sends the same Redis ' +
    'commands per job as the anchor (counted with INFO commandstats), but its BullMQ and ioredis code takes 1.3 to 2.5 times the CPU per ' +
    'job: on two cores, every job\'s thread switches share the cores and their caches with it. With --worker-nice 19 the worker threads ' +
    'run only when the supervisor and Redis leave a core free (the rows marked so above); pyheap\'s default keeps them at the supervisor\'s ' +
    'priority, which a machine shared with other busy processes needs. ' +
    'The rows "the ceiling of a thread per worker" take the simulation and the supervisor away and keep only the thread: BullMQ\'s no-op ' +
    'processor hands each job to a random idle bare thread and waits for its answer. What separates them from the anchor is the cost of ' +
    'waking a sleeping thread for every job on this machine, the CPU table\'s middle column; pyheap, whose simulated workers are threads, ' +
    'cannot do better than that row, and what separates pyheap from it is the supervisor\'s and the simulation\'s own work. ' +
    'Measured and not faster: a shared-memory doorbell (Atomics.notify, with the reply read from shared memory) instead of the messages; ' +
    'threads blocked in Atomics.wait outside any event loop, their replies polled by the supervisor from shared memory (the same CPU per ' +
    'job as a message each way: the cost is the thread sleeping and waking, not the message); ' +
    'the doorbell with each worker thread spinning 10 to 300 µs for its next request before it sleeps (slower the longer the spin: ' +
    'eight spinning threads take the cores the supervisor and Redis need); ioredis auto-pipelining; completions batched on a 1 ms timer; ' +
    'a deeper prefetch (2 to 16 jobs per worker); BullMQ without its metrics (about 10 µs of Redis per job); and the worker threads under SCHED_BATCH (`chrt -b`), which spares the supervisor the preemption of every thread it wakes.',
);
rmSync(scratch, { recursive: true, force: true });
if (write) console.log(`\nwrote ${writeResultsSection('service', 'Real-time service (`npm run bench:service`)', report.lines)}`);
process.exit(0);
