/**
 * The hot path between the supervisor and a worker thread: one request at a
 * time, over a MessagePort of its own, as a number out (the endpoint's index)
 * and a flat array of numbers back. comlink carries everything else (boot,
 * snapshot, gc.collect); at thousands of requests a second its per-call
 * objects and ids cost the supervisor's thread more than the request itself.
 *
 *   reply   [serviceS, cpuS, ioS, objectS, wallMs, (generation, collected, pauseS)*]
 *   failure ['error', message, code]  (code: a PYHEAP_E_* code or '')
 */
import type { MessagePort } from 'node:worker_threads';
import type { GcEvent } from '../process/py-process.js';

export interface HandleResult {
  /** Modelled service time, seconds: cpuS + ioS + objectS. */
  serviceS: number;
  cpuS: number;
  ioS: number;
  objectS: number;
  /** Wall milliseconds the thread spent on the request's object work. */
  wallMs: number;
  gcEvents: GcEvent[];
}

/** A request that raised inside the simulated process. */
export class RequestFailed extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'RequestFailed';
    this.code = code;
  }
}

type Reply = number[] | ['error', string, string];

export function encodeResult(r: HandleResult): number[] {
  const out = [r.serviceS, r.cpuS, r.ioS, r.objectS, r.wallMs];
  for (const e of r.gcEvents) out.push(e.generation, e.collected, e.pauseS);
  return out;
}

export function encodeFailure(error: unknown): Reply {
  const e = error as { message?: string; code?: unknown };
  return ['error', String(e?.message ?? error), typeof e?.code === 'string' ? e.code : ''];
}

function decode(reply: Reply): HandleResult {
  if (reply[0] === 'error') throw new RequestFailed(reply[1] as string, reply[2] as string);
  const r = reply as number[];
  const gcEvents: GcEvent[] = [];
  for (let i = 5; i + 2 < r.length; i += 3) gcEvents.push({ generation: r[i], collected: r[i + 1], pauseS: r[i + 2] });
  return { serviceS: r[0], cpuS: r[1], ioS: r[2], objectS: r[3], wallMs: r[4], gcEvents };
}

/** The supervisor's end: one request in flight at a time. */
export class RequestClient {
  private readonly port: MessagePort;
  private pending: { resolve(r: HandleResult): void; reject(e: Error): void } | null = null;

  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = null;
      if (pending === null) return;
      try {
        pending.resolve(decode(reply));
      } catch (e) {
        pending.reject(e as Error);
      }
    });
    // The port must not keep the supervisor alive by itself.
    port.unref();
  }

  handle(endpoint: number): Promise<HandleResult> {
    if (this.pending !== null) return Promise.reject(new Error('a request is already in flight on this worker'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.port.postMessage(endpoint);
    });
  }

  close(): void {
    this.port.close();
  }
}

/** The worker thread's end. */
export function serveRequests(port: MessagePort, handle: (endpoint: number) => HandleResult): void {
  port.on('message', (endpoint: number) => {
    let reply: Reply;
    try {
      reply = encodeResult(handle(endpoint));
    } catch (e) {
      reply = encodeFailure(e);
    }
    port.postMessage(reply);
  });
}
