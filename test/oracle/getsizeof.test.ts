/**
 * sys.getsizeof of every kind of object the API creates, against CPython 3.11,
 * 3.9 and 3.8 building the equivalent object (one interpreter run per version
 * for the whole file), each on a heap of its version's profile. Each case
 * runs in a fresh simulated process and, on the Python side, in a function of
 * its own, so class histories (shared-keys sizes) start alike.
 */
import { describe, expect, it } from 'vitest';
import { Python, type Ref } from '../../src/objects/api.js';
import { indentPython, pythonFor, type PythonVersion, runPython } from '../support/python-oracle.js';

interface SizeCase {
  name: string;
  /** Python statements that leave the object in `x`. */
  python: string;
  /** Builds the same object inside a frame and returns it. */
  build: (py: Python) => Ref;
  /** The versions that have such an object (default: all). */
  versions?: readonly PythonVersion[];
}

const VERSIONS: readonly PythonVersion[] = ['3.11', '3.9', '3.8'];
const cases: SizeCase[] = [];
const add = (name: string, python: string, build: (py: Python) => Ref, versions?: readonly PythonVersion[]): void => {
  cases.push({ name, python, build, versions });
};

// ---------------------------------------------------------------- singletons and numbers
add('None', 'x = None', (py) => py.None);
add('True', 'x = True', (py) => py.bool(true));
add('False', 'x = False', (py) => py.bool(false));
for (const v of [0, 1, -1, 5, 256, 257, -5, -6, 1000, -1000, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), 2 ** 31, 2 ** 53, 2 ** 60, -(2 ** 62), 2 ** 100]) {
  add(`int ${v}`, `x = ${BigInt(v)}`, (py) => py.int(v));
}
add('int from a float of 1e300', 'x = int(1e300)', (py) => py.int(1e300));
add('int truncates 7.9', 'x = int(7.9)', (py) => py.int(7.9));
add('int truncates -1234.5', 'x = int(-1234.5)', (py) => py.int(-1234.5));
for (const v of [0, 1.5, -2.25, 1e300]) add(`float ${v}`, `x = float(${v})`, (py) => py.float(v));

// ---------------------------------------------------------------- str of each kind
for (const [label, text] of [
  ['empty', ''],
  ['one ascii char', 'a'],
  ['ascii', 'hello, world'],
  ['one latin-1 char', '\u00e9'],
  ['latin-1', 'caf\u00e9 cr\u00e8me'],
  ['UCS-2', '\u4e2d\u6587\u5b57'],
  ['one UCS-2 char', '\u4e2d'],
  ['UCS-4', '\u{1F600}\u{1F601}'],
  ['ascii and one UCS-4 char', 'a\u{1F600}b'],
] as const) {
  add(`str ${label}`, `x = ${JSON.stringify(text)}[:]`, (py) => py.str(text));
}
const kindChar = { ascii: 'a', latin1: '\\u00e9', ucs2: '\\u4e2d', ucs4: '\\U0001F600' } as const;
for (const kind of ['ascii', 'latin1', 'ucs2', 'ucs4'] as const) {
  for (const n of [1, 2, 7, 20, 100, 1000, 100_000]) {
    // n copies of one char of the kind: the same kind and length as the synthetic string.
    add(`str of ${n} ${kind} chars`, `x = '${kindChar[kind]}' * ${n}`, (py) => py.strOfLength(n, kind));
  }
}
add('interned str', "x = sys.intern('interned' + str(len('abc')))", (py) => py.intern(py.str('interned3')));

// ---------------------------------------------------------------- bytes
for (const n of [0, 1, 2, 50, 600, 200_000]) add(`bytes(${n})`, `x = bytes(${n})`, (py) => py.bytes(n));

// ---------------------------------------------------------------- tuples
for (const n of [0, 1, 2, 3, 10, 20, 25]) {
  const names = Array.from({ length: n }, (_, i) => `v${i}`);
  const python = `${names.map((v) => `${v} = object()`).join('\n')}\nx = (${names.join(', ')}${n === 1 ? ',' : ''})`;
  add(`tuple of ${n}`, n === 0 ? 'x = ()' : python, (py) => py.tuple(...Array.from({ length: n }, () => py.list())));
}

