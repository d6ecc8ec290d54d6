/**
 * ★ Start here: the virtual-time engine. A deterministic discrete-event loop
 * over one simulated service: requests arrive (the scenario's arrival
 * process), wait in one shared queue, and are taken by idle workers (a random
 * idle one, as processes racing on accept() or on the pool's queue are); each
 * worker is a PyProcess whose heap does the request's work at once, and the
 * request completes after its modelled service time. The recycle policy
 * decides exits, aborts and kills (src/policy/policy.ts says who calls what
 * when); the master spawns replacements one at a time; the container's memory
 * limit kills; samples are taken at the scenario's interval. Nothing waits on
 * a real clock and every draw comes from a seeded stream, so the same plan and
 * seed give the same run.
 */
import { SlotFacts } from '../policy/worker-facts.js';
import { compileLoad, type CompiledLoad } from '../loadgen/arrivals.js';
import { CrashLoopBackOff, OOM_ALL, OOM_NONE } from '../policy/container.js';
import { defersRecycle } from '../policy/guards.js';
import type { ExitReason, RecyclePolicy, Verdict, WorkerLimits } from '../policy/policy.js';
import { type GcEvent, PyProcess, type RequestResult } from '../process/py-process.js';
import { isPyheapError } from '../errors.js';
import { Rng } from '../sim/rng.js';
import { EventQueue } from './event-queue.js';
import type { SimulationPlan } from '../scenario/plan.js';
import { EndpointMix } from '../loadgen/endpoint-mix.js';
import { RunRecorder } from './run-recorder.js';

const ARRIVAL = 0;
const COMPLETE = 1;
const BOOTED = 2;
const CHECK = 3;
const SAMPLE = 4;
const MASTER_SPAWN = 5;
const CONTAINER_START = 6;
const TIMER = 7;
const RSS_SAMPLE = 8;
const SHADOW_READY = 9;

/** A worker slot's state (the recorder and samples read these codes). */
export const DEAD = 0;
export const BOOTING = 1;
export const IDLE = 2;
export const BUSY = 3;


export interface EventSink {
  sample(line: object): void;
  event(line: object): void;
  /** Called now and then with the simulated time reached (for progress bars). */
  progress?(nowS: number, recorder: RunRecorder): void;
}

export class Simulation {
  readonly plan: SimulationPlan;
  readonly recorder: RunRecorder;
  private readonly policy: RecyclePolicy;
  private readonly queue = new EventQueue();
  private readonly sink: EventSink;
  private now = 0;

  // -- workers, by slot
  private readonly processes: PyProcess[];
  /** A second process per slot, for spawn-before-kill replacements. */
  private readonly shadows: (PyProcess | null)[];
  private readonly state: Int8Array;
  private readonly bootDoneAt: Float64Array;
  private readonly completeAt: Float64Array;
  private readonly timerAt: Float64Array;
  private readonly rssSampleAt: Float64Array;
  private readonly facts: SlotFacts[];
  private readonly limits: WorkerLimits[];
  private readonly slotRng: Rng[];
  /** The graceful verdict a draining worker leaves for, or null. */
  private readonly leaving: (Verdict | null)[];
  /** Spawn-before-kill: -1 none, 0 the replacement is booting, 1 it is ready. */
  private readonly shadowState: Int8Array;
  private readonly shadowSpawnedAt: Float64Array;
  // the request each busy worker runs
  private readonly reqArrival: Float64Array;
  private readonly reqEndpoint: Int32Array;
  private readonly reqAttempts: Int32Array;
  private readonly reqUser: Int32Array;
  private readonly reqService: Float64Array;
  private readonly idle: Int32Array;
  private readonly idlePos: Int32Array;
  private idleCount = 0;
  private busyCount = 0;

  // -- the shared queue (a ring buffer)
  private qArrival = new Float64Array(1024);
  private qEndpoint = new Int32Array(1024);
  private qAttempts = new Int32Array(1024);
  private qUser = new Int32Array(1024);
  private qHead = 0;
  private qSize = 0;

