/**
 * ★ Start here: the real-time supervisor -- Gunicorn's arbiter, Celery's
 * prefork parent. It spawns one worker thread per simulated Python worker
 * process (workers/py-worker.ts), consumes the run's BullMQ queue over one
 * long-lived consumer, and hands each job to an idle simulated worker (a
 * random one, as processes racing on accept() are); the worker does the
 * request's object work on its heap and the supervisor completes the job when
 * the request's modelled service time has passed (divided by the time scale).
 * The recycle policy (src/policy) decides graceful exits, aborts and kills;
 * the master replaces workers one at a time; every figure goes to the same
 * RunRecorder the virtual-time engine fills, read from the workers' shared
 * memory at the sample interval.
 *
 * Times inside are modelled seconds: wall time since start × time scale.
 */
import { SlotFacts } from '../policy/worker-facts.js';
import { RunRecorder, type WorkerStatsSource } from '../engine/run-recorder.js';
import { LatencyHistogram } from '../metrics/latency.js';
import { CrashLoopBackOff, OOM_ALL, OOM_NONE } from '../policy/container.js';
import { defersRecycle } from '../policy/guards.js';
import type { RecyclePolicy, Verdict, WorkerLimits } from '../policy/policy.js';
import type { ProcessStats } from '../process/py-process.js';
import { jobDataSchema, type JobResult } from '../protocol/job.js';
import type { SimulationPlan } from '../scenario/plan.js';
import { Rng } from '../sim/rng.js';
import { JobConsumer, type QueueAddress, type QueueJob, type RunCounters, type StallSettings, UnrecoverableError } from '../transport/bullmq/queue.js';
import { RequestPaceSample } from './keeping-up.js';
import { WorkerHandle } from './worker-handle.js';

const DEAD = 0;
const BOOTING = 1;
const IDLE = 2;
const BUSY = 3;

/**
 * The worker threads' nice value once booted (on Linux nice is per thread):
 * by default the supervisor's own. At 19, on a machine the simulation has to
 * itself, the thread that talks to Redis keeps its turn when the cores are
 * saturated, and 8 workers on 2 cores complete 4% to 15% more jobs per second
 * (bench:service); but on a machine shared with other busy processes such
 * threads wait behind all of them and the simulation falls behind modelled
 * time (measured: the clock-agreement run beside two busy loops lags 1.8 s
 * at nice 19, under 1 s at 0).
 */
export const DEFAULT_WORKER_NICE = 0;

export interface SupervisorOptions {
  plan: SimulationPlan;
  /** The scenario as parsed from its file: each worker thread compiles it again. */
  scenario: unknown;
  scenarioPath: string;
  address: QueueAddress;
  /** Modelled seconds per wall second (10: a 1 s request completes after 100 ms). */
  timeScale: number;
  /** The worker threads' nice value once booted (Linux; 0: unchanged). */
  workerNice: number;
  stall: StallSettings;
  /** Jobs taken from the queue per worker (running, or waiting in the supervisor for a free worker). */
  prefetchMultiplier: number;
  counters: RunCounters;
  sink: { sample(line: object): void; event(line: object): void };
  /** The master's resident memory (an interpreter; the app too when it preloads). */
  masterRssBytes: number;
  /** Told of every request this supervisor completed (modelled seconds), e.g. for Prometheus. */
  onRequestDone?(waitS: number, serviceS: number, totalS: number): void;
}

/** A request the service refused (full backlog, container down): failed for good, counted as refused. */
class RefusedError extends UnrecoverableError {}


/** A worker thread that has started and imported the app, not yet holding its slot. */
interface Booted {
  handle: WorkerHandle;
  importS: number;
}

/** The job a busy slot is running, and how to end the BullMQ processor call waiting on it. */
interface Running {
  job: QueueJob;
  endpoint: number;
  arrivalS: number;
  startedS: number;
  serviceS: number;
  /** Modelled time the request ends, once its result is known (Infinity before). */
  dueS: number;
  timer: NodeJS.Timeout | null;
  resolve(result: JobResult): void;
  reject(error: Error): void;
}

export class Supervisor {
  readonly recorder: RunRecorder;
  private readonly o: SupervisorOptions;
  private readonly policy: RecyclePolicy;
  private readonly n: number;
  private t0 = performance.now();
  /** The first incarnations, started and imported before the clock starts (start()). */
  private prebooted: (Booted | null)[] = [];
  /**
   * Each slot's next incarnation, started and imported ahead while the current
   * one serves: a thread's real start-up (tens of milliseconds, more under
   * load) is the simulator's cost, so a recycle then takes the modelled boot
   * time only. A spare is no process of the model: it holds no slot, takes no
   * request and counts in no figure until it takes its slot.
   */
  private readonly spares: ({ incarnation: number; ready: Promise<Booted | null> } | null)[] = [];
  private consumer: JobConsumer | null = null;

