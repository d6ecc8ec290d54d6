/**
 * Generators (Objects/genobject.c; 3.11 first, 3.8 and 3.9 below): the
 * generator object embeds its frame, so its size grows with the frame's locals: 176 bytes (GC head
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
 * In 3.8 and 3.9 a generator is a 112-byte object (GC head included) that
 * holds a frame object of its own (frame.ts): calling a generator function
 * makes the frame as any call does -- from the code's zombie frame, the free
 * list, or a new block -- then the generator, and both are tracked. The
 * frame keeps the locals. It is released (frame_dealloc) when the generator
 * runs to its end, or when it is closed: the finalizer of one that has not
 * finished throws GeneratorExit into it, which makes a traceback holding the
 * frame; the traceback's death releases the frame, then the traceback is
 * freed. The collector can break a cycle through such a frame itself: frames
 * have tp_clear.
 *
 *   3.11      h+2 number of locals   h+3 weakref list   h+4 frame state   h+5.. the frame's locals
 *   3.8/3.9   h+2 gi_frame (0 once released)   h+3 weakref list
 */
import type { ObjectSpace } from '../object-space.js';
import { T_GENERATOR } from '../type-table.js';
import * as frame from './frame.js';
import * as instance from './instance.js';
import * as weakref from './weakref.js';

const NLOCALS = 2;
/** 3.8/3.9: gi_frame. */
const FRAME = 2;
export const WEAKREFLIST = 3;
const FRAME_STATE = 4;
const LOCALS = 5;
/**
 * 3.11: the frame object a traceback needs (_PyFrame_New_NoTrack): sizeof(PyFrameObject)
 * plus (co_nlocalsplus + co_stacksize + FRAME_SPECIALS_SIZE) pointers, GC head
 * included: 144 bytes for a generator function without locals.
 */
const FRAME_OBJECT_BYTES = 144;
/** PyTracebackObject with its GC head (Python/traceback.c, tb_create_raw). */
const TRACEBACK_BYTES = 56;

/** PyFrameState (Include/internal/pycore_frame.h), the two states that matter here. */
const FRAME_SUSPENDED = 0;
const FRAME_CLEARED = 1;

/**
 * A generator object holding these locals (new references taken here). 3.8/3.9:
 * `code` is the generator function's code (frame.ts), whose frame takes the locals
 * (_PyEval_EvalCodeWithName, then PyGen_NewWithQualName).
 */
export function newGenerator(space: ObjectSpace, locals: ArrayLike<number>, code: number): number {
  if (space.frameObjects) return newGeneratorWithFrame(space, locals, code);
  const h = space.gcNew(T_GENERATOR, space.types.basicSizeBytes[T_GENERATOR] + 8 * locals.length);
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

function newGeneratorWithFrame(space: ObjectSpace, locals: ArrayLike<number>, code: number): number {
  const f = frame.newFrame(space, code);
  frame.setLocals(space, f, locals);
  const h = space.gcNew(T_GENERATOR, space.types.basicSizeBytes[T_GENERATOR]);
  const m = space.mem;
  m[h + FRAME] = f;
  m[h + WEAKREFLIST] = 0;
  space.track(h);
  space.track(f);
  return h;
}

/** sys.getsizeof: 3.11, with the embedded frame's locals; 3.8/3.9, the generator object alone. */
export function sizeOf(space: ObjectSpace, h: number): number {
  const basic = space.types.basicSizeBytes[T_GENERATOR];
  return space.frameObjects ? 16 + basic : 16 + basic + 8 * space.mem[h + NLOCALS];
}

/** The generator cannot run again: its frame returned, was closed or (3.8/3.9) cleared by the collector. */
export function isFinished(space: ObjectSpace, h: number): boolean {
  if (space.frameObjects) return space.mem[h + FRAME] === 0 || frame.isDefunct(space, space.mem[h + FRAME]);
  return space.mem[h + FRAME_STATE] === FRAME_CLEARED;
}

/** 3.8/3.9 gen_send_ex, when the frame is done: gi_frame = NULL, and the generator's reference to it dropped. */
function releaseFrame(space: ObjectSpace, h: number): void {
  space.clearReferences(h + FRAME, 1);
}

/** The generator runs to its end: the frame returns and its locals are released (no close needed later). */
export function exhaust(space: ObjectSpace, h: number): void {
  if (space.frameObjects) {
    releaseFrame(space, h);
    return;
  }
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
  if (space.frameObjects) {
    releaseFrame(space, h);
  } else if (m[h + FRAME_STATE] !== FRAME_CLEARED) {
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
  if (space.frameObjects) {
    closeFrame(space, h);
    return;
  }
  if (m[h + FRAME_STATE] === FRAME_CLEARED) return;
  const frameObject = space.gcLinkedBlock(FRAME_OBJECT_BYTES + 8 * m[h + NLOCALS]);
  const traceback = space.gcLinkedBlock(TRACEBACK_BYTES);
  m[h + FRAME_STATE] = FRAME_CLEARED;
  // tb_dealloc: Py_XDECREF(tb_frame) -> frame_dealloc clears the locals it owns and frees itself; then the traceback.
  clearLocals(space, h);
  space.freeGcLinkedBlock(frameObject);
  space.freeGcLinkedBlock(traceback);
}

/**
 * 3.8/3.9 _PyGen_Finalize -> gen_close of a generator whose frame can still
 * run (not released, not cleared by the collector): the traceback of the
 * GeneratorExit holds the frame while the generator lets it go; clearing the
 * exception frees the traceback, whose death releases the frame first.
 */
function closeFrame(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const f = m[h + FRAME];
  if (f === 0 || frame.isDefunct(space, f)) return;
  const traceback = space.gcLinkedBlock(TRACEBACK_BYTES);
  m[h + FRAME] = 0;
  // tb_dealloc (Python/traceback.c) opens a trashcan level, then drops tb_frame.
  space.trashEnter();
  space.decref(f);
  space.freeGcLinkedBlock(traceback);
  space.trashEnd();
}

/** _PyFrame_Clear of the embedded frame: locals decref'd in order. */
function clearLocals(space: ObjectSpace, h: number): void {
  space.clearReferences(h + LOCALS, space.mem[h + NLOCALS]);
}

/** gen_traverse: the frame (3.8/3.9; and gi_code, gi_name, gi_qualname, not simulated) or the embedded frame's locals. */
export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  if (space.frameObjects) {
    space.ensureScratch(1);
    const count = space.pushReferent(0, m[h + FRAME]);
    space.lastVisited += 3;
    return count;
  }
  if (m[h + FRAME_STATE] === FRAME_CLEARED) return 0;
  const n = m[h + NLOCALS];
  space.ensureScratch(n);
  return space.pushReferents(0, h + LOCALS, n, 1);
}
