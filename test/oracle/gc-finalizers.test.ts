/**
 * Cycles with and without finalizers, resurrection, weakref callbacks, a
 * generator in a cycle, and gc.freeze(): what gc.collect() returns, how often
 * `__del__` and callbacks run, gc.get_stats() and gc.get_freeze_count(),
 * against CPython 3.11, 3.9 and 3.8 running the same program (in 3.8/3.9 an
 * instance's dict and a generator's frame are objects of the cycle too; in
 * 3.8 one resurrection keeps every object the collection found unreachable).
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { pythonFor, type PythonVersion, runPython } from '../support/python-oracle.js';

const PROGRAM = `
import weakref
calls = [0]
callbacks = [0]
saved = []
class N:
    pass
class D:
    def __del__(self):
        calls[0] += 1
class R:
    def __del__(self):
        calls[0] += 1
        saved.append(self)
def on_death(wr):
    callbacks[0] += 1
def gen(x):
    yield x

def scenario():
    out = []
    gc.disable()
    before = gc.get_stats()
    gc.freeze()
    frozen_before = gc.get_freeze_count()
    gc.collect()

    # a cycle of two instances
    a = N(); b = N(); a.other = b; b.other = a
    del a, b
    out.append(gc.collect())

    # a cycle whose instances have __del__: finalized once, then freed
    a = D(); b = D(); a.other = b; b.other = a
    del a, b
    out.append(gc.collect()); out.append(calls[0])

    # a finalizer that resurrects: nothing is freed; once released, freed without a second __del__
    a = R(); b = N(); a.other = b; b.other = a
    del a, b
    out.append(gc.collect()); out.append(calls[0]); out.append(len(saved))
    out.append(gc.collect())
    saved.clear()
    out.append(gc.collect()); out.append(calls[0])

    # a finalizer resurrects in a collection that also finds an unrelated cycle
    a = R(); b = N(); a.other = b; b.other = a
    c = N(); d = N(); c.other = d; d.other = c
    del a, b, c, d
    out.append(gc.collect()); out.append(calls[0]); out.append(len(saved))
    saved.clear()
    out.append(gc.collect())

    # a cycle with a __dict__ made real, and a list in it
    a = N(); b = N(); a.other = b; b.other = a; d = a.__dict__; l = [a, b, d]; a.l = l
    del a, b, d, l
    out.append(gc.collect())

    # a weakref with a callback to an object in a cycle (the weakref outside it): the callback runs
    a = N(); b = N(); a.other = b; b.other = a
    r = weakref.ref(a, on_death)
    del a, b
    out.append(gc.collect()); out.append(callbacks[0])
    del r

    # the weakref is part of the garbage itself: cleared, its callback not called
    a = N(); a.me = a; a.r = weakref.ref(a, on_death)
    del a
    out.append(gc.collect()); out.append(callbacks[0])

    # a weakref callback on refcount death (no collection)
    keep = weakref.ref(N(), on_death)
    out.append(callbacks[0])
    del keep

    # a suspended generator in a cycle: its finalizer closes it and breaks the cycle
    l = []; g = gen(l); next(g); l.append(g)
    del l, g
    out.append(gc.collect())

    # a __del__ cycle reachable from a finalizer-free cycle
    a = D(); b = N(); a.other = b; b.other = a; c = N(); c.x = c; c.a = a
    del a, b, c
    out.append(gc.collect()); out.append(calls[0])

    # freeze: what is tracked goes to the permanent generation
    held = [[] for _ in range(100)]
    gc.freeze()
    out.append(gc.get_freeze_count() - frozen_before)
    out.append(gc.collect())
    gc.unfreeze()
    out.append(gc.get_freeze_count())
    del held

    after = gc.get_stats()
    stats = [[after[g][k] - before[g][k] for k in ('collections', 'collected', 'uncollectable')] for g in range(3)]
    gc.enable()
    return {'out': out, 'stats': stats, 'garbage': len(gc.garbage)}
print(json.dumps(scenario()))
`;

interface Result {
  out: number[];
  stats: number[][];
  garbage: number;
}

function simulate(version: PythonVersion): Result {
  const py = new Python({ heap: { profile: version } });
  let calls = 0;
  let callbacks = 0;
  const out: number[] = [];
  let result: Result | null = null;
  const saved = py.call(() => py.list());
  const N = py.defineClass({ name: 'N' });
  const D = py.defineClass({
    name: 'D',
    finalizer: () => {
      calls++;
    },
  });
  const R = py.defineClass({
    name: 'R',
    finalizer: (self) => {
      calls++;
      py.append(saved, self);
    },
  });
  const onDeath = py.call(() =>
    py.function({
      behaviour: () => {
        callbacks++;
      },
    }),
  );
  py.call(() => {
    py.gc.disable();
    const before = py.gc.getStats();
    py.gc.freeze();
    const frozenBefore = py.gc.getFreezeCount();
    py.gc.collect();

    const pair = (A: number, B: number): [Ref, Ref] => {
      const a = py.new(A);
      const b = py.new(B);
      py.setattr(a, 'other', b);
      py.setattr(b, 'other', a);
      return [a, b];
    };
    const drop = (...refs: Ref[]): void => refs.forEach((r) => py.del(r));

    drop(...pair(N, N));
    out.push(py.gc.collect());

    drop(...pair(D, D));
    out.push(py.gc.collect(), calls);

    drop(...pair(R, N));
    out.push(py.gc.collect(), calls, py.len(saved));
    out.push(py.gc.collect());
    py.clear(saved);
    out.push(py.gc.collect(), calls);

    drop(...pair(R, N), ...pair(N, N));
    out.push(py.gc.collect(), calls, py.len(saved));
    py.clear(saved);
    out.push(py.gc.collect());

    {
      const [a, b] = pair(N, N);
      const d = py.dictOf(a);
      const l = py.list([a, b, d]);
      py.setattr(a, 'l', l);
      drop(a, b, d, l);
      out.push(py.gc.collect());
    }

    {
      const [a, b] = pair(N, N);
      const r = py.weakref(a, onDeath);
      drop(a, b);
      out.push(py.gc.collect(), callbacks);
      py.del(r);
    }

    {
      const a = py.new(N);
      py.setattr(a, 'me', a);
      const r = py.weakref(a, onDeath);
      py.setattr(a, 'r', r);
      drop(r, a);
      out.push(py.gc.collect(), callbacks);
    }

    py.call(() => {
      const n = py.new(N);
      const keep = py.weakref(n, onDeath);
      py.del(n);
      out.push(callbacks);
      py.del(keep);
    });

    {
      const l = py.list();
      const g = py.generator([l]);
      py.append(l, g);
      drop(l, g);
      out.push(py.gc.collect());
    }

    {
      const [a, b] = pair(D, N);
      const c = py.new(N);
      py.setattr(c, 'x', c);
      py.setattr(c, 'a', a);
      drop(a, b, c);
      out.push(py.gc.collect(), calls);
    }

    {
      const held = py.list();
      for (let i = 0; i < 100; i++) {
        py.call(() => {
          py.append(held, py.list());
        });
      }
      py.gc.freeze();
      out.push(py.gc.getFreezeCount() - frozenBefore);
      out.push(py.gc.collect());
      py.gc.unfreeze();
      out.push(py.gc.getFreezeCount());
      py.del(held);
    }

    const after = py.gc.getStats();
    const stats = after.map((s, g) => [
      s.collections - before[g].collections,
      s.collected - before[g].collected,
      s.uncollectable - before[g].uncollectable,
    ]);
    py.gc.enable();
    result = { out, stats, garbage: 0 };
  });
  return result!;
}

for (const version of ['3.11', '3.9', '3.8'] as const) {
  describe.skipIf(pythonFor(version) === null)(`finalizers, resurrection, weakref callbacks and freeze as in CPython ${version} (needs python${version})`, () => {
    it('collect() results, __del__ and callback calls, stats and freeze counts', () => {
      const cpython = runPython<Result>(PROGRAM, version).result;
      expect(simulate(version)).toEqual(cpython);
    });
  });
}