// ---------------------------------------------------------------- lists
for (const n of [0, 1, 2, 3, 4, 5, 8, 9, 16, 17, 20, 100, 1000]) {
  add(`list after ${n} appends`, `x = []\nfor i in range(${n}):\n    x.append(None)`, (py) => {
    const l = py.list();
    for (let i = 0; i < n; i++) py.append(l, py.None);
    return l;
  });
}
add('list grown to 100 then popped to 10', 'x = []\nfor i in range(100):\n    x.append(None)\nfor i in range(90):\n    x.pop()', (py) => {
  const l = py.list();
  for (let i = 0; i < 100; i++) py.append(l, py.None);
  for (let i = 0; i < 90; i++) py.pop(l);
  return l;
});
add('list emptied by a pop after an append', 'x = []\nx.append(None)\nx.pop()', (py) => {
  const l = py.list();
  py.append(l, py.None);
  py.pop(l);
  return l;
});
add('list display of one emptied by a pop', 'v = None\nx = [v]\nx.pop()', (py) => {
  const l = py.list([py.None]);
  py.pop(l);
  return l;
});
add('list after inserts', 'x = []\nfor i in range(7):\n    x.insert(0, None)', (py) => {
  const l = py.list();
  for (let i = 0; i < 7; i++) py.insert(l, 0, py.None);
  return l;
});
add('list cleared', 'x = [None, None, None]\nx.clear()', (py) => {
  const l = py.list([py.None, py.None, py.None]);
  py.clear(l);
  return l;
});
for (const n of [0, 1, 3, 12]) {
  // A display of names (BUILD_LIST n); constants would be folded into a tuple and LIST_EXTENDed.
  const names = Array.from({ length: n }, (_, i) => `v${i}`);
  add(`list display of ${n}`, `${names.map((v) => `${v} = None`).join('\n')}\nx = [${names.join(', ')}]`, (py) =>
    py.list(Array.from({ length: n }, () => py.None)),
  );
}

// ---------------------------------------------------------------- dicts
add('dict empty', 'x = {}', (py) => py.dict());
for (const n of [1, 5, 6, 11, 22, 100, 1000]) {
  add(`dict of ${n} str keys by setitem`, `x = {}\nfor i in range(${n}):\n    x['k%d' % i] = None`, (py) => {
    const d = py.dict();
    for (let i = 0; i < n; i++) py.setitem(d, py.str(`k${i}`), py.None);
    return d;
  });
  add(`dict of ${n} int keys by setitem`, `x = {}\nfor i in range(${n}):\n    x[1000 + i] = None`, (py) => {
    const d = py.dict();
    for (let i = 0; i < n; i++) py.setitem(d, py.int(1000 + i), py.None);
    return d;
  });
}
for (const n of [2, 5, 6, 8, 20]) {
  const names = Array.from({ length: n }, (_, i) => `k${i}`);
  add(
    `dict display of ${n} str keys`,
    `${names.map((k) => `${k} = '${k}x'`).join('\n')}\nx = {${names.map((k) => `${k}: None`).join(', ')}}`,
    (py) => py.dict(names.map((k) => [py.str(`${k}x`), py.None] as const)),
  );
}
add('dict of str keys turned general by an int key', "x = {}\nx['a' * 3] = None\nx[1000] = None", (py) => {
  const d = py.dict();
  py.setitem(d, py.strOfLength(3), py.None);
  py.setitem(d, py.int(1000), py.None);
  return d;
});
add('dict grown, emptied by deletes', "x = {}\nfor i in range(30):\n    x['k%d' % i] = None\nfor i in range(30):\n    del x['k%d' % i]", (py) => {
  const d = py.dict();
  for (let i = 0; i < 30; i++) py.setitem(d, py.str(`k${i}`), py.None);
  for (let i = 0; i < 30; i++) py.delitem(d, py.str(`k${i}`));
  return d;
});
add('dict grown then cleared', "x = {}\nfor i in range(30):\n    x['k%d' % i] = None\nx.clear()", (py) => {
  const d = py.dict();
  for (let i = 0; i < 30; i++) py.setitem(d, py.str(`k${i}`), py.None);
  py.clear(d);
  return d;
});
add('dict cleared then one key', "x = {}\nfor i in range(30):\n    x['k%d' % i] = None\nx.clear()\nx['a'] = None", (py) => {
  const d = py.dict();
  for (let i = 0; i < 30; i++) py.setitem(d, py.str(`k${i}`), py.None);
  py.clear(d);
  py.setitem(d, 'a', py.None);
  return d;
});
add('dict popped', "x = {'a': 1, 'b': 2}\nx.pop('a')", (py) => {
  const d = py.dict([
    ['a', py.int(1)],
    ['b', py.int(2)],
  ]);
  py.pop(d, 'a');
  return d;
});

