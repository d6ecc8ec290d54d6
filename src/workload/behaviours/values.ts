/**
 * The objects behaviours store (cache values, leaked objects, captured
 * data): a str, bytes, a dict of str keys, a list of ints or a class
 * instance, sized by a drawn number (characters, bytes, entries, items).
 */
import { z } from 'zod';
import type { Python, Ref } from '../../objects/api.js';

export const valueKindSchema = z
  .enum(['str', 'bytes', 'dict', 'list', 'instance'])
  .describe('str: size in characters; bytes: in bytes; dict: entries (str keys, int values); list: int items; instance: attributes');

export type ValueKind = z.infer<typeof valueKindSchema>;

/** Field names for dict keys and instance attributes: interned identifiers, as in source code. */
const FIELD_NAMES = Array.from({ length: 64 }, (_, i) => `field_${i}`);

/** A new object of this kind and size, a local of the current frame. */
export function makeValue(py: Python, kind: ValueKind, size: number, cls: number): Ref {
  switch (kind) {
    case 'str':
      return py.strOfLength(size);
    case 'bytes':
      return py.bytes(size);
    case 'dict': {
      const d = py.dict();
      for (let i = 0; i < size; i++) {
        const v = py.int(1_000 + i);
        py.setitem(d, FIELD_NAMES[i % FIELD_NAMES.length] + (i >= FIELD_NAMES.length ? `_${i}` : ''), v);
        py.del(v);
      }
      return d;
    }
    case 'list': {
      const l = py.list();
      for (let i = 0; i < size; i++) {
        const v = py.int(1_000 + i);
        py.append(l, v);
        py.del(v);
      }
      return l;
    }
    case 'instance': {
      const o = py.new(cls);
      for (let i = 0; i < size; i++) {
        const v = py.int(1_000 + i);
        py.setattr(o, FIELD_NAMES[i % FIELD_NAMES.length], v);
        py.del(v);
      }
      return o;
    }
  }
}
