/**
 * ★ Start here: one simulated Python worker process -- what both clocks run.
 * The virtual-time engine and the real-time worker thread each hold one
 * `PyProcess` per worker slot and drive it the same way:
 *
 *   boot(rng)              the interpreter starts and imports the app
 *                          (modelled import time and the objects it keeps)
 *   handle(endpoint, rng)  one request on the heap; returns its modelled
 *                          service time: the scenario's CPU and I/O time plus
 *                          the modelled cost of every object operation and
 *                          of the collections it triggered
 *   stats()                DESIGN.md's per-worker metrics
 *
 * A recycled worker's replacement boots on the same heap buffer, reset (the
 * simulator's memory is reused; the modelled process starts from nothing).
 */
import type { CollectionReport } from '../gc/collector.js';
import { Heap, type HeapOptions } from '../heap/allocator.js';
import { Python, type Ref } from '../objects/api.js';
import type { Rng } from '../sim/rng.js';
import type { BehaviourFactory, BehaviourInstance, Sampler } from '../workload/behaviours/behaviour.js';
import { allocateImports } from './imports.js';
import { type ProcessState, ProcessPageWriter } from './process-page.js';
import type { SharedHeapHandle } from '../heap/reader.js';

/** A request handler written against the object API (an endpoint's `handler` module). */
export interface HandlerModule {
  /** At boot: module-level state, as globals of `app`. */
  boot?(py: Python, app: Ref): void;
  /** One request, inside its frame. */
  handle(py: Python, rng: Rng, app: Ref): void;
}

export interface EndpointModel {
  readonly name: string;
  /** Seconds of CPU the request's own code spends beyond its object work. */
  readonly cpu: Sampler;
  /** Seconds spent waiting on I/O (the worker stays busy). */
  readonly io: Sampler;
  readonly behaviours: readonly BehaviourFactory[];
  readonly handler: HandlerModule | null;
}

export interface ProcessModel {
  readonly heap: HeapOptions;
  readonly gcThresholds: readonly [number, number, number];
  readonly gcEnabled: boolean;
  /** gc.freeze() once the app is imported. */
  readonly freezeAfterBoot: boolean;
  /** Seconds the app import takes (modelled, drawn per boot). */
  readonly importTime: Sampler;
  /** Modules the import creates and objects it keeps alive in them. */
  readonly importModules: number;
  readonly importObjects: number;
  /**
   * Imported objects a request uses (functions it calls, classes and constants
   * it reads): each one's reference count goes up and down, which after a
   * preloaded fork makes its page private.
   */
  readonly importTouchesPerRequest: number;
  /** How many distinct imported objects requests use (the app's hot code and data), spread over the modules. */
  readonly importHotObjects: number;
  readonly endpoints: readonly EndpointModel[];
  /** Collections at least this long are reported as events (seconds). */
  readonly gcEventMinPauseS: number;
}

export interface RequestResult {
  /** Modelled service time, seconds: cpuS + ioS + objectS. */
  serviceS: number;
  cpuS: number;
  ioS: number;
  /** Object operations and collections, as modelled. */
  objectS: number;
}

export interface ProcessStats {
  rssBytes: number;
  /** Pages still shared with the master after a fork (0 when not forked from one). */
  sharedBytes: number;
  /** rssBytes - sharedBytes: what this process alone costs. */
  privateBytes: number;
  peakRssBytes: number;
  arenaBytes: number;
  arenas: number;
  poolsUsed: number;
  liveBytes: number;
  fragmentation: number;
  allocationsTotal: number;
  deallocationsTotal: number;
  requestsServed: number;
  gcCollections: [number, number, number];
  gcCollected: [number, number, number];
  gcPauseSecondsSum: number;
  gcPauseSecondsMax: number;
}

/** `n` of the imported objects, spread evenly over them (hot code lives in every module). */
function hotSet(imported: Int32Array, n: number): Int32Array {
  if (n >= imported.length) return imported;
  const hot = new Int32Array(n);
  const stride = imported.length / n;
  for (let i = 0; i < n; i++) hot[i] = imported[Math.floor(i * stride)];
  return hot;
}

/** A collection long enough to be an event. */
export interface GcEvent {
  generation: number;
  collected: number;
  pauseS: number;
}

export class PyProcess {
  readonly heap: Heap;
  private readonly model: ProcessModel;
  private python: Python | null = null;
  private instances: BehaviourInstance[][] = [];
  private app: Ref = 0;
  private imported: Int32Array = new Int32Array(0);
  private served = 0;
  private incarnation = 0;
  private objectSeconds = 0;
  /** This process's figures in shared memory, for a supervisor on another thread. */
  private readonly page: ProcessPageWriter;
  /** Collections at or above the event threshold since the last takeGcEvents(). */
  private gcEvents: GcEvent[] = [];

  constructor(model: ProcessModel, heap?: Heap) {
    this.model = model;
    this.heap = heap ?? new Heap(model.heap);
    this.page = new ProcessPageWriter(this.heap.buffer, this.heap.layout.interpreterStateBase);
  }

  /** What another thread needs to read this process's heap and process page. */
  sharedHandle(): SharedHeapHandle {
    return this.heap.sharedHandle();
  }

