/**
 * The "Python in TypeScript" API: misuse is a PYHEAP_E_OBJECT_USAGE error that
 * leaves the heap as it was; references are counted as CPython counts them
 * (sys.getrefcount against python3 for the same situations); frames own
 * their locals; deep structures die without deep recursion.
 */
import { describe, expect, it } from 'vitest';
import { PyheapError } from '../../src/errors.js';
import { CTRL_RAW_ALLOCATED_BLOCKS } from '../../src/heap/layout.js';
import { Python, type Ref } from '../../src/objects/api.js';
import { checkHeapInvariants } from '../support/heap-invariants.js';
import { indentPython, python311Available, runPython } from '../support/python-oracle.js';

function newPython(): Python {
  return new Python({ heap: { arenaCapacityBytes: 256 << 20, rawCapacityBytes: 256 << 20 } });
}

/**
 * What must be the same before and after a failed operation or a freed
 * structure, once a full collection has emptied the free lists: live objects,
 * pymalloc's blocks and bytes, and the raw blocks the object model holds.
 * (Not the raw allocator's live bytes as a whole: the arena map's radix-tree
 * nodes, allocated as arenas appear, are never freed, in CPython as here.)
 */
function footprint(py: Python): { liveObjects: number; blocks: number; pymallocBytes: number; rawBlocks: number } {
  py.gc.collect();
  const stats = py.heap.mallocStats();
  return {
    liveObjects: py.allocations - py.deallocations,
    blocks: stats.sizeClasses.reduce((n, c) => n + c.blocksInUse, 0),
    pymallocBytes: stats.bytesInAllocatedBlocks,
    rawBlocks: py.heap.mem[CTRL_RAW_ALLOCATED_BLOCKS],
  };
}

function expectUsageError(f: () => unknown, message?: RegExp): PyheapError {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'an error was thrown').toBeInstanceOf(PyheapError);
  const err = caught as PyheapError;
  expect(err.code).toBe('PYHEAP_E_OBJECT_USAGE');
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** A value handle that outlived its frame: created in a call, its only reference dropped when the call returned. */
function deadHandle(py: Python, make: () => Ref): Ref {
  let h = 0;
  py.call(() => {
    h = make();
  });
  return h;
}

