/**
 * py.tracemalloc: live bytes and blocks per allocation site, snapshots and
 * their comparison, consistent with the heap; and, for one program, the same
 * per-site figures as CPython 3.11's tracemalloc (a site there is a function:
 * the lines of its body).
 */
import { describe, expect, it } from 'vitest';
import { CTRL_RAW_ALLOCATED_BLOCKS } from '../../src/heap/layout.js';
import { Python } from '../../src/objects/api.js';
import type { SiteStatistic } from '../../src/objects/tracemalloc.js';
import { python311Available, runPython } from '../support/python-oracle.js';

function newPython(): Python {
  return new Python({ heap: { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } });
}

/** Blocks the object model holds: pymalloc's in use and its raw ones. */
function blocksInUse(py: Python): number {
  return py.heap.mallocStats().sizeClasses.reduce((n, c) => n + c.blocksInUse, 0) + py.heap.mem[CTRL_RAW_ALLOCATED_BLOCKS];
}

function bySite(stats: readonly SiteStatistic[]): Record<string, [number, number]> {
  return Object.fromEntries(stats.map((s) => [s.site, [s.size, s.count]]));
}

describe('tracemalloc', () => {
  it('traces nothing until started; site() still runs its body', () => {
    const py = newPython();
    expect(py.tracemalloc.isTracing()).toBe(false);
    const x = py.tracemalloc.site('handler', () => py.bytes(100));
    expect(py.len(x)).toBe(100);
    expect(py.tracemalloc.takeSnapshot().statistics).toEqual([]);
    expect(py.tracemalloc.getTracedMemory()).toEqual([0, 0]);
  });

  it('attributes each block to the site that allocated it, with the size requested', () => {
    const py = newPython();
    const keep = py.list(Array.from({ length: 10 }, () => py.None)); // no allocation while storing
    py.gc.collect();
    py.tracemalloc.start();
    py.tracemalloc.site('bytes', () => {
      for (let i = 0; i < 3; i++) py.setitem(keep, i, py.bytes(1000 + i));
    });
    py.tracemalloc.site('strs', () => {
      py.setitem(keep, 3, py.strOfLength(10, 'ascii'));
      py.setitem(keep, 4, py.strOfLength(10, 'ucs4'));
    });
    const stats = bySite(py.tracemalloc.takeSnapshot().statistics);
    // bytes(n) asks for n + 33 bytes (PyBytesObject_SIZE); a compact str for its getsizeof.
    expect(stats.bytes).toEqual([1033 + 1034 + 1035, 3]);
    expect(stats.strs).toEqual([py.sys.getsizeof(py.getitem(keep, 3)) + py.sys.getsizeof(py.getitem(keep, 4)), 2]);
    expect(stats.strs[0]).toBe(48 + 11 + 72 + 4 * 11);
    expect(Object.keys(stats).sort()).toEqual(['bytes', 'strs']);
  });

  it('frees leave the statistics; the peak stays', () => {
    const py = newPython();
    const keep = py.list([py.None]);
    py.gc.collect();
    py.tracemalloc.start();
    py.tracemalloc.site('big', () => {
      py.call(() => py.setitem(keep, 0, py.bytes(100_000)));
    });
    const [current, peak] = py.tracemalloc.getTracedMemory();
    expect(current).toBe(100_033);
    expect(peak).toBe(current);
    py.clear(keep);
    expect(py.tracemalloc.getTracedMemory()).toEqual([0, peak]);
    expect(py.tracemalloc.takeSnapshot().statistics).toEqual([]);
  });

  it('counts the blocks the heap holds, free lists included', () => {
    const py = newPython();
    const User = py.defineClass({ name: 'User' });
    py.gc.collect();
    const before = blocksInUse(py);
    py.tracemalloc.start();
    const app = py.module('app');
    py.setglobal(app, 'cache', py.dict());
    py.tracemalloc.site('requests', () => {
      for (let r = 0; r < 50; r++) {
        py.call(() => {
          const user = py.new(User, { id: py.int(1000 + r), name: py.strOfLength(12) });
          const rows = py.list();
          for (let i = 0; i < 10; i++) py.append(rows, py.tuple(py.int(i), user, py.float(i / 3)));
          if (r % 5 === 0) py.setitem(py.getglobal(app, 'cache'), py.int(r), rows);
        });
      }
    });
    const traced = py.tracemalloc.takeSnapshot().statistics.reduce((n, s) => n + s.count, 0);
    expect(traced).toBeGreaterThan(50);
    expect(traced).toBe(blocksInUse(py) - before);
    py.gc.collect(); // empties the free lists: their blocks go back to pymalloc
    expect(py.tracemalloc.takeSnapshot().statistics.reduce((n, s) => n + s.count, 0)).toBe(blocksInUse(py) - before);
  });

  it('ranks sites by live bytes, and compares snapshots by the size difference', () => {
    const py = newPython();
    const keep = py.list(Array.from({ length: 40 }, () => py.None));
    let next = 0;
    py.tracemalloc.start();
    const grow = (site: string, n: number, each: number): void => {
      py.tracemalloc.site(site, () => {
        for (let i = 0; i < n; i++) py.call(() => py.setitem(keep, next++, py.bytes(each)));
      });
    };
    grow('small', 10, 100);
    grow('large', 2, 10_000);
    const first = py.tracemalloc.takeSnapshot();
    grow('medium', 5, 1000);
    grow('small', 10, 100);
    const second = py.tracemalloc.takeSnapshot();

    expect(bySite(first.statistics)).toEqual({ small: [1330, 10], large: [20_066, 2] });
    expect(second.statistics.map((s) => s.site)).toEqual(['large', 'medium', 'small']);
    expect(second.top(2).map((s) => [s.site, s.size, s.count])).toEqual([
      ['large', 20_066, 2],
      ['medium', 5165, 5],
    ]);
    expect(second.compareTo(first).map((d) => [d.site, d.sizeDiff, d.countDiff, d.size])).toEqual([
      ['medium', 5165, 5, 5165],
      ['small', 1330, 10, 2660],
      ['large', 0, 0, 20_066],
    ]);
    // A site whose blocks all died is still compared (its size went to 0).
    py.tracemalloc.site('cleanup', () => {
      for (let i = 10; i < 12; i++) py.setitem(keep, i, py.None);
    });
    const third = py.tracemalloc.takeSnapshot();
    expect(third.compareTo(second).find((d) => d.site === 'large')).toEqual({ site: 'large', size: 0, count: 0, sizeDiff: -20_066, countDiff: -2 });
  });

  it('an object a site takes from a free list moves to that site (_PyTraceMalloc_NewReference)', () => {
    const py = newPython();
    const keep = py.list([py.None, py.None]);
    py.gc.collect();
    py.tracemalloc.start();
    py.tracemalloc.site('first', () => py.call(() => py.setitem(keep, 0, py.dict())));
    py.setitem(keep, 0, py.None); // the dict object waits on the free list, still traced
    expect(bySite(py.tracemalloc.takeSnapshot().statistics)).toEqual({ first: [64, 1] });
    py.tracemalloc.site('second', () => py.call(() => py.setitem(keep, 1, py.dict())));
    expect(bySite(py.tracemalloc.takeSnapshot().statistics)).toEqual({ second: [64, 1] });
  });

  it('stop() forgets every trace; a new start begins from nothing', () => {
    const py = newPython();
    py.tracemalloc.start();
    const keep = py.tracemalloc.site('a', () => py.list([py.bytes(600)]));
    expect(py.tracemalloc.getTracedMemory()[0]).toBeGreaterThan(600);
    py.tracemalloc.stop();
    expect(py.tracemalloc.isTracing()).toBe(false);
    expect(py.tracemalloc.getTracedMemory()).toEqual([0, 0]);
    py.tracemalloc.start();
    py.clear(keep); // frees blocks traced before stop(): no trace now, nothing goes negative
    expect(py.tracemalloc.getTracedMemory()).toEqual([0, 0]);
    expect(py.tracemalloc.takeSnapshot().statistics).toEqual([]);
  });
});

