/**
 * Objects placed past the first 2 GiB of the heap's buffer (the raw region of
 * a default-sized heap): byte and 16-bit views are indexed from word
 * addresses without 32-bit overflow.
 */
import { describe, expect, it } from 'vitest';
import { Python } from '../../src/objects/api.js';

describe('objects at high addresses in a default-sized heap', () => {
  const py = new Python();

  it('a dict large enough for 16-bit indices lives in the raw region and keeps every key', () => {
    py.call(() => {
      const d = py.dict();
      for (let i = 0; i < 1000; i++) {
        py.call(() => {
          py.setitem(d, py.int(i * 1000), py.int(i));
        });
      }
      expect(py.space.mem[d + 3] * 4).toBeGreaterThan(2 ** 31);
      expect(py.len(d)).toBe(1000);
      for (let i = 0; i < 1000; i += 37) expect(py.number(py.getitem(d, py.int(i * 1000)))).toBe(i);
    });
  });

  it('a UCS-2 string in the raw region reads back what was written', () => {
    py.call(() => {
      const text = '\u4e2d\u6587'.repeat(400);
      const s = py.str(text);
      expect(s * 4).toBeGreaterThan(2 ** 31);
      expect(py.text(s)).toBe(text);
    });
  });
});
