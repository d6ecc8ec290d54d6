/**
 * bytes (Objects/bytesobject.c, 3.11): PyBytesObject_SIZE (33) + n bytes in
 * one block; b'' and the 256 one-byte objects are static.
 *
 *   h+2 length   h+3 hash   h+4 hashed flag   bytes from word h+5
 */
import type { ObjectSpace } from '../object-space.js';
import { T_BYTES } from '../type-table.js';

export const LENGTH = 2;
const HASH = 3;
const HASHED = 4;
const DATA = 5;
/** PyBytesObject_SIZE: offsetof(ob_sval) + 1 for the trailing NUL. */
const HEADER_BYTES = 33;

export function initStatic(space: ObjectSpace, h: number, code: number): void {
  space.mem[h + LENGTH] = code < 0 ? 0 : 1;
  if (code >= 0) space.u8[(h + DATA) * 4] = code;
}

/** bytes(n): zeroed, `_PyBytes_FromSize(n, use_calloc=1)`; only n == 0 is shared. */
export function zeroed(space: ObjectSpace, n: number): number {
  if (n === 0) {
    space.incref(space.emptyBytes);
    return space.emptyBytes;
  }
  const h = space.objectCalloc(1, HEADER_BYTES + n);
  init(space, h, n);
  return h;
}

/** PyBytes_FromStringAndSize: b'' and one-byte values are shared. */
export function fromData(space: ObjectSpace, data: Uint8Array): number {
  const n = data.length;
  if (n === 0) {
    space.incref(space.emptyBytes);
    return space.emptyBytes;
  }
  if (n === 1) {
    const h = space.byteChar(data[0]);
    space.incref(h);
    return h;
  }
  const h = space.objectMalloc(HEADER_BYTES + n);
  init(space, h, n);
  space.u8.set(data, (h + DATA) * 4);
  return h;
}

function init(space: ObjectSpace, h: number, n: number): void {
  const m = space.mem;
  m[h] = 1;
  m[h + 1] = T_BYTES;
  m[h + LENGTH] = n;
  m[h + HASH] = 0;
  m[h + HASHED] = 0;
  space.allocations++;
}

export function sizeOf(space: ObjectSpace, h: number): number {
  return HEADER_BYTES + space.mem[h + LENGTH];
}

export function dealloc(space: ObjectSpace, h: number): void {
  space.del(h);
}

export function hash(space: ObjectSpace, h: number): number {
  const m = space.mem;
  if (m[h + HASHED] !== 0) return m[h + HASH];
  const n = m[h + LENGTH];
  const base = (h + DATA) * 4;
  let x = 0x811c9dc5 | 0;
  for (let i = 0; i < n; i++) x = Math.imul(x ^ space.u8[base + i], 0x01000193);
  if (x === -1) x = -2;
  m[h + HASH] = x;
  m[h + HASHED] = 1;
  return x;
}

export function equals(space: ObjectSpace, a: number, b: number): boolean {
  const n = space.mem[a + LENGTH];
  if (n !== space.mem[b + LENGTH]) return false;
  const pa = (a + DATA) * 4;
  const pb = (b + DATA) * 4;
  for (let i = 0; i < n; i++) if (space.u8[pa + i] !== space.u8[pb + i]) return false;
  return true;
}
