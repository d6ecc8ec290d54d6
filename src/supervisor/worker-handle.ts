/**
 * One simulated worker process's thread, as the supervisor holds it: spawned
 * per process incarnation, driven through comlink, read through shared memory
 * (its heap's memory figures and its process page) without messages, and
 * ended either gracefully (the thread is told nothing more and terminated once
 * idle) or hard (terminated mid-request: the request is lost with it).
 */
import * as Comlink from 'comlink';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { passesModule } from '../gc/wasm-passes.js';
import { HeapReader } from '../heap/reader.js';
import type { MemoryFigures } from '../heap/rss.js';
import { kernelModule } from '../objects/wasm-kernel.js';
import { type ProcessPageFigures, ProcessPageReader, type ProcessState } from '../process/process-page.js';
import { nodeEndpoint } from '../protocol/comlink-node.js';
import { type HandleResult, RequestClient } from '../protocol/request-channel.js';
import type { PyWorkerData, SimulatedWorker } from '../../workers/py-worker.js';

/**
 * The worker thread's entry, found from this module whether it runs from dist/
 * or from the sources: dist/workers/py-worker-loader.js, which runs the build's
 * single-file bundle through V8's code cache (a new thread loads one file
 * instead of a module graph, and compiles little of it: a recycle takes about
 * 40% less time), or dist/workers/py-worker.js without the bundle.
 */
export function workerEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const workers = join(dir, 'dist', 'workers');
      return existsSync(join(workers, 'py-worker.bundle.cjs')) ? join(workers, 'py-worker-loader.js') : join(workers, 'py-worker.js');
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the pyheap package root (package.json) to locate dist/workers/py-worker.js');
}

/**
 * The code cache of the worker bundle, from the last thread that compiled it
 * from source (py-worker-loader.ts: the first, or one whose cache V8 refused);
 * every later thread of this process starts from it.
 */
let codeCache: Uint8Array | null = null;

export class WorkerHandle {
  readonly slot: number;
  readonly incarnation: number;
  private readonly thread: Worker;
  private readonly remote: Comlink.Remote<SimulatedWorker>;
  private heap: HeapReader | null = null;
  private page: ProcessPageReader | null = null;
  private exited = false;
  /** Booted having compiled its code from source, and handed back the code cache later threads start from. */
  madeCodeCache = false;
  /** Resolves when the thread has exited, for whatever reason. */
  readonly exitedPromise: Promise<number>;

  private readonly requests: RequestClient;

  constructor(data: Omit<PyWorkerData, 'requests' | 'gcPasses' | 'objectKernel' | 'codeCache'>, onError: (error: Error) => void) {
    this.slot = data.slot;
    this.incarnation = data.incarnation;
    const channel = new MessageChannel();
    this.thread = new Worker(workerEntry(), { workerData: { ...data, requests: channel.port2, gcPasses: passesModule(), objectKernel: kernelModule(), codeCache }, transferList: [channel.port2] });
    this.requests = new RequestClient(channel.port1);
    this.remote = Comlink.wrap<SimulatedWorker>(nodeEndpoint(this.thread as never));
    this.thread.on('error', (e) => {
      if (!this.exited) onError(e);
    });
    this.exitedPromise = new Promise((resolve) =>
      this.thread.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      }),
    );
  }

  /** The process boots (imports the app); returns the modelled import time. */
  async boot(): Promise<number> {
    const result = await this.remote.boot();
    this.madeCodeCache = result.codeCache !== null;
    if (result.codeCache !== null) codeCache = result.codeCache;
    this.heap = new HeapReader(result.heap);
    this.page = new ProcessPageReader(result.heap);
    return result.importS;
  }

  handle(endpoint: number): Promise<HandleResult> {
    return this.requests.handle(endpoint);
  }

  /** Written straight into the process page in shared memory (no message). */
  setState(state: ProcessState): void {
    this.page?.setState(state);
  }

  gcCollect(generation: number): Promise<number> {
    return this.remote.gcCollect(generation);
  }

  snapshot(): ReturnType<Comlink.Remote<SimulatedWorker>['snapshot']> {
    return this.remote.snapshot();
  }

  /** Memory figures from shared memory (null before boot). */
  memory(): MemoryFigures | null {
    return this.heap?.memory() ?? null;
  }

  rssBytes(): number {
    return this.heap?.rssBytes() ?? 0;
  }

  pageFigures(): ProcessPageFigures | null {
    return this.page?.read() ?? null;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Ends the thread now; a request it was running never completes. */
  async terminate(): Promise<void> {
    if (this.exited) return;
    this.remote[Comlink.releaseProxy]();
    this.requests.close();
    await this.thread.terminate();
  }
}