  /** The state a supervisor reads from the process page (the caller knows when it drains or dies). */
  setState(state: ProcessState): void {
    this.page.setState(state);
  }

  get py(): Python {
    if (this.python === null) throw new Error('the process has not booted');
    return this.python;
  }

  /** rssBytes - sharedBytes, cheaply (no pool walk). */
  privateBytes(): number {
    return this.heap.rssBytes() - (this.heap.cow?.sharedBytes ?? 0);
  }

  get requestsServed(): number {
    return this.served;
  }

  /**
   * The interpreter starts, imports the app and sets up module state; returns
   * the modelled import time (s). `forked`: the process is a fork of a master
   * that did all this before forking (preload): its heap starts shared with
   * the master's, copy-on-write, and the import time is the master's, paid
   * once (the caller charges a fork instead).
   */
  boot(rng: Rng, forked = false): number {
    const model = this.model;
    if (this.python !== null) this.heap.reset();
    this.served = 0;
    this.objectSeconds = 0;
    this.incarnation++;
    this.page.setState('booting');
    this.gcEvents = [];
    const minPauseNs = model.gcEventMinPauseS * 1e9;
    const py = new Python({
      heap: this.heap,
      onCollection: (report: CollectionReport) => {
        if (report.pauseNs >= minPauseNs) {
          this.gcEvents.push({ generation: report.generation, collected: report.collected + report.uncollectable, pauseS: report.pauseNs / 1e9 });
        }
      },
    });
    this.python = py;
    py.gc.setThreshold(...model.gcThresholds);
    if (!model.gcEnabled) py.gc.disable();
    this.app = py.module('app');
    this.imported = hotSet(allocateImports(py, model.importModules, model.importObjects), model.importHotObjects);
    this.instances = model.endpoints.map((endpoint) => {
      endpoint.handler?.boot?.(py, this.app);
      return endpoint.behaviours.map((factory) => factory.instantiate(py, this.app));
    });
    if (model.freezeAfterBoot) py.gc.freeze();
    if (forked) py.space.setCopyOnWrite(this.heap.forkSnapshot());
    this.writePage();
    return Math.max(0, model.importTime.sample(rng));
  }

  /** One request of endpoint `index`: its behaviours run in one frame; returns its modelled times. */
  handle(index: number, rng: Rng): RequestResult {
    const py = this.py;
    const endpoint = this.model.endpoints[index];
    const instances = this.instances[index];
    const before = py.elapsedNs;
    py.call(() => {
      this.touchImports(rng);
      for (let i = 0; i < instances.length; i++) instances[i].run(rng);
      endpoint.handler?.handle(py, rng, this.app);
    });
    this.served++;
    const objectS = (py.elapsedNs - before) / 1e9;
    this.objectSeconds += objectS;
    this.writePage();
    const cpuS = Math.max(0, endpoint.cpu.sample(rng));
    const ioS = Math.max(0, endpoint.io.sample(rng));
    return { serviceS: cpuS + ioS + objectS, cpuS, ioS, objectS };
  }

  private writePage(): void {
    const space = this.py.space;
    this.page.write(this.served, this.incarnation, space.allocations, space.deallocations, this.heap.cow?.sharedBytes ?? 0, this.objectSeconds);
  }

  /** The request uses imported objects: a reference taken and dropped on each. */
  private touchImports(rng: Rng): void {
    const imported = this.imported;
    const n = this.model.importTouchesPerRequest;
    if (imported.length === 0 || n === 0) return;
    const space = this.py.space;
    for (let i = 0; i < n; i++) {
      const h = imported[rng.int(0, imported.length - 1)];
      space.incref(h);
      space.decref(h);
    }
  }

  /** Collections reported since the last call (and forgets them). */
  takeGcEvents(): GcEvent[] {
    const events = this.gcEvents;
    if (events.length > 0) this.gcEvents = [];
    return events;
  }

  stats(): ProcessStats {
    const memory = this.heap.memory();
    const py = this.python;
    const gcStats = py?.gc.peekStats() ?? [];
    const pause = py?.space.gc.pauseTotals() ?? { totalNs: 0, maxNs: 0 };
    const shared = this.heap.cow?.sharedBytes ?? 0;
    return {
      rssBytes: memory.rssBytes,
      sharedBytes: shared,
      privateBytes: memory.rssBytes - shared,
      peakRssBytes: memory.peakRssBytes,
      arenaBytes: memory.arenaBytes,
      arenas: memory.arenas,
      poolsUsed: memory.poolsUsed,
      liveBytes: memory.liveBytes,
      fragmentation: memory.fragmentation,
      allocationsTotal: py?.space.allocations ?? 0,
      deallocationsTotal: py?.space.deallocations ?? 0,
      requestsServed: this.served,
      gcCollections: [0, 1, 2].map((g) => gcStats[g]?.collections ?? 0) as [number, number, number],
      gcCollected: [0, 1, 2].map((g) => (gcStats[g]?.collected ?? 0) + (gcStats[g]?.uncollectable ?? 0)) as [number, number, number],
      gcPauseSecondsSum: pause.totalNs / 1e9,
      gcPauseSecondsMax: pause.maxNs / 1e9,
    };
  }
}
