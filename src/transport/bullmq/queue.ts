/**
 * ★ Start here: the only place pyheap talks to BullMQ and Redis. A run's jobs
 * live in one BullMQ queue named after the scenario, under a key prefix that
 * carries the run id as a Redis Cluster hash tag (`pyheap:{<run id>}`), so all
 * of a queue's keys hash to one slot and runs never see each other's jobs.
 *
 *   JobProducer   adds jobs (one by one or in bulk), reads the queue's counts
 *   JobConsumer   a long-lived BullMQ Worker handing jobs to a processor
 *   RunCounters   run-wide counters in a Redis hash (enqueued, completed, failed,
 *                 retried, duplicated): every serve and enqueue process of a
 *                 run adds to the same ones, so the books balance across machines
 */
import { type ConnectionOptions, type Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobData, JobResult } from '../../protocol/job.js';
import { parseRedisUrl } from './redis-url.js';

export { UnrecoverableError };

/** A job as a consumer's processor receives it. */
export type QueueJob = Job<JobData, JobResult>;

export interface QueueAddress {
  redisUrl: string;
  /** The queue's name (the scenario's). */
  queue: string;
  /** The run id; the key prefix is `pyheap:{<run id>}`. */
  runId: string;
}

/** BullMQ's connection options for the URL (ioredis options; BullMQ types them as its own union). */
function connection(redisUrl: string): ConnectionOptions {
  return parseRedisUrl(redisUrl) as ConnectionOptions;
}

export function keyPrefix(address: QueueAddress): string {
  return `pyheap:{${address.runId}}`;
}

export interface JobOptions {
  /** Executions a job gets before it fails for good (BullMQ `attempts`). */
  attempts: number;
}

export class JobProducer {
  private readonly queue: Queue;

  constructor(address: QueueAddress, onError: (error: Error) => void = () => {}) {
    this.queue = new Queue(address.queue, { connection: connection(address.redisUrl), prefix: keyPrefix(address) });
    // Connection errors while Redis is away: ioredis reconnects and replays the commands.
    this.queue.on('error', onError);
  }

  async add(data: JobData, options: JobOptions): Promise<void> {
    await this.queue.add(data.endpoint, data, jobOpts(options));
  }

  /** Adds the jobs in one round trip; returns their ids. */
  async addBulk(jobs: readonly JobData[], options: JobOptions): Promise<string[]> {
    const opts = jobOpts(options);
    const added = await this.queue.addBulk(jobs.map((data) => ({ name: data.endpoint, data, opts })));
    return added.map((job) => job.id ?? '');
  }

  /** Waiting, active, delayed, completed and failed jobs, as BullMQ counts them. */
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  /**
   * The queue's own ledger, each figure updated by BullMQ's scripts in the
   * same atomic step as the job itself, so no consumer or producer dying at
   * any instant can make them disagree: jobs ever added (the job id counter;
   * pyheap never sets job ids), jobs completed (BullMQ's metrics, which the
   * consumers enable), jobs failed for good (the failed set: failed jobs are
   * kept), and the jobs still waiting or running.
   */
  async ledger(): Promise<{ added: number; completed: number; failed: number; unfinished: number }> {
    const client = await this.queue.backend.client;
    const [added, completed, counts] = await Promise.all([
      client.get(this.queue.keys.id),
      this.queue.getMetrics('completed', 0, 0),
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
    ]);
    return {
      added: Number(added ?? 0),
      completed: completed.meta.count,
      failed: counts.failed ?? 0,
      unfinished: (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
    };
  }

  /** Removes every key of the queue (tests and temporary runs). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}

function jobOpts(options: JobOptions) {
  // Completed jobs are counted in RunCounters, not kept: a soak test makes millions.
  // Failed jobs are kept: BullMQ's failed set is the authoritative count of failures
  // (a job that stalled too often is failed by BullMQ's own script, not by a consumer).
  return { attempts: options.attempts, removeOnComplete: true, removeOnFail: false };
}

/**
 * BullMQ refused a finished execution's result: its lock had expired and the
 * job was taken back (it runs, or ran, elsewhere). The messages come from
 * BullMQ's finished-errors.ts; the job id follows "job".
 */
const LOST_LOCK = /^(?:Missing lock for job|Missing key for job|Lock mismatch for job) (\S+?)\.|^Job (\S+) is not in the \w+ state/;

export function lostLockJobId(error: Error): string | null {
  const m = LOST_LOCK.exec(error.message);
  return m === null ? null : (m[1] ?? m[2]);
}

/** BullMQ's stalled-job recovery, as a scenario sets it (seconds; BullMQ takes ms). */
export interface StallSettings {
  /** How long a job's lock lasts without renewal: a dead consumer's jobs are recovered after this. */
  lockDurationS: number;
  /** How often each consumer looks for stalled jobs. */
  stalledIntervalS: number;
  /** A job stalled more often than this fails for good. */
  maxStalledCount: number;
}

export interface ConsumerEvents {
  /** BullMQ recorded the job as completed (once per job: a late duplicate's result is refused). */
  onCompleted?(job: Job<JobData, JobResult>): void;
  /** A job ran out of attempts or was unrecoverable (BullMQ's 'failed' for the last time). */
  onFinalFailure?(job: Job<JobData, JobResult> | undefined, error: Error): void;
  /** An execution finished after its lock was lost: BullMQ kept no result, the job ran again elsewhere. */
  onDuplicate?(error: Error): void;
  /** A stalled job was moved back to the queue by this consumer. */
  onStalled?(jobId: string): void;
  onError?(error: Error): void;
}

export class JobConsumer {
  private readonly worker: Worker<JobData, JobResult>;

  constructor(
    address: QueueAddress,
    concurrency: number,
    stall: StallSettings,
    processor: (job: Job<JobData, JobResult>) => Promise<JobResult>,
    events: ConsumerEvents = {},
  ) {
    // Jobs whose processor has returned and whose result BullMQ has not yet recorded.
    const finishing = new Set<string>();
    const tracked = async (job: Job<JobData, JobResult>): Promise<JobResult> => {
      try {
        return await processor(job);
      } finally {
        if (job.id !== undefined) finishing.add(job.id);
      }
    };
    this.worker = new Worker<JobData, JobResult>(address.queue, tracked, {
      connection: connection(address.redisUrl),
      prefix: keyPrefix(address),
      concurrency,
      lockDuration: Math.round(stall.lockDurationS * 1000),
      stalledInterval: Math.round(stall.stalledIntervalS * 1000),
      maxStalledCount: stall.maxStalledCount,
      autorun: true,
      // BullMQ counts completions in its finishing script: the run's books read that count (JobProducer.ledger).
      metrics: { maxDataPoints: 60 },
    });
    this.worker.on('failed', (job, error) => {
      if (job?.id !== undefined) finishing.delete(job.id);
      const final = job === undefined || job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
      if (final) events.onFinalFailure?.(job, error);
    });
    this.worker.on('completed', (job) => {
      if (job.id !== undefined) finishing.delete(job.id);
      events.onCompleted?.(job);
    });
    this.worker.on('stalled', (jobId) => events.onStalled?.(jobId));
    this.worker.on('error', (error) => {
      const jobId = lostLockJobId(error);
      if (jobId === null) {
        events.onError?.(error);
        return;
      }
      // BullMQ reports a refused result twice (moving to completed, then to failed): one duplicate.
      if (finishing.delete(jobId)) events.onDuplicate?.(error);
    });
  }

  /** Resolves when the worker's blocking connection is ready. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Stops taking jobs; `force`: without waiting for the ones running. */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
  }
}

/** Completions and final failures of any consumer of the queue, as BullMQ publishes them. */
export class JobEvents {
  private readonly events: QueueEvents;

