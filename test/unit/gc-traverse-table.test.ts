/**
 * The collector walks tuples, lists and instances with inline values itself,
 * from the object model's traversal table (GcObjectModel.traverseKinds), not
 * through referents(): for every such object the table must name the same
 * references, in the same order, and count the same visits.
 */
import { describe, expect, it } from 'vitest';
import { TRAVERSE_ARRAY, TRAVERSE_CALL, TRAVERSE_INLINE, TRAVERSE_KIND_MASK, TRAVERSE_VALUES } from '../../src/gc/collector.js';
import { Python, type Ref } from '../../src/objects/api.js';

/** What the collector reads from the table: the references (non-NULL) and the visit count. */
function fromTable(py: Python, h: Ref): { refs: number[]; visited: number } | null {
  const space = py.space;
  const m = space.mem;
  const type = m[h + 1];
  const how = space.traverseKinds[type] & TRAVERSE_KIND_MASK;
  if (how === TRAVERSE_CALL) return null;
  const refs: number[] = [];
  if (how === TRAVERSE_INLINE || how === TRAVERSE_ARRAY) {
    const n = m[h + space.traverseCountOffsets[type]];
    const first = how === TRAVERSE_INLINE ? h + space.traverseStartOffsets[type] : m[h + space.traverseStartOffsets[type]];
    for (let p = first + n - 1; p >= first; p--) if (m[p] !== 0) refs.push(m[p]);
    return { refs, visited: n };
  }
  expect(how).toBe(TRAVERSE_VALUES);
  const values = m[h + space.traverseStartOffsets[type]];
  if (values === 0) return null;
  const n = m[space.traverseCountWords[type]];
  for (let p = values; p < values + n; p++) if (m[p] !== 0) refs.push(m[p]);
  return { refs, visited: n + 1 };
}

function fromReferents(py: Python, h: Ref): { refs: number[]; visited: number } {
  const n = py.space.referents(h);
  return { refs: Array.from(py.space.scratch.subarray(0, n)), visited: py.space.lastVisited };
}

describe('the collector traversal table', () => {
  it('names what referents() names, in order, for tuples, lists and instances', () => {
    const py = new Python();
    const P = py.defineClass({ name: 'P' });
    const Q = py.defineClass({ name: 'Q' });
    py.call(() => {
      const a = py.list();
      const b = py.dict([['k', py.int(1)]]);
      const objects: Ref[] = [
        py.tuple(a, b, py.int(7), py.None),
        py.tuple(a),
        py.list([a, b, py.str('s'), py.tuple(a, b)]),
        py.list(),
        py.new(P, { x: a, y: py.int(2), z: b }),
        py.new(P, { x: py.None }),
        py.new(Q, {}),
      ];
      const growing = py.list();
      for (let i = 0; i < 50; i++) py.append(growing, i % 2 === 0 ? a : b);
      objects.push(growing);
      const withDict = py.new(Q, { x: a });
      py.dictOf(withDict); // the values move into a dict: the collector must ask referents()
      objects.push(withDict);
      let fromTableCount = 0;
      for (const h of objects) {
        const table = fromTable(py, h);
        if (table === null) continue;
        fromTableCount++;
        expect(table).toEqual(fromReferents(py, h));
      }
      expect(fromTableCount).toBe(objects.length - 1);
      expect(fromTable(py, withDict)).toBeNull();
    });
  });
});
