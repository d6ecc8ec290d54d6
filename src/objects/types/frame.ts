/**
 * Frame objects of CPython 3.8 and 3.9 (Objects/frameobject.c): every Python
 * call runs in one. A frame is a GC object of 368 bytes plus 8 per slot
 * (its code's locals, cell and free variables and value stack: "extras"),
 * 16 more with the GC head, allocated when the call starts and released when
 * it returns. Where the frame comes from (_PyFrame_New_NoTrack):
 *
 *   1. the code object's zombie frame (co_zombieframe), if it is free: the
 *      frame its last call left -- so a function called again and again
 *      allocates its frame once;
 *   2. else the frame free list (up to PyFrame_MAXFREELIST = 200 dead frames
 *      of any code, newest first), grown by PyObject_GC_Resize (a realloc) if
 *      it has fewer slots than this code needs;
 *   3. else PyObject_GC_NewVar: a new block, counted in generation 0
 *      (gc_alloc may collect).
 *
 * A recursive or overlapping call of a function finds its zombie taken and
 * goes on to 2 or 3. Where a dead frame goes (frame_dealloc, the reverse): to
 * its code's zombie slot if empty, else to the free list if not full, else
 * PyObject_GC_Del. Only that last step and the free list's clearing at full
 * collections (PyFrame_ClearFreeList) give the generation-0 count back: a
 * frame taken from the zombie slot or the free list is not counted again.
 *
 * A call's frame is never tracked by the collector (it is tracked only if
 * something outlives the call holding it, which pyheap does not model); a
 * generator's frame is tracked with the generator and lives as long as it
 * runs (generator.ts). 3.11 has no frame object per call: its frames live on
 * the thread's data stack.
 *
 * Code objects are not simulated in the heap (as type objects are not): a
 * code is an id in the CodeTable, which keeps what a frame needs of it -- its
 * number of slots and its zombie frame.
 *
 *   f+2 ob_size (extras)   f+3 f_back: the free list's link   f+4 the code's id
 *   f+5 1 once defunct (f_stacktop NULL)   f+6 n   f+7.. the n locals a
 *   generator's frame holds (a call's locals are the API's, api.ts)
 */
import type { ObjectSpace } from '../object-space.js';
import * as staticArea from '../static-area.js';
import * as typeTable from '../type-table.js';

const { FRAME_FREE_HEAD, FRAME_MAXFREELIST, FRAME_NUMFREE } = staticArea;
const { T_FRAME } = typeTable;

const OB_SIZE = 2;
const F_BACK = 3;
const F_CODE = 4;
const F_DEFUNCT = 5;
const F_NLOCALS = 6;
const F_LOCALS = 7;
const GC_HEAD_BYTES = 16;
const POINTER_BYTES = 8;

/** The shape of a code object that decides its frame's size. */
export interface CodeShape {
  /** co_nlocals: parameters and local variables. */
  nlocals: number;
  /** co_stacksize: the deepest the value stack gets. */
  stacksize: number;
  /** len(co_cellvars): variables inner functions capture. */
  ncells?: number;
  /** len(co_freevars): variables captured from an outer function. */
  nfrees?: number;
}

/** co_stacksize + co_nlocals + ncells + nfrees (_PyFrame_New_NoTrack's extras). */
export function extrasOf(shape: CodeShape): number {
  return shape.nlocals + shape.stacksize + (shape.ncells ?? 0) + (shape.nfrees ?? 0);
}

/** The code objects of a process: each one's frame slots and zombie frame (co_zombieframe). */
export class CodeTable {
  /** Two words per code id: its frames' slots, then its zombie frame (0: none). */
  private codes = new Int32Array(32);
  /** Ids start at 1: 0 is "no code". */
  private next = 1;

