/**
 * A tracemalloc for the simulated process: while tracing, every block the
 * object model allocates is attributed to the current *site* -- the handler or
 * behaviour step that allocated it, set with `site(name, body)` (tracemalloc
 * attributes a block to its allocation traceback; a site is pyheap's
 * traceback) -- and snapshots tell live bytes and blocks per site, compared
 * between two snapshots or ranked.
 *
 * Like tracemalloc, tracing costs memory and time while it is on (a map
 * entry per traced block); off, `site()` only runs its body.
 */
import type { AllocationTracer, ObjectSpace } from './object-space.js';

export interface SiteStatistic {
  site: string;
  /** Live bytes requested (tracemalloc's `size`). */
  size: number;
  /** Live blocks (`count`). */
  count: number;
}

export interface SiteDifference extends SiteStatistic {
  sizeDiff: number;
  countDiff: number;
}

export class Snapshot {
  readonly statistics: readonly SiteStatistic[];

  constructor(statistics: SiteStatistic[]) {
    this.statistics = [...statistics].sort((a, b) => b.size - a.size || a.site.localeCompare(b.site));
  }

  /** The `limit` sites holding the most live bytes. */
  top(limit = 10): SiteStatistic[] {
    return this.statistics.slice(0, limit);
  }

  /** Snapshot.compare_to(old): per site, sorted by the absolute size difference. */
  compareTo(old: Snapshot): SiteDifference[] {
    const before = new Map(old.statistics.map((s) => [s.site, s]));
    const sites = new Set([...before.keys(), ...this.statistics.map((s) => s.site)]);
    const now = new Map(this.statistics.map((s) => [s.site, s]));
    const out: SiteDifference[] = [];
    for (const site of sites) {
      const a = before.get(site) ?? { site, size: 0, count: 0 };
      const b = now.get(site) ?? { site, size: 0, count: 0 };
      out.push({ site, size: b.size, count: b.count, sizeDiff: b.size - a.size, countDiff: b.count - a.count });
    }
    return out.sort((x, y) => Math.abs(y.sizeDiff) - Math.abs(x.sizeDiff) || x.site.localeCompare(y.site));
  }
}

export class Tracemalloc implements AllocationTracer {
  private readonly space: ObjectSpace;
  private readonly siteNames: string[] = ['<unknown>'];
  private readonly siteIds = new Map<string, number>([['<unknown>', 0]]);
  private current = 0;
  private readonly blockSite = new Map<number, number>();
  private readonly blockSize = new Map<number, number>();
  private sizes: number[] = [0];
  private counts: number[] = [0];
  private traced = 0;
  private peak = 0;

  constructor(space: ObjectSpace) {
    this.space = space;
  }

  start(): void {
    this.space.tracer = this;
  }

  /** tracemalloc.stop(): also forgets every trace. */
  stop(): void {
    this.space.tracer = null;
    this.blockSite.clear();
    this.blockSize.clear();
    this.sizes = this.sizes.map(() => 0);
    this.counts = this.counts.map(() => 0);
    this.traced = 0;
    this.peak = 0;
  }

  isTracing(): boolean {
    return this.space.tracer === this;
  }

  /** Runs `body` with allocations attributed to `name`. */
  site<T>(name: string, body: () => T): T {
    let id = this.siteIds.get(name);
    if (id === undefined) {
      id = this.siteNames.length;
      this.siteIds.set(name, id);
      this.siteNames.push(name);
      this.sizes.push(0);
      this.counts.push(0);
    }
    const previous = this.current;
    this.current = id;
    try {
      return body();
    } finally {
      this.current = previous;
    }
  }

  onAlloc(p: number, bytes: number): void {
    const site = this.current;
    this.blockSite.set(p, site);
    this.blockSize.set(p, bytes);
    this.sizes[site] += bytes;
    this.counts[site]++;
    this.traced += bytes;
    if (this.traced > this.peak) this.peak = this.traced;
  }

  onFree(p: number): void {
    const site = this.blockSite.get(p);
    if (site === undefined) return; // allocated before tracing started
    const bytes = this.blockSize.get(p)!;
    this.blockSite.delete(p);
    this.blockSize.delete(p);
    this.sizes[site] -= bytes;
    this.counts[site]--;
    this.traced -= bytes;
  }

  /** A block traced under one site moves to the current one; an untraced block stays untraced. */
  onNewReference(p: number): void {
    const site = this.blockSite.get(p);
    if (site === undefined || site === this.current) return;
    const bytes = this.blockSize.get(p)!;
    this.blockSite.set(p, this.current);
    this.sizes[site] -= bytes;
    this.counts[site]--;
    this.sizes[this.current] += bytes;
    this.counts[this.current]++;
  }

  /** tracemalloc.get_traced_memory(): [current, peak] bytes. */
  getTracedMemory(): [number, number] {
    return [this.traced, this.peak];
  }

  takeSnapshot(): Snapshot {
    const stats: SiteStatistic[] = [];
    for (let i = 0; i < this.siteNames.length; i++) {
      if (this.counts[i] > 0) stats.push({ site: this.siteNames[i], size: this.sizes[i], count: this.counts[i] });
    }
    return new Snapshot(stats);
  }
}