  // -- the master: spawns one worker at a time, pausing spawnStaggerS between them
  private readonly spawnQueue: number[] = [];
  private masterFreeAt = 0;
  private masterSpawnScheduled = false;
  private readonly masterRng: Rng;

  // -- randomness and load
  private readonly dispatchRng: Rng;
  private readonly endpointRng: Rng;
  private readonly requestRng: Rng;
  private readonly load: CompiledLoad;
  private readonly endpointMix: EndpointMix;

  // -- the container
  private containerUp = true;
  private readonly backOff = new CrashLoopBackOff();
  private readonly oomRss: Float64Array;
  private lastGracefulRecycleAt = -Infinity;
  private arrivalsOver = false;
  /** The master's RSS now includes the imported app (preload). */
  private masterImported = false;

  constructor(plan: SimulationPlan, sink: EventSink) {
    this.plan = plan;
    this.sink = sink;
    this.policy = plan.policy;
    const n = plan.workers;
    const root = new Rng(plan.seed);
    this.dispatchRng = root.stream('dispatch');
    this.endpointRng = root.stream('endpoints');
    this.requestRng = root.stream('requests');
    this.masterRng = root.stream('master');
    this.load = compileLoad(plan.load, root.stream('arrivals'));
    this.endpointMix = new EndpointMix(plan.endpoints);
    this.processes = Array.from({ length: n }, () => new PyProcess(plan.process));
    this.shadows = new Array<PyProcess | null>(n).fill(null);
    this.state = new Int8Array(n);
    this.bootDoneAt = new Float64Array(n);
    this.completeAt = new Float64Array(n);
    this.timerAt = new Float64Array(n).fill(Infinity);
    this.rssSampleAt = new Float64Array(n).fill(Infinity);
    this.facts = Array.from({ length: n }, (_, slot) => new SlotFacts(slot));
    this.limits = new Array<WorkerLimits>(n).fill({ maxRequests: 0 });
    this.slotRng = Array.from({ length: n }, (_, slot) => root.stream(`worker-${slot}`));
    this.leaving = new Array<Verdict | null>(n).fill(null);
    this.shadowState = new Int8Array(n).fill(-1);
    this.shadowSpawnedAt = new Float64Array(n);
    this.reqArrival = new Float64Array(n);
    this.reqEndpoint = new Int32Array(n);
    this.reqAttempts = new Int32Array(n);
    this.reqUser = new Int32Array(n).fill(-1);
    this.reqService = new Float64Array(n);
    this.idle = new Int32Array(n);
    this.idlePos = new Int32Array(n).fill(-1);
    this.oomRss = new Float64Array(2 * n + 1);
    this.recorder = new RunRecorder(
      plan,
      {
        stats: (slot) => this.processes[slot].stats(),
        rssBytes: (slot) => this.processes[slot].heap.rssBytes(),
        sharedBytes: (slot) => this.processes[slot].heap.cow?.sharedBytes ?? 0,
      },
      this.processes[0]?.heap.rssBytes() ?? 0,
    );
  }

  /** The simulated time reached. */
  get simulatedSeconds(): number {
    return this.now;
  }

  /** Runs the whole plan; returns when the load is over and the last request drained (or the drain time ran out). */
  run(): RunRecorder {
    const plan = this.plan;
    this.startContainer();
    const load = this.load;
    if (load.model === 'open') {
      this.scheduleOpenArrival();
    } else {
      const first = load.users.initialArrivals();
      for (let u = 0; u < first.length; u++) if (first[u] < plan.durationS) this.queue.push(first[u], ARRIVAL, u);
    }
    if (Number.isFinite(this.policy.checkIntervalS)) this.queue.push(this.policy.checkIntervalS, CHECK, 0);
    this.queue.push(0, SAMPLE, 0);
    const endS = plan.durationS + plan.drainS;
    let steps = 0;
    while (this.queue.length > 0) {
      const t = this.queue.peekTime();
      if (t > endS) break;
      if (t > plan.durationS) {
        this.arrivalsOver = true;
        if (this.qSize === 0 && this.busyCount === 0) break;
      }
      this.now = this.queue.pop();
      this.dispatchEvent(this.queue.kind, this.queue.arg);
      if ((++steps & 0xfff) === 0) this.sink.progress?.(this.now, this.recorder);
    }
    this.now = Math.max(this.now, plan.durationS);
    this.finish();
    return this.recorder;
  }

