/**
 * The collector's one addition to CPython's GC head, the generation tag
 * (src/gc/gc-head.ts), must say where each object is at every point between
 * collections: tag i + 1 on generation i's list, 0 in the permanent
 * generation and for untracked objects, and no object still marked
 * collecting. Checked here after collections of every generation with
 * survivors, garbage cycles, finalizers that resurrect, weakref callbacks,
 * untracked tuples and dicts, and freeze/unfreeze.
 */
import { describe, expect, it } from 'vitest';
import { GC_COLLECTING, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT, genTag } from '../../src/gc/gc-head.js';
import { genHead, NUM_GENERATIONS, PERMANENT_HEAD } from '../../src/gc/gc-state.js';
import { Python, type Ref } from '../../src/objects/api.js';
import { GC_STATE_OFFSET } from '../../src/objects/static-area.js';

function listed(py: Python, head: number): number[] {
  const m = py.space.mem;
  const out: number[] = [];
  for (let g = m[head + GC_NEXT]; g !== head; g = m[g + GC_NEXT]) out.push(g);
  return out;
}

/** Every tracked object's tag; returns how many objects were checked. */
function checkTags(py: Python): number {
  const m = py.space.mem;
  const base = py.space.staticBase + GC_STATE_OFFSET;
  let checked = 0;
  for (let i = 0; i < NUM_GENERATIONS; i++) {
    for (const g of listed(py, genHead(base, i))) {
      expect(m[g + GC_FLAGS] & GC_GEN_MASK, `generation ${i}`).toBe(genTag(i));
      expect(m[g + GC_FLAGS] & GC_COLLECTING).toBe(0);
      checked++;
    }
  }
  for (const g of listed(py, base + PERMANENT_HEAD)) {
    expect(m[g + GC_FLAGS] & GC_GEN_MASK, 'permanent generation').toBe(0);
    checked++;
  }
  return checked;
}

describe('generation tags', () => {
  it('follow every object from list to list', () => {
    const py = new Python({ heap: { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } });
    py.gc.setThreshold(40, 2, 2);
    const saved: Ref[] = [];
    const Node = py.defineClass({ name: 'Node' });
    const Phoenix = py.defineClass({
      name: 'Phoenix',
      finalizer: (self) => {
        // Resurrects itself the first time: it survives the collection that found it unreachable.
        if (saved.length < 5) {
          py.space.incref(self);
          saved.push(self);
        }
      },
    });
    const app = py.module('app');
    py.setglobal(app, 'keep', py.list());
    let checked = 0;
    for (let round = 0; round < 40; round++) {
      py.call(() => {
        const keep = py.getglobal(app, 'keep');
        for (let i = 0; i < 30; i++) {
          const a = py.new(Node, { n: py.int(round * 100 + i) });
          const b = py.new(Node, { peer: a });
          py.setattr(a, 'peer', b); // a garbage cycle once the frame ends
          const p = py.new(Phoenix, { other: a });
          py.setattr(a, 'p', p);
          const target = py.new(Node);
          py.weakref(target, () => py.call(() => py.list([py.tuple(py.int(7))])));
          if (i % 3 === 0) py.append(keep, py.tuple(py.int(i), py.str(`s${i}`))); // untracked by the next collection
          if (i % 5 === 0) py.append(keep, py.dict([['k', py.int(i)]]));
          if (i % 7 === 0) py.append(keep, py.list([target]));
          // A kept weakref to a garbage cycle: handle_weakrefs moves it to the older generation to call back.
          const cyclic = py.new(Node);
          py.setattr(cyclic, 'self', cyclic);
          if (i % 4 === 0) py.append(keep, py.weakref(cyclic, () => undefined));
        }
      });
      checked += checkTags(py);
      if (round % 9 === 4) py.gc.collect(1);
      if (round % 13 === 6) py.gc.collect();
      if (round === 20) py.gc.freeze();
      checked += checkTags(py);
      if (round === 30) py.gc.unfreeze();
    }
    py.gc.collect();
    checked += checkTags(py);
    expect(saved.length).toBe(5);
    expect(checked).toBeGreaterThan(1000);
    // Untracked objects carry tag 0.
    py.call(() => {
      const t = py.tuple(py.int(1));
      py.gc.collect();
      expect(py.gc.isTracked(t)).toBe(false);
      expect(py.space.mem[t - GC_HEAD_WORDS + GC_FLAGS] & GC_GEN_MASK).toBe(0);
    });
  });
});
