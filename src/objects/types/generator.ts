/**
 * Generators (Objects/genobject.c, 3.11): the generator object embeds its
 * frame, so its size grows with the frame's locals: 176 bytes (GC head
 * included) for a generator function without locals, 8 more per local.
 * Tracked at creation.
 *
 * A generator that has not run to its end -- never started, or suspended at a
 * `yield` -- is closed by its finalizer (_PyGen_Finalize -> gen_close):
 * GeneratorExit is raised into the frame, and unwinding it builds a traceback
 * (PyTraceBack_Here), which needs a frame object (_PyFrame_GetFrameObject).
 * When the frame is then cleared the frame object, still held by the
 * traceback, takes the locals over (take_ownership), and they are released
 * when the exception is cleared and the traceback, then the frame, die. That
 * is the only way the GC breaks a cycle through a generator's frame: the type
 * has tp_finalize and no tp_clear.
 *
 *   h+2 number of locals   h+3 weakref list   h+4 frame state   h+5.. the frame's locals
 */
import type { ObjectSpace } from '../object-space.js';
import { T_GENERATOR } from '../type-table.js';
import * as instance from './instance.js';
import * as weakref from './weakref.js';

const NLOCALS = 2;
export const WEAKREFLIST = 3;
const FRAME_STATE = 4;
const LOCALS = 5;
/** offsetof(PyGenObject, gi_iframe) + the frame's fixed part: 176 - 16 bytes. */
const BASIC_BYTES = 160;
/**
 * The frame object a traceback needs (_PyFrame_New_NoTrack): sizeof(PyFrameObject)
 * plus (co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE) pointers, GC head
 * included: 144 bytes for a generator function without locals.
 */
const FRAME_OBJECT_BYTES = 144;
/** PyTracebackObject with its GC head (Python/traceback.c, tb_create_raw). */
const TRACEBACK_BYTES = 56;

/** PyFrameState (Include/internal/pycore_frame.h), the two states that matter here. */
const FRAME_SUSPENDED = 0;
const FRAME_CLEARED = 1;

/** A generator object holding these locals (new references taken here). */
export function newGenerator(space: ObjectSpace, locals: ArrayLike<number>): number {
  const h = space.gcNew(T_GENERATOR, BASIC_BYTES + 8 * locals.length);
  const m = space.mem;
  m[h + NLOCALS] = locals.length;
  m[h + WEAKREFLIST] = 0;
  m[h + FRAME_STATE] = FRAME_SUSPENDED;
  for (let i = 0; i < locals.length; i++) {
    space.incref(locals[i]);
    m[h + LOCALS + i] = locals[i];
  }
  space.track(h);
  return h;
}

export function sizeOf(space: ObjectSpace, h: number): number {
  return 16 + BASIC_BYTES + 8 * space.mem[h + NLOCALS];
}

export function isFinished(space: ObjectSpace, h: number): boolean {
  return space.mem[h + FRAME_STATE] === FRAME_CLEARED;
}

/** The generator runs to its end: the frame returns and its locals are released (no close needed later). */
export function exhaust(space: ObjectSpace, h: number): void {
  if (space.mem[h + FRAME_STATE] === FRAME_CLEARED) return;
  space.mem[h + FRAME_STATE] = FRAME_CLEARED;
  clearLocals(space, h);
}

/** gen_dealloc: weakrefs, the finalizer (tracked while it runs), the frame's locals in order, free. */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  space.untrack(h);
  if (m[h + WEAKREFLIST] !== 0) weakref.clearWeakRefs(space, h, h + WEAKREFLIST);
  space.track(h);
  if (instance.callFinalizerFromDealloc(space, h)) return;
  space.untrack(h);
  if (m[h + FRAME_STATE] !== FRAME_CLEARED) {
    m[h + FRAME_STATE] = FRAME_CLEARED;
    clearLocals(space, h);
  }
  space.gcDel(h);
}

/**
 * _PyGen_Finalize -> gen_close of a generator that has not finished: the
 * frame object and the traceback of the GeneratorExit that unwinds it are
 * allocated (each counts in generation 0), the locals pass to the frame
 * object and die with it, then the traceback is freed.
 */
export function finalize(space: ObjectSpace, h: number): void {
  const m = space.mem;
  if (m[h + FRAME_STATE] === FRAME_CLEARED) return;
  const frameObject = space.gcLinkedBlock(FRAME_OBJECT_BYTES + 8 * m[h + NLOCALS]);
  const traceback = space.gcLinkedBlock(TRACEBACK_BYTES);
  m[h + FRAME_STATE] = FRAME_CLEARED;
  // tb_dealloc: Py_XDECREF(tb_frame) -> frame_dealloc clears the locals it owns and frees itself; then the traceback.
  clearLocals(space, h);
  space.freeGcLinkedBlock(frameObject);
  space.freeGcLinkedBlock(traceback);
}

/** _PyFrame_Clear of the embedded frame: locals decref'd in order. */
function clearLocals(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const n = m[h + NLOCALS];
  for (let i = 0; i < n; i++) {
    const v = m[h + LOCALS + i];
    if (v !== 0) {
      m[h + LOCALS + i] = 0;
      space.decref(v);
    }
  }
}

export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  if (m[h + FRAME_STATE] === FRAME_CLEARED) return 0;
  const n = m[h + NLOCALS];
  space.ensureScratch(n);
  return space.pushReferents(0, h + LOCALS, n, 1);
}
