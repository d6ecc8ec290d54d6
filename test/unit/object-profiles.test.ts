/** The object model is CPython 3.11's: other heap profiles are refused with a clear error. */
import { describe, expect, it } from 'vitest';
import { PyheapError } from '../../src/errors.js';
import { Heap } from '../../src/heap/allocator.js';
import { Python } from '../../src/objects/api.js';

describe('object model profiles', () => {
  it('runs on a 3.11 heap', () => {
    expect(new Python({ heap: { profile: '3.11', arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 } }).heap.profile.name).toBe('3.11');
  });

  for (const profile of ['3.9', '3.8', '3.7'] as const) {
    it(`refuses a ${profile} heap, naming the profile`, () => {
      const heap = new Heap({ profile, arenaCapacityBytes: 64 << 20, rawCapacityBytes: 64 << 20 });
      let error: unknown;
      try {
        new Python({ heap });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PyheapError);
      expect((error as PyheapError).code).toBe('PYHEAP_E_OBJECT_USAGE');
      expect((error as Error).message).toContain(`profile ${profile}`);
    });
  }
});
