/**
 * The figures a worker exposes to its policy (WorkerFacts): one mutable
 * object per slot, updated before each question, reset when a new process
 * takes the slot. Both clocks keep them the same way.
 */
import type { WorkerFacts } from './policy.js';

export class SlotFacts implements WorkerFacts {
  readonly slot: number;
  spawnedAtS = 0;
  readyAtS: number | null = null;
  requestsStarted = 0;
  busySinceS: number | null = null;
  rssBytes = 0;
  peakRssBytes = 0;
  sampledRssBytes = 0;
  drainingSinceS: number | null = null;
  abortedAtS: number | null = null;

  constructor(slot: number) {
    this.slot = slot;
  }

  /** A new process spawned at `now` takes the slot (peak RSS is the slot's, kept). */
  reset(now: number): void {
    this.spawnedAtS = now;
    this.readyAtS = null;
    this.requestsStarted = 0;
    this.busySinceS = null;
    this.sampledRssBytes = 0;
    this.drainingSinceS = null;
    this.abortedAtS = null;
  }
}