describe('misuse is PYHEAP_E_OBJECT_USAGE and leaves the heap consistent', () => {
  type Misuse = [string, (py: Python, env: Env) => unknown, RegExp?];
  interface Env {
    slotted: number;
    plain: number;
  }
  const misuses: Misuse[] = [
    // Handles that are not (or no longer) objects.
    ['an int used after its frame returned', (py) => py.number(deadHandle(py, () => py.int(1000))), /not a live object/],
    ['two floats used after their frame returned', (py) => {
      let a = 0;
      let b = 0;
      py.call(() => {
        a = py.float(1.5);
        b = py.float(2.5);
        for (let i = 0; i < 200; i++) py.float(i); // more than the float free list keeps
      });
      py.gc.collect();
      py.number(a);
      py.number(b);
    }],
    ['a str used after its frame returned', (py) => py.text(deadHandle(py, () => py.str('hello world'))), /not a live object/],
    ['a list appended to after its frame returned', (py) => py.append(deadHandle(py, () => py.list()), py.None), /not a live object/],
    ['a dict used after its frame returned and the free lists were emptied', (py) => {
      const d = deadHandle(py, () => py.dict([['a', py.int(1)]]));
      py.gc.collect();
      py.setitem(d, 'b', py.None);
    }],
    ['a large bytes (a raw block) used after its frame returned', (py) => py.len(deadHandle(py, () => py.bytes(100_000)))],
    ['an instance used after its frame returned', (py, env) => py.getattr(deadHandle(py, () => py.new(env.plain)), 'x')],
    ['a value stored after its frame returned', (py) => py.append(py.list(), deadHandle(py, () => py.int(5000)))],
    ['an object used after del', (py) => {
      const x = py.list();
      py.del(x);
      py.len(x);
    }],
    ['a dead value in a dict display', (py) => py.dict([['a', deadHandle(py, () => py.int(5000))]])],
    ['a dead item in a set display', (py) => py.set([py.int(7000), deadHandle(py, () => py.int(5000))])],
    ['a dead captured variable', (py) => py.closure([deadHandle(py, () => py.list())])],
    ['a dead attribute value', (py, env) => py.new(env.plain, { a: py.list(), b: deadHandle(py, () => py.list()) })],
    ['a call returning a dead handle', (py) => py.call(() => deadHandle(py, () => py.list()))],
    ['a call returning a number that is no object', (py) => py.call(() => 777)],
    ['a handle of 0', (py) => py.sys.getrefcount(0)],
    ['a negative handle', (py) => py.sys.getsizeof(-8)],
    ['a fractional handle', (py) => py.len(1.5)],
    ['a handle into the heap control block', (py) => py.getitem(py.dict(), 5)],
    ['a handle past the heap', (py) => py.len(py.heap.mem.length + 10)],
    // The wrong type.
    ['append to a dict', (py) => py.append(py.dict(), py.None), /append/],
    ['append to a tuple', (py) => py.append(py.tuple(), py.None)],
    ['setitem on a tuple', (py) => py.setitem(py.tuple(py.None), 0, py.None)],
    ['setitem on a str', (py) => py.setitem(py.str('abc'), 0, py.None)],
    ['getitem on an int', (py) => py.getitem(py.int(1000), 0)],
    ['add to a list', (py) => py.add(py.list(), py.None)],
    ['add to a frozenset', (py) => py.add(py.frozenset(), py.None), /frozenset/],
    ['discard from a frozenset', (py) => py.discard(py.frozenset([py.int(1)]), py.int(1)), /frozenset/],
    ['clear a frozenset', (py) => py.clear(py.frozenset([py.int(1)])), /frozenset/],
    ['clear a tuple', (py) => py.clear(py.tuple(py.None))],
    ['len of an int', (py) => py.len(py.int(3))],
    ['in on an int', (py) => py.contains(py.int(3), py.None)],
    ['keys of a list', (py) => py.keys(py.list())],
    ['getattr of a list', (py) => py.getattr(py.list(), 'x')],
    ['setattr on a str', (py) => py.setattr(py.str('ab'), 'x', py.None)],
    ['a missing attribute', (py, env) => py.getattr(py.new(env.plain), 'missing'), /no attribute 'missing'/],
    ['an unset slot', (py, env) => py.getattr(py.new(env.slotted), 'a'), /no attribute 'a'/],
    ['a name that is not a slot (setattr)', (py, env) => py.setattr(py.new(env.slotted), 'zz', py.None), /zz/],
    ['a name that is not a slot (getattr)', (py, env) => py.getattr(py.new(env.slotted), 'zz'), /zz/],
    ['a name that is not a slot (delattr)', (py, env) => py.delattr(py.new(env.slotted), 'zz'), /zz/],
    ['a name that is not a slot (new)', (py, env) => py.new(env.slotted, { a: py.None, zz: py.None }), /zz/],
    ['__dict__ of a slotted instance', (py, env) => py.dictOf(py.new(env.slotted))],
    ['__dict__ of a list', (py) => py.dictOf(py.list())],
    ['new() of something that is no class', (py) => py.new(3)],
    ['new() of a built-in type id', (py) => py.new(8)],
    ['text of a bytes', (py) => py.text(py.bytes(3))],
    ['number of a list', (py) => py.number(py.list())],
    ['intern of an int', (py) => py.intern(py.int(1000))],
    ['deref of a list', (py) => py.deref(py.list())],
    ['a weakref to an int', (py) => py.weakref(py.int(5000)), /weak reference/],
    ['a weakref to a list', (py) => py.weakref(py.list()), /weak reference/],
    ['a weakref callback that is a list', (py, env) => py.weakref(py.new(env.plain), py.list())],
    ['exhaust a list', (py) => py.exhaust(py.list())],
    ['close a list', (py) => py.close(py.list())],
    ['globals that are not a dict', (py) => py.function({ globals: py.list() })],
    ['defaults that are not a tuple', (py) => py.function({ defaults: py.list() })],
    ['a module named by an int', (py) => py.moduleObject(py.int(5))],
    ['setglobal on a dict', (py) => py.setglobal(py.dict(), 'x', py.None)],
    ['globalsOf a list', (py) => py.globalsOf(py.list())],
    // Unhashable keys (TypeError: unhashable type in CPython).
    ['a list as a dict key', (py) => py.setitem(py.dict(), py.list(), py.None), /unhashable/],
    ['a dict as a dict key in a display', (py) => py.dict([[py.dict(), py.None]]), /unhashable/],
    ['a set as a set member', (py) => py.add(py.set(), py.set()), /unhashable/],
    ['a list in a set display', (py) => py.set([py.int(1000), py.list()]), /unhashable/],
    ['a tuple holding a list as a dict key', (py) => py.setitem(py.dict(), py.tuple(py.int(1), py.list()), py.None), /unhashable/],
    ['a list looked up in a dict', (py) => py.getitem(py.dict(), py.list()), /unhashable/],
    // Bad arguments.
    ['a list index out of range (getitem)', (py) => py.getitem(py.list([py.None]), 5), /out of range/],
    ['a negative list index out of range (getitem)', (py) => py.getitem(py.list([py.None]), -2), /out of range/],
    ['a list index out of range (setitem)', (py) => py.setitem(py.list(), 0, py.None), /out of range/],
    ['a list index out of range (delitem)', (py) => py.delitem(py.list([py.None]), 3), /out of range/],
    ['pop from an empty list', (py) => py.pop(py.list()), /empty/],
    ['pop at an index out of range', (py) => py.pop(py.list([py.None]), 4), /out of range/],
    ['a fractional list index', (py) => py.getitem(py.list([py.None]), 0.5)],
    ['a fractional insert position', (py) => py.insert(py.list([py.None]), 0.5, py.None)],
    ['a NaN insert position', (py) => py.insert(py.list(), NaN, py.None)],
    ['a str index into a list', (py) => py.getitem(py.list([py.None]), 'a')],
    ['a tuple index out of range', (py) => py.getitem(py.tuple(py.None), 1), /out of range/],
    ['dict.pop without a key', (py) => py.pop(py.dict())],
    ['an int of NaN', (py) => py.int(NaN), /NaN/],
    ['an int of Infinity', (py) => py.int(Infinity), /infinity/],
    ['an int of -Infinity', (py) => py.int(-Infinity), /infinity/],
    ['bytes of a negative size', (py) => py.bytes(-1), /negative/],
    ['bytes of a fractional size', (py) => py.bytes(1.5)],
    ['a str of a negative length', (py) => py.strOfLength(-1)],
    ['a str of a fractional length', (py) => py.strOfLength(2.5)],
    ['a buffer of a negative size', (py) => py.buffer(-1)],
    ['del of a value that is no local', (py) => py.del(py.None)],
    ['del of a local twice', (py) => {
      const x = py.list();
      const keep = py.list([x]);
      py.del(x);
      py.del(x);
      return keep;
    }],
  ];

  for (const [name, misuse, message] of misuses) {
    it(name, () => {
      const py = newPython();
      const env: Env = { slotted: py.defineClass({ name: 'S', slots: ['a', 'b'] }), plain: py.defineClass({ name: 'P' }) };
      const app = py.module('app');
      py.setglobal(app, 'keep', py.list([py.int(1000), py.str('kept')]));
      const before = footprint(py);
      const allocationsBefore = py.allocations;
      const locals = py.localCount;
      expectUsageError(() => py.call(() => void misuse(py, env)), message);
      expect(py.localCount, 'the failed frame was popped').toBe(locals);
      expect(footprint(py)).toEqual(before);
      checkHeapInvariants(py.heap);
      // The process goes on: the global is intact and the API works.
      py.call(() => {
        const keep = py.getglobal(app, 'keep');
        expect(py.len(keep)).toBe(2);
        expect(py.number(py.getitem(keep, 0))).toBe(1000);
        expect(py.text(py.getitem(keep, 1))).toBe('kept');
        const l = py.list();
        for (let i = 0; i < 100; i++) py.append(l, py.int(10_000 + i));
        py.setitem(py.dict(), 'x', l);
        expect(py.len(l)).toBe(100);
      });
      expect(py.allocations).toBeGreaterThan(allocationsBefore);
      expect(footprint(py)).toEqual(before);
      checkHeapInvariants(py.heap);
    });
  }

  it('an exception thrown by a frame body drops its locals', () => {
    const py = newPython();
    const before = footprint(py);
    expect(() =>
      py.call(() => {
        py.list([py.int(5000), py.str('abcdef')]);
        throw new Error('handler failed');
      }),
    ).toThrow('handler failed');
    expect(py.localCount).toBe(0);
    expect(footprint(py)).toEqual(before);
  });
});

