/**
 * A simulated Python worker process, as a worker thread: the supervisor spawns
 * one per process incarnation and drives it through a typed RPC (comlink over
 * the thread's port). The thread compiles the scenario itself (handler
 * modules, behaviours and samplers are code, not data), owns its heap, and
 * hands its heap's shared handle back once: the supervisor reads memory,
 * collector statistics and the process page from shared memory after that.
 *
 * When the process is recycled the thread ends and its heap goes with it.
 */
import * as Comlink from 'comlink';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { SharedHeapHandle } from '../src/heap/reader.js';
import type { MessagePort } from 'node:worker_threads';
import { nodeEndpoint } from '../src/protocol/comlink-node.js';
import { type HandleResult, serveRequests } from '../src/protocol/request-channel.js';
import { usePassesModule } from '../src/gc/wasm-passes.js';
import { useKernelModule } from '../src/objects/wasm-kernel.js';
import { PyProcess } from '../src/process/py-process.js';
import { compileScenario } from '../src/scenario/compile.js';
import { scenarioSchema } from '../src/scenario/scenario.js';
import { Rng } from '../src/sim/rng.js';
import { makeCodeCache } from './code-cache.js';

export interface PyWorkerData {
  /** The scenario as parsed from its file (validated again here). */
  scenario: unknown;
  scenarioPath: string;
  seed: number;
  slot: number;
  incarnation: number;
  /** Forked from a master that imported the app (preload). */
  forked: boolean;
  /** The thread's nice value once booted (Linux: per thread; 0: unchanged). */
  nice?: number;
  /** The requests' own channel (src/protocol/request-channel.ts). */
  requests: MessagePort;
  /** The collector's compiled kernel, compiled once by the supervisor (src/gc/wasm-passes.ts). */
  gcPasses: WebAssembly.Module;
  /** The object layer's compiled kernel, likewise (src/objects/wasm-kernel.ts). */
  objectKernel: WebAssembly.Module;
  /** A V8 code cache of the bundle this thread runs, made by an earlier thread (py-worker-loader.ts); null for the first. */
  codeCache: Uint8Array | null;
}

export interface BootResult {
  importS: number;
  heap: SharedHeapHandle;
  /** A V8 code cache of this thread's code, when it compiled it from source (py-worker-loader.ts); else null. */
  codeCache: Uint8Array | null;
}


/** The RPC surface the supervisor sees. */
export class SimulatedWorker {
  private process: PyProcess | null = null;
  private rng: Rng | null = null;

  async boot(): Promise<BootResult> {
    const data = workerData as PyWorkerData;
    const scenario = scenarioSchema.parse(data.scenario);
    const plan = await compileScenario(scenario, { scenarioPath: data.scenarioPath, seed: data.seed });
    this.process = new PyProcess(plan.process);
    this.rng = new Rng(data.seed).stream(`worker-${data.slot}-${data.incarnation}`);
    const importS = this.process.boot(this.rng, data.forked);
    // After the boot, which a spare does ahead of time and which should not wait. On Linux
    // setpriority(PRIO_PROCESS, 0) reaches the calling thread only; elsewhere the whole process.
    const nice = data.nice ?? 0;
    if (nice > 0 && process.platform === 'linux') {
      try {
        setPriority(nice);
      } catch {
        // A sandbox that forbids it (seccomp): the thread keeps the supervisor's priority.
      }
    }
    return { importS, heap: this.process.sharedHandle(), codeCache: makeCodeCache() };
  }

  handle(endpoint: number): HandleResult {
    const process = this.mustHaveBooted();
    const started = performance.now();
    const result = process.handle(endpoint, this.rng!);
    return { ...result, gcEvents: process.takeGcEvents(), wallMs: performance.now() - started };
  }

  /** gc.collect(generation) in the simulated process; returns what it found. */
  gcCollect(generation = 2): number {
    return this.mustHaveBooted().py.gc.collect(generation);
  }

  /** The pymalloc statistics of sys._debugmallocstats() and objgraph's most common types, now. */
  snapshot(): { mallocStats: ReturnType<PyProcess['heap']['mallocStats']>; mostCommonTypes: [string, number][] } {
    const process = this.mustHaveBooted();
    return { mallocStats: process.heap.mallocStats(), mostCommonTypes: process.py.objgraph.mostCommonTypes(20) };
  }

  private mustHaveBooted(): PyProcess {
    if (this.process === null) throw new Error('the simulated process has not booted');
    return this.process;
  }
}

if (parentPort !== null) {
  usePassesModule((workerData as PyWorkerData).gcPasses);
  useKernelModule((workerData as PyWorkerData).objectKernel);
  const worker = new SimulatedWorker();
  Comlink.expose(worker, nodeEndpoint(parentPort as never));
  serveRequests((workerData as PyWorkerData).requests, (endpoint) => worker.handle(endpoint));
}
