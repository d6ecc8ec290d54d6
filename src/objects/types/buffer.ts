/**
 * A large data buffer: the stand-in for a NumPy array or a pandas column. The
 * array object is a 112-byte block (ndarray's basic size, not a GC type);
 * its data is a separate block from the C allocator directly (NumPy's
 * PyDataMem_NEW calls malloc, not PyMem), so it is a raw-allocator block of
 * any size -- mmapped when large. `touched`: whether the data has been written
 * (np.zeros / np.empty leave fresh pages untouched, so not resident).
 *
 *   h+2 data pointer (raw block)   h+3..4 the data's size in bytes (float64)
 */
import type { ObjectSpace } from '../object-space.js';
import { T_BUFFER } from '../type-table.js';

const DATA = 2;
const NBYTES = 4;
const OBJECT_BYTES = 112;

export function newBuffer(space: ObjectSpace, nbytes: number, touched: boolean): number {
  const h = space.newObject(T_BUFFER, OBJECT_BYTES);
  const m = space.mem;
  const raw = space.heap.raw;
  const size = Math.max(1, nbytes);
  const data = touched ? raw.malloc(size) : raw.calloc(1, size, true);
  if (space.tracer !== null) space.tracer.onAlloc(data, size);
  m[h + DATA] = data;
  space.f64[(h + NBYTES) >> 1] = nbytes;
  return h;
}

export function nbytes(space: ObjectSpace, h: number): number {
  return space.f64[(h + NBYTES) >> 1];
}

/** Writes the data (all its pages become resident). */
export function touch(space: ObjectSpace, h: number): void {
  space.heap.raw.touch(space.mem[h + DATA]);
}

/** sys.getsizeof of an ndarray that owns its data: the object and the data. */
export function sizeOf(space: ObjectSpace, h: number): number {
  return OBJECT_BYTES + nbytes(space, h);
}

export function dealloc(space: ObjectSpace, h: number): void {
  const data = space.mem[h + DATA];
  if (space.tracer !== null) space.tracer.onFree(data);
  space.heap.raw.free(data);
  space.del(h);
}