describe('frames, locals and references', () => {
  it('frame locals are dropped when py.call returns; what a container keeps survives', () => {
    const py = newPython();
    const keep = py.list();
    let temp = 0;
    let kept = 0;
    py.call(() => {
      temp = py.str('temporary');
      kept = py.str('kept value');
      py.append(keep, kept);
      expect(py.sys.getrefcount(kept)).toBe(3);
    });
    expect(() => py.text(temp)).toThrow(PyheapError);
    expect(py.text(kept)).toBe('kept value');
    expect(py.sys.getrefcount(kept)).toBe(2); // the list's reference, and the argument's
  });

  it('a value a frame returns becomes a local of the caller', () => {
    const py = newPython();
    const outer = py.call(() => {
      const inner = py.call(() => py.str('returned'));
      expect(py.sys.getrefcount(inner)).toBe(2);
      return inner;
    });
    expect(py.text(outer)).toBe('returned');
    expect(py.sys.getrefcount(outer)).toBe(2);
    expect(py.localCount).toBe(1);
  });

  it('del drops a local at once, not at the end of the frame', () => {
    const py = newPython();
    py.call(() => {
      const x = py.list([py.str('payload')]);
      const deallocated = py.deallocations;
      py.del(x);
      expect(py.deallocations).toBeGreaterThan(deallocated);
      expect(() => py.len(x)).toThrow(PyheapError);
    });
  });

  it('del of one of two locals naming the same object keeps it alive', () => {
    const py = newPython();
    py.call(() => {
      const l = py.list([py.str('x')]);
      const again = py.getitem(py.list([l]), 0);
      expect(again).toBe(l);
      py.del(l);
      expect(py.len(again)).toBe(1);
    });
  });

  it('module globals survive frames and are reachable from sys.modules', () => {
    const py = newPython();
    py.call(() => {
      const app = py.module('app');
      py.setglobal(app, 'cache', py.dict([['user', py.str('ada')]]));
    });
    py.gc.collect();
    py.call(() => {
      const app = py.module('app');
      expect(py.text(py.getitem(py.getglobal(app, 'cache'), 'user'))).toBe('ada');
    });
    expect(py.sys.modules.has('app')).toBe(true);
  });

  it('a reference cycle outlives its frame until a collection', () => {
    const py = newPython();
    const l = py.call(() => {
      const a = py.list();
      py.append(a, a);
      return a;
    });
    const collectedBefore = py.gc.collect();
    expect(collectedBefore).toBe(0);
    py.del(l);
    expect(py.gc.collect()).toBe(1);
  });

  /**
   * The same situations in CPython: sys.getrefcount(x) where x is a local of
   * the running function (CPython's count includes the argument, as the API's does).
   */
  const refcountScenarios: [string, string, (py: Python) => number][] = [
    ['a new list', 'x = []', (py) => py.sys.getrefcount(py.list())],
    ['in a list twice', 'x = []\nl = [x, x]', (py) => {
      const x = py.list();
      py.list([x, x]);
      return py.sys.getrefcount(x);
    }],
    ['in a tuple', 'x = []\nt = (x,)', (py) => {
      const x = py.list();
      py.tuple(x);
      return py.sys.getrefcount(x);
    }],
    ['a dict value', "x = []\nd = {}\nd['k'] = x", (py) => {
      const x = py.list();
      py.setitem(py.dict(), 'k', x);
      return py.sys.getrefcount(x);
    }],
    ['a dict key and value', 'class C:\n    pass\nx = C()\nd = {}\nd[x] = x', (py) => {
      const x = py.new(py.defineClass({ name: 'C' }));
      py.setitem(py.dict(), x, x);
      return py.sys.getrefcount(x);
    }],
    ['a set member', 'class C:\n    pass\nx = C()\ns = set()\ns.add(x)\ns.add(x)', (py) => {
      const x = py.new(py.defineClass({ name: 'C' }));
      const s = py.set();
      py.add(s, x);
      py.add(s, x);
      return py.sys.getrefcount(x);
    }],
    ['an attribute', 'class C:\n    pass\nx = []\nc = C()\nc.a = x\nc.b = x', (py) => {
      const x = py.list();
      const c = py.new(py.defineClass({ name: 'C' }));
      py.setattr(c, 'a', x);
      py.setattr(c, 'b', x);
      return py.sys.getrefcount(x);
    }],
    ['a slot', "class S:\n    __slots__ = ('a',)\nx = []\ns = S()\ns.a = x", (py) => {
      const x = py.list();
      py.setattr(py.new(py.defineClass({ name: 'S', slots: ['a'] })), 'a', x);
      return py.sys.getrefcount(x);
    }],
    ['a module global', "import types\nm = types.ModuleType('m')\nx = []\nm.g = x", (py) => {
      const x = py.list();
      py.setglobal(py.moduleObject(py.str('m')), 'g', x);
      return py.sys.getrefcount(x);
    }],
    ['read back from a list', 'x = []\nl = [x]\ny = l[0]', (py) => {
      const x = py.list();
      py.getitem(py.list([x]), 0);
      return py.sys.getrefcount(x);
    }],
    ['after the list holding it is deleted', 'x = []\nl = [x, x]\ndel l', (py) => {
      const x = py.list();
      py.del(py.list([x, x]));
      return py.sys.getrefcount(x);
    }],
    ['after a dict item is deleted', "x = []\nd = {'k': x}\ndel d['k']", (py) => {
      const x = py.list();
      py.delitem(py.dict([['k', x]]), 'k');
      return py.sys.getrefcount(x);
    }],
    ['popped from a list', 'l = [[]]\nx = l.pop()', (py) => {
      const inner = py.list();
      const l = py.list([inner]);
      py.del(inner);
      return py.sys.getrefcount(py.pop(l));
    }],
    ['captured by a closure', 'def mk(y):\n    def inner():\n        return y\n    return inner\nx = []\nf = mk(x)', (py) => {
      const x = py.list();
      py.closure([x]);
      return py.sys.getrefcount(x);
    }],
    ['a suspended generator local', 'def g(a):\n    yield\nx = []\ngen = g(x)\nnext(gen)', (py) => {
      const x = py.list();
      py.generator([x]);
      return py.sys.getrefcount(x);
    }],
    ['an exhausted generator local', 'def g(a):\n    yield\nx = []\ngen = g(x)\nfor _ in gen:\n    pass', (py) => {
      const x = py.list();
      py.exhaust(py.generator([x]));
      return py.sys.getrefcount(x);
    }],
    ['weakly referenced', 'import weakref\nclass C:\n    pass\nx = C()\nr = weakref.ref(x)\nr2 = weakref.ref(x, lambda r: None)', (py) => {
      const x = py.new(py.defineClass({ name: 'C' }));
      py.weakref(x);
      py.weakref(x, () => undefined);
      return py.sys.getrefcount(x);
    }],
    ['the shared callback-less weakref', 'import weakref\nclass C:\n    pass\nc = C()\nx = weakref.ref(c)\ny = weakref.ref(c)', (py) => {
      const c = py.new(py.defineClass({ name: 'C' }));
      const x = py.weakref(c);
      expect(py.weakref(c)).toBe(x);
      return py.sys.getrefcount(x);
    }],
    ['a function default', 'x = []\ndef f(a=x):\n    pass', (py) => {
      const x = py.list();
      py.function({ defaults: py.tuple(x) });
      return py.sys.getrefcount(x);
    }],
    ['an instance __dict__', 'class C:\n    pass\nc = C()\nc.a = 1\nx = c.__dict__', (py) => {
      const c = py.new(py.defineClass({ name: 'C' }), { a: py.int(1) });
      return py.sys.getrefcount(py.dictOf(c));
    }],
    ['an interned str', "t = ''.join(['inte', 'rned'])\nx = sys.intern(t)", (py) => {
      const t = py.str('interned');
      return py.sys.getrefcount(py.intern(t));
    }],
    ['a str interned twice', "t = ''.join(['inte', 'rned'])\nx = sys.intern(t)\nu = ''.join(['inte', 'rned'])\ny = sys.intern(u)", (py) => {
      const x = py.intern(py.str('interned'));
      py.intern(py.str('interned'));
      return py.sys.getrefcount(x);
    }],
  ];

  describe.skipIf(!python311Available)('sys.getrefcount matches CPython 3.11', () => {
    let script = 'import sys, json\nout = []\n';
    refcountScenarios.forEach(([, python], i) => {
      script += `def case_${i}():\n${indentPython(python)}\n    return sys.getrefcount(x)\nout.append(case_${i}())\n`;
    });
    const expected = python311Available ? runPython<number[]>(`${script}print(json.dumps(out))\n`).result : [];
    refcountScenarios.forEach(([name, , simulate], i) => {
      it(name, () => {
        const py = newPython();
        let count = 0;
        py.call(() => {
          count = simulate(py);
        });
        expect(count).toBe(expected[i]);
      });
    });
  });
});

