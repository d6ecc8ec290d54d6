/**
 * int (Objects/longobject.c, 3.11; 3.8/3.9 where marked): 30-bit digits
 * after a 24-byte header. Values -5..256 are the static small-int cache;
 * |v| < 2^30 is a "medium" int, made by _PyLong_FromMedium as a whole
 * PyLongObject (32 bytes, one digit; 3.8/3.9: _PyLong_New(1), 28 bytes);
 * larger values by _PyLong_New(ndigits): 24 + 4 * ndigits bytes. This
 * is PyLong_FromLong's path; arithmetic can allocate one digit more
 * (x_add), and int(str) one word less for medium values.
 *
 *   h+2..3  the value (float64; exact below 2^53)   h+4  ndigits
 */
import type { ObjectSpace } from '../object-space.js';
import { T_INT } from '../type-table.js';

export const VALUE = 2;
export const NDIGITS = 4;
/** PyLong_SHIFT */
const SHIFT = 30;
/** offsetof(PyLongObject, ob_digit) */
const HEADER_BYTES = 24;

export function digitsFor(value: number): number {
  let magnitude = Math.abs(value);
  let digits = 0;
  while (magnitude >= 1) {
    magnitude = Math.floor(magnitude / 2 ** SHIFT);
    digits++;
  }
  return Math.max(1, digits);
}

export function initValue(space: ObjectSpace, h: number, value: number): void {
  space.f64[(h + VALUE) >> 1] = value;
  space.mem[h + NDIGITS] = value === 0 ? 0 : digitsFor(value);
}

/** PyLong_FromLong / PyLong_FromDouble (the value's integer part). */
export function fromNumber(space: ObjectSpace, value: number): number {
  const v = Math.trunc(value);
  const small = space.smallInt(v);
  if (small !== 0) {
    space.incref(small);
    return small;
  }
  const digits = digitsFor(v);
  const h = space.newObject(T_INT, digits === 1 ? space.mediumIntBytes : HEADER_BYTES + 4 * digits);
  initValue(space, h, v);
  return h;
}

export function value(space: ObjectSpace, h: number): number {
  return space.f64[(h + VALUE) >> 1];
}

/** sys.getsizeof: offsetof(ob_digit) + 4 × ndigits, at least one digit in 3.11 (0 has none). */
export function sizeOf(space: ObjectSpace, h: number): number {
  return sizeOfDigits(space, space.mem[h + NDIGITS]);
}

export function sizeOfDigits(space: ObjectSpace, ndigits: number): number {
  return HEADER_BYTES + 4 * Math.max(space.version.intSizeOfMinDigits, ndigits);
}

/** long_dealloc: tp_free. */
export function dealloc(space: ObjectSpace, h: number): void {
  space.del(h);
}

/** Integers hash to themselves (folded to 32 bits here); -1 becomes -2 as in CPython. */
export function hash(space: ObjectSpace, h: number): number {
  const v = value(space, h);
  const folded = Math.abs(v) < 2 ** 31 ? v | 0 : (v % 4294967291) | 0;
  return folded === -1 ? -2 : folded;
}
