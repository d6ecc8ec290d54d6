/**
 * objgraph for the simulated process: the most common types among the
 * objects the GC tracks, their growth since the last look, and the chain of
 * references that keeps a leaking object alive, back to a root -- a module
 * (sys.modules) or a local of an open frame.
 *
 * Like objgraph, it sees only what gc.get_objects() sees: tracked
 * containers, not ints, floats or strings.
 */
import type { Python, Ref } from './api.js';

export class ObjectGraph {
  private readonly py: Python;
  private readonly peaks = new Map<string, number>();

  constructor(py: Python) {
    this.py = py;
  }

  typeCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const h of this.py.space.gc.allTracked()) {
      const name = this.py.space.typeName(h);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  /** objgraph.most_common_types(limit) */
  mostCommonTypes(limit = 10): [string, number][] {
    return [...this.typeCounts()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit);
  }

  /**
   * objgraph.growth(): types whose count rose above their previous peak, with
   * the increase. Like objgraph it runs gc.collect() first, and records the
   * new peak of every type, those beyond `limit` too.
   */
  showGrowth(limit = 10): [string, number, number][] {
    this.py.gc.collect();
    const out: [string, number, number][] = [];
    for (const [name, count] of this.typeCounts()) {
      const peak = this.peaks.get(name) ?? 0;
      if (count > peak) {
        out.push([name, count, count - peak]);
        this.peaks.set(name, count);
      }
    }
    return out.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0])).slice(0, limit);
  }

  /**
   * objgraph.find_backref_chain(obj, is_root): the shortest chain of
   * references from a root to `obj`, root first; null if nothing reaches it.
   */
  findBackrefChain(obj: Ref, maxDepth = 30): Ref[] | null {
    const space = this.py.space;
    const referrers = new Map<Ref, Ref[]>();
    for (const h of space.gc.allTracked()) {
      for (const r of space.allReferents(h)) {
        let list = referrers.get(r);
        if (list === undefined) referrers.set(r, (list = []));
        list.push(h);
      }
    }
    const modules = new Set(this.py.sys.modules.values());
    const frameLocals = new Set(this.py.frameLocals());
    const isRoot = (h: Ref): boolean => modules.has(h) || frameLocals.has(h);
    const parent = new Map<Ref, Ref>([[obj, 0]]);
    let frontier = [obj];
    for (let depth = 0; depth <= maxDepth && frontier.length > 0; depth++) {
      const next: Ref[] = [];
      for (const h of frontier) {
        if (isRoot(h)) {
          const chain = [h];
          for (let p = parent.get(h)!; p !== 0; p = parent.get(p)!) chain.push(p);
          return chain;
        }
        for (const r of referrers.get(h) ?? []) {
          if (!parent.has(r)) {
            parent.set(r, h);
            next.push(r);
          }
        }
      }
      frontier = next;
    }
    return null;
  }
}
