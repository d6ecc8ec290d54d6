/**
 * The pymalloc statistics of the heap a program leaves behind: the same
 * program (instances built by __init__, an index dict, lists, tuples, cycles,
 * deletions, collections) runs in CPython 3.11, 3.9 and 3.8 and in pyheap on
 * a heap of each one's profile, and the blocks in use per size class must
 * grow by the same amounts -- live objects, the arrays behind lists and
 * dicts, and what the free lists keep.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { pythonFor, runPython } from '../support/python-oracle.js';

const USERS = 3000;

const PROGRAM = `
class User:
    def __init__(self, id, name, tags):
        self.id = id
        self.name = name
        self.tags = tags

def scenario(count, half, report):
    gc.disable()
    gc.freeze()
    gc.collect()
    users = []
    index = {}
    u = None
    a = None
    # names, not literals: 'user-' * 3 would be folded into one constant by the compiler
    s = 'user-'
    x = 'x'
    report()
    i = 0
    while i < count:
        u = User(i * 1000, s * 3, [])
        users.append(u)
        index[i * 1000] = u
        if i % 3 == 0:
            u.tags.append((i * 1000, x * 40))
        if i % 10 == 0:
            a = [u]
            a.append(a)
        i += 1
    i = 0
    while i < half:
        users.pop()
        del index[i * 1000]
        i += 1
    del u, a, i
    gc.collect(0)
    gc.collect(1)
    report()
    gc.collect()
    report()
    del users, index
    gc.collect()
    report()
    gc.enable()
# A first, small run settles what CPython's start-up left pending (a block or
# two whose life depends on the process), so the measured run starts clean.
scenario(300, 150, lambda: None)
scenario(${USERS}, ${USERS / 2}, mallocstats)
print('null')
`;

function simulate(py: Python): number[][] {
  const snapshots: number[][] = [];
  const stats = (): void => {
    const row = new Array<number>(32).fill(0);
    for (const c of py.heap.mallocStats().sizeClasses) row[c.sizeClass] = c.blocksInUse;
    snapshots.push(row);
  };
  const User = py.defineClass({ name: 'User' });
  scenario(py, User, 300, 150, () => {});
  scenario(py, User, USERS, USERS / 2, stats);
  return snapshots;
}

function scenario(py: Python, User: number, count: number, half: number, report: () => void): void {
  py.call(() => {
    py.gc.disable();
    py.gc.freeze();
    py.gc.collect();
    const users = py.list();
    const index = py.dict();
    report();
    let a: Ref = 0;
    for (let i = 0; i < count; i++) {
      py.scope(() => {
        const u = py.new(User, { id: py.int(i * 1000), name: py.strOfLength(15), tags: py.list() });
        py.append(users, u);
        py.setitem(index, py.int(i * 1000), u);
        if (i % 3 === 0) py.append(py.getattr(u, 'tags'), py.tuple(py.int(i * 1000), py.strOfLength(40)));
        if (i % 10 === 0) {
          const next = py.list([u]);
          py.append(next, next);
          a = next;
        }
      });
    }
    void a;
    for (let i = 0; i < half; i++) {
      py.scope(() => {
        py.pop(users);
        py.delitem(index, py.int(i * 1000));
      });
    }
    py.gc.collect(0);
    py.gc.collect(1);
    report();
    py.gc.collect();
    report();
    py.del(users);
    py.del(index);
    py.gc.collect();
    report();
    py.gc.enable();
  });
}

const delta = (later: number[], earlier: number[]): number[] => later.map((v, i) => v - earlier[i]);

for (const version of ['3.11', '3.9', '3.8'] as const) {
  describe.skipIf(pythonFor(version) === null)(`the heap a program leaves matches CPython ${version} (needs python${version})`, () => {
    it('blocks in use per size class grow and shrink by the same amounts', () => {
      const cpython = runPython<null>(PROGRAM, version).blocksInUse;
      const sim = simulate(new Python({ heap: { profile: version } }));
      expect(cpython).toHaveLength(4);
      expect(sim).toHaveLength(4);
      for (let k = 1; k < 4; k++) {
        expect({ snapshot: k, delta: delta(sim[k], sim[0]) }).toEqual({ snapshot: k, delta: delta(cpython[k], cpython[0]) });
      }
    });
  });
}
