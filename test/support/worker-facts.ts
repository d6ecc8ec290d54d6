/**
 * A worker's facts as a caller keeps them: one mutable object, changed as
 * events happen, handed to the policy before each question.
 */
import type { WorkerFacts } from '../../src/policy/policy.js';

export class MutableFacts implements WorkerFacts {
  slot = 0;
  spawnedAtS = 0;
  readyAtS: number | null = 0;
  requestsStarted = 0;
  busySinceS: number | null = null;
  rssBytes = 0;
  peakRssBytes = 0;
  sampledRssBytes = 0;
  drainingSinceS: number | null = null;
  abortedAtS: number | null = null;

  constructor(init: Partial<WorkerFacts> = {}) {
    Object.assign(this, init);
  }

  /** A request begins now (counted as it starts). */
  start(nowS: number): this {
    this.requestsStarted++;
    this.busySinceS = nowS;
    return this;
  }

  end(): this {
    this.busySinceS = null;
    return this;
  }

  setRss(bytes: number): this {
    this.rssBytes = bytes;
    if (bytes > this.peakRssBytes) this.peakRssBytes = bytes;
    return this;
  }
}

export const MiB = 1024 * 1024;