  private dispatchEvent(kind: number, arg: number): void {
    switch (kind) {
      case ARRIVAL:
        return this.onArrival(arg);
      case COMPLETE:
        return this.onComplete(arg);
      case BOOTED:
        return this.onBooted(arg);
      case CHECK:
        return this.onPeriodicCheck();
      case SAMPLE:
        return this.onSample();
      case MASTER_SPAWN:
        return this.onMasterSpawn();
      case CONTAINER_START:
        return this.startContainer();
      case TIMER:
        return this.onTimer(arg);
      case RSS_SAMPLE:
        return this.onRssSample(arg);
      case SHADOW_READY:
        return this.onShadowReady(arg);
    }
  }

  // ------------------------------------------------------------------ arrivals and the queue

  private scheduleOpenArrival(): void {
    const load = this.load;
    if (load.model !== 'open') return;
    const t = load.arrivals.next();
    if (t <= this.plan.durationS) this.queue.push(t, ARRIVAL, -1);
  }

  private onArrival(user: number): void {
    if (user < 0) this.scheduleOpenArrival();
    const endpoint = this.endpointMix.pick(this.endpointRng);
    this.recorder.onArrival();
    this.offer(this.now, endpoint, this.plan.attempts, user);
  }

  /** A request (new or retried) goes to an idle worker, else waits in the queue, else is refused. */
  private offer(arrival: number, endpoint: number, attempts: number, user: number): void {
    if (this.idleCount > 0) {
      this.startRequest(this.takeIdle(), arrival, endpoint, attempts, user);
      return;
    }
    if (this.qSize >= this.plan.backlog || !this.containerUp) {
      this.recorder.onRefused();
      this.sink.event({ t: this.now, type: 'refused', endpoint: this.endpointMix.names[endpoint], queue_depth: this.qSize });
      this.userDone(user);
      return;
    }
    if (this.qSize === this.qArrival.length) this.growQueue();
    const i = (this.qHead + this.qSize) & (this.qArrival.length - 1);
    this.qArrival[i] = arrival;
    this.qEndpoint[i] = endpoint;
    this.qAttempts[i] = attempts;
    this.qUser[i] = user;
    this.qSize++;
  }

