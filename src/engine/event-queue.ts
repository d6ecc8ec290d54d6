/**
 * The virtual-time engine's agenda: a binary min-heap of events ordered by
 * time, then by the order they were scheduled (so equal times resolve the same
 * way every run). Events are three numbers -- time, kind, argument -- kept in
 * typed arrays: scheduling and popping allocate nothing.
 */
export class EventQueue {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private kinds = new Int32Array(1024);
  private args = new Int32Array(1024);
  private size = 0;
  private nextSeq = 0;
  /** Kind and argument of the event popped last. */
  kind = 0;
  arg = 0;

  get length(): number {
    return this.size;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.size === 0 ? Infinity : this.times[0];
  }

  push(time: number, kind: number, arg: number): void {
    if (this.size === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.size++;
    const times = this.times;
    const seqs = this.seqs;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    this.kinds[i] = kind;
    this.args[i] = arg;
  }

  /** Removes the earliest event; its kind and argument are left in `kind` and `arg`. Returns its time. */
  pop(): number {
    const times = this.times;
    const seqs = this.seqs;
    const time = times[0];
    this.kind = this.kinds[0];
    this.arg = this.args[0];
    const last = --this.size;
    if (last > 0) {
      const t = times[last];
      const s = seqs[last];
      const k = this.kinds[last];
      const a = this.args[last];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= last) break;
        const right = child + 1;
        if (right < last && (times[right] < times[child] || (times[right] === times[child] && seqs[right] < seqs[child]))) child = right;
        if (t < times[child] || (t === times[child] && s < seqs[child])) break;
        this.move(child, i);
        i = child;
      }
      times[i] = t;
      seqs[i] = s;
      this.kinds[i] = k;
      this.args[i] = a;
    }
    return time;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.seqs[to] = this.seqs[from];
    this.kinds[to] = this.kinds[from];
    this.args[to] = this.args[from];
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(n);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const kinds = new Int32Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const args = new Int32Array(n);
    args.set(this.args);
    this.args = args;
  }
}