// ---------------------------------------------------------------- instances and their __dict__
const plainClass = 'class P:\n    pass';
add('instance of a __dict__ class', `${plainClass}\nx = P()`, (py) => py.new(py.defineClass({ name: 'P' })));
add('instance with attributes', `${plainClass}\nx = P()\nx.a = 1\nx.b = 2\nx.c = 3`, (py) =>
  py.new(py.defineClass({ name: 'P' }), { a: py.int(1), b: py.int(2), c: py.int(3) }),
);
add('instance __dict__ of a fresh instance', `${plainClass}\np = P()\nx = p.__dict__`, (py) => py.dictOf(py.new(py.defineClass({ name: 'P' }))));
add('instance __dict__ with two attributes', `${plainClass}\np = P()\np.a = 1\np.b = 2\nx = p.__dict__`, (py) =>
  py.dictOf(py.new(py.defineClass({ name: 'P' }), { a: py.int(1), b: py.int(2) })),
);
add(
  'instance __dict__ of the fourth instance',
  `${plainClass}\nps = [P() for i in range(4)]\nfor p in ps:\n    p.a = 1\nx = ps[3].__dict__`,
  (py) => {
    const P = py.defineClass({ name: 'P' });
    const ps = Array.from({ length: 4 }, () => py.new(P));
    for (const p of ps) py.setattr(p, 'a', py.int(1));
    return py.dictOf(ps[3]);
  },
);
add('instance __dict__ then a new attribute', `${plainClass}\np = P()\np.a = 1\nx = p.__dict__\np.b = 2`, (py) => {
  const p = py.new(py.defineClass({ name: 'P' }), { a: py.int(1) });
  const d = py.dictOf(p);
  py.setattr(p, 'b', py.int(2));
  return d;
});
add(
  'instance __dict__ with more attributes than the shared keys hold',
  `${plainClass}\np = P()\nfor i in range(40):\n    setattr(p, 'a%d' % i, None)\nx = p.__dict__`,
  (py) => {
    const p = py.new(py.defineClass({ name: 'P' }));
    for (let i = 0; i < 40; i++) py.setattr(p, `a${i}`, py.None);
    return py.dictOf(p);
  },
);
for (const slots of [[], ['a'], ['a', 'b', 'c']]) {
  const tuple = slots.length === 0 ? '()' : `(${slots.map((s) => `'${s}'`).join(', ')},)`;
  add(`instance with __slots__ ${tuple}`, `class S:\n    __slots__ = ${tuple}\nx = S()`, (py) => py.new(py.defineClass({ name: 'S', slots })));
}
add("instance with __slots__ ('a', '__weakref__')", "class S:\n    __slots__ = ('a', '__weakref__')\nx = S()", (py) =>
  py.new(py.defineClass({ name: 'S', slots: ['a'], weakrefSlot: true })),
);
add('instance of a class with __del__', 'class F:\n    def __del__(self):\n        pass\nx = F()', (py) =>
  py.new(py.defineClass({ name: 'F', finalizer: () => undefined })),
);

// ---------------------------------------------------------------- sets
add('set empty', 'x = set()', (py) => py.set());
add('frozenset empty', 'x = frozenset([])', (py) => py.frozenset());
for (const n of [1, 3, 4, 5, 10, 19, 20, 100, 1000]) {
  add(`set of ${n} ints by add`, `x = set()\nfor i in range(${n}):\n    x.add(1000 + i)`, (py) => {
    const s = py.set();
    for (let i = 0; i < n; i++) py.add(s, py.int(1000 + i));
    return s;
  });
  add(`frozenset of a list of ${n} strs`, `x = frozenset(['s%d' % i for i in range(${n})])`, (py) =>
    py.frozenset(Array.from({ length: n }, (_, i) => py.str(`s${i}`))),
  );
}
add('set grown then cleared', 'x = set(range(1000, 1100))\nx.clear()', (py) => {
  const s = py.set(Array.from({ length: 100 }, (_, i) => py.int(1000 + i)));
  py.clear(s);
  return s;
});
add('set grown then discarded', 'x = set()\nfor i in range(100):\n    x.add(1000 + i)\nfor i in range(95):\n    x.discard(1000 + i)', (py) => {
  const s = py.set();
  for (let i = 0; i < 100; i++) py.add(s, py.int(1000 + i));
  for (let i = 0; i < 95; i++) py.discard(s, py.int(1000 + i));
  return s;
});