const PROGRAM = `
import tracemalloc, gc, json
class User:
    pass
a = object(); b = object(); c = object()
keep = []
def site_lists(n):
    i = 0
    while i < n:
        keep.append([a, b, c])
        i += 1
def site_bytes(n):
    i = 0
    while i < n:
        keep.append(bytes(1000 + i))
        i += 1
def site_users(n, s):
    i = 0
    while i < n:
        u = User()
        u.id = 1000 + i
        u.tag = s * 40
        keep.append(u)
        i += 1
def site_dicts(n):
    i = 0
    while i < n:
        keep.append({'a': a, 'b': b})
        i += 1
def site_reuse(n):
    i = 0
    while i < n:
        keep.append([a])
        i += 1
ranges = []
for f in (site_lists, site_bytes, site_users, site_dicts, site_reuse):
    lines = [l for _, _, l in f.__code__.co_lines() if l is not None]
    ranges.append((f.__name__, min(lines), max(lines)))
def per_site(snapshot):
    out = {}
    for t in snapshot.traces:
        frame = t.traceback[0]
        if frame.filename != site_lists.__code__.co_filename:
            continue
        for name, lo, hi in ranges:
            if lo <= frame.lineno <= hi:
                s = out.setdefault(name, [0, 0])
                s[0] += t.size
                s[1] += 1
    return out
gc.collect()
gc.disable()
bytes(1)  # bytes(n) packs n in a 1-tuple: a running program has one on the free list
tracemalloc.start()
site_lists(20)
snap1 = per_site(tracemalloc.take_snapshot())
site_bytes(5)
site_users(30, 'x')
site_dicts(10)
gc.collect()  # empties the free lists, whatever the interpreter left there
j = 0
while j < 10:
    keep[j] = None  # ten lists to the free list
    j += 1
site_reuse(10)  # takes all ten back: take_snapshot() would take one for its own list
keep[20] = None
keep[21] = None
snap2 = per_site(tracemalloc.take_snapshot())
print(json.dumps([snap1, snap2]))
`;

