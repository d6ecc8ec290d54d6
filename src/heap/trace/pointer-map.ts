/**
 * Live pointers of a trace → dense slot numbers. Pointers are 64-bit values
 * split into two uint32 halves; an open-addressing table with linear probing and
 * backward-shift deletion keeps parsing free of per-pointer JavaScript objects.
 */
const EMPTY = -1;

export class PointerMap {
  private hi: Int32Array;
  private lo: Int32Array;
  private value: Int32Array;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1 << 16) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Int32Array(capacity);
    this.lo = new Int32Array(capacity);
    this.value = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The slot of a live pointer, or -1. */
  get(hi: number, lo: number): number {
    const { mask } = this;
    for (let i = hash(hi, lo) & mask; ; i = (i + 1) & mask) {
      const v = this.value[i];
      if (v === EMPTY) return EMPTY;
      if (this.lo[i] === lo && this.hi[i] === hi) return v;
    }
  }

  /** Adds a pointer that is not in the map. */
  set(hi: number, lo: number, slot: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const { mask } = this;
    let i = hash(hi, lo) & mask;
    while (this.value[i] !== EMPTY) i = (i + 1) & mask;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.value[i] = slot;
    this.count++;
  }

  /** Removes a pointer and returns its slot, or -1 if it was not there. */
  delete(hi: number, lo: number): number {
    const { mask } = this;
    let i = hash(hi, lo) & mask;
    for (;;) {
      const v = this.value[i];
      if (v === EMPTY) return EMPTY;
      if (this.lo[i] === lo && this.hi[i] === hi) break;
      i = (i + 1) & mask;
    }
    const slot = this.value[i];
    // Backward-shift deletion: pull later members of the probe run into the hole.
    let hole = i;
    for (let j = (i + 1) & mask; this.value[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hash(this.hi[j], this.lo[j]) & mask;
      const distanceToJ = (j - home) & mask;
      const distanceToHole = (hole - home) & mask;
      if (distanceToHole <= distanceToJ) {
        this.hi[hole] = this.hi[j];
        this.lo[hole] = this.lo[j];
        this.value[hole] = this.value[j];
        hole = j;
      }
    }
    this.value[hole] = EMPTY;
    this.count--;
    return slot;
  }

  private grow(): void {
    const { hi, lo, value } = this;
    const capacity = (this.mask + 1) * 2;
    this.hi = new Int32Array(capacity);
    this.lo = new Int32Array(capacity);
    this.value = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.count = 0;
    for (let i = 0; i < value.length; i++) if (value[i] !== EMPTY) this.set(hi[i], lo[i], value[i]);
  }
}

function hash(hi: number, lo: number): number {
  // Blocks are 8- or 16-byte aligned: drop the low bits, mix both halves.
  let h = (lo >>> 4) ^ Math.imul(hi, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
