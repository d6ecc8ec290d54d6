/**
 * float (Objects/floatobject.c, 3.11): a 24-byte object with a free list of
 * up to PyFloat_MAXFREELIST (100) dead floats, linked through their ob_type
 * word, newest first; full collections empty it.
 *
 *   h+2..3  the value (float64)
 */
import { OB_TYPE } from '../header.js';
import type { ObjectSpace } from '../object-space.js';
import { FLOAT_FREE_HEAD, FLOAT_MAXFREELIST, FLOAT_NUMFREE } from '../static-area.js';
import { T_FLOAT } from '../type-table.js';

export const VALUE = 2;
const SIZE_BYTES = 24;

/** PyFloat_FromDouble */
export function fromNumber(space: ObjectSpace, value: number): number {
  const m = space.mem;
  const b = space.staticBase;
  let h = m[b + FLOAT_FREE_HEAD];
  if (h !== 0) {
    m[b + FLOAT_FREE_HEAD] = m[h + OB_TYPE];
    m[b + FLOAT_NUMFREE]--;
    m[h + OB_TYPE] = T_FLOAT;
    space.newReference(h);
  } else {
    h = space.newObject(T_FLOAT, SIZE_BYTES);
  }
  space.f64[(h + VALUE) >> 1] = value;
  return h;
}

/** float_dealloc → _PyFloat_ExactDealloc */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const b = space.staticBase;
  if (m[b + FLOAT_NUMFREE] >= FLOAT_MAXFREELIST) {
    space.del(h);
    return;
  }
  m[b + FLOAT_NUMFREE]++;
  m[h + OB_TYPE] = m[b + FLOAT_FREE_HEAD];
  m[b + FLOAT_FREE_HEAD] = h;
}

/** _PyFloat_ClearFreeList */
export function clearFreeList(space: ObjectSpace): void {
  const m = space.mem;
  const b = space.staticBase;
  let h = m[b + FLOAT_FREE_HEAD];
  while (h !== 0) {
    const next = m[h + OB_TYPE];
    space.del(h);
    h = next;
  }
  m[b + FLOAT_FREE_HEAD] = 0;
  m[b + FLOAT_NUMFREE] = 0;
}

export function hash(space: ObjectSpace, h: number): number {
  const v = space.f64[(h + VALUE) >> 1];
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) return v === -1 ? -2 : v | 0;
  const bits = new Float64Array([v]);
  const words = new Int32Array(bits.buffer);
  const mixed = Math.imul(words[0] ^ words[1], 0x9e3779b1);
  return mixed === -1 ? -2 : mixed;
}