// ---------------------------------------------------------------- functions, cells, generators, modules, weakrefs
add('function', 'def f():\n    pass\nx = f', (py) => py.function());
add('function with defaults', 'def f(a=1, b=2):\n    pass\nx = f', (py) => py.function({ defaults: py.tuple(py.int(1), py.int(2)) }));
const closureOf = (py: Python, n: number): Ref => py.closure(Array.from({ length: n }, (_, i) => py.int(1000 + i)));
const referents = (py: Python, x: Ref): Ref[] => py.gc.getReferents(x);
const closureTuple = (py: Python, f: Ref): Ref => referents(py, f).find((r) => py.typeName(r) === 'tuple')!;
const outer = 'def outer(y, z):\n    def inner():\n        return y, z\n    return inner';
add('closure', `${outer}\nx = outer(1000, 1001)`, (py) => closureOf(py, 2));
add('closure tuple of two cells', `${outer}\nx = outer(1000, 1001).__closure__`, (py) => {
  const f = closureOf(py, 2);
  return closureTuple(py, f);
});
add('closure cell', `${outer}\nx = outer(1000, 1001).__closure__[0]`, (py) => {
  const f = closureOf(py, 2);
  return referents(py, closureTuple(py, f))[0];
});
for (let n = 0; n <= 3; n++) {
  const params = Array.from({ length: n }, (_, i) => `a${i}`);
  add(`generator with ${n} locals`, `def g(${params.join(', ')}):\n    yield\nx = g(${params.map(() => 'None').join(', ')})`, (py) =>
    py.generator(Array.from({ length: n }, () => py.None)),
  );
  // 3.8/3.9: the generator's frame is an object of its own (3.11 makes one only when asked for gi_frame).
  add(
    `the frame of a generator with ${n} locals`,
    `def g(${params.join(', ')}):\n    yield\nx = g(${params.map(() => 'None').join(', ')}).gi_frame`,
    (py) => py.gc.getReferents(py.generator(Array.from({ length: n }, () => py.None)))[0],
    ['3.9', '3.8'],
  );
}
add('module object', "import types\nx = types.ModuleType('m' * 3)", (py) => py.moduleObject(py.strOfLength(3)));
add('imported module', "import types\nx = types.ModuleType('app')", (py) => py.module('app'));
add('module __dict__', "import types\nx = types.ModuleType('app').__dict__", (py) => py.globalsOf(py.module('app')));
for (const n of [1, 4, 20]) {
  add(`module __dict__ with ${n} globals`, `import types\nm = types.ModuleType('app')\nfor i in range(${n}):\n    setattr(m, 'g%d' % i, None)\nx = m.__dict__`, (py) => {
    const m = py.module('app');
    for (let i = 0; i < n; i++) py.setglobal(m, `g${i}`, py.None);
    return py.globalsOf(m);
  });
}
add('weakref', `import weakref\n${plainClass}\np = P()\nx = weakref.ref(p)`, (py) => py.weakref(py.new(py.defineClass({ name: 'P' }))));
add('weakref with a callback', `import weakref\n${plainClass}\np = P()\nx = weakref.ref(p, lambda r: None)`, (py) =>
  py.weakref(py.new(py.defineClass({ name: 'P' })), () => undefined),
);

function pythonScript(versionCases: readonly SizeCase[]): string {
  let script = 'import sys, json\nout = []\n';
  versionCases.forEach((c, i) => {
    script += `def case_${i}():\n${indentPython(c.python)}\n    return sys.getsizeof(x)\nout.append(case_${i}())\n`;
  });
  return `${script}print(json.dumps(out))\n`;
}

function simulated(c: SizeCase, version: PythonVersion): number {
  const py = new Python({ heap: { profile: version, arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } });
  let size = -1;
  py.call(() => {
    size = py.sys.getsizeof(c.build(py));
  });
  return size;
}

for (const version of VERSIONS) {
  const available = pythonFor(version) !== null;
  const versionCases = cases.filter((c) => c.versions === undefined || c.versions.includes(version));
  describe.skipIf(!available)(`sys.getsizeof matches CPython ${version} (needs python${version})`, () => {
    const expected = available ? runPython<number[]>(pythonScript(versionCases), version).result : [];
    it('has one CPython figure per case', () => {
      expect(expected).toHaveLength(versionCases.length);
    });
    versionCases.forEach((c, i) => {
      it(c.name, () => {
        expect(simulated(c, version)).toBe(expected[i]);
      });
    });
  });
}