  private readonly state: Int8Array;
  private readonly handles: (WorkerHandle | null)[];
  private readonly incarnation: Int32Array;
  private readonly facts: SlotFacts[];
  private readonly limits: WorkerLimits[];
  private readonly leaving: (Verdict | null)[];
  private readonly running: (Running | null)[];
  private readonly slotRng: Rng[];
  private readonly rssSampleAt: Float64Array;
  private readonly timers: (NodeJS.Timeout | null)[];
  private readonly endpointIndex: Map<string, number>;
  private readonly dispatchRng: Rng;
  private readonly masterRng: Rng;
  /** Processor calls waiting for an idle worker, oldest first. */
  private readonly waiting: ((slot: number) => void)[] = [];
  private readonly spawnQueue: number[] = [];
  private masterFreeAtWall = 0;
  private masterBusy = false;
  private lastGracefulRecycleAt = -Infinity;
  private containerUp = true;
  private readonly backOff = new CrashLoopBackOff();
  private checkTimer: NodeJS.Timeout | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Wall-clock lag of the simulation behind the modelled clock (s, modelled), summed and the largest. */
  lagSumS = 0;
  lagMaxS = 0;
  /** The requests handed to threads: wall time to their result against their modelled service time (keeping-up.ts). */
  readonly requestPace = new RequestPaceSample();
  /**
   * Wall seconds from a job's enqueueing to its arrival here, for first
   * executions: BullMQ's delivery (and any time queued in Redis). Reported
   * beside the results, because at a high time scale it shows in queue wait.
   */
  readonly delivery = new LatencyHistogram();
  /** Jobs BullMQ recorded as completed by this supervisor, and executions whose result it refused. */
  jobsCompleted = 0;
  jobsDuplicated = 0;
  /** Jobs a load generator in this process added (pyheap run); serve processes add none. */
  jobsEnqueued = 0;
  private masterImported = false;
  private queueDepth = 0;

  constructor(options: SupervisorOptions) {
    this.o = options;
    this.policy = options.plan.policy;
    const n = options.plan.workers;
    this.n = n;
    const root = new Rng(options.plan.seed);
    this.dispatchRng = root.stream('dispatch');
    this.masterRng = root.stream('master');
    this.state = new Int8Array(n);
    this.handles = new Array<WorkerHandle | null>(n).fill(null);
    this.incarnation = new Int32Array(n);
    this.facts = Array.from({ length: n }, (_, slot) => new SlotFacts(slot));
    this.limits = new Array<WorkerLimits>(n).fill({ maxRequests: 0 });
    this.leaving = new Array<Verdict | null>(n).fill(null);
    this.running = new Array<Running | null>(n).fill(null);
    this.slotRng = Array.from({ length: n }, (_, slot) => root.stream(`worker-${slot}`));
    this.rssSampleAt = new Float64Array(n).fill(Infinity);
    this.timers = new Array<NodeJS.Timeout | null>(n).fill(null);
    this.endpointIndex = new Map(options.plan.endpoints.map((e, i) => [e.name, i]));
    this.shadows.length = n;
    this.shadows.fill(null);
    this.spares.length = n;
    this.spares.fill(null);
    const source: WorkerStatsSource = {
      stats: (slot) => this.stats(slot),
      rssBytes: (slot) => this.handles[slot]?.rssBytes() ?? 0,
      sharedBytes: (slot) => this.handles[slot]?.pageFigures()?.sharedBytes ?? 0,
    };
    this.recorder = new RunRecorder(options.plan, source, options.masterRssBytes);
  }

  /** Modelled seconds since the supervisor started. */
  now(): number {
    return ((performance.now() - this.t0) / 1000) * this.o.timeScale;
  }

  private wallMsFor(modelledS: number): number {
    return (modelledS / this.o.timeScale) * 1000;
  }

  /** Boots every worker, then starts consuming. */
  async start(): Promise<void> {
    // The first threads start and compile before the clock does: Node's thread start-up is the
    // simulator's cost, not the service's. From t = 0 they take their modelled boot time, as in
    // virtual time; replacements later boot in real time, and any excess is reported as lag.
    this.prebooted = await Promise.all(Array.from({ length: this.n }, (_, slot) => this.preboot(slot, 1)));
    for (let slot = 0; slot < this.n; slot++) this.prepareSpare(slot, 2);
    await Promise.all(this.spares.map((spare) => spare?.ready));
    this.t0 = performance.now();
    for (let slot = 0; slot < this.n; slot++) this.requestSpawn(slot);
    if (Number.isFinite(this.policy.checkIntervalS)) {
      this.checkTimer = setInterval(() => this.onPeriodicCheck(), this.wallMsFor(this.policy.checkIntervalS));
    }
    this.sampleTimer = setInterval(() => this.onSample(), this.wallMsFor(this.o.plan.sampleIntervalS));
    this.onSample();
    this.consumer = new JobConsumer(this.o.address, this.n * this.o.prefetchMultiplier, this.o.stall, (job) => this.process(job), {
      onCompleted: () => {
        this.jobsCompleted++;
      },
      onDuplicate: (error) => {
        this.jobsDuplicated++;
        this.o.counters.add('duplicated');
        this.o.sink.event({ t: this.now(), type: 'job_duplicated', message: error.message });
      },
      onFinalFailure: (job, error) => {
        if (!(error instanceof RefusedError)) this.recorder.onFailed();
        this.o.sink.event({ t: this.now(), type: 'job_failed', job: job?.id ?? null, reason: error.message });
      },
      onStalled: (jobId) => {
        this.o.counters.add('stalled');
        this.o.sink.event({ t: this.now(), type: 'job_stalled', job: jobId });
      },
      onError: (error) => this.o.sink.event({ t: this.now(), type: 'transport_error', message: error.message }),
    });
    await this.consumer.ready();
  }

