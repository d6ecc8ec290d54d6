/**
 * An operating-system resource with a finalizer: an open file (io.FileIO, 64
 * bytes with the GC head) or a socket (socket.socket, 88 bytes). Both have
 * tp_finalize: dropped while still open, they close themselves and warn
 * (ResourceWarning) -- from deallocation when the last reference goes, or from
 * the collector when they sit in unreachable cycles. pyheap counts those
 * warnings; the descriptor itself is not modelled.
 *
 *   h+2 open (1) or closed (0)   h+3 the simulated descriptor number   h+4 weakref list
 */
import type { ObjectSpace } from '../object-space.js';
import { T_FILE, T_SOCKET } from '../type-table.js';
import * as instance from './instance.js';
import * as weakref from './weakref.js';

const OPEN = 2;
const FD = 3;
export const WEAKREFLIST = 4;

export function newResource(space: ObjectSpace, kind: 'file' | 'socket', fd: number): number {
  const type = kind === 'file' ? T_FILE : T_SOCKET;
  const h = space.gcNew(type, space.types.basicSizeBytes[type]);
  const m = space.mem;
  m.fill(0, h + 2, h + (space.types.basicSizeBytes[type] >> 2));
  m[h + OPEN] = 1;
  m[h + FD] = fd;
  space.track(h);
  return h;
}

export function isOpen(space: ObjectSpace, h: number): boolean {
  return space.mem[h + OPEN] !== 0;
}

/** close(): no warning. */
export function close(space: ObjectSpace, h: number): void {
  space.mem[h + OPEN] = 0;
}

/** iobase_finalize / sock_finalize: an unclosed resource is closed with a ResourceWarning. */
export function finalize(space: ObjectSpace, h: number): void {
  if (space.mem[h + OPEN] !== 0) {
    space.mem[h + OPEN] = 0;
    space.resourceWarnings++;
  }
}

/** fileio_dealloc / sock_dealloc: finalizer first (from dealloc), then weakrefs, then free. */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  if (instance.callFinalizerFromDealloc(space, h)) return;
  space.untrack(h);
  if (m[h + WEAKREFLIST] !== 0) weakref.clearWeakRefs(space, h, h + WEAKREFLIST);
  space.gcDel(h);
}

export function sizeOf(space: ObjectSpace, h: number): number {
  return 16 + space.types.basicSizeBytes[space.mem[h + 1]];
}