  constructor(address: QueueAddress, onEnd: (jobId: string, outcome: 'completed' | 'failed') => void) {
    this.events = new QueueEvents(address.queue, { connection: connection(address.redisUrl), prefix: keyPrefix(address) });
    this.events.on('error', () => {}); // reconnects by itself
    this.events.on('completed', ({ jobId }) => onEnd(jobId, 'completed'));
    this.events.on('failed', ({ jobId }) => onEnd(jobId, 'failed'));
  }

  async ready(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.events.close();
  }
}

/**
 * What BullMQ does not count itself: executions that were retries, results
 * refused as duplicates, stalled jobs recovered. (Jobs added, completed and
 * failed are read from BullMQ's own keys, which its scripts update atomically
 * with the job: see JobProducer.ledger.)
 */
export const COUNTER_FIELDS = ['retried', 'duplicated', 'stalled'] as const;
export type CounterField = (typeof COUNTER_FIELDS)[number];

/** Run-wide counters in one Redis hash under the run's prefix, incremented in batches. */
export class RunCounters {
  private readonly redis: Redis;
  private readonly key: string;
  private pending = new Map<CounterField, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(address: QueueAddress, flushEveryMs = 200) {
    this.redis = new Redis(parseRedisUrl(address.redisUrl));
    this.redis.on('error', () => {}); // reconnects by itself; flush() keeps what it could not write
    this.key = `${keyPrefix(address)}:${address.queue}:counters`;
    this.timer = setInterval(() => void this.flush().catch(() => {}), flushEveryMs);
    this.timer.unref();
  }

  add(field: CounterField, n = 1): void {
    this.pending.set(field, (this.pending.get(field) ?? 0) + n);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = this.redis.multi();
    for (const [field, n] of batch) multi.hincrby(this.key, field, n);
    try {
      await multi.exec();
    } catch (e) {
      // Redis is away: keep the increments for the next flush.
      for (const [field, n] of batch) this.add(field, n);
      throw e;
    }
  }

  async read(): Promise<Record<CounterField, number>> {
    const raw = await this.redis.hgetall(this.key);
    const out = {} as Record<CounterField, number>;
    for (const f of COUNTER_FIELDS) out[f] = Number(raw[f] ?? 0);
    return out;
  }

  /** Deletes the counters (a finished temporary run). */
  async remove(): Promise<void> {
    await this.redis.del(this.key);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch(() => {});
    this.redis.disconnect();
  }
}

export interface RedisCheck {
  version: string;
  /** maxmemory-policy, or null when the server refuses CONFIG (managed Redis). */
  maxmemoryPolicy: string | null;
}

/** Connects once, reads the version and maxmemory-policy; throws if nothing answers within `timeoutMs`. */
export async function checkRedis(redisUrl: string, timeoutMs = 2000): Promise<RedisCheck> {
  const redis = new Redis({ ...parseRedisUrl(redisUrl), maxRetriesPerRequest: 1, connectTimeout: timeoutMs, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    let maxmemoryPolicy: string | null = null;
    try {
      const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
      maxmemoryPolicy = reply[1] ?? null;
    } catch {
      maxmemoryPolicy = null;
    }
    return { version, maxmemoryPolicy };
  } finally {
    redis.disconnect();
  }
}
