/**
 * The order in which a deep structure's blocks are freed, against CPython
 * 3.11, 3.9 and 3.8 call for call (test/support/alloc-oracle.ts). Past 50
 * nested deallocations CPython's trashcan (Py_TRASHCAN_BEGIN,
 * _PyTrash_UNWIND_LEVEL) defers objects to a chain destroyed as the nesting
 * unwinds, so the frees of a chain deeper than that come in a distinctive
 * order, and the free lists (80 lists, 80 dicts) take the first objects to
 * die. In 3.8/3.9 the locals die inside frame_dealloc, one trashcan level
 * deep, so the deferral starts one object earlier.
 */
import { describe, expect, it } from 'vitest';
import type { Python, Ref } from '../../src/objects/api.js';
import { ORACLE_VERSIONS, type OracleCase, recordInCPython, recorderFor, runInSimulation } from '../support/alloc-oracle.js';

/** `x = <wrap x>` `depth` times from `x = <leaf>`; the chain dies with the frame. */
function chain(name: string, depth: number, leaf: string, wrap: string, make: (py: Python, x: Ref) => Ref, start: (py: Python) => Ref): OracleCase {
  return {
    name,
    body: `x = ${leaf}\ni = 0\nwhile i < ${depth}:\n    ${wrap}\n    i += 1`,
    run: (py) => {
      let x = start(py);
      for (let i = 0; i < depth; i++) {
        const outer = make(py, x);
        py.del(x);
        x = outer;
      }
    },
  };
}

let nodeClass = 0;
const listOf = (py: Python, x: Ref): Ref => py.list([x]);
const nones = (py: Python): Ref[] => Array.from({ length: 20 }, () => py.None);

const cases: OracleCase[] = [
  chain('list chain of 120', 120, '[]', 'x = [x]', listOf, (py) => py.list()),
  chain('list chain of 50 (no deferral)', 50, '[]', 'x = [x]', listOf, (py) => py.list()),
  chain('list chain of 51', 51, '[]', 'x = [x]', listOf, (py) => py.list()),
  chain('list chain of 200', 200, '[]', 'x = [x]', listOf, (py) => py.list()),
  chain('dict chain of 120', 120, '{}', "x = {'n': x}", (py, x) => py.dict([['n', x]]), (py) => py.dict()),
  chain(
    '21-tuple chain of 120 (too long for the free lists)',
    120,
    '()',
    `x = (x, ${Array.from({ length: 20 }, () => 'None').join(', ')})`,
    (py, x) => py.tuple(x, ...nones(py)),
    (py) => py.tuple(),
  ),
  {
    name: 'instance chain of 120',
    setup: 'class N:\n    pass\n',
    body: 'x = None\ni = 0\nwhile i < 120:\n    o = N()\n    o.next = x\n    x = o\n    del o\n    i += 1',
    prepare: (py) => {
      nodeClass = py.defineClass({ name: 'N' });
      return [];
    },
    run: (py) => {
      let x = 0;
      for (let i = 0; i < 120; i++) {
        const o = py.new(nodeClass);
        py.setattr(o, 'next', x === 0 ? py.None : x);
        if (x !== 0) py.del(x);
        x = o;
      }
    },
  },
];

for (const version of ORACLE_VERSIONS) {
  const recorder = recorderFor(version);
  describe.skipIf(recorder === null)(`deep structures are freed in CPython ${version} order (needs tools/pytrace/build/pytrace-${version}: tools/pytrace/build.sh python${version})`, () => {
    const recorded = recorder === null ? null : recordInCPython(cases, version);
    for (const c of cases) {
      it(c.name, () => {
        const expected = recorded!.calls.get(c.name);
        expect(expected, 'CPython recorded the case').toBeDefined();
        expect(expected!.filter((e) => e.startsWith('f')).length, 'the window frees blocks').toBeGreaterThan(0);
        expect(runInSimulation(c, version, recorded!.codes.get(c.name))).toEqual(expected);
      });
    }
  });
}
