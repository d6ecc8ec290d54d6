/**
 * Seeded random numbers. Every random draw in pyheap comes from an `Rng`, and
 * every consumer (a worker slot, an endpoint, the arrival process, a policy)
 * gets its own stream split from the scenario's seed by name, so adding a
 * draw in one place never shifts the numbers another place sees, and the same
 * scenario and seed give the same run.
 *
 * The generator is pure-rand's xoroshiro128+ (mutated in place: no object per
 * draw); a stream's seed is the scenario seed mixed with a hash of its name.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export class Rng {
  private readonly generator: RandomGenerator;
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`a seed must be an integer, got ${seed}`);
    this.seed = seed | 0;
    this.generator = xoroshiro128plus(this.seed);
  }

  /** An independent stream for `name` (same seed and name: same numbers). */
  stream(name: string): Rng {
    return new Rng(mix(this.seed, hashName(name)));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  nextOpen(): number {
    return 1 - uniformFloat64(this.generator);
  }

  /** An integer uniform in [min, max], both included (Python's random.randint). */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p >= 1 || (p > 0 && uniformFloat64(this.generator) < p);
  }
}

/** FNV-1a over the name's UTF-16 code units. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A 32-bit finaliser (murmur3's fmix32) over seed and name hash, so nearby seeds give unrelated streams. */
function mix(seed: number, nameHash: number): number {
  let h = (seed ^ Math.imul(nameHash, 0x9e3779b1)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