describe.skipIf(!python311Available)("per-site statistics match CPython 3.11's tracemalloc for the same program", () => {
  type PerSite = Record<string, [number, number]>;
  const [cpy1, cpy2] = python311Available ? runPython<[PerSite, PerSite]>(PROGRAM).result : [{}, {}];

  const py = newPython();
  const User = py.defineClass({ name: 'User' });
  const [a, b, c] = [py.list(), py.list(), py.list()];
  const keep = py.list();
  py.gc.collect();
  py.gc.disable();
  const tm = py.tracemalloc;
  tm.start();
  const loop = (site: string, n: number, body: (i: number) => void): void => {
    tm.site(site, () => {
      for (let i = 0; i < n; i++) py.call(() => body(i));
    });
  };
  loop('site_lists', 20, () => py.append(keep, py.list([a, b, c])));
  const first = tm.takeSnapshot();
  loop('site_bytes', 5, (i) => py.append(keep, py.bytes(1000 + i)));
  loop('site_users', 30, (i) => {
    const u = py.new(User);
    py.setattr(u, 'id', py.int(1000 + i));
    py.setattr(u, 'tag', py.strOfLength(40));
    py.append(keep, u);
  });
  loop('site_dicts', 10, () => py.append(keep, py.dict([['a', a], ['b', b]])));
  py.gc.collect();
  for (let j = 0; j < 10; j++) py.setitem(keep, j, py.None);
  loop('site_reuse', 10, () => py.append(keep, py.list([a])));
  py.setitem(keep, 20, py.None);
  py.setitem(keep, 21, py.None);
  const second = tm.takeSnapshot();

  it('after the first site', () => {
    expect(bySite(first.statistics)).toEqual(cpy1);
  });

  it('after every site, some frees, and objects taken back from a free list by another site', () => {
    expect(bySite(second.statistics)).toEqual(cpy2);
  });

  it('compare_to gives CPython differences', () => {
    const expected = Object.keys(cpy2).map((site) => [site, cpy2[site][0] - (cpy1[site]?.[0] ?? 0), cpy2[site][1] - (cpy1[site]?.[1] ?? 0)]);
    const got = second.compareTo(first).map((d) => [d.site, d.sizeDiff, d.countDiff]);
    expect(got).toEqual(expect.arrayContaining(expected));
    expect(got).toHaveLength(expected.length);
  });

  it('top() ranks as CPython sizes rank', () => {
    const ranked = Object.entries(cpy2)
      .sort((p, q) => q[1][0] - p[1][0])
      .map(([site]) => site);
    expect(second.top(ranked.length).map((s) => s.site)).toEqual(ranked);
    expect(second.top(2).map((s) => s.site)).toEqual(ranked.slice(0, 2));
  });
});