  private growQueue(): void {
    const n = this.qArrival.length;
    const head = this.qHead;
    const copy = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      for (let k = 0; k < n; k++) b[k] = a[(head + k) & (n - 1)];
      return b;
    };
    this.qArrival = copy(this.qArrival, new Float64Array(2 * n));
    this.qEndpoint = copy(this.qEndpoint, new Int32Array(2 * n));
    this.qAttempts = copy(this.qAttempts, new Int32Array(2 * n));
    this.qUser = copy(this.qUser, new Int32Array(2 * n));
    this.qHead = 0;
  }

  /** The worker takes the oldest queued request, if any; else it becomes idle. */
  private takeNext(slot: number): void {
    if (this.qSize > 0) {
      const i = this.qHead;
      this.qHead = (this.qHead + 1) & (this.qArrival.length - 1);
      this.qSize--;
      this.startRequest(slot, this.qArrival[i], this.qEndpoint[i], this.qAttempts[i], this.qUser[i]);
      return;
    }
    this.state[slot] = IDLE;
    this.addIdle(slot);
  }

  // ------------------------------------------------------------------ requests

  private startRequest(slot: number, arrival: number, endpoint: number, attempts: number, user: number): void {
    const now = this.now;
    this.state[slot] = BUSY;
    this.busyCount++;
    const facts = this.facts[slot];
    facts.requestsStarted++;
    facts.busySinceS = now;
    this.reqArrival[slot] = arrival;
    this.reqEndpoint[slot] = endpoint;
    this.reqAttempts[slot] = attempts;
    this.reqUser[slot] = user;
    const verdict = this.policy.onRequestStart(this.updateFacts(slot), this.limits[slot], now);
    const process = this.processes[slot];
    let result: RequestResult;
    try {
      result = process.handle(endpoint, this.requestRng);
    } catch (e) {
      this.crash(slot, e, this.plan.process.endpoints[endpoint].handler !== null);
      return;
    }
    this.reqService[slot] = result.serviceS;
    this.completeAt[slot] = now + result.serviceS;
    this.recorder.onStart(now - arrival, arrival, result);
    this.reportGc(slot, process.takeGcEvents());
    this.queue.push(now + result.serviceS, COMPLETE, slot);
    if (verdict !== null) this.apply(slot, verdict);
    this.armTimer(slot);
    this.checkContainerMemory();
  }

  private onComplete(slot: number): void {
    if (this.state[slot] !== BUSY || this.completeAt[slot] !== this.now) return; // ended otherwise meanwhile
    const now = this.now;
    const arrival = this.reqArrival[slot];
    this.endRequest(slot);
    this.state[slot] = IDLE; // not in the idle set until it takes no next request
    this.recorder.onComplete(arrival, now - arrival, this.reqService[slot]);
    this.userDone(this.reqUser[slot]);
    const facts = this.updateFacts(slot);
    if (Number.isFinite(this.policy.rssSampleIntervalS)) facts.sampledRssBytes = facts.rssBytes;
    const verdict = this.policy.onRequestEnd(facts, this.limits[slot], now);
    if (verdict !== null) this.apply(slot, verdict);
    if (this.state[slot] !== IDLE) return; // it left
    if (this.leaving[slot] !== null) {
      this.leaveIfDue(slot);
      return;
    }
    this.takeNext(slot);
    this.armTimer(slot);
  }

  private endRequest(slot: number): void {
    this.busyCount--;
    this.facts[slot].busySinceS = null;
  }

  /** A closed-model user whose request ended (completed, failed or refused) thinks, then sends the next. */
  private userDone(user: number): void {
    const load = this.load;
    if (user < 0 || load.model !== 'closed') return;
    const t = load.users.afterCompletion(user, this.now);
    if (t <= this.plan.durationS) this.queue.push(t, ARRIVAL, user);
  }

  // ------------------------------------------------------------------ verdicts

  /** Applies a policy verdict to a live worker. */
  private apply(slot: number, verdict: Verdict): void {
    switch (verdict.mode) {
      case 'kill':
        this.kill(slot, verdict);
        return;
      case 'abort':
        // SIGABRT in Python code: the request ends with an error, the worker exits (gunicorn/workers/sync.py handle).
        this.facts[slot].abortedAtS = this.now;
        if (this.state[slot] === BUSY) this.failRequest(slot, verdict.reason, false);
        this.exit(slot, verdict);
        return;
      case 'graceful':
        if (this.leaving[slot] !== null) return;
        if (defersRecycle(this.policy.guards, verdict, this.lastGracefulRecycleAt, this.now)) {
          this.recorder.onDeferredRecycle();
          return;
        }
        this.lastGracefulRecycleAt = this.now;
        if (this.policy.guards.spawnBeforeKill && this.shadowState[slot] === -1) {
          this.bootShadow(slot, verdict);
          return;
        }
        this.startDraining(slot, verdict);
        return;
    }
  }

  private startDraining(slot: number, verdict: Verdict): void {
    this.leaving[slot] = verdict;
    this.facts[slot].drainingSinceS = this.now;
    this.removeIdle(slot);
    if (this.state[slot] === IDLE) this.leaveIfDue(slot);
  }

  /** A draining worker with no request leaves. */
  private leaveIfDue(slot: number): void {
    const verdict = this.leaving[slot];
    if (verdict !== null && this.state[slot] !== BUSY) this.exit(slot, verdict);
  }

  private bootShadow(slot: number, verdict: Verdict): void {
    let shadow = this.shadows[slot];
    if (shadow === null) {
      shadow = new PyProcess(this.plan.process);
      this.shadows[slot] = shadow;
    }
    const bootS = this.bootTime(shadow.boot(this.slotRng[slot], this.policy.preloaded));
    this.shadowState[slot] = 0;
    this.shadowSpawnedAt[slot] = this.now;
    this.recorder.onShadowBoot();
    this.sink.event({ t: this.now, type: 'spawn_before_kill', slot, reason: verdict.reason, detail: verdict.detail, boot_seconds: bootS });
    this.pendingShadowVerdict[slot] = verdict;
    this.queue.push(this.now + bootS, SHADOW_READY, slot);
  }

  private readonly pendingShadowVerdict: (Verdict | null)[] = [];

  private onShadowReady(slot: number): void {
    if (this.shadowState[slot] !== 0) return;
    this.shadowState[slot] = 1;
    this.recorder.onShadowReady();
    const verdict = this.pendingShadowVerdict[slot]!;
    if (this.state[slot] === DEAD) {
      // The old worker died meanwhile: the replacement takes the slot now.
      this.adoptShadow(slot);
      return;
    }
    this.startDraining(slot, verdict);
  }

  private adoptShadow(slot: number): void {
    const shadow = this.shadows[slot]!;
    this.shadows[slot] = this.processes[slot];
    this.processes[slot] = shadow;
    this.shadowState[slot] = -1;
    this.facts[slot].reset(this.shadowSpawnedAt[slot]);
    this.limits[slot] = this.policy.limitsAtSpawn(slot, this.slotRng[slot]);
    this.recorder.onSpawn(slot, this.shadowSpawnedAt[slot]);
    this.sink.event({ t: this.now, type: 'spawn', slot, max_requests: this.limits[slot].maxRequests, spawn_before_kill: true });
    this.becomeReady(slot);
  }

  /**
   * The request raised inside the simulated process (a handler's exception,
   * a simulated MemoryError): the worker dies with it, as a process that
   * lets an exception escape its request loop does, and is replaced. A bug
   * in pyheap itself is not the simulated process's and stops the run: any
   * error other than a PyheapError of the simulated or input class, unless a
   * handler module (user code) ran.
   */
  private crash(slot: number, error: unknown, userCode: boolean): void {
    const simulated = isPyheapError(error) && error.errorClass !== 'bug';
    if (!simulated && !(userCode && error instanceof Error)) throw error;
    const message = error.message.split('\n')[0];
    this.recorder.onCrash();
    this.sink.event({ t: this.now, type: 'crash', slot, error: isPyheapError(error) ? error.code : error.name, message });
    this.kill(slot, { reason: 'crashed', mode: 'kill', detail: message });
  }

  private kill(slot: number, verdict: Verdict): void {
    if (this.state[slot] === BUSY) this.failRequest(slot, verdict.reason, true);
    this.exit(slot, verdict);
  }

  /**
   * The running request of a worker that dies or aborts: retried while it has
   * attempts left (a killed worker's job goes back, as with Celery's late
   * acknowledgement), else failed.
   */
  private failRequest(slot: number, reason: ExitReason, lostWithWorker: boolean): void {
    this.endRequest(slot);
    const attempts = this.reqAttempts[slot] - 1;
    const endpoint = this.reqEndpoint[slot];
    const name = this.endpointMix.names[endpoint];
    if (lostWithWorker && attempts > 0) {
      this.recorder.onRetried();
      this.sink.event({ t: this.now, type: 'retry', slot, reason, endpoint: name });
      this.offer(this.reqArrival[slot], endpoint, attempts, this.reqUser[slot]);
    } else {
      this.recorder.onFailed();
      this.sink.event({ t: this.now, type: 'failed', slot, reason, endpoint: name });
      this.userDone(this.reqUser[slot]);
    }
  }

  // ------------------------------------------------------------------ periodic checks, timers, RSS samples

  private onPeriodicCheck(): void {
    for (let slot = 0; slot < this.plan.workers; slot++) if (this.state[slot] !== DEAD) this.check(slot);
    if (!this.arrivalsOver || this.busyCount > 0) this.queue.push(this.now + this.policy.checkIntervalS, CHECK, 0);
  }

  private check(slot: number): void {
    const verdict = this.policy.onCheck(this.updateFacts(slot), this.limits[slot], this.now);
    if (verdict !== null) this.apply(slot, verdict);
  }

  /** Schedules the policy's own timer for the worker (Celery's time limits, its boot timeout). */
  private armTimer(slot: number): void {
    if (this.state[slot] === DEAD) return;
    const t = this.policy.nextTimerS(this.facts[slot], this.limits[slot]);
    this.timerAt[slot] = t;
    if (Number.isFinite(t)) this.queue.push(Math.max(t, this.now), TIMER, slot);
  }

  private onTimer(slot: number): void {
    if (this.state[slot] === DEAD || this.timerAt[slot] !== this.now) return;
    this.timerAt[slot] = Infinity;
    this.check(slot);
    this.armTimer(slot);
  }

  private onRssSample(slot: number): void {
    if (this.state[slot] === DEAD || this.rssSampleAt[slot] !== this.now) return;
    this.facts[slot].sampledRssBytes = this.processes[slot].heap.rssBytes();
    this.rssSampleAt[slot] = this.now + this.policy.rssSampleIntervalS;
    this.queue.push(this.rssSampleAt[slot], RSS_SAMPLE, slot);
  }

  private updateFacts(slot: number): SlotFacts {
    const facts = this.facts[slot];
    const heap = this.processes[slot].heap;
    facts.rssBytes = heap.rssBytes();
    facts.peakRssBytes = heap.peakRssBytes();
    return facts;
  }

  // ------------------------------------------------------------------ lifecycle

  private exit(slot: number, verdict: Verdict): void {
    const now = this.now;
    const process = this.processes[slot];
    this.removeIdle(slot);
    const stats = process.stats();
    const wasReady = this.facts[slot].readyAtS !== null;
    this.state[slot] = DEAD;
    this.leaving[slot] = null;
    this.timerAt[slot] = Infinity;
    this.rssSampleAt[slot] = Infinity;
    this.recorder.onExit(slot, now, verdict.reason, stats, wasReady);
    this.sink.event({
      t: now,
      type: verdict.mode === 'graceful' ? 'exit' : verdict.mode,
      slot,
      reason: verdict.reason,
      detail: verdict.detail,
      requests: stats.requestsServed,
      rss_bytes: stats.rssBytes,
      peak_rss_bytes: stats.peakRssBytes,
    });
    if (!this.containerUp) return;
    if (this.shadowState[slot] === 1) {
      this.adoptShadow(slot);
      return;
    }
    if (this.shadowState[slot] === 0) return; // the replacement is booting: it takes the slot when ready
    // A worker that failed to boot is respawned no sooner than a second later (uWSGI's fork-bomb pause is 2 s).
    if (verdict.reason === 'boot_error') this.masterFreeAt = Math.max(this.masterFreeAt, now + 1);
    this.requestSpawn(slot);
  }

  /** The master spawns workers one at a time, pausing spawnStaggerS after each (Gunicorn's arbiter, spawn_workers). */
  private requestSpawn(slot: number): void {
    this.spawnQueue.push(slot);
    if (this.masterSpawnScheduled) return;
    this.masterSpawnScheduled = true;
    this.queue.push(Math.max(this.now, this.masterFreeAt), MASTER_SPAWN, 0);
  }

  private onMasterSpawn(): void {
    this.masterSpawnScheduled = false;
    const slot = this.spawnQueue.shift();
    if (slot === undefined || !this.containerUp) return;
    // spawn() may itself ask for a spawn (a failed boot) and push masterFreeAt later.
    this.masterFreeAt = Math.max(this.masterFreeAt, this.now + this.policy.spawnStaggerS(this.masterRng));
    this.spawn(slot);
    if (this.spawnQueue.length > 0 && !this.masterSpawnScheduled) {
      this.masterSpawnScheduled = true;
      this.queue.push(this.masterFreeAt, MASTER_SPAWN, 0);
    }
  }

  private spawn(slot: number): void {
    if (this.state[slot] !== DEAD) return;
    const now = this.now;
    const rng = this.slotRng[slot];
    this.state[slot] = BOOTING;
    this.facts[slot].reset(now);
    this.limits[slot] = this.policy.limitsAtSpawn(slot, rng);
    let importS: number;
    try {
      importS = this.processes[slot].boot(rng, this.policy.preloaded);
    } catch (e) {
      this.bootFailed(slot, e);
      return;
    }
    const bootS = this.bootTime(importS);
    if (this.policy.preloaded && !this.masterImported) {
      this.masterImported = true;
      // The master imported the app before forking: its heap is what the worker starts from.
      this.recorder.masterRssBytes = this.processes[slot].heap.rssBytes();
    }
    this.bootDoneAt[slot] = now + bootS;
    this.recorder.onSpawn(slot, now);
    this.sink.event({ t: now, type: 'spawn', slot, boot_seconds: bootS, max_requests: this.limits[slot].maxRequests });
    this.queue.push(now + bootS, BOOTED, slot);
    if (Number.isFinite(this.policy.rssSampleIntervalS)) {
      this.rssSampleAt[slot] = now + this.policy.rssSampleIntervalS;
      this.queue.push(this.rssSampleAt[slot], RSS_SAMPLE, slot);
    }
    this.armTimer(slot);
  }

  /**
   * The app failed to import in a worker (a simulated MemoryError). Servers
   * differ: Gunicorn's arbiter halts the whole service (arbiter.py,
   * reap_workers raises HaltServer: the master exits, and a container then
   * restarts); the others replace the worker.
   */
  private bootFailed(slot: number, error: unknown): void {
    if (!isPyheapError(error) || error.errorClass === 'bug') throw error;
    this.recorder.onSpawn(slot, this.now);
    this.sink.event({ t: this.now, type: 'boot_error', slot, error: error.code, message: error.message.split('\n')[0] });
    const verdict: Verdict = { reason: 'boot_error', mode: 'kill', detail: error.message.split('\n')[0] };
    if (this.policy.bootFailure === 'respawn') {
      this.exit(slot, verdict);
      return;
    }
    this.exit(slot, verdict);
    this.haltService('the master halted after a worker failed to boot');
  }

  /**
   * The master exits: every worker dies with it, queued requests fail, and --
   * in a container -- the kubelet restarts it after its back-off; without one
   * the service stays down.
   */
  private haltService(detail: string): void {
    this.containerUp = false;
    this.spawnQueue.length = 0;
    for (let slot = 0; slot < this.plan.workers; slot++) {
      this.shadowState[slot] = -1;
      if (this.state[slot] !== DEAD) this.kill(slot, { reason: 'boot_error', mode: 'kill', detail });
    }
    this.failQueued();
    this.sink.event({ t: this.now, type: 'halt', detail });
    if (this.plan.container !== null) {
      const startAt = this.backOff.restartAtS(this.now);
      this.recorder.onContainerRestart();
      this.queue.push(startAt, CONTAINER_START, 0);
    }
  }

  /** The listening socket closes: queued requests fail (a closed-model user then thinks and retries). */
  private failQueued(): void {
    while (this.qSize > 0) {
      const i = this.qHead;
      this.qHead = (this.qHead + 1) & (this.qArrival.length - 1);
      this.qSize--;
      this.recorder.onFailed();
      this.userDone(this.qUser[i]);
    }
  }

  /** A worker forked from a preloaded master only pays the fork; others import the app. */
  private bootTime(importS: number): number {
    return this.policy.preloaded ? this.plan.forkTimeS : importS;
  }

  private onBooted(slot: number): void {
    if (this.state[slot] !== BOOTING || this.bootDoneAt[slot] !== this.now) return;
    this.becomeReady(slot);
  }

  private becomeReady(slot: number): void {
    this.facts[slot].readyAtS = this.now;
    this.state[slot] = IDLE;
    this.recorder.onReady(slot, this.now);
    this.sink.event({ t: this.now, type: 'ready', slot, rss_bytes: this.processes[slot].heap.rssBytes() });
    this.takeNext(slot);
    this.armTimer(slot);
  }

  // ------------------------------------------------------------------ the container

  private startContainer(): void {
    this.containerUp = true;
    this.masterFreeAt = this.now;
    if (this.now > 0) this.sink.event({ t: this.now, type: 'container_start' });
    for (let slot = 0; slot < this.plan.workers; slot++) {
      this.state[slot] = DEAD;
      this.requestSpawn(slot);
    }
  }

  /** The cgroup's limit: the OOM killer ends every process (memory.oom.group) or the largest one. */
  private checkContainerMemory(): void {
    const container = this.plan.container;
    if (container === null || !this.containerUp) return;
    const rss = this.oomRss;
    const slots: number[] = [];
    // The cgroup charges a page once: pages a forked worker still shares with the master count in the master's.
    rss[0] = this.recorder.masterRssBytes;
    let count = 1;
    let total = rss[0];
    for (let slot = 0; slot < this.plan.workers; slot++) {
      if (this.state[slot] === DEAD) continue;
      const process = this.processes[slot];
      rss[count++] = process.heap.rssBytes();
      total += process.privateBytes();
      slots.push(slot);
    }
    for (let slot = 0; slot < this.plan.workers; slot++) {
      if (this.shadowState[slot] === -1) continue;
      total += this.shadows[slot]!.privateBytes();
    }
    const victim = container.oomVictim(total, rss, count);
    if (victim === OOM_NONE) return;
    const detail = `container memory ${total} bytes > limit ${container.limitBytes}`;
    this.sink.event({ t: this.now, type: 'oom', total_rss_bytes: total, limit_bytes: container.limitBytes, kill: container.oomKill });
    if (victim !== OOM_ALL && victim !== 0) {
      this.kill(slots[victim - 1], { reason: 'oom_killed', mode: 'kill', detail });
      return;
    }
    // The whole container (or its master) dies: every worker with it; the kubelet restarts it after its back-off.
    this.containerUp = false;
    this.spawnQueue.length = 0;
    for (let slot = 0; slot < this.plan.workers; slot++) {
      this.shadowState[slot] = -1;
      if (this.state[slot] !== DEAD) this.kill(slot, { reason: 'oom_killed', mode: 'kill', detail });
    }
    this.failQueued();
    const startAt = this.backOff.restartAtS(this.now);
    this.recorder.onContainerRestart();
    this.sink.event({ t: this.now, type: 'container_oom', restart_at: startAt });
    this.queue.push(startAt, CONTAINER_START, 0);
  }

  // ------------------------------------------------------------------ sampling and the end

  private onSample(): void {
    this.sink.sample(this.recorder.sample(this.now, this.state, this.qSize));
    if (!this.arrivalsOver || this.busyCount > 0 || this.qSize > 0) this.queue.push(this.now + this.plan.sampleIntervalS, SAMPLE, 0);
  }

  private reportGc(slot: number, events: readonly GcEvent[]): void {
    for (const e of events) this.sink.event({ t: this.now, type: 'gc', slot, generation: e.generation, collected: e.collected, pause_seconds: e.pauseS });
  }

  private finish(): void {
    // Requests still queued or running when the drain time ran out.
    for (let k = 0; k < this.busyCount + this.qSize; k++) this.recorder.onUnfinished();
    this.sink.sample(this.recorder.sample(this.now, this.state, this.qSize));
    this.recorder.finish(this.now, this.state);
  }

  // ------------------------------------------------------------------ the idle set (O(1) random pick and removal)

  private addIdle(slot: number): void {
    if (this.idlePos[slot] !== -1) return;
    this.idlePos[slot] = this.idleCount;
    this.idle[this.idleCount++] = slot;
  }

  private removeIdle(slot: number): void {
    const pos = this.idlePos[slot];
    if (pos === -1) return;
    const last = this.idle[--this.idleCount];
    this.idle[pos] = last;
    this.idlePos[last] = pos;
    this.idlePos[slot] = -1;
  }

  private takeIdle(): number {
    const slot = this.idleCount === 1 ? this.idle[0] : this.idle[this.dispatchRng.int(0, this.idleCount - 1)];
    this.removeIdle(slot);
    return slot;
  }
}