describe('deep structures die without deep recursion (the trashcan)', () => {
  const DEPTH = 200_000;
  const chains: [string, (py: Python, inner: Ref) => Ref][] = [
    ['list', (py, inner) => py.list([inner])],
    ['tuple', (py, inner) => py.tuple(inner)],
    ['dict', (py, inner) => py.dict([['next', inner]])],
    ['set of frozensets', (py, inner) => py.frozenset([inner])],
    ['instance', (py, inner) => py.new(nodeClass.get(py)!, { next: inner })],
  ];
  const nodeClass = new WeakMap<Python, number>();

  for (const [name, wrap] of chains) {
    it(`a ${DEPTH.toLocaleString('en')}-deep ${name} chain freed by one decref`, () => {
      const py = newPython();
      nodeClass.set(py, py.defineClass({ name: 'Node' }));
      py.gc.disable();
      const before = footprint(py);
      py.call(() => {
        let x = py.str('leaf');
        for (let i = 0; i < DEPTH; i++) {
          const outer = wrap(py, x);
          py.del(x);
          x = outer;
        }
        expect(py.localCount).toBe(1);
        const deallocated = py.deallocations;
        py.del(x);
        expect(py.deallocations - deallocated).toBe(DEPTH + 1);
      });
      expect(footprint(py)).toEqual(before);
      checkHeapInvariants(py.heap);
    });
  }
});
