/**
 * py.objgraph and the gc module's views of the object graph: type counts of
 * the tracked objects, their growth, the chain of references that keeps an
 * object alive; compared with what CPython 3.11's gc.get_objects(),
 * gc.get_referents() and gc.get_referrers() say about the same objects.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { python311Available, runPython } from '../support/python-oracle.js';

function newPython(): Python {
  return new Python({ heap: { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } });
}

function expectChain(py: Python, chain: Ref[] | null, root: Ref, target: Ref): void {
  expect(chain).not.toBeNull();
  expect(chain![0]).toBe(root);
  expect(chain![chain!.length - 1]).toBe(target);
  for (let i = 0; i + 1 < chain!.length; i++) expect(py.gc.getReferents(chain![i])).toContain(chain![i + 1]);
}

describe('objgraph', () => {
  it('most_common_types counts tracked objects by type, most first', () => {
    const py = newPython();
    const User = py.defineClass({ name: 'User' });
    const Order = py.defineClass({ name: 'Order' });
    const keep = py.list();
    for (let i = 0; i < 5; i++) py.append(keep, py.new(User));
    for (let i = 0; i < 3; i++) py.append(keep, py.new(Order));
    py.append(keep, py.str('not tracked'));
    py.append(keep, py.int(123_456));
    expect(py.objgraph.mostCommonTypes()).toEqual([
      ['User', 5],
      ['Order', 3],
      ['list', 1],
    ]);
    expect(py.objgraph.mostCommonTypes(1)).toEqual([['User', 5]]);
  });

  it('show_growth reports the types that rose above their peak since the last call', () => {
    const py = newPython();
    const User = py.defineClass({ name: 'User' });
    const keep = py.list();
    const add = (n: number): void => {
      for (let i = 0; i < n; i++) py.call(() => py.append(keep, py.new(User)));
    };
    add(4);
    expect(py.objgraph.showGrowth()).toEqual([
      ['User', 4, 4],
      ['list', 1, 1],
    ]);
    expect(py.objgraph.showGrowth()).toEqual([]);
    add(3);
    expect(py.objgraph.showGrowth()).toEqual([['User', 7, 3]]);
    // Below the peak is no growth, even after a rise.
    py.call(() => {
      for (let i = 0; i < 5; i++) py.pop(keep);
    });
    add(2);
    expect(py.objgraph.showGrowth()).toEqual([]);
    add(4);
    expect(py.objgraph.showGrowth()).toEqual([['User', 8, 1]]);
    py.append(keep, py.list());
    add(3);
    // objgraph.growth() records the peaks of the types it leaves out too.
    expect(py.objgraph.showGrowth(1)).toEqual([['User', 11, 3]]);
    expect(py.objgraph.showGrowth()).toEqual([]);
  });

  it('show_growth collects first, as objgraph.growth() does: garbage cycles are no growth', () => {
    const py = newPython();
    const Node = py.defineClass({ name: 'Node' });
    expect(py.objgraph.showGrowth()).toEqual([]);
    py.call(() => {
      const a = py.new(Node);
      const b = py.new(Node, { peer: a });
      py.setattr(a, 'peer', b);
    });
    expect(py.objgraph.typeCounts().get('Node')).toBe(2);
    expect(py.objgraph.showGrowth()).toEqual([]);
    expect(py.objgraph.typeCounts().get('Node')).toBeUndefined();
  });

  it('finds the chain from a module global to a leaking object', () => {
    const py = newPython();
    const Session = py.defineClass({ name: 'Session' });
    py.call(() => py.setglobal(py.module('app'), 'registry', py.dict()));
    const app = py.sys.modules.get('app')!;
    let leaked = 0;
    py.call(() => {
      const registry = py.getglobal(app, 'registry');
      const sessions = py.list();
      py.setitem(registry, 'sessions', sessions);
      for (let i = 0; i < 3; i++) py.append(sessions, py.new(Session, { id: py.int(1000 + i) }));
      leaked = py.getitem(sessions, 1);
    });
    // The frames returned: nothing but the module keeps the session.
    const chain = py.objgraph.findBackrefChain(leaked);
    expectChain(py, chain, app, leaked);
    expect(chain!.map((h) => py.typeName(h))).toEqual(['module', 'dict', 'dict', 'list', 'Session']);
  });

  it('finds the chain from a local of an open frame', () => {
    const py = newPython();
    const Node = py.defineClass({ name: 'Node' });
    py.call(() => {
      const holder = py.list();
      const inner = py.new(Node);
      const x = py.new(Node);
      py.setattr(inner, 'child', x);
      py.append(holder, inner);
      py.del(inner);
      py.del(x);
      const chain = py.objgraph.findBackrefChain(x);
      expectChain(py, chain, holder, x);
      expect(chain).toHaveLength(3);
    });
  });

  it('a local is its own root; garbage and objects beyond the depth limit have no chain', () => {
    const py = newPython();
    py.call(() => {
      const local = py.list();
      expect(py.objgraph.findBackrefChain(local)).toEqual([local]);
    });
    let cycle = 0;
    py.call(() => {
      cycle = py.list();
      py.append(cycle, cycle);
    });
    expect(py.objgraph.findBackrefChain(cycle)).toBeNull();
    expect(py.gc.collect()).toBe(1);

    let bottom = 0;
    py.call(() => {
      let list = py.list();
      py.setglobal(py.module('deep'), 'top', list);
      for (let i = 0; i < 40; i++) {
        const next = py.list();
        py.append(list, next);
        py.del(list);
        list = next;
      }
      bottom = list;
    });
    expect(py.objgraph.findBackrefChain(bottom, 10)).toBeNull();
    expect(py.objgraph.findBackrefChain(bottom, 50)).toHaveLength(2 + 41); // the module, its dict, the 41 lists
  });

  it('sees only what the collector tracks: a str held by an untracked dict has no chain', () => {
    const py = newPython();
    let s = 0;
    py.call(() => {
      const app = py.module('app');
      const names = py.dict([['a', py.str('held by an atomic dict')]]);
      py.setglobal(app, 'names', names);
      expect(py.gc.isTracked(names)).toBe(false);
      s = py.getitem(names, 'a');
    });
    expect(py.text(s)).toBe('held by an atomic dict');
    expect(py.objgraph.findBackrefChain(s)).toBeNull();
  });
});

// ---------------------------------------------------------------- against CPython

const PROGRAM = `
import gc, json, types, weakref
class User:
    pass
class Slotted:
    __slots__ = ('a', 'b')
class C:
    pass
def mk(x):
    def inner():
        return x
    return inner
def gen(a):
    yield a
def counts():
    c = {}
    for o in gc.get_objects():
        n = type(o).__name__
        c[n] = c.get(n, 0) + 1
    return c
def delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
def names(objs):
    return [type(o).__name__ for o in objs if not isinstance(o, type)]
def population():
    gc.disable()
    # Three passes: untracking a dict lets the next pass untrack the tuple holding it.
    gc.collect()
    gc.collect()
    gc.collect()
    before = counts()
    keep = []
    i = 0
    while i < 7:
        u = User()
        u.n = 1000 + i
        keep.append(u)
        i += 1
    keep.append(Slotted())
    keep.append([1000 + i, 1001 + i])
    keep.append([[], []])
    keep.append({'a': 1000 + i})
    keep.append({'a': []})
    s = 'x' * 3
    keep.append((1000 + i, s))
    keep.append(({},))
    st = set()
    st.add(1000 + i)
    keep.append(st)
    keep.append(mk(1000 + i))
    keep.append(gen(1000 + i))
    keep.append(weakref.ref(keep[0]))
    keep.append(types.ModuleType(s))
    after = counts()
    gc.collect()
    return [delta(after, before), delta(counts(), before)]
def referents():
    x = []
    c = C()
    c.a = []
    c.b = 1000
    c2 = C()
    c2.a = []
    c2.__dict__
    sl = Slotted()
    sl.a = []
    return [
        names(gc.get_referents([1000 + len(x), 'ab' * len(x), None, x, (x, 1)])),
        names(gc.get_referents((1000 + len(x), 'xy', None, x))),
        names(gc.get_referents({'a': [], 'b': 1000 + len(x), 'c': 'xy'})),
        names(gc.get_referents({1000 + len(x): [], 1001 + len(x): 'xy'})),
        names(gc.get_referents({'a': [], 5000 + len(x): None})),
        names(gc.get_referents(c)),
        names(gc.get_referents(c2)),
        names(gc.get_referents(sl)),
        sorted(names(gc.get_referents({1000 + len(x), 'xy'}))),
        names(gc.get_referents(mk(x).__closure__[0])),
        names(gc.get_referents(types.ModuleType('m'))),
        names(gc.get_referents(weakref.ref(c, lambda r: None))),
        names(gc.get_referents(weakref.ref(c))),
        names(gc.get_referents({})),
        names(gc.get_referents([])),
    ]
def referrers():
    x = C()
    l = [x]
    d = {'k': x}
    t = (x,)
    o = C()
    o.a = x
    s = {x}
    f = mk(x)
    g = gen(x)
    return sorted(names(gc.get_referrers(x)))
print(json.dumps([population(), referents(), referrers()]))
`;

type Counts = Record<string, number>;

describe.skipIf(!python311Available)('the object graph as CPython 3.11 sees it', () => {
  const [[cpyAfter, cpyCollected], cpyReferents, cpyReferrers] = python311Available
    ? runPython<[[Counts, Counts], string[][], string[]]>(PROGRAM).result
    : [[{}, {}], [], []];

  it('gc.get_objects() type counts for a population of objects, before and after a collection untracks', () => {
    const py = newPython();
    const User = py.defineClass({ name: 'User' });
    const Slotted = py.defineClass({ name: 'Slotted', slots: ['a', 'b'] });
    py.gc.disable();
    const keep = py.list();
    for (let i = 0; i < 7; i++) py.call(() => py.append(keep, py.new(User, { n: py.int(1000 + i) })));
    py.call(() => {
      py.append(keep, py.new(Slotted));
      py.append(keep, py.list([py.int(1007), py.int(1008)]));
      py.append(keep, py.list([py.list(), py.list()]));
      py.append(keep, py.dict([['a', py.int(1007)]]));
      py.append(keep, py.dict([['a', py.list()]]));
      const s = py.strOfLength(3);
      py.append(keep, py.tuple(py.int(1007), s));
      py.append(keep, py.tuple(py.dict()));
      py.append(keep, py.set([py.int(1007)]));
      py.append(keep, py.closure([py.int(1007)]));
      py.append(keep, py.generator([py.int(1007)]));
      py.append(keep, py.weakref(py.getitem(keep, 0)));
      py.append(keep, py.moduleObject(s));
    });
    expect(Object.fromEntries(py.objgraph.typeCounts())).toEqual(cpyAfter);
    py.gc.collect();
    expect(Object.fromEntries(py.objgraph.typeCounts())).toEqual(cpyCollected);
    const ranked = Object.entries(cpyCollected).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    expect(py.objgraph.mostCommonTypes(100)).toEqual(ranked);
  });

  it('gc.get_referents(): what each kind of container refers to, in order', () => {
    const py = newPython();
    const C = py.defineClass({ name: 'C' });
    const Slotted = py.defineClass({ name: 'Slotted', slots: ['a', 'b'] });
    const names = (x: Ref): string[] => py.gc.getReferents(x).map((h) => py.typeName(h));
    let got: string[][] = [];
    py.call(() => {
      const x = py.list();
      const c = py.new(C, { a: py.list(), b: py.int(1000) });
      const c2 = py.new(C, { a: py.list() });
      py.dictOf(c2);
      const sl = py.new(Slotted);
      py.setattr(sl, 'a', py.list());
      got = [
        names(py.list([py.int(1000), py.str('abab'), py.None, x, py.tuple(x, py.int(1))])),
        names(py.tuple(py.int(1000), py.str('xy'), py.None, x)),
        names(py.dict([['a', py.list()], ['b', py.int(1000)], ['c', py.str('xy')]])),
        names(py.dict([[py.int(1000), py.list()], [py.int(1001), py.str('xy')]])),
        names(py.dict([['a', py.list()], [py.int(5000), py.None]])),
        names(c),
        names(c2),
        names(sl),
        names(py.set([py.int(1000), py.str('xy')])).sort(),
        names(py.gc.getReferents(py.gc.getReferents(py.closure([x])).find((h) => py.typeName(h) === 'tuple')!)[0]),
        names(py.moduleObject(py.str('m'))),
        names(py.weakref(c, () => undefined)),
        names(py.weakref(c)),
        names(py.dict()),
        names(py.list()),
      ];
    });
    expect(got).toEqual(cpyReferents);
  });

  it('gc.get_referrers(): every tracked container holding the object', () => {
    const py = newPython();
    const C = py.defineClass({ name: 'C' });
    let got: string[] = [];
    py.call(() => {
      const x = py.new(C);
      py.list([x]);
      py.dict([['k', x]]);
      py.tuple(x);
      py.new(C, { a: x });
      py.set([x]);
      py.closure([x]);
      py.generator([x]);
      got = py.gc.getReferrers(x).map((h) => py.typeName(h)).sort();
    });
    expect(got).toEqual(cpyReferrers);
  });
});
