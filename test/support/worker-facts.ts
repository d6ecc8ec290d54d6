/**
 * A worker's facts as a caller keeps them: the slot's facts both clocks keep
 * (SlotFacts), ready from the start unless `init` says otherwise, with helpers
 * to change them as events happen before each question to the policy.
 */
import type { WorkerFacts } from '../../src/policy/policy.js';
import { SlotFacts } from '../../src/policy/worker-facts.js';

export class MutableFacts extends SlotFacts {
  constructor(init: Partial<WorkerFacts> = {}) {
    super(init.slot ?? 0);
    this.readyAtS = 0;
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