  /** A new code object whose frames have `extras` slots; its id. */
  add(extras: number): number {
    if (!Number.isInteger(extras) || extras < 0) throw new RangeError(`a code object's frame slots must be an integer >= 0, got ${extras}`);
    if (2 * this.next === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    const id = this.next++;
    this.codes[2 * id] = extras;
    return id;
  }

  slots(code: number): number {
    return this.codes[2 * code];
  }

  /** The code's zombie frame, or 0. */
  zombie(code: number): number {
    return this.codes[2 * code + 1];
  }

  setZombie(code: number, f: number): void {
    this.codes[2 * code + 1] = f;
  }
}

/** The bytes PyObject_GC_NewVar asks for a frame of `extras` slots, GC head included. */
export function frameBytes(space: ObjectSpace, extras: number): number {
  return GC_HEAD_BYTES + space.types.basicSizeBytes[T_FRAME] + POINTER_BYTES * extras;
}

/** _PyFrame_New_NoTrack: a frame for a call of `code`, untracked, holding no locals. */
export function newFrame(space: ObjectSpace, code: number): number {
  const m = space.mem;
  const codes = space.codes;
  let f = codes.zombie(code);
  if (f !== 0) {
    codes.setZombie(code, 0);
    space.newReference(f);
  } else {
    const extras = codes.slots(code);
    const b = space.staticBase;
    if (m[b + FRAME_NUMFREE] === 0) {
      f = space.gcNew(T_FRAME, frameBytes(space, extras) - GC_HEAD_BYTES);
      m[f + OB_SIZE] = extras;
    } else {
      m[b + FRAME_NUMFREE]--;
      f = m[b + FRAME_FREE_HEAD];
      m[b + FRAME_FREE_HEAD] = m[f + F_BACK];
      if (m[f + OB_SIZE] < extras) f = resize(space, f, extras);
      space.newReference(f);
    }
    m[f + F_CODE] = code;
  }
  m[f + F_BACK] = 0;
  m[f + F_DEFUNCT] = 0;
  m[f + F_NLOCALS] = 0;
  return f;
}

/** _PyObject_GC_Resize: PyObject_Realloc of the whole block, GC head included; the frame may move. */
function resize(space: ObjectSpace, f: number, extras: number): number {
  const presize = space.types.presizeWords[T_FRAME];
  const g = space.objectRealloc(f - presize, frameBytes(space, extras)) + presize;
  space.mem[g + OB_SIZE] = extras;
  return g;
}

/** Gives a new generator's frame its locals (new references taken here): _PyEval_EvalCodeWithName copies the arguments in. */
export function setLocals(space: ObjectSpace, f: number, locals: ArrayLike<number>): void {
  const m = space.mem;
  const n = locals.length;
  if (F_LOCALS + n > (frameBytes(space, m[f + OB_SIZE]) >> 2) - space.types.presizeWords[T_FRAME]) {
    throw new RangeError(`a frame of ${m[f + OB_SIZE]} slots cannot hold ${n} locals`);
  }
  for (let i = 0; i < n; i++) {
    space.incref(locals[i]);
    m[f + F_LOCALS + i] = locals[i];
  }
  m[f + F_NLOCALS] = n;
}

/** f_stacktop == NULL: the frame ran to its end or was cleared; a generator holding it cannot run again. */
export function isDefunct(space: ObjectSpace, f: number): boolean {
  return space.mem[f + F_DEFUNCT] !== 0;
}

/**
 * The end of a call: frame_dealloc of the call's frame, whose refcount the
 * return drops to zero. Its locals are the caller's business (the API drops
 * them first, inside the trashcan level frame_dealloc opens: space.trashEnter).
 */
export function returned(space: ObjectSpace, f: number): void {
  space.deallocations++;
  space.mem[f] = 0;
  keepOrFree(space, f);
}

/** frame_dealloc: untrack, the trashcan, the locals dropped in order, then zombie slot, free list or PyObject_GC_Del. */
export function dealloc(space: ObjectSpace, f: number): void {
  space.untrack(f);
  if (!space.trashBegin(f)) return;
  clearLocals(space, f);
  keepOrFree(space, f);
  space.trashEnd();
}

/** The end of frame_dealloc. */
function keepOrFree(space: ObjectSpace, f: number): void {
  const m = space.mem;
  const codes = space.codes;
  const code = m[f + F_CODE];
  const b = space.staticBase;
  if (codes.zombie(code) === 0) {
    codes.setZombie(code, f);
  } else if (m[b + FRAME_NUMFREE] < FRAME_MAXFREELIST) {
    m[b + FRAME_NUMFREE]++;
    m[f + F_BACK] = m[b + FRAME_FREE_HEAD];
    m[b + FRAME_FREE_HEAD] = f;
  } else {
    space.gcDel(f);
  }
}

function clearLocals(space: ObjectSpace, f: number): void {
  space.clearReferences(f + F_LOCALS, space.mem[f + F_NLOCALS]);
}

/** frame_traverse: the locals (f_code, f_builtins and f_globals are not simulated). */
export function traverse(space: ObjectSpace, f: number): number {
  const m = space.mem;
  const n = m[f + F_NLOCALS];
  space.ensureScratch(n);
  const count = space.pushReferents(0, f + F_LOCALS, n, 1);
  space.lastVisited += 3;
  return count;
}

/** frame_tp_clear: marked defunct first (a generator holding it must not run it again), then the locals in order. */
export function clear(space: ObjectSpace, f: number): void {
  space.mem[f + F_DEFUNCT] = 1;
  clearLocals(space, f);
}

/** PyFrame_ClearFreeList (full collections): every listed frame to PyObject_GC_Del, newest first. Zombie frames stay. */
export function clearFreeList(space: ObjectSpace): void {
  const m = space.mem;
  const b = space.staticBase;
  while (m[b + FRAME_FREE_HEAD] !== 0) {
    const f = m[b + FRAME_FREE_HEAD];
    m[b + FRAME_FREE_HEAD] = m[f + F_BACK];
    m[b + FRAME_NUMFREE]--;
    space.gcDel(f);
  }
}

/**
 * sys.getsizeof (frame_sizeof): sizeof(PyFrameObject) + (extras - 1) pointers
 * of its code, and the GC head -- 8 bytes less than the block, whose
 * _PyObject_VAR_SIZE counts f_localsplus's first item twice.
 */
export function sizeOf(space: ObjectSpace, f: number): number {
  return frameBytes(space, space.codes.slots(space.mem[f + F_CODE])) - POINTER_BYTES;
}
