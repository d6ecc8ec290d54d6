/**
 * What each kind of object allocates, call for call, against CPython 3.11,
 * 3.9 and 3.8 running the same operations, each on a heap of its profile
 * (test/support/alloc-oracle.ts): every case runs against every version whose
 * recorder tools/pytrace/build.sh built.
 */
import { describe, expect, it } from 'vitest';
import { ORACLE_VERSIONS, type OracleCase, recordInCPython, recorderFor, runInSimulation } from '../support/alloc-oracle.js';

let fresh = 0;
let slotted = 0;
let plain = 0;
let user = 0;
let six = 0;
let ordered = 0;
let deleting = 0;
let q = 0;

const cases: OracleCase[] = [
  {
    name: 'medium int from arithmetic',
    args: '1000',
    params: 'x',
    body: 'y = x + 1\nz = x + 2',
    run: (py) => {
      py.int(1001);
      py.int(1002);
    },
  },
  {
    name: 'floats',
    args: '1.5',
    params: 'f',
    body: 'a = f * 2.0\nb = f * 3.0\nc = f * 4.0',
    run: (py) => {
      py.float(3);
      py.float(4.5);
      py.float(6);
    },
  },
  {
    name: 'strings of each kind',
    params: 'a1, l1, u2, u4',
    args: "'a', '\\u00e9', '\\u4e2d', '\\U0001F600'",
    body: 'a = a1 * 20\nb = l1 * 20\nc = u2 * 5\nd = u4 * 3\ne = a1 * 1000',
    run: (py) => {
      py.strOfLength(20, 'ascii');
      py.strOfLength(20, 'latin1');
      py.strOfLength(5, 'ucs2');
      py.strOfLength(3, 'ucs4');
      py.strOfLength(1000, 'ascii');
    },
  },
  {
    name: 'bytes',
    // type_call packs bytes(n)'s argument in a 1-tuple; a running program has one on the free list.
    warm: 'bytes(1)',
    body: 'a = bytes(50)\nb = bytes(600)\nc = bytes(0)',
    run: (py) => {
      py.bytes(50);
      py.bytes(600);
      py.bytes(0);
    },
  },
  {
    name: 'tuples',
    params: 'a, b, c',
    args: 'object(), object(), object()',
    body: 't1 = (a,)\nt3 = (a, b, c)\nt2 = (t3, t1)',
    prepare: (py) => [py.list(), py.list(), py.list()],
    run: (py, [a, b, c]) => {
      const t1 = py.tuple(a);
      const t3 = py.tuple(a, b, c);
      py.tuple(t3, t1);
    },
  },
  {
    name: 'list growth and shrink',
    params: 'x',
    args: 'None',
    body: 'l = []\ni = 0\nwhile i < 100:\n    l.append(x)\n    i += 1\nwhile i > 0:\n    l.pop()\n    i -= 1\nl.append(x)\nl.append(x)',
    run: (py) => {
      const l = py.list();
      for (let i = 0; i < 100; i++) py.append(l, py.None);
      for (let i = 0; i < 100; i++) py.del(py.pop(l));
      py.append(l, py.None);
      py.append(l, py.None);
    },
  },
  {
    name: 'dict growing with str keys, deleted, regrown, cleared',
    setup: "keys = ['k%d' % i for i in range(60)]",
    params: 'keys, v',
    args: 'keys, None',
    // while loops with an index: a for loop would allocate a list iterator, a slice a new list.
    body: "d = {}\ni = 0\nwhile i < 60:\n    d[keys[i]] = v\n    i += 1\ni = 0\nwhile i < 50:\n    del d[keys[i]]\n    i += 1\ni = 0\nwhile i < 50:\n    d[keys[i]] = v\n    i += 1\nd.clear()\nd[keys[0]] = v",
    prepare: (py) => [py.list(Array.from({ length: 60 }, (_, i) => py.str(`k${i}`)))],
    run: (py, [keys]) => {
      const d = py.dict();
      const ks = Array.from({ length: 60 }, (_, i) => py.getitem(keys, i));
      for (const k of ks) py.setitem(d, k, py.None);
      for (const k of ks.slice(0, 50)) py.delitem(d, k);
      for (const k of ks.slice(0, 50)) py.setitem(d, k, py.None);
      py.clear(d);
      py.setitem(d, ks[0], py.None);
    },
  },
  {
    name: 'dict with int keys and a str-keyed dict turned general',
    setup: "ints = list(range(1000, 1030))",
    params: 'ints, v, s',
    args: "ints, None, 'x' * 3",
    body: "d = {}\nj = 0\nwhile j < 30:\n    d[ints[j]] = v\n    j += 1\ne = {}\ne[s] = v\ne[ints[0]] = v",
    prepare: (py) => [py.list(Array.from({ length: 30 }, (_, i) => py.int(1000 + i))), py.strOfLength(3)],
    run: (py, [ints, s]) => {
      const d = py.dict();
      for (let i = 0; i < 30; i++) py.setitem(d, py.getitem(ints, i), py.None);
      const e = py.dict();
      py.setitem(e, s, py.None);
      py.setitem(e, py.getitem(ints, 0), py.None);
    },
  },
  {
    name: 'dict displays of 2 and 8 str keys',
    setup: "k = ['a%d' % i for i in range(8)]",
    params: 'k, v',
    args: 'k, None',
    body: "a = {k[0]: v, k[1]: v}\nb = {k[0]: v, k[1]: v, k[2]: v, k[3]: v, k[4]: v, k[5]: v, k[6]: v, k[7]: v}",
    prepare: (py) => [py.list(Array.from({ length: 8 }, (_, i) => py.str(`a${i}`)))],
    run: (py, [k]) => {
      const key = (i: number) => py.getitem(k, i);
      py.dict([[key(0), py.None], [key(1), py.None]]);
      py.dict(Array.from({ length: 8 }, (_, i) => [key(i), py.None] as const));
    },
  },
  {
    name: 'set of ints growing past the inline table',
    setup: "ints = list(range(1000, 1100))",
    params: 'ints',
    args: 'ints',
    body: "s = set()\nj = 0\nwhile j < 100:\n    s.add(ints[j])\n    j += 1\nj = 0\nwhile j < 90:\n    s.discard(ints[j])\n    j += 1\ns.clear()",
    prepare: (py) => [py.list(Array.from({ length: 100 }, (_, i) => py.int(1000 + i)))],
    run: (py, [ints]) => {
      const s = py.set();
      for (let i = 0; i < 100; i++) py.add(s, py.getitem(ints, i));
      for (let i = 0; i < 90; i++) py.discard(s, py.getitem(ints, i));
      py.clear(s);
    },
  },
  {
    name: 'instances of a fresh class: values arrays shrink',
    setup: "class Fresh:\n    pass\n",
    params: 'cls, v',
    args: 'Fresh, None',
    body: "objs = []\ni = 0\nwhile i < 32:\n    o = cls()\n    o.a = v\n    o.b = v\n    o.c = v\n    objs.append(o)\n    i += 1",
    prepare: (py) => {
      fresh = py.defineClass({ name: 'Fresh' });
      return [];
    },
    run: (py) => {
      const objs = py.list();
      let o = 0;
      for (let i = 0; i < 32; i++) {
        // `o = cls()`: the local is rebound; the last instance is still held by it when the frame ends.
        const next = py.new(fresh);
        if (o !== 0) py.del(o);
        o = next;
        py.setattr(o, 'a', py.None);
        py.setattr(o, 'b', py.None);
        py.setattr(o, 'c', py.None);
        py.append(objs, o);
      }
    },
  },
  {
    name: 'slotted instances and a materialised __dict__',
    setup: "class S:\n    __slots__ = ('a', 'b', 'c')\nclass P:\n    pass\n",
    params: 'S, P, v',
    args: 'S, P, None',
    body: "s = S()\ns.a = v\ns.b = v\np = P()\np.x = v\nd = p.__dict__\np.y = v",
    prepare: (py) => {
      slotted = py.defineClass({ name: 'S', slots: ['a', 'b', 'c'] });
      plain = py.defineClass({ name: 'P' });
      return [];
    },
    run: (py) => {
      const s = py.new(slotted);
      py.setattr(s, 'a', py.None);
      py.setattr(s, 'b', py.None);
      const p = py.new(plain);
      py.setattr(p, 'x', py.None);
      py.dictOf(p);
      py.setattr(p, 'y', py.None);
    },
  },
  {
    name: 'functions, closures and cells',
    params: 'x',
    args: "'x' * 5",
    body: "def f():\n    pass\ndef outer(y):\n    def inner():\n        return y\n    return inner\ng = outer(x)",
    prepare: (py) => [py.strOfLength(5)],
    run: (py, [x], code) => {
      py.function();
      py.function();
      // `g = outer(x)`: in outer's frame, the cell, the closure tuple, the function.
      py.call(() => py.closure([x]), code('outer'));
    },
  },
  {
    name: 'generator, module, weakref',
    setup: "import types, weakref\ndef gen():\n    yield 1\nclass W:\n    pass\nwobj = W()\n",
    params: 'gen, types, weakref, name, wobj',
    args: "gen, types, weakref, 'm' * 4, wobj",
    body: "g = gen()\nm = types.ModuleType(name)\nr = weakref.ref(wobj)\nr2 = weakref.ref(wobj)",
    // A module that died leaves its dict and the dict's keys on their free lists.
    warm: "types.ModuleType('w' * 2)",
    warmUp: (py) => {
      py.moduleObject(py.strOfLength(2));
    },
    prepare: (py) => {
      const W = py.defineClass({ name: 'W' });
      return [py.strOfLength(4), py.new(W)];
    },
    run: (py, [name, wobj]) => {
      // The generator never ran: its finalizer closes it (frame object and traceback).
      py.generator();
      py.moduleObject(name);
      py.weakref(wobj);
      py.weakref(wobj);
    },
  },
  {
    name: 'generators with locals: suspended, and run to the end',
    setup: "def gen2(a, b):\n    yield a\n",
    params: 'gen2, x, y',
    args: "gen2, 'x' * 3, 'y' * 3",
    body: "g = gen2(x, y)\nh = gen2(x, y)\nnext(g)\nfor _ in h:\n    pass",
    prepare: (py) => [py.strOfLength(3), py.strOfLength(3)],
    run: (py, [x, y]) => {
      py.generator([x, y]);
      const h = py.generator([x, y]);
      py.exhaust(h);
    },
  },
  {
    name: 'weak references with callbacks are not shared',
    setup: "import weakref\nclass V:\n    pass\nvobj = V()\ndef on_death(wr):\n    pass\n",
    params: 'weakref, vobj, cb',
    args: 'weakref, vobj, on_death',
    body: 'r1 = weakref.ref(vobj, cb)\nr2 = weakref.ref(vobj, cb)\nr3 = weakref.ref(vobj)',
    // type_call packs the arguments in a tuple; a running program has 1- and 2-tuples on the free lists.
    warm: 'weakref.ref(vobj, on_death)\nweakref.ref(vobj)',
    prepare: (py) => {
      const V = py.defineClass({ name: 'V' });
      return [py.new(V), py.function()];
    },
    run: (py, [vobj, cb]) => {
      py.weakref(vobj, cb);
      py.weakref(vobj, cb);
      py.weakref(vobj);
    },
  },
  {
    name: 'instances built by __init__ from arguments',
    setup: "class User:\n    def __init__(self, id, name, tags):\n        self.id = id\n        self.name = name\n        self.tags = tags\n",
    params: 'User, i, n',
    args: "User, 1000, 'ada' * 2",
    body: 'u = User(i, n, [])\nv = User(i, n, [])\nw = User(i, n, [])',
    prepare: (py) => {
      user = py.defineClass({ name: 'User' });
      return [py.int(1000), py.strOfLength(6)];
    },
    run: (py, [i, n]) => {
      for (let k = 0; k < 3; k++) py.new(user, { id: i, name: n, tags: py.list() });
    },
  },
  {
    name: 'an instance dies, its __dict__ is kept; the next one finds the argument tuple on the free list',
    setup: 'class Q:\n    def __init__(self, a, b, c):\n        self.a = a\n        self.b = b\n        self.c = c\n',
    params: 'Q, x',
    args: "Q, 'x' * 3",
    body: 'd = Q(x, x, x).__dict__\ne = Q(x, x, x)',
    prepare: (py) => {
      q = py.defineClass({ name: 'Q' });
      return [py.strOfLength(3)];
    },
    run: (py, [x]) => {
      const p = py.new(q, { a: x, b: x, c: x });
      py.dictOf(p);
      py.del(p);
      py.new(q, { a: x, b: x, c: x });
    },
  },
  {
    name: 'calls: again, recursively, and a bigger frame from the free list',
    setup: 'def rec(n):\n    if n:\n        rec(n - 1)\ndef big():\n    a = b = c = d = e = f = g = h = i = j = k = l = None\n',
    codes: ['rec', 'big'],
    body: 'rec(0)\nrec(0)\nrec(3)\nrec(5)\nbig()\nbig()',
    run: (py, _args, code) => {
      const rec = (n: number): void => {
        py.call(() => {
          if (n > 0) rec(n - 1);
        }, code('rec'));
      };
      rec(0);
      rec(0);
      rec(3);
      rec(5);
      py.call(() => undefined, code('big'));
      py.call(() => undefined, code('big'));
    },
  },
  {
    name: "generators: a second one takes the first one's frame",
    setup: 'def gen(a):\n    yield a\n',
    params: 'gen, x',
    args: "gen, 'x' * 3",
    body: 'g = gen(x)\nfor _ in g:\n    pass\nh = gen(x)\nk = gen(x)',
    prepare: (py) => [py.strOfLength(3)],
    run: (py, [x]) => {
      py.exhaust(py.generator([x]));
      py.generator([x]);
      py.generator([x]);
    },
  },
  {
    name: 'instances with six attributes: the shared keys grow',
    setup: 'class Six:\n    def __init__(self, a, b, c, d, e, f):\n        self.a = a\n        self.b = b\n        self.c = c\n        self.d = d\n        self.e = e\n        self.f = f\n',
    params: 'Six, v',
    args: 'Six, None',
    body: 'x = Six(v, v, v, v, v, v)\ny = Six(v, v, v, v, v, v)\nz = Six(v, v, v, v, v, v)',
    prepare: (py) => {
      six = py.defineClass({ name: 'Six' });
      return [];
    },
    run: (py) => {
      const v = py.None;
      for (let i = 0; i < 3; i++) py.new(six, { a: v, b: v, c: v, d: v, e: v, f: v });
    },
  },
  {
    name: 'instances storing attributes in another order, then a deletion',
    setup: 'class Ord:\n    pass\n',
    params: 'Ord, v',
    args: 'Ord, None',
    body: 'a = Ord()\na.x = v\na.y = v\nb = Ord()\nb.y = v\nb.x = v\nc = Ord()\nc.x = v\ndel c.x\nd = Ord()\nd.x = v',
    prepare: (py) => {
      ordered = py.defineClass({ name: 'Ord' });
      return [];
    },
    run: (py) => {
      const v = py.None;
      const a = py.new(ordered);
      py.setattr(a, 'x', v);
      py.setattr(a, 'y', v);
      const b = py.new(ordered);
      py.setattr(b, 'y', v);
      py.setattr(b, 'x', v);
      const c = py.new(ordered);
      py.setattr(c, 'x', v);
      py.delattr(c, 'x');
      py.setattr(py.new(ordered), 'x', v);
    },
  },
  {
    name: 'an attribute deleted while the class shares its keys',
    setup: 'class Del:\n    pass\n',
    params: 'Del, v',
    args: 'Del, None',
    body: 'a = Del()\na.x = v\nb = Del()\nb.x = v\ndel b.x\nc = Del()\nc.x = v\nd = c.__dict__\ndel d["x"]',
    prepare: (py) => {
      deleting = py.defineClass({ name: 'Del' });
      return [];
    },
    run: (py) => {
      const v = py.None;
      py.setattr(py.new(deleting), 'x', v);
      const b = py.new(deleting);
      py.setattr(b, 'x', v);
      py.delattr(b, 'x');
      const c = py.new(deleting);
      py.setattr(c, 'x', v);
      py.delitem(py.dictOf(c), 'x');
    },
  },
  {
    name: '20-tuples',
    params: 'a',
    args: 'None',
    body: `t = (${Array(20).fill('a').join(', ')})\ndel t\nu = (${Array(20).fill('a').join(', ')})`,
    run: (py) => {
      const items = Array.from({ length: 20 }, () => py.None);
      py.del(py.tuple(...items));
      py.tuple(...items);
    },
  },
  {
    name: 'list display',
    params: 'a, b, c',
    args: '1, 2, 3',
    body: 'l = [a, b, c]\nm = [l, l]\nn = []',
    run: (py) => {
      const a = py.int(1);
      const l = py.list([a, py.int(2), py.int(3)]);
      py.list([l, l]);
      py.list();
    },
  },
];

for (const version of ORACLE_VERSIONS) {
  const recorder = recorderFor(version);
  describe.skipIf(recorder === null)(`object allocations match CPython ${version} (needs tools/pytrace/build/pytrace-${version}: tools/pytrace/build.sh python${version})`, () => {
    const recorded = recorder === null ? null : recordInCPython(cases, version);
    for (const c of cases) {
      it(c.name, () => {
        const expected = recorded!.calls.get(c.name);
        expect(expected, 'CPython recorded the case').toBeDefined();
        const sim = runInSimulation(c, version, recorded!.codes.get(c.name));
        if (process.env.PYHEAP_DEBUG) console.log(version, c.name, '\n sim:', sim.join(' '), '\n cpy:', expected?.join(' '));
        expect(sim).toEqual(expected);
      });
    }
  });
}
