/**
 * The closed model: N virtual users, each sending a request, waiting for its
 * response, thinking for a drawn time, and sending the next (JMeter's thread
 * groups, Locust's users, k6's VU executors). The generator cannot know when
 * a response comes, so the clock's owner (the virtual-time engine, or the
 * real-time load generator) drives it:
 *
 *   const first = users.initialArrivals();        // first[u]: user u's first request
 *   ... the request of user u completes at t ...
 *   const nextS = users.afterCompletion(u, t);    // t + think time, or Infinity
 *
 * Invariant: a user has at most one request pending (scheduled or in flight),
 * so at most `users` requests are ever outstanding. A completion for a user
 * with nothing pending is the caller's bug and throws.
 *
 * Each user draws its think times from its own stream (`user <u>` split from
 * the given one), so the numbers one user sees do not depend on the order in
 * which other users' requests complete.
 */
import type { Rng } from '../sim/rng.js';
import type { Sampler } from '../workload/distributions.js';

export class ClosedUsers {
  readonly users: number;
  readonly durationS: number;
  private readonly rampUpS: number;
  private readonly thinkTime: Sampler;
  private readonly streams: Rng[];
  private readonly pending: Uint8Array;
  private readonly lastArrivalS: Float64Array;
  private pendingCount = 0;
  private started = false;

  constructor(options: { users: number; thinkTime: Sampler; rampUpS: number; durationS: number }, rng: Rng) {
    if (!Number.isInteger(options.users) || options.users < 1) throw new RangeError(`users must be a positive integer, got ${options.users}`);
    if (options.thinkTime.lowest < 0) throw new RangeError('the think time must not be negative');
    this.users = options.users;
    this.durationS = options.durationS;
    this.rampUpS = options.rampUpS;
    this.thinkTime = options.thinkTime;
    this.streams = [];
    for (let u = 0; u < this.users; u++) this.streams.push(rng.stream(`user ${u}`));
    this.pending = new Uint8Array(this.users);
    this.lastArrivalS = new Float64Array(this.users);
  }

  /**
   * Each user's first arrival (index = user id): user u starts at
   * u·ramp_up/users, all at 0 without a ramp-up; Infinity for a user whose
   * start falls after the end. Called once.
   */
  initialArrivals(): Float64Array {
    if (this.started) throw new Error('initialArrivals() was already called');
    this.started = true;
    const times = new Float64Array(this.users);
    for (let u = 0; u < this.users; u++) {
      const t = (u * this.rampUpS) / this.users;
      times[u] = t <= this.durationS ? t : Infinity;
      if (times[u] !== Infinity) this.schedule(u, t);
    }
    return times;
  }

  /**
   * User `userId`'s request finished at `completedAtS` (success or failure):
   * the time of its next request, or Infinity when that would come after the
   * end of the load (the user is then done).
   */
  afterCompletion(userId: number, completedAtS: number): number {
    if (!(userId >= 0 && userId < this.users) || !Number.isInteger(userId)) throw new RangeError(`no user ${userId}`);
    if (this.pending[userId] === 0) throw new Error(`user ${userId} has no request pending`);
    if (completedAtS < this.lastArrivalS[userId]) {
      throw new RangeError(`user ${userId}'s request completed at ${completedAtS} s, before it arrived at ${this.lastArrivalS[userId]} s`);
    }
    this.pending[userId] = 0;
    this.pendingCount--;
    const t = completedAtS + this.thinkTime.sample(this.streams[userId]);
    if (!(t <= this.durationS)) return Infinity;
    this.schedule(userId, t);
    return t;
  }

  /** Users with a request scheduled or in flight (never more than `users`). */
  get outstanding(): number {
    return this.pendingCount;
  }

  private schedule(u: number, t: number): void {
    this.pending[u] = 1;
    this.pendingCount++;
    this.lastArrivalS[u] = t;
  }
}