  /** Queue depth as last read (the caller refreshes it). */
  /** Jobs waiting in Redis, as last read (the caller polls it). */
  setQueueDepth(waitingInRedis: number): void {
    this.queueDepth = waitingInRedis;
  }

  /** Requests waiting for a worker: in Redis as last read, and taken from it but waiting here. */
  get queueDepthNow(): number {
    return this.queueDepth + this.waiting.length;
  }

  /** A random idle worker (processes racing on accept()), or -1; no allocation per job. */
  private pickIdle(): number {
    let count = 0;
    for (let slot = 0; slot < this.n; slot++) if (this.state[slot] === IDLE && this.leaving[slot] === null) count++;
    if (count === 0) return -1;
    let k = count === 1 ? 0 : this.dispatchRng.int(0, count - 1);
    for (let slot = 0; slot < this.n; slot++) if (this.state[slot] === IDLE && this.leaving[slot] === null && k-- === 0) return slot;
    return -1;
  }

  // ------------------------------------------------------------------ jobs

  /** BullMQ's processor: one job, from validation to its modelled completion. */
  private async process(job: QueueJob): Promise<JobResult> {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`malformed job data: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ')}`);
    }
    const endpoint = this.endpointIndex.get(parsed.data.endpoint);
    if (endpoint === undefined) throw new UnrecoverableError(`unknown endpoint "${parsed.data.endpoint}"`);
    // attemptsStarted counts every execution, including one whose consumer died (stalled recovery).
    if (job.attemptsStarted > 1) {
      this.o.counters.add('retried');
      this.recorder.onRetried();
    }
    const earlyMs = parsed.data.enqueuedAtMs - (performance.timeOrigin + performance.now());
    if (job.attemptsStarted <= 1) this.delivery.record(Math.max(0, -earlyMs) / 1000);
    // A job added a little ahead of its arrival (the load generator's bulk adds) waits for it.
    if (earlyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(earlyMs)));
      // Timers keep whole milliseconds of a cached clock: the last fraction passes turn by turn.
      while (performance.timeOrigin + performance.now() < parsed.data.enqueuedAtMs) await new Promise((resolve) => setImmediate(resolve));
    }
    // As in virtual time: with no idle worker, a full listen backlog (or a container that is down)
    // refuses the request. The depth is Redis's as last polled (each second) plus the jobs waiting here.
    const idle = this.pickIdle();
    if (idle < 0 && (this.queueDepthNow >= this.o.plan.backlog || !this.containerUp)) {
      this.recorder.onRefused();
      this.o.sink.event({ t: this.now(), type: 'refused', endpoint: parsed.data.endpoint, queue_depth: this.queueDepthNow });
      throw new RefusedError(this.containerUp ? `refused: the listen backlog (${this.o.plan.backlog}) is full` : 'refused: the container is down');
    }
    // An idle worker takes the job now, without a turn of the event loop; else the next one to be idle.
    const slot = idle >= 0 ? this.markBusy(idle) : await this.nextIdle();
    const arrivalS = ((parsed.data.enqueuedAtMs - (performance.timeOrigin + this.t0)) / 1000) * this.o.timeScale;
    return new Promise<JobResult>((resolve, reject) => this.startRequest(slot, job, endpoint, arrivalS, resolve, reject));
  }

  /** The idle worker picked, marked busy. */
  private markBusy(idle: number): number {
    this.state[idle] = BUSY;
    return idle;
  }

  /** With no idle worker: the next one to become idle (release hands it over, marked busy). */
  private nextIdle(): Promise<number> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A worker became idle: the oldest waiting job gets it. */
  private release(slot: number): void {
    const next = this.waiting.shift();
    if (next === undefined) {
      this.state[slot] = IDLE;
      this.handles[slot]?.setState('idle');
      return;
    }
    this.state[slot] = BUSY;
    next(slot);
  }

  private startRequest(slot: number, job: QueueJob, endpoint: number, arrivalS: number, resolve: (r: JobResult) => void, reject: (e: Error) => void): void {
    const handle = this.handles[slot];
    if (handle === null || !handle.alive) {
      reject(new Error('the worker died before the request started'));
      return;
    }
    const startedS = this.now();
    const startedWall = performance.now();
    const facts = this.facts[slot];
    facts.requestsStarted++;
    // While the thread computes the request, time passes for the simulator, not for the modelled
    // process: timeouts judge the request once its modelled service time is known (below).
    facts.busySinceS = null;
    const running: Running = { job, endpoint, arrivalS, startedS, serviceS: 0, dueS: Infinity, timer: null, resolve, reject };
    this.running[slot] = running;
    const verdict = this.policy.onRequestStart(this.updateFacts(slot), this.limits[slot], startedS);
    handle.setState('busy');
    handle
      .handle(endpoint)
      .then((result) => {
        if (this.running[slot] !== running) return; // killed meanwhile
        running.serviceS = result.serviceS;
        this.requestPace.record((performance.now() - startedWall) / 1000, result.serviceS);
        this.recorder.onStart(startedS - arrivalS, arrivalS, result);
        for (const e of result.gcEvents) this.o.sink.event({ t: this.now(), type: 'gc', slot, generation: e.generation, collected: e.collected, pause_seconds: e.pauseS });
        const dueWall = startedWall + this.wallMsFor(result.serviceS);
        const lagS = this.noteLag(performance.now() - dueWall);
        // The modelled request runs serviceS and ends when it completes: a simulator that fell
        // behind shifts its start, so a timeout (harakiri, time limit) kills only what CPython would.
        facts.busySinceS = startedS + lagS;
        running.dueS = facts.busySinceS + result.serviceS;
        // Node's timers fire 1 ms apart at best: a request due sooner completes now (at most 1 ms of wall
        // time early), once the verdicts below are in (a microtask: no turn of the event loop per job).
        const remainingMs = dueWall - performance.now();
        if (remainingMs >= 1) running.timer = setTimeout(() => this.complete(slot, running), remainingMs);
        else queueMicrotask(() => this.complete(slot, running));
        if (verdict !== null) this.apply(slot, verdict);
        this.armTimer(slot);
        this.checkContainerMemory();
      })
      .catch((e: Error) => {
        if (this.running[slot] !== running) return;
        this.crash(slot, e);
      });
  }

  private complete(slot: number, running: Running): void {
    if (this.running[slot] !== running) return;
    this.running[slot] = null;
    const now = this.now();
    this.recorder.onComplete(running.arrivalS, now - running.arrivalS, running.serviceS);
    this.o.onRequestDone?.(running.startedS - running.arrivalS, running.serviceS, now - running.arrivalS);
    running.resolve({ slot, incarnation: this.incarnation[slot], serviceS: running.serviceS, waitS: running.startedS - running.arrivalS });
    const facts = this.updateFacts(slot);
    facts.busySinceS = null;
    if (Number.isFinite(this.policy.rssSampleIntervalS)) facts.sampledRssBytes = facts.rssBytes;
    this.state[slot] = IDLE;
    const verdict = this.policy.onRequestEnd(facts, this.limits[slot], now);
    if (verdict !== null) this.apply(slot, verdict);
    if (this.state[slot] !== IDLE) return;
    if (this.leaving[slot] !== null) {
      this.exit(slot, this.leaving[slot]!);
      return;
    }
    this.release(slot);
  }

  // ------------------------------------------------------------------ verdicts

  private apply(slot: number, verdict: Verdict): void {
    if (this.state[slot] === DEAD) return;
    switch (verdict.mode) {
      case 'kill':
        this.kill(slot, verdict);
        return;
      case 'abort':
        // SIGABRT in Python code: the request ends with an error, the worker exits.
        this.facts[slot].abortedAtS = this.now();
        this.kill(slot, verdict);
        return;
      case 'graceful':
        if (this.leaving[slot] !== null) return;
        if (defersRecycle(this.policy.guards, verdict, this.lastGracefulRecycleAt, this.now())) {
          this.recorder.onDeferredRecycle();
          return;
        }
        this.lastGracefulRecycleAt = this.now();
        if (this.policy.guards.spawnBeforeKill && this.shadows[slot] === null) {
          void this.bootShadow(slot, verdict);
          return;
        }
        this.startDraining(slot, verdict);
        return;
    }
  }

  private startDraining(slot: number, verdict: Verdict): void {
    this.leaving[slot] = verdict;
    this.facts[slot].drainingSinceS = this.now();
    this.handles[slot]?.setState('draining');
    if (this.state[slot] === IDLE) this.exit(slot, verdict);
  }

  // ------------------------------------------------------------------ spawn before kill

  /** The replacement of each slot booting beside its worker (guards.spawn_before_kill), and whether it is ready. */
  private readonly shadows: ({ handle: WorkerHandle; spawnedS: number; ready: boolean } | null)[] = [];

  /**
   * The spawn-before-kill guard: the replacement boots first (its modelled
   * boot time, as in virtual time); only once it is ready does the old worker
   * drain and leave, and the replacement takes its slot at once.
   */
  private async bootShadow(slot: number, verdict: Verdict): Promise<void> {
    const spawnedS = this.now();
    const spawnedWall = performance.now();
    // No spare here: the old worker serves until this one is ready, so its start-up is off the critical path.
    const handle = this.newHandle(slot, ++this.incarnation[slot]);
    const shadow = { handle, spawnedS, ready: false };
    this.shadows[slot] = shadow;
    this.recorder.onShadowBoot();
    this.o.sink.event({ t: spawnedS, type: 'spawn_before_kill', slot, reason: verdict.reason, detail: verdict.detail });
    let importS: number;
    try {
      importS = await handle.boot();
    } catch (e) {
      if (this.shadows[slot] !== shadow) return;
      this.shadows[slot] = null;
      this.recorder.onShadowReady();
      this.o.sink.event({ t: this.now(), type: 'boot_error', slot, message: (e as Error).message.split('\n')[0] });
      void handle.terminate();
      // No replacement: the old worker recycles the ordinary way.
      if (this.state[slot] !== DEAD) this.startDraining(slot, verdict);
      return;
    }
    const bootS = this.policy.preloaded ? this.o.plan.forkTimeS : importS;
    const readyWall = spawnedWall + this.wallMsFor(bootS);
    this.noteLag(performance.now() - readyWall);
    setTimeout(() => {
      if (this.shadows[slot] !== shadow) return;
      shadow.ready = true;
      this.recorder.onShadowReady();
      if (this.state[slot] === DEAD) this.adoptShadow(slot);
      else this.startDraining(slot, verdict);
    }, Math.max(0, readyWall - performance.now()));
  }

  /** The old worker has gone: its ready replacement takes the slot. */
  private adoptShadow(slot: number): void {
    const shadow = this.shadows[slot]!;
    this.shadows[slot] = null;
    this.handles[slot] = shadow.handle;
    this.state[slot] = BOOTING;
    const facts = this.facts[slot];
    facts.reset(shadow.spawnedS);
    this.limits[slot] = this.policy.limitsAtSpawn(slot, this.slotRng[slot]);
    this.recorder.onSpawn(slot, shadow.spawnedS);
    this.o.sink.event({ t: this.now(), type: 'spawn', slot, incarnation: shadow.handle.incarnation, max_requests: this.limits[slot].maxRequests, spawn_before_kill: true });
    if (Number.isFinite(this.policy.rssSampleIntervalS)) this.rssSampleAt[slot] = this.now() + this.policy.rssSampleIntervalS;
    this.becomeReady(slot, shadow.handle);
  }

  /** Records wall milliseconds the simulator fell behind the modelled clock; returns them as modelled seconds (0 when on time). */
  private noteLag(lateMs: number): number {
    if (lateMs <= 0) return 0;
    const lagS = (lateMs / 1000) * this.o.timeScale;
    this.lagSumS += lagS;
    if (lagS > this.lagMaxS) this.lagMaxS = lagS;
    return lagS;
  }

  /** The worker dies now; the job it runs is failed back to BullMQ, which retries it while it has attempts. */
  private kill(slot: number, verdict: Verdict): void {
    const running = this.running[slot];
    if (running !== null) {
      this.running[slot] = null;
      if (running.timer) clearTimeout(running.timer);
      running.reject(new Error(`lost with its worker: ${verdict.reason} (${verdict.detail})`));
      this.o.sink.event({ t: this.now(), type: 'job_lost_with_worker', slot, job: running.job.id ?? null, reason: verdict.reason });
    }
    this.exit(slot, verdict);
  }

  /** A request raised inside the simulated process: the worker dies with it and is replaced. */
  private crash(slot: number, error: Error): void {
    this.recorder.onCrash();
    const code = (error as { code?: unknown }).code;
    this.o.sink.event({ t: this.now(), type: 'crash', slot, error: typeof code === 'string' && code !== '' ? code : 'exception', message: error.message.split('\n')[0] });
    this.kill(slot, { reason: 'crashed', mode: 'kill', detail: error.message.split('\n')[0] });
  }

  private exit(slot: number, verdict: Verdict): void {
    const handle = this.handles[slot];
    const now = this.now();
    const stats = this.stats(slot);
    const wasReady = this.facts[slot].readyAtS !== null;
    this.state[slot] = DEAD;
    this.leaving[slot] = null;
    this.rssSampleAt[slot] = Infinity;
    if (this.timers[slot]) clearTimeout(this.timers[slot]!);
    this.timers[slot] = null;
    this.handles[slot] = null;
    this.recorder.onExit(slot, now, verdict.reason, stats, wasReady);
    this.o.sink.event({
      t: now,
      type: verdict.mode === 'graceful' ? 'exit' : verdict.mode,
      slot,
      reason: verdict.reason,
      detail: verdict.detail,
      requests: stats.requestsServed,
      rss_bytes: stats.rssBytes,
      peak_rss_bytes: stats.peakRssBytes,
    });
    void handle?.terminate();
    if (!this.containerUp || this.stopping) return;
    const shadow = this.shadows[slot];
    if (shadow?.ready) this.adoptShadow(slot);
    // A replacement still booting takes the slot when it is ready.
    else if (shadow === null || shadow === undefined) this.requestSpawn(slot);
  }

  // ------------------------------------------------------------------ spawning

  /** The master spawns one worker at a time, pausing spawnStaggerS after each. */
  private requestSpawn(slot: number): void {
    this.spawnQueue.push(slot);
    if (!this.masterBusy) this.spawnNext();
  }

  private spawnNext(): void {
    const slot = this.spawnQueue.shift();
    if (slot === undefined || !this.containerUp || this.stopping) {
      this.masterBusy = false;
      return;
    }
    this.masterBusy = true;
    const wait = Math.max(0, this.masterFreeAtWall - performance.now());
    setTimeout(() => {
      void this.spawn(slot);
      this.masterFreeAtWall = performance.now() + this.wallMsFor(this.policy.spawnStaggerS(this.masterRng));
      this.spawnNext();
    }, wait);
  }

  private async preboot(slot: number, incarnation: number): Promise<Booted | null> {
    const handle = this.newHandle(slot, incarnation);
    try {
      return { handle, importS: await handle.boot() };
    } catch {
      // spawn() boots it again in the open and reports the failure.
      await handle.terminate();
      return null;
    }
  }

  /** Starts the slot's spare for `incarnation` (default: the next), unless one is there already. */
  private prepareSpare(slot: number, incarnation = this.incarnation[slot] + 1): void {
    if (this.stopping) return;
    const spare = this.spares[slot];
    if (spare !== null && spare !== undefined) {
      if (spare.incarnation === incarnation) return;
      void spare.ready.then((b) => b?.handle.terminate());
    }
    this.spares[slot] = { incarnation, ready: this.preboot(slot, incarnation) };
  }

  /** The slot's spare if it is for `incarnation` (a stale one is ended), or null. */
  private takeSpare(slot: number, incarnation: number): Promise<Booted | null> | null {
    const spare = this.spares[slot];
    this.spares[slot] = null;
    if (spare === null || spare === undefined) return null;
    if (spare.incarnation === incarnation) return spare.ready;
    void spare.ready.then((b) => b?.handle.terminate());
    return null;
  }

  private newHandle(slot: number, incarnation: number): WorkerHandle {
    const handle: WorkerHandle = new WorkerHandle(
      { scenario: this.o.scenario, scenarioPath: this.o.scenarioPath, seed: this.o.plan.seed, slot, incarnation, forked: this.policy.preloaded, nice: this.o.workerNice },
      (error) => this.onThreadError(slot, handle, error),
    );
    return handle;
  }

  private async spawn(slot: number): Promise<void> {
    if (this.state[slot] !== DEAD || this.stopping) return;
    const spawnedS = this.now();
    const spawnedWall = performance.now();
    const first = this.prebooted[slot] ?? null;
    this.prebooted[slot] = null;
    const incarnation = ++this.incarnation[slot];
    const spare = first === null ? this.takeSpare(slot, incarnation) : null;
    this.state[slot] = BOOTING;
    const facts = this.facts[slot];
    facts.reset(spawnedS);
    this.limits[slot] = this.policy.limitsAtSpawn(slot, this.slotRng[slot]);
    this.recorder.onSpawn(slot, spawnedS);
    this.o.sink.event({ t: spawnedS, type: 'spawn', slot, incarnation, max_requests: this.limits[slot].maxRequests });
    // A spare still starting is waited for (any excess over the modelled boot is reported as lag).
    const pre = first ?? (spare === null ? null : await spare);
    if (this.state[slot] !== BOOTING || this.incarnation[slot] !== incarnation || this.stopping) {
      void pre?.handle.terminate();
      return;
    }
    const handle = pre?.handle ?? this.newHandle(slot, incarnation);
    this.handles[slot] = handle;
    let importS: number;
    try {
      importS = pre?.importS ?? (await handle.boot());
    } catch (e) {
      if (this.handles[slot] !== handle) return;
      this.o.sink.event({ t: this.now(), type: 'boot_error', slot, message: (e as Error).message.split('\n')[0] });
      this.exit(slot, { reason: 'boot_error', mode: 'kill', detail: (e as Error).message.split('\n')[0] });
      return;
    }
    if (this.handles[slot] !== handle) return;
    const bootS = this.policy.preloaded ? this.o.plan.forkTimeS : importS;
    const readyWall = spawnedWall + this.wallMsFor(bootS);
    // Thread start-up and compilation longer than the modelled boot: reported, not hidden.
    this.noteLag(performance.now() - readyWall);
    setTimeout(() => this.becomeReady(slot, handle), Math.max(0, readyWall - performance.now()));
    if (Number.isFinite(this.policy.rssSampleIntervalS)) this.rssSampleAt[slot] = spawnedS + this.policy.rssSampleIntervalS;
  }

  private becomeReady(slot: number, handle: WorkerHandle): void {
    if (this.handles[slot] !== handle || this.state[slot] !== BOOTING) return;
    const now = this.now();
    this.facts[slot].readyAtS = now;
    if (this.policy.preloaded && !this.masterImported) {
      // The master imported the app before forking: its heap is what the worker starts from.
      this.masterImported = true;
      this.recorder.masterRssBytes = handle.rssBytes();
    }
    this.recorder.onReady(slot, now);
    this.o.sink.event({ t: now, type: 'ready', slot, rss_bytes: handle.rssBytes() });
    this.armTimer(slot);
    this.release(slot);
    this.prepareSpare(slot);
  }

  private onThreadError(slot: number, handle: WorkerHandle, error: Error): void {
    if (this.handles[slot] !== handle) return;
    this.crash(slot, error);
  }

  // ------------------------------------------------------------------ checks

  private onPeriodicCheck(): void {
    const now = this.now();
    for (let slot = 0; slot < this.n; slot++) {
      if (this.state[slot] === DEAD) continue;
      if (now >= this.rssSampleAt[slot]) {
        this.facts[slot].sampledRssBytes = this.handles[slot]?.rssBytes() ?? 0;
        this.rssSampleAt[slot] = now + this.policy.rssSampleIntervalS;
      }
      this.check(slot);
    }
  }

  private check(slot: number): void {
    // A request whose modelled end has passed has ended, even if its timer is late (a busy event
    // loop): the policy must not judge it still running.
    const running = this.running[slot];
    if (running !== null && this.now() >= running.dueS) {
      if (running.timer) clearTimeout(running.timer);
      this.complete(slot, running);
      if (this.state[slot] === DEAD) return;
    }
    const verdict = this.policy.onCheck(this.updateFacts(slot), this.limits[slot], this.now());
    if (verdict !== null) this.apply(slot, verdict);
  }

  private armTimer(slot: number): void {
    if (this.timers[slot]) clearTimeout(this.timers[slot]!);
    this.timers[slot] = null;
    if (this.state[slot] === DEAD) return;
    const t = this.policy.nextTimerS(this.facts[slot], this.limits[slot]);
    if (!Number.isFinite(t)) return;
    this.timers[slot] = setTimeout(() => {
      this.timers[slot] = null;
      if (this.state[slot] !== DEAD) this.check(slot);
    }, Math.max(0, this.wallMsFor(t - this.now())));
  }

  private updateFacts(slot: number): SlotFacts {
    const facts = this.facts[slot];
    const handle = this.handles[slot];
    if (handle !== null) {
      facts.rssBytes = handle.rssBytes();
      facts.peakRssBytes = Math.max(facts.peakRssBytes, facts.rssBytes);
    }
    return facts;
  }

  private checkContainerMemory(): void {
    const container = this.o.plan.container;
    if (container === null || !this.containerUp) return;
    const rss = [this.recorder.masterRssBytes];
    const slots: number[] = [];
    let total = rss[0];
    for (let slot = 0; slot < this.n; slot++) {
      const handle = this.handles[slot];
      if (this.state[slot] === DEAD || handle === null) continue;
      const r = handle.rssBytes();
      rss.push(r);
      slots.push(slot);
      total += r - (handle.pageFigures()?.sharedBytes ?? 0);
    }
    const victim = container.oomVictim(total, rss, rss.length);
    if (victim === OOM_NONE) return;
    const detail = `container memory ${total} bytes > limit ${container.limitBytes}`;
    this.o.sink.event({ t: this.now(), type: 'oom', total_rss_bytes: total, limit_bytes: container.limitBytes, kill: container.oomKill });
    if (victim !== OOM_ALL && victim !== 0) {
      this.kill(slots[victim - 1], { reason: 'oom_killed', mode: 'kill', detail });
      return;
    }
    this.containerUp = false;
    this.spawnQueue.length = 0;
    // Replacements booting beside their workers die with the container too.
    for (let slot = 0; slot < this.n; slot++) {
      const shadow = this.shadows[slot];
      if (shadow === null || shadow === undefined) continue;
      this.shadows[slot] = null;
      if (!shadow.ready) this.recorder.onShadowReady();
      void shadow.handle.terminate();
    }
    for (let slot = 0; slot < this.n; slot++) if (this.state[slot] !== DEAD) this.kill(slot, { reason: 'oom_killed', mode: 'kill', detail });
    const now = this.now();
    const startAt = this.backOff.restartAtS(now);
    this.recorder.onContainerRestart();
    this.o.sink.event({ t: now, type: 'container_oom', restart_at: startAt });
    setTimeout(() => {
      if (this.stopping) return;
      this.containerUp = true;
      this.o.sink.event({ t: this.now(), type: 'container_start' });
      for (let slot = 0; slot < this.n; slot++) this.requestSpawn(slot);
    }, this.wallMsFor(startAt - now));
  }

  // ------------------------------------------------------------------ figures

  /** A worker's figures from shared memory (zeros for a dead slot). */
  stats(slot: number): ProcessStats {
    const handle = this.handles[slot];
    const memory = handle?.memory() ?? null;
    const page = handle?.pageFigures() ?? null;
    const shared = page?.sharedBytes ?? 0;
    const rss = memory?.rssBytes ?? 0;
    return {
      rssBytes: rss,
      sharedBytes: shared,
      privateBytes: rss - shared,
      peakRssBytes: memory?.peakRssBytes ?? 0,
      arenaBytes: memory?.arenaBytes ?? 0,
      arenas: memory?.arenas ?? 0,
      poolsUsed: memory?.poolsUsed ?? 0,
      liveBytes: memory?.liveBytes ?? 0,
      fragmentation: memory?.fragmentation ?? 0,
      allocationsTotal: page?.allocationsTotal ?? 0,
      deallocationsTotal: page?.deallocationsTotal ?? 0,
      requestsServed: page?.requestsServed ?? 0,
      gcCollections: page?.gcCollections ?? [0, 0, 0],
      gcCollected: page?.gcCollected ?? [0, 0, 0],
      gcPauseSecondsSum: page?.gcPauseSecondsSum ?? 0,
      gcPauseSecondsMax: page?.gcPauseSecondsMax ?? 0,
    };
  }

  private onSample(): void {
    const line = this.recorder.sample(this.now(), this.state, this.queueDepthNow) as Record<string, unknown>;
    this.o.sink.sample({ ...line, simulation_lag_seconds: Math.round(this.lagMaxS * 1e6) / 1e6 });
  }

  /** The slot's thread once booted (for snapshots and gc.collect), or null. */
  handleOf(slot: number): WorkerHandle | null {
    const state = this.state[slot];
    return state === IDLE || state === BUSY ? this.handles[slot] : null;
  }

  /** 0 dead, 1 booting, 2 idle, 3 busy. */
  stateOf(slot: number): number {
    return this.state[slot];
  }

  isDraining(slot: number): boolean {
    return this.leaving[slot] !== null;
  }


  // ------------------------------------------------------------------ stopping

  /**
   * Graceful shutdown: no new jobs; the running ones finish within the
   * policy's graceful timeout (BullMQ's Worker.close() would wait without
   * limit), then whatever is left is killed; the threads end.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    const consumer = this.consumer;
    const closing = consumer?.close(false) ?? Promise.resolve();
    // Celery's warm shutdown has no time limit: then the running jobs finish, however long they take.
    const graceMs = this.wallMsFor(this.policy.gracefulTimeoutS);
    const deadline = new Promise<'timeout'>((resolve) => {
      if (Number.isFinite(graceMs)) setTimeout(() => resolve('timeout'), graceMs).unref();
    });
    const outcome = await Promise.race([closing.then(() => 'closed' as const), deadline, this.abandoned]);
    if (outcome === 'timeout') {
      for (let slot = 0; slot < this.n; slot++) {
        if (this.state[slot] === BUSY) this.kill(slot, { reason: 'timeout', mode: 'kill', detail: 'graceful timeout at shutdown' });
      }
      await Promise.race([consumer?.close(true), this.abandoned]);
    }
    await this.stopThreads();
  }

  /**
   * Immediate stop: the threads end, the jobs they ran are abandoned; their
   * locks lapse when this process exits and BullMQ's stalled-job recovery
   * gives them to another consumer. A drain in progress returns at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abandon();
    await this.stopThreads();
  }

  private abandon: () => void = () => {};
  private readonly abandoned = new Promise<'abandoned'>((resolve) => (this.abandon = () => resolve('abandoned')));

  private threadsStopped = false;

  private async stopThreads(): Promise<void> {
    if (this.threadsStopped) return;
    this.threadsStopped = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    for (const t of this.timers) if (t) clearTimeout(t);
    this.onSample();
    const now = this.now();
    this.recorder.finish(now, this.state);
    const shadows = this.shadows.map((s) => s?.handle);
    this.shadows.fill(null);
    const spares = this.spares.map((s) => s?.ready.then((b) => b?.handle.terminate()));
    this.spares.fill(null);
    await Promise.all([...this.handles.map((h) => h?.terminate()), ...shadows.map((h) => h?.terminate()), ...spares]);
  }
}
