/**
 * A weighted choice among n items in O(1) per draw: Walker's alias method, built
 * with Vose's stable linear-time construction (M. D. Vose, "A linear algorithm
 * for generating random numbers with a given distribution", IEEE TSE 17(9),
 * 1991). Empirical distributions and the endpoint mix both draw through it.
 *
 * One uniform per draw: its integer part picks a column, its fractional part
 * is the coin that keeps the column or takes its alias (53 bits leave ample
 * resolution for both while n is far below 2^20). Items of weight zero never
 * enter the table, so no rounding left over in the construction can pick them.
 */
import type { Rng } from '../sim/rng.js';

export class WeightedChoice {
  /** The number of items, zero-weight ones included. */
  readonly size: number;
  /** Column c keeps item `item[c]` with probability `keep[c]`, else gives `alias[c]`. */
  private readonly keep: Float64Array;
  private readonly alias: Int32Array;
  private readonly item: Int32Array;
  private readonly columns: number;
  private readonly probabilities: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new RangeError('a weighted choice needs at least one weight');
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight ${i} must be a finite number >= 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('the weights must not all be zero');

    this.size = weights.length;
    this.probabilities = new Float64Array(weights.length);
    let positive = 0;
    for (let i = 0; i < weights.length; i++) {
      this.probabilities[i] = weights[i] / total;
      if (weights[i] > 0) positive++;
    }

    const n = positive;
    this.columns = n;
    this.keep = new Float64Array(n);
    this.alias = new Int32Array(n);
    this.item = new Int32Array(n);
    const scaled = new Float64Array(n);
    for (let i = 0, c = 0; i < weights.length; i++) {
      if (weights[i] > 0) {
        this.item[c] = i;
        scaled[c] = (weights[i] / total) * n;
        c++;
      }
    }

    // Vose: pair each under-full column with an over-full one, moving the
    // over-full one to the small list once it has given away enough.
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let c = 0; c < n; c++) {
      if (scaled[c] < 1) small[ns++] = c;
      else large[nl++] = c;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns];
      const l = large[--nl];
      this.keep[s] = scaled[s];
      this.alias[s] = this.item[l];
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    // What is left is 1 up to rounding (Vose's remark on numerical stability).
    while (nl > 0) {
      const l = large[--nl];
      this.keep[l] = 1;
      this.alias[l] = this.item[l];
    }
    while (ns > 0) {
      const s = small[--ns];
      this.keep[s] = 1;
      this.alias[s] = this.item[s];
    }
  }

  /** An index in [0, size), drawn with probability weight/total. */
  pick(rng: Rng): number {
    const x = rng.next() * this.columns;
    const c = x | 0;
    return x - c < this.keep[c] ? this.item[c] : this.alias[c];
  }

  /** Item i's normalised weight. */
  probability(i: number): number {
    return this.probabilities[i];
  }
}
