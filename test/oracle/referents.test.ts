/**
 * What the collector walks from an object (gc.get_referents, its tp_traverse)
 * against CPython 3.11, 3.9 and 3.8: a str-keyed dict visits its values only,
 * until 3.8/3.9 look a non-str key up in it (dk_lookup becomes lookdict, which
 * visits keys too); an instance visits its values (3.11) or its dict (3.8/3.9);
 * a generator its frame's locals (3.11) or its frame object (3.8/3.9).
 * Referents pyheap does not simulate (type and code objects, a generator's
 * name) are left out on both sides: only the types listed with each case are
 * compared, in order.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { pythonFor, type PythonVersion, runPython } from '../support/python-oracle.js';

interface ReferentsCase {
  name: string;
  /** Python statements inside scenario() that leave the object in `x`; `v` is a list. */
  python: string;
  /** The referents' types that are compared. */
  keep: readonly string[];
  /** Builds the same object (`v` is a list) inside a call. */
  build: (py: Python, v: Ref) => Ref;
  versions?: readonly PythonVersion[];
}

const SIMPLE = ['dict', 'list', 'str', 'int', 'tuple', 'frame'];

const cases: ReferentsCase[] = [
  { name: 'str-keyed dict', python: "k1 = 'k1' * 1\nk2 = 'k2' * 1\nx = {k1: v, k2: v}", keep: SIMPLE, build: (py, v) => py.dict([[py.str('k1'), v], [py.str('k2'), v]]) },
  {
    name: 'str-keyed dict after a lookup of an int key',
    python: "k1 = 'k1' * 1\nk2 = 'k2' * 1\nx = {k1: v, k2: v}\nx.get(1000 + len(k1))",
    keep: SIMPLE,
    build: (py, v) => {
      const d = py.dict([[py.str('k1'), v], [py.str('k2'), v]]);
      py.contains(d, py.int(1002));
      return d;
    },
  },
  {
    name: 'str-keyed dict given an int key',
    python: "k1 = 'k1' * 1\nx = {k1: v}\nx[1000 + len(k1)] = v",
    keep: SIMPLE,
    build: (py, v) => {
      const d = py.dict([[py.str('k1'), v]]);
      py.setitem(d, py.int(1002), v);
      return d;
    },
  },
  { name: 'int-keyed dict', python: 'x = {1000 + len(v): v, 2000 + len(v): v}', keep: SIMPLE, build: (py, v) => py.dict([[py.int(1000), v], [py.int(2000), v]]) },
  {
    name: 'instance with two attributes',
    python: 'x = P(v, v)',
    keep: ['dict', 'list'],
    build: (py, v) => py.new(py.defineClass({ name: 'P' }), { a: v, b: v }),
  },
  {
    name: 'instance __dict__ (a split table in 3.8/3.9)',
    python: 'x = P(v, v).__dict__',
    keep: SIMPLE,
    build: (py, v) => py.dictOf(py.new(py.defineClass({ name: 'P' }), { a: v, b: v })),
  },
  { name: 'generator', python: 'x = gen(v)', keep: ['frame', 'list'], build: (py, v) => py.generator([v]) },
  {
    name: "a generator's frame",
    python: 'x = gen(v).gi_frame',
    keep: ['list'],
    build: (py, v) => py.gc.getReferents(py.generator([v]))[0],
    versions: ['3.9', '3.8'],
  },
];

function program(versionCases: readonly ReferentsCase[]): string {
  let script = `
class P:
    def __init__(self, a, b):
        self.a = a
        self.b = b
def gen(a):
    yield a
out = []
`;
  versionCases.forEach((c, i) => {
    script += `def case_${i}():\n    v = []\n${c.python
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}\n    return [type(r).__name__ for r in gc.get_referents(x) if type(r).__name__ in ${JSON.stringify(c.keep)}]\nout.append(case_${i}())\n`;
  });
  return `${script}print(json.dumps(out))\n`;
}

function simulated(c: ReferentsCase, version: PythonVersion): string[] {
  const py = new Python({ heap: { profile: version, arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } });
  let names: string[] = [];
  py.call(() => {
    const x = c.build(py, py.list());
    names = py.gc
      .getReferents(x)
      .map((r) => py.typeName(r))
      .filter((t) => c.keep.includes(t));
  });
  return names;
}

for (const version of ['3.11', '3.9', '3.8'] as const) {
  const available = pythonFor(version) !== null;
  const versionCases = cases.filter((c) => c.versions === undefined || c.versions.includes(version));
  describe.skipIf(!available)(`gc.get_referents matches CPython ${version} (needs python${version})`, () => {
    const expected = available ? runPython<string[][]>(program(versionCases), version).result : [];
    versionCases.forEach((c, i) => {
      it(c.name, () => {
        expect(simulated(c, version)).toEqual(expected[i]);
      });
    });
  });
}
