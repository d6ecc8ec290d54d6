/**
 * The real-time load generator: the scenario's arrival process (the same
 * generators the virtual-time engine uses) turned into BullMQ jobs at the
 * requested times -- modelled seconds divided by the time scale -- in bulk
 * where several fall due together, so the schedule holds at high rates. The
 * closed model's users wait for their jobs' completions (BullMQ's queue
 * events) before they think and send the next.
 */
import type { JobData } from '../protocol/job.js';
import { Rng } from '../sim/rng.js';
import { JobEvents, type JobProducer, type QueueAddress } from '../transport/bullmq/queue.js';
import type { LoadSpec } from '../workload/load-schema.js';
import { compileLoad } from './arrivals.js';
import { EndpointMix } from './endpoint-mix.js';

export interface EnqueuerOptions {
  load: LoadSpec;
  endpoints: readonly { name: string; weight: number }[];
  seed: number;
  timeScale: number;
  attempts: number;
  producer: JobProducer;
  /** For the closed model: where completions are published. */
  address: QueueAddress;
  /** Jobs falling due within this many wall milliseconds of each other go in one bulk add. */
  batchWindowMs?: number;
  onProgress?(progress: EnqueueProgress): void;
}

export interface EnqueueProgress {
  /** Modelled seconds of the load done. */
  modelledS: number;
  durationS: number;
  enqueued: number;
  /** Enqueued per modelled second so far, and what the load asked for by now. */
  achievedRate: number;
  requestedRate: number;
}

export interface EnqueueReport extends EnqueueProgress {
  /** Arrivals the process asked for in all. */
  requested: number;
  /** Worst lateness of a job behind its schedule, wall seconds. */
  maxLateS: number;
}

export class Enqueuer {
  private readonly o: EnqueuerOptions;
  private readonly mix: EndpointMix;
  private readonly endpointRng: Rng;
  private readonly arrivalRng: Rng;
  private stopped = false;
  private enqueued = 0;
  private seq = 0;
  private maxLateS = 0;
  private started = 0;

  constructor(options: EnqueuerOptions) {
    this.o = options;
    this.mix = new EndpointMix(options.endpoints);
    const root = new Rng(options.seed);
    this.endpointRng = root.stream('enqueue-endpoints');
    this.arrivalRng = root.stream('arrivals');
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<EnqueueReport> {
    const load = compileLoad(this.o.load, this.arrivalRng);
    this.started = performance.now();
    if (load.model === 'open') {
      await this.runOpen(load.arrivals, load.durationS);
      return this.report(load.durationS, load.expectedArrivals);
    }
    await this.runClosed(load.users, load.durationS);
    return this.report(load.durationS, this.enqueued);
  }

  private async runOpen(arrivals: { next(): number }, durationS: number): Promise<void> {
    const window = this.o.batchWindowMs ?? 2;
    let next = arrivals.next();
    const batch: JobData[] = [];
    let lastProgress = 0;
    while (!this.stopped && next <= durationS) {
      const dueMs = this.wallMsAt(next);
      const waitMs = dueMs - (performance.now() - this.started);
      if (waitMs > 1) await sleep(waitMs);
      const nowMs = performance.now() - this.started;
      while (next <= durationS && this.wallMsAt(next) <= nowMs + window) {
        const lateS = (nowMs - this.wallMsAt(next)) / 1000;
        if (lateS > this.maxLateS) this.maxLateS = lateS;
        batch.push(this.job(undefined, Math.max(this.wallMsAt(next), nowMs)));
        next = arrivals.next();
      }
      if (batch.length > 0) {
        await this.o.producer.addBulk(batch, { attempts: this.o.attempts });
        this.enqueued += batch.length;
        batch.length = 0;
      }
      if (nowMs - lastProgress > 250) {
        lastProgress = nowMs;
        this.o.onProgress?.(this.progress(durationS, undefined));
      }
    }
  }

  private async runClosed(users: { users: number; initialArrivals(): Float64Array; afterCompletion(user: number, t: number): number }, durationS: number): Promise<void> {
    const owner = new Map<string, number>();
    let outstanding = 0;
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const send = async (user: number, atS: number): Promise<void> => {
      await sleep(Math.max(0, this.wallMsAt(atS) - (performance.now() - this.started)));
      if (this.stopped) return;
      outstanding++;
      const [id] = await this.o.producer.addBulk([this.job(user, performance.now() - this.started)], { attempts: this.o.attempts });
      owner.set(id, user);
      this.enqueued++;
    };
    const events = new JobEvents(this.o.address, (jobId, _outcome) => {
      const user = owner.get(jobId);
      if (user === undefined) return;
      owner.delete(jobId);
      outstanding--;
      const t = users.afterCompletion(user, this.modelledNow());
      if (t <= durationS && !this.stopped) void send(user, t);
      else if (outstanding === 0) finish();
      this.o.onProgress?.(this.progress(durationS, undefined));
    });
    await events.ready();
    const first = users.initialArrivals();
    for (let u = 0; u < first.length; u++) if (first[u] <= durationS) void send(u, first[u]);
    const timer = setTimeout(finish, this.wallMsAt(durationS) + 1000);
    await done;
    clearTimeout(timer);
    await events.close();
  }

  /**
   * A job arriving `arrivalMs` after the start (wall): its due time, or now if
   * the generator is late. A job due within the batch window is added a little
   * early; the consumer holds it until its arrival time.
   */
  private job(user: number | undefined, arrivalMs: number): JobData {
    const endpoint = this.o.endpoints[this.mix.pick(this.endpointRng)].name;
    const data: JobData = { endpoint, enqueuedAtMs: performance.timeOrigin + this.started + arrivalMs, seq: this.seq++ };
    if (user !== undefined) data.user = user;
    return data;
  }

  private wallMsAt(modelledS: number): number {
    return (modelledS / this.o.timeScale) * 1000;
  }

  private modelledNow(): number {
    return ((performance.now() - this.started) / 1000) * this.o.timeScale;
  }

  private progress(durationS: number, requested: number | undefined): EnqueueProgress {
    const modelledS = Math.min(durationS, this.modelledNow());
    return {
      modelledS,
      durationS,
      enqueued: this.enqueued,
      achievedRate: modelledS > 0 ? this.enqueued / modelledS : 0,
      requestedRate: requested !== undefined && durationS > 0 ? requested / durationS : 0,
    };
  }

  private report(durationS: number, requested: number): EnqueueReport {
    const p = this.progress(durationS, requested);
    return { ...p, requested, maxLateS: this.maxLateS };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
