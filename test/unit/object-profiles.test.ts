/**
 * The object model runs on heaps of the 3.11, 3.9 and 3.8 profiles, each with
 * its version's objects (what each allocates is checked against the real
 * interpreters in test/oracle/); the 3.7 profile, whose objects pyheap has not
 * measured, is refused with a clear error.
 */
import { describe, expect, it } from 'vitest';
import { PyheapError } from '../../src/errors.js';
import { Heap } from '../../src/heap/allocator.js';
import { Python } from '../../src/objects/api.js';

const heapOptions = { arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 };

describe('object model profiles', () => {
  for (const profile of ['3.11', '3.9', '3.8'] as const) {
    it(`runs on a ${profile} heap with ${profile}'s objects`, () => {
      const py = new Python({ heap: { profile, ...heapOptions } });
      expect(py.heap.profile.name).toBe(profile);
      expect(py.space.version.name).toBe(profile);
      expect(py.space.frameObjects).toBe(profile !== '3.11');
      // A little of everything, then a full collection: every object and frame goes back.
      const User = py.defineClass({ name: 'User' });
      const before = py.heap.mallocStats().sizeClasses.reduce((sum, c) => sum + c.blocksInUse, 0);
      py.call(() => {
        const users = py.list();
        for (let i = 0; i < 50; i++) {
          const u = py.new(User, { id: py.int(1000 + i), tags: py.list(), meta: py.dict([['k', py.str('v')]]) });
          py.append(users, u);
          py.setattr(u, 'self', u);
        }
        py.generator([users]);
        py.closure([users]);
      });
      py.gc.collect();
      const after = py.heap.mallocStats().sizeClasses.reduce((sum, c) => sum + c.blocksInUse, 0);
      // 3.8/3.9 keep a frame for each code object that ran (co_zombieframe): the call's, User.__init__'s, the generator's.
      expect(after - before).toBe(profile === '3.11' ? 0 : 3);
    });
  }

  it('checks a code shape, and refuses a code or call site of another process', () => {
    const py = new Python({ heap: { profile: '3.9', ...heapOptions } });
    const other = new Python({ heap: { profile: '3.9', ...heapOptions } });
    expect(() => py.code({ nlocals: -1, stacksize: 2 })).toThrow(/nlocals must be an integer >= 0/);
    expect(() => py.code({ nlocals: 1 } as never)).toThrow(/stacksize must be an integer >= 0/);
    expect(() => py.code({ nlocals: 1, stacksize: 1, ncells: 0.5 })).toThrow(/ncells/);
    const code = other.code({ nlocals: 1, stacksize: 1 });
    expect(() => py.call(() => undefined, code)).toThrow(/another Python/);
    expect(() => py.generator([], code)).toThrow(/another Python/);
    const small = py.code({ nlocals: 1, stacksize: 1 });
    py.call(() => {
      expect(() => py.generator([py.None, py.None], small)).toThrow(/room for 1/);
    });
  });

  it('refuses a 3.7 heap, naming the profile and the ones it takes', () => {
    const heap = new Heap({ profile: '3.7', ...heapOptions });
    let error: unknown;
    try {
      new Python({ heap });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PyheapError);
    expect((error as PyheapError).code).toBe('PYHEAP_E_OBJECT_USAGE');
    expect((error as Error).message).toContain('profile 3.7');
    expect((error as Error).message).toContain('3.11, 3.9, 3.8');
  });
});
