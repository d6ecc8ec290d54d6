/**
 * ★ Start here: "Python in TypeScript" -- the API request handlers and
 * workload behaviours are written against, one `Python` per simulated process.
 *
 *   const py = new Python();                          // or new Python({ heap }): a Heap, or HeapOptions
 *   const User = py.defineClass({ name: 'User' });
 *   const app = py.module('app');
 *   py.setglobal(app, 'cache', py.dict());           // module globals live on
 *   py.call(() => {                                   // one request: a frame
 *     const user = py.new(User, { id: py.int(42), name: py.str('ada') });
 *     const rows = py.list();
 *     for (let i = 0; i < 10; i++) py.append(rows, py.tuple(py.int(i), user));
 *     py.setitem(py.getglobal(app, 'cache'), 'last', rows);  // kept
 *   });                                               // locals dropped here
 *
 * Objects are *handles* (numbers: word addresses of simulated objects in the
 * simulated heap), never JavaScript objects. Every object the API creates or
 * reads is a local of the current frame -- a counted reference the frame owns
 * -- and is decref'd when the frame returns (`call`), as a Python function's
 * locals are; `del(x)` drops one early. Storing an object in a container,
 * attribute or global takes a reference of its own. A handle used after its
 * object died, or of the wrong type, throws PYHEAP_E_OBJECT_USAGE rather than
 * corrupting the heap (a handle whose block was since reused by another
 * object cannot be told apart, as in C).
 *
 * Every operation allocates what CPython allocates (types/*.ts) -- the
 * version of the heap's profile: 3.11 by default, or 3.9 or 3.8 (version.ts;
 * there, every `call` runs in a frame object, as CPython's calls do, and
 * `code()` says how big a function's frames are) -- and adds its modelled CPU
 * cost (costs.ts) to `elapsedNs`; collections add their modelled pause. The
 * `gc` and `sys` members mirror the modules of those names; `tracemalloc` and
 * `objgraph` the tools.
 */
import { PyheapError } from '../errors.js';
import type { CollectionReport } from '../gc/collector.js';
import { Heap, type HeapOptions } from '../heap/allocator.js';
import { type CostProfile, CPYTHON_311_COSTS, gcCostsFrom } from './costs.js';
import * as builtinResults from './builtin-results.js';
import * as header from './header.js';
import { ObjectGraph } from './objgraph.js';
import { ObjectSpace } from './object-space.js';
import { Tracemalloc } from './tracemalloc.js';
import { type ClassSpec } from './type-table.js';
import * as typeTable from './type-table.js';
import * as buffer from './types/buffer.js';
import * as bytes from './types/bytes.js';
import * as dict from './types/dict.js';
import * as float from './types/float.js';
import * as frame from './types/frame.js';
import { type CodeShape, extrasOf } from './types/frame.js';
import * as fn from './types/function.js';
import * as generator from './types/generator.js';
import * as instance from './types/instance.js';
import * as int from './types/int.js';
import * as list from './types/list.js';
import * as module from './types/module.js';
import * as resource from './types/resource.js';
import * as set from './types/set.js';
import * as str from './types/str.js';
import * as tuple from './types/tuple.js';
import * as weakref from './types/weakref.js';
import { OBJECT_PROFILES, objectVersion } from './version.js';
import { KERNEL_MAX_ATTRIBUTES, KERNEL_MAX_DISPLAY, KERNEL_MAX_ITEMS } from './wasm-kernel.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding (and checks that it
// is initialised) at every use.
const { MANAGED_VALUES, OB_TYPE } = header;
const { F_MANAGED_DICT, K_BUFFER, K_BYTES, K_CELL, K_DICT, K_FLOAT, K_FRAME, K_FUNCTION, K_GENERATOR, K_INSTANCE, K_INT, K_LIST, K_MODULE, K_RESOURCE, K_SET, K_SLOTS, K_STATIC, K_STR, K_TUPLE, K_WEAKREF, MAX_TYPES, T_FROZENSET, T_STR } = typeTable;

/** A simulated object: the word address of its header in the simulated heap. */
export type Ref = number;
/** A dict key: an object, or a name (an identifier str) or number (an int) for convenience. */
export type Key = Ref | string;

export interface PythonOptions {
  /** The heap to simulate in, or options for a new one. */
  heap?: Heap | HeapOptions;
  /** Per-operation CPU costs (default: CPython 3.11 as calibrated). */
  costs?: CostProfile;
  /** Called after every garbage collection. */
  onCollection?: (report: CollectionReport) => void;
}

export interface FunctionOptions {
  /** What calling it does in the simulation (weakref callbacks receive the weakref). */
  behaviour?: (...args: Ref[]) => void;
  /** The globals dict (a module's `__dict__`). */
  globals?: Ref;
  /** A tuple of default values. */
  defaults?: Ref;
}

const LOCALS_INITIAL = 1024;
/**
 * The code of a `call()` made without one (3.8/3.9 frames): a function of 4
 * locals whose value stack goes 4 deep, a 448-byte frame. Each depth of nested
 * calls has such a code of its own, as a handler calling its helpers calls
 * other functions: a call at a depth reuses the frame the last one there left.
 */
const DEFAULT_CALL_SHAPE: CodeShape = Object.freeze({ nlocals: 4, stacksize: 4 });
/** The most values a prepared call site takes (constKeys, constructorCall): they are passed as arguments. */
export const MAX_PREPARED_VALUES = 8;
/**
 * _PY_FASTCALL_SMALL_STACK (Include/cpython/abstract.h, 3.8 to 3.11): slot_tp_init
 * passes self and a class call's arguments to `__init__` in an array on the C
 * stack of this many pointers (_PyObject_Call_Prepend); more take a PyMem
 * block for the length of the call.
 */
const FASTCALL_SMALL_STACK = 5;

export class Python {
  readonly heap: Heap;
  readonly space: ObjectSpace;
  readonly costs: CostProfile;
  readonly None: Ref;
  readonly True: Ref;
  readonly False: Ref;
  /** The gc module. */
  readonly gc: GcModule;
  /** The sys module's memory functions and sys.modules. */
  readonly sys: SysModule;
  readonly tracemalloc: Tracemalloc;
  readonly objgraph: ObjectGraph;
  /** Modelled CPU time of everything done so far, ns (operations and collection pauses). */
  elapsedNs = 0;
  private locals = new Int32Array(LOCALS_INITIAL);
  private sp = 0;
  /** Where the current frame's locals start (0 outside any frame): `del` reads it on every call. */
  private frameBase = 0;
  /** The bases of the enclosing frames. */
  private frameBases: number[] = [];
  /** dict()'s buffer of resolved keys, when no dict() call holds it. */
  private spareKeys: Int32Array | null = new Int32Array(8);
  /** new()'s buffer of attribute values, likewise. */
  private spareValues: Int32Array | null = new Int32Array(8);
  // What isLive() reads for every handle the API is given, copied from the
  // space so that a check is a few loads from this object.
  private readonly mem: Int32Array;
  private readonly handleStart: number;
  private readonly handleEnd: number;
  private readonly knownTypes: Uint8Array;
  /** Calls make frame objects (3.8/3.9): read once per call. */
  private readonly frameObjects: boolean;
  /** 3.8/3.9: calls open now (the depth whose default code the next call without one uses). */
  private callDepth = 0;
  /** 3.8/3.9: the default code of each call depth, of each generator's number of locals, of each class's `__init__` (0: none yet). */
  private readonly callCodes: number[] = [];
  private readonly generatorCodes = new Map<number, number>();
  private readonly initCodes = new Int32Array(MAX_TYPES);

  constructor(options: PythonOptions = {}) {
    this.heap = options.heap instanceof Heap ? options.heap : new Heap(options.heap);
    const version = objectVersion(this.heap.profile.name);
    if (version === null) {
      // The heap profile's layout is known, its objects are not: nothing of 3.7's objects was measured.
      throw new PyheapError(
        'PYHEAP_E_OBJECT_USAGE',
        `the object model simulates CPython ${OBJECT_PROFILES.join(', ')}; a heap with profile ${this.heap.profile.name} can replay traces but not hold simulated objects`,
      );
    }
    this.frameObjects = version.frameObjects;
    this.costs = options.costs ?? CPYTHON_311_COSTS;
    this.space = new ObjectSpace(this.heap, {
      version,
      gcCosts: gcCostsFrom(this.costs),
      onCollection: (report) => {
        this.elapsedNs += report.pauseNs;
        options.onCollection?.(report);
      },
    });
    this.mem = this.space.mem;
    this.handleStart = this.space.staticBase;
    this.handleEnd = this.mem.length - 1;
    this.knownTypes = this.space.types.known;
    this.None = this.space.None;
    this.True = this.space.True;
    this.False = this.space.False;
    this.gc = new GcModule(this);
    this.sys = new SysModule(this);
    this.tracemalloc = new Tracemalloc(this.space);
    this.objgraph = new ObjectGraph(this);
  }

  // ------------------------------------------------------------------ frames and locals

  /**
   * Runs `body` as a Python call: objects it creates or reads are its locals,
   * decref'd in order when it returns. A Ref it returns survives as a local
   * of the caller. In 3.8/3.9 the call runs in a frame object sized by `code`
   * (code()), or by a default code of its call depth (DEFAULT_CALL_SHAPE).
   */
  call(body: () => Ref | void, code?: Code): Ref {
    this.elapsedNs += this.costs.call;
    const f = this.frameObjects ? this.enterCode(code) : 0;
    this.pushFrame();
    let result: Ref | void = undefined;
    try {
      result = body();
      if (typeof result === 'number' && result !== 0) this.space.incref(this.check(result, 'call() result'));
    } finally {
      if (f === 0) {
        this.popFrame();
      } else {
        this.callDepth--;
        this.returnFrom(f, true);
      }
    }
    if (typeof result === 'number' && result !== 0) return this.own(result);
    return 0;
  }

  /**
   * A function's code object, as far as its frames need it: its locals,
   * value-stack depth, cell and free variables (co_nlocals, co_stacksize,
   * co_cellvars, co_freevars). Prepared once, passed to call() and generator()
   * for every call of that function: in 3.8/3.9 a frame is as big as its code
   * says, and a function's calls reuse the frame its last call left
   * (co_zombieframe). Code objects are not themselves simulated in the heap.
   */
  code(shape: CodeShape): Code {
    for (const key of ['nlocals', 'stacksize', 'ncells', 'nfrees'] as const) {
      const v = shape[key];
      const optional = key === 'ncells' || key === 'nfrees';
      if ((v !== undefined || !optional) && (!Number.isInteger(v) || (v as number) < 0)) throw this.misuse(`code(): ${key} must be an integer >= 0, got ${v}`);
    }
    const frozen = Object.freeze({ ...shape });
    return new Code(this, this.space.codes.add(extrasOf(frozen)), frozen);
  }

  /** _PyFrame_New_NoTrack for a call of `code`, or of the default code of this call depth. */
  private enterCode(code: Code | undefined): number {
    let id: number;
    if (code !== undefined) {
      if (code.owner !== this) throw this.misuse('call(): the code was prepared by another Python');
      id = code.id;
    } else {
      id = this.callCodes[this.callDepth] ?? 0;
      if (id === 0) id = this.callCodes[this.callDepth] = this.space.codes.add(extrasOf(DEFAULT_CALL_SHAPE));
    }
    const f = frame.newFrame(this.space, id);
    this.callDepth++;
    return f;
  }

  /**
   * The call of frame `f` returns (3.8/3.9): frame_dealloc opens a trashcan
   * level, drops the frame's locals -- the current frame's, when `ownLocals`
   * -- and keeps or frees the frame.
   */
  private returnFrom(f: number, ownLocals: boolean): void {
    const space = this.space;
    space.trashEnter();
    if (ownLocals) this.popFrame();
    frame.returned(space, f);
    space.trashEnd();
  }

  /**
   * A block whose temporaries die at its end, as a loop body's do when its
   * names are rebound: the same mechanics as `call`, without a call's cost.
   */
  scope(body: () => void): void {
    this.pushFrame();
    try {
      body();
    } finally {
      this.popFrame();
    }
  }

  /** `del x`: drops a local of the current frame now. */
  del(x: Ref): void {
    const top = this.sp - 1;
    const base = this.frameBase;
    // Dropping the newest local (a statement's result, POP_TOP) is the common case.
    if (top >= base && this.locals[top] === x) {
      this.sp = top;
      // In the kernel: the object most likely dies, and its tp_dealloc is there.
      this.space.kernel.decref(x);
      return;
    }
    for (let i = top; i >= base; i--) {
      if (this.locals[i] === x) {
        this.locals.copyWithin(i, i + 1, this.sp);
        this.sp--;
        this.space.decref(x);
        return;
      }
    }
    throw this.misuse(`del: ${x} is not a local of the current frame`);
  }

  /** Locals of every open frame. */
  get localCount(): number {
    return this.sp;
  }

  /** The handles of every local of every open frame (GC roots for referrer chains). */
  frameLocals(): Ref[] {
    return Array.from(this.locals.subarray(0, this.sp));
  }

  private pushFrame(): void {
    this.frameBases.push(this.frameBase);
    this.frameBase = this.sp;
  }

  private popFrame(): void {
    const base = this.frameBase;
    this.frameBase = this.frameBases.pop()!;
    const space = this.space;
    const locals = this.locals;
    const top = this.sp;
    this.sp = base;
    for (let i = base; i < top; i++) space.decref(locals[i]);
  }

  /** Takes ownership of a new reference as a local of the current frame. */
  private own(h: Ref): Ref {
    if (this.sp === this.locals.length) {
      const grown = new Int32Array(this.locals.length * 2);
      grown.set(this.locals);
      this.locals = grown;
    }
    this.locals[this.sp++] = h;
    return h;
  }

  /** A borrowed reference, made a local (`x = container[k]` increfs). */
  private borrow(h: Ref): Ref {
    if (h === 0) return 0;
    this.space.incref(h);
    return this.own(h);
  }

  // ------------------------------------------------------------------ scalars and strings

  int(value: number): Ref {
    // PyLong_FromDouble: OverflowError / ValueError.
    if (Number.isNaN(value)) throw this.misuse('cannot convert float NaN to integer');
    if (!Number.isFinite(value)) throw this.misuse('cannot convert float infinity to integer');
    this.elapsedNs += this.costs.intNew;
    return this.own(int.fromNumber(this.space, value));
  }

  float(value: number): Ref {
    this.elapsedNs += this.costs.floatNew;
    return this.own(float.fromNumber(this.space, value));
  }

  bool(value: boolean): Ref {
    return this.borrow(value ? this.True : this.False);
  }

  /** A str holding `text` (as decoding or building it at run time would). */
  str(text: string): Ref {
    this.elapsedNs += this.costs.strNewBase + this.costs.strNewPerChar * text.length;
    return this.own(str.fromText(this.space, text));
  }

  /** A str of `length` characters of synthetic content (no JavaScript string is made). */
  strOfLength(length: number, kind: 'ascii' | 'latin1' | 'ucs2' | 'ucs4' = 'ascii', seed = length): Ref {
    this.count(length, 'strOfLength() length');
    this.elapsedNs += this.costs.strNewBase + this.costs.strNewPerChar * length;
    const k = kind === 'ascii' ? str.KIND_ASCII : kind === 'latin1' ? str.KIND_LATIN1 : kind === 'ucs2' ? str.KIND_UCS2 : str.KIND_UCS4;
    return this.own(str.synthetic(this.space, length, k, seed));
  }

  /** sys.intern(s): the interned string equal to s. */
  intern(s: Ref): Ref {
    this.expectKind(s, K_STR, 'intern');
    this.space.incref(s);
    return this.own(str.intern(this.space, s));
  }

  /** The text of a str object. */
  text(s: Ref): string {
    this.expectKind(s, K_STR, 'text');
    return str.toText(this.space, s);
  }

  /** bytes(n): n zero bytes. */
  bytes(n: number): Ref {
    this.count(n, 'bytes() size');
    this.elapsedNs += this.costs.bytesNewBase + this.costs.bytesNewPerByte * n;
    return this.own(bytes.zeroed(this.space, n));
  }

  /** The Python value of an int, float or bool. */
  number(x: Ref): number {
    const v = this.space.numericValue(this.check(x, 'number'));
    if (v === null) throw this.misuse(`number() needs an int, float or bool, got ${this.space.typeName(x)}`);
    return v;
  }

  // ------------------------------------------------------------------ containers

  /** `(a, b, c)` (BUILD_TUPLE). */
  tuple(...items: Ref[]): Ref;
  tuple(v0?: Ref, v1?: Ref, v2?: Ref, v3?: Ref, v4?: Ref, v5?: Ref, v6?: Ref, v7?: Ref): Ref {
    // Up to eight items are parameters: a rest parameter would build a
    // JavaScript array per call, which costs more than the simulated work of
    // a small tuple. More come from `arguments`.
    const n = arguments.length;
    // eslint-disable-next-line prefer-rest-params
    if (n > KERNEL_MAX_ITEMS) return this.tupleOf(Array.from(arguments as ArrayLike<Ref>));
    if (n === 0) {
      this.elapsedNs += this.costs.tupleNewBase;
      return this.own(tuple.newTuple(this.space, 0));
    }
    // The kernel checks the items (isLive's test) before it allocates.
    const kernel = this.space.kernel;
    const h =
      n <= 4 ? kernel.tupleNewChecked4(n, v0!, v1 ?? 0, v2 ?? 0, v3 ?? 0) : kernel.tupleNewChecked(n, v0!, v1!, v2!, v3!, v4!, v5 ?? 0, v6 ?? 0, v7 ?? 0);
    if (h === 0) throw this.refusedItem('tuple item', n, v0, v1, v2, v3, v4, v5, v6, v7);
    this.elapsedNs += this.costs.tupleNewBase + this.costs.tupleNewPerItem * n;
    return this.own(h);
  }

  /** A tuple of more items than tuple() takes as parameters. */
  private tupleOf(items: Ref[]): Ref {
    const n = items.length;
    for (let i = 0; i < n; i++) this.check(items[i], 'tuple item');
    this.elapsedNs += this.costs.tupleNewBase + this.costs.tupleNewPerItem * n;
    return this.own(tuple.fromItems(this.space, items));
  }

  /** The error for the first of a call's n items that is not a live object. */
  private refusedItem(what: string, n: number, ...items: (Ref | undefined)[]): PyheapError {
    let i = 0;
    while (i < n - 1 && this.isLive(items[i]!)) i++;
    return this.notLive(what, items[i]!);
  }

  /**
   * `[a, b, c]` (BUILD_LIST): the items as an array, or as parameters, as
   * tuple() takes them (up to eight make no JavaScript array per call).
   */
  list(items?: readonly Ref[]): Ref;
  list(...items: Ref[]): Ref;
  list(v0?: Ref | readonly Ref[], v1?: Ref, v2?: Ref, v3?: Ref, v4?: Ref, v5?: Ref, v6?: Ref, v7?: Ref): Ref {
    if (typeof v0 === 'object') return this.listOf(v0);
    const n = arguments.length;
    // eslint-disable-next-line prefer-rest-params
    if (n > KERNEL_MAX_ITEMS) return this.listOf(Array.from(arguments as ArrayLike<Ref>));
    // The kernel checks the items (isLive's test) before it allocates.
    const kernel = this.space.kernel;
    const h =
      n <= 4
        ? kernel.listNewChecked4(n, v0 ?? 0, v1 ?? 0, v2 ?? 0, v3 ?? 0)
        : kernel.listNewChecked(n, v0 as Ref, v1!, v2!, v3!, v4!, v5 ?? 0, v6 ?? 0, v7 ?? 0);
    if (h === 0) throw this.refusedItem('list item', n, v0, v1, v2, v3, v4, v5, v6, v7);
    this.elapsedNs += this.costs.listNew + this.costs.listAppend * n;
    return this.own(h);
  }

  /** A list of the array's items. */
  private listOf(items: readonly Ref[]): Ref {
    const n = items.length;
    for (let i = 0; i < n; i++) this.check(items[i], 'list item');
    this.elapsedNs += this.costs.listNew + this.costs.listAppend * n;
    return this.own(list.fromItems(this.space, items));
  }

  /** `{k: v, ...}` (BUILD_MAP: presized for more than five items). */
  dict(entries: readonly (readonly [Key, Ref])[] = []): Ref {
    const n = entries.length;
    const space = this.space;
    // The key buffer is taken, not shared: a collection the new dict triggers
    // may run a finalizer that builds a dict of its own.
    let keys = this.spareKeys;
    this.spareKeys = null;
    if (keys === null || keys.length < n) keys = new Int32Array(Math.max(n, 8));
    let unicode = true;
    for (let i = 0; i < n; i++) {
      const k = this.hashable(entries[i][0]);
      keys[i] = k;
      if (space.mem[k + OB_TYPE] !== T_STR) unicode = false;
    }
    for (let i = 0; i < n; i++) this.check(entries[i][1], 'dict value');
    const d = dict.newPresized(space, n, unicode);
    this.elapsedNs += this.costs.dictNew + this.costs.dictSetitemNewKey * n;
    for (let i = 0; i < n; i++) dict.setItem(space, d, keys[i], entries[i][1]);
    this.spareKeys = keys;
    return this.own(d);
  }

  /**
   * The constant keys of a dict display, `{'a': a, 'b': b}`: prepared once per
   * call site, as the compiler makes them a constant tuple for
   * BUILD_CONST_KEY_MAP. Their identifier strs are resolved at the first
   * dictWith(), as dict() resolves names, so preparing changes nothing.
   */
  constKeys(names: readonly string[]): ConstKeys {
    if (names.length > MAX_PREPARED_VALUES) throw this.misuse(`constKeys(): at most ${MAX_PREPARED_VALUES} keys; use dict() for more`);
    return new ConstKeys(this, names);
  }

  /**
   * `{'a': a, 'b': b}` with the keys prepared by constKeys() (BUILD_CONST_KEY_MAP,
   * _PyDict_FromItems in Objects/dictobject.c): the same dict, allocations and
   * cost as dict() with those names, without a JavaScript entry per key.
   */
  dictWith(keys: ConstKeys, v0?: Ref, v1?: Ref, v2?: Ref, v3?: Ref, v4?: Ref, v5?: Ref, v6?: Ref, v7?: Ref): Ref {
    const n = keys.names.length;
    if (keys.owner !== this) throw this.misuse('dictWith(): the keys were prepared by another Python');
    const space = this.space;
    const handles = keys.handles;
    const resolved = n > 0 && handles[0] !== 0;
    if (n > 0 && !resolved) for (let i = 0; i < n; i++) handles[i] = space.identifier(keys.names[i]);
    if (arguments.length - 1 !== n) throw this.preparedCountError('dictWith', 'keys', n, arguments.length - 1);
    let d: Ref;
    // The keys' set in the annex, made at the second call (the first hashes the keys); 0: none.
    const set = resolved && keys.distinct && n <= KERNEL_MAX_DISPLAY && !space.legacyDicts ? (keys.kernelSet ??= space.constKeySet(handles, keys.hashes, n)) : 0;
    if (set !== 0) {
      d = space.kernel.dictFromConstKeys(n, set, v0 ?? 0, v1 ?? 0, v2 ?? 0, v3 ?? 0, v4 ?? 0);
      // The kernel checks the values (isLive's test) before it allocates.
      if (d === 0) throw this.refusedItem('dictWith() value', n, v0, v1, v2, v3, v4);
    } else {
      const values = this.preparedValues('dictWith', n, v0, v1, v2, v3, v4, v5, v6, v7);
      // Identifier strs: an all-str table, as dict() finds them. The first call
      // goes the general way, which hashes the keys (as the compiler does
      // constants') for the calls after it.
      d = dict.newPresized(space, n, true);
      for (let i = 0; i < n; i++) dict.setItem(space, d, handles[i], values[i]);
      for (let i = 0; i < n; i++) keys.hashes[i] = space.hash(handles[i]);
      this.spareValues = values;
    }
    this.elapsedNs += this.costs.dictNew + this.costs.dictSetitemNewKey * n;
    return this.own(d);
  }

  set(items: readonly Ref[] = [], frozen = false): Ref {
    for (const x of items) this.hashable(x, 'set item');
    const s = set.newSet(this.space, frozen);
    this.elapsedNs += this.costs.setNew;
    for (const x of items) {
      set.add(this.space, s, x);
      this.elapsedNs += this.costs.setAdd;
    }
    return this.own(s);
  }

  frozenset(items: readonly Ref[] = []): Ref {
    return this.set(items, true);
  }

  /** list.append(x) */
  append(l: Ref, x: Ref): void {
    this.expectKind(l, K_LIST, 'append');
    list.append(this.space, l, this.check(x, 'append'));
    this.elapsedNs += this.costs.listAppend;
  }

  /** list.insert(i, x) */
  insert(l: Ref, index: number, x: Ref): void {
    this.expectKind(l, K_LIST, 'insert');
    list.insert(this.space, l, this.index(index), this.check(x, 'insert'));
    this.elapsedNs += this.costs.listAppend;
  }

  /** set.add(x) */
  add(s: Ref, x: Ref): void {
    this.expectKind(s, K_SET, 'add');
    if (this.space.typeOf(s) === T_FROZENSET) throw this.misuse("'frozenset' object has no attribute 'add'");
    set.add(this.space, s, this.hashable(x, 'add'));
    this.elapsedNs += this.costs.setAdd;
  }

  /** set.discard(x); returns whether x was there. */
  discard(s: Ref, x: Ref): boolean {
    this.expectKind(s, K_SET, 'discard');
    if (this.space.typeOf(s) === T_FROZENSET) throw this.misuse("'frozenset' object has no attribute 'discard'");
    this.elapsedNs += this.costs.setAdd;
    return set.discard(this.space, s, this.hashable(x, 'discard'));
  }

  /** c[key]: list/tuple by index, dict by key. A local, or 0 when a dict has no such key. */
  getitem(c: Ref, key: Key | number): Ref {
    const kind = this.kindOf(c, 'getitem');
    if (kind === K_LIST) {
      this.elapsedNs += this.costs.listGetitem;
      return this.borrow(list.getItem(this.space, c, this.listIndex(c, key, 'list index out of range')));
    }
    if (kind === K_TUPLE) {
      const n = tuple.size(this.space, c);
      const i = this.index(key);
      const j = i < 0 ? n + i : i;
      if (j < 0 || j >= n) throw this.misuse('tuple index out of range');
      this.elapsedNs += this.costs.listGetitem;
      return this.borrow(this.space.mem[c + tuple.ITEMS + j]);
    }
    if (kind === K_DICT) {
      this.elapsedNs += this.costs.dictGetitem;
      return this.borrow(dict.getItem(this.space, c, this.hashable(key as Key)));
    }
    throw this.misuse(`getitem() needs a list, tuple or dict, got ${this.space.typeName(c)}`);
  }

  /** c[key] = value */
  setitem(c: Ref, key: Key | number, value: Ref): void {
    const kind = this.kindOf(c, 'setitem');
    this.check(value, 'setitem value');
    if (kind === K_LIST) {
      list.setItem(this.space, c, this.listIndex(c, key, 'list assignment index out of range'), value);
      this.elapsedNs += this.costs.listSetitem;
      return;
    }
    if (kind === K_DICT) {
      const k = this.hashable(key as Key);
      const before = dict.size(this.space, c);
      dict.setItem(this.space, c, k, value);
      this.elapsedNs += dict.size(this.space, c) > before ? this.costs.dictSetitemNewKey : this.costs.dictSetitemExisting;
      return;
    }
    throw this.misuse(`setitem() needs a list or dict, got ${this.space.typeName(c)}`);
  }

  /** del c[key]; returns whether it was there (dicts) */
  delitem(c: Ref, key: Key | number): boolean {
    const kind = this.kindOf(c, 'delitem');
    if (kind === K_DICT) {
      this.elapsedNs += this.costs.dictDelitem;
      return dict.delItem(this.space, c, this.hashable(key as Key));
    }
    if (kind === K_LIST) {
      this.space.decref(list.pop(this.space, c, this.listIndex(c, key, 'list assignment index out of range')));
      this.elapsedNs += this.costs.listPop;
      return true;
    }
    throw this.misuse(`delitem() needs a list or dict, got ${this.space.typeName(c)}`);
  }

  /** list.pop([i]) or dict.pop(key): the value, a local (0 if a dict lacks the key). */
  pop(c: Ref, key?: Key | number): Ref {
    const kind = this.kindOf(c, 'pop');
    if (kind === K_LIST) {
      this.elapsedNs += this.costs.listPop;
      if (list.size(this.space, c) === 0) throw this.misuse('pop from empty list');
      return this.own(list.pop(this.space, c, this.listIndex(c, key ?? -1, 'pop index out of range')));
    }
    if (kind === K_DICT) {
      if (key === undefined) throw this.misuse('dict.pop() needs a key');
      const k = this.hashable(key as Key);
      const value = dict.getItem(this.space, c, k);
      if (value === 0) return 0;
      this.space.incref(value);
      dict.delItem(this.space, c, k);
      this.elapsedNs += this.costs.dictDelitem;
      return this.own(value);
    }
    throw this.misuse(`pop() needs a list or dict, got ${this.space.typeName(c)}`);
  }

  /** list.clear(), dict.clear(), set.clear() */
  clear(c: Ref): void {
    const kind = this.kindOf(c, 'clear');
    if (kind === K_LIST) list.clear(this.space, c);
    else if (kind === K_DICT) dict.clear(this.space, c);
    else if (kind === K_SET && this.space.typeOf(c) !== T_FROZENSET) set.clear(this.space, c);
    else throw this.misuse(`clear() needs a list, dict or set, got ${this.space.typeName(c)}`);
  }

  len(c: Ref): number {
    switch (this.kindOf(c, 'len')) {
      case K_LIST:
        return list.size(this.space, c);
      case K_TUPLE:
        return tuple.size(this.space, c);
      case K_DICT:
        return dict.size(this.space, c);
      case K_SET:
        return set.size(this.space, c);
      case K_STR:
        return str.length(this.space, c);
      case K_BYTES:
        return this.space.mem[c + bytes.LENGTH];
      default:
        throw this.misuse(`len() of a ${this.space.typeName(c)}`);
    }
  }

  /** key in c (dict keys, set members, list/tuple items by equality). */
  contains(c: Ref, key: Key): boolean {
    const kind = this.kindOf(c, 'contains');
    if (kind === K_DICT) return dict.getItem(this.space, c, this.hashable(key)) !== 0;
    if (kind === K_SET) return set.contains(this.space, c, this.hashable(key));
    if (kind === K_LIST || kind === K_TUPLE) {
      const k = this.key(key);
      const n = this.len(c);
      for (let i = 0; i < n; i++) {
        const item = kind === K_LIST ? list.getItem(this.space, c, i) : this.space.mem[c + tuple.ITEMS + i];
        if (this.space.equals(item, k)) return true;
      }
      return false;
    }
    throw this.misuse(`'in' needs a container, got ${this.space.typeName(c)}`);
  }

  /** A dict's keys, as locals, in insertion order. */
  keys(d: Ref): Ref[] {
    this.expectKind(d, K_DICT, 'keys');
    return dict.items(this.space, d).map(([k]) => this.borrow(k));
  }

  // ------------------------------------------------------------------ classes and instances

  /** A class: `__dict__` instances unless `slots` is given; `finalizer` is `__del__`. */
  defineClass(spec: ClassSpec): number {
    return this.space.defineClass(spec);
  }

  /**
   * 3.8/3.9: the frame of the `__init__` a class call with n attributes runs,
   * `def __init__(self, a, b, ...): self.a = a ...` -- co_nlocals 1 + n,
   * co_stacksize 2 (LOAD_FAST a, LOAD_FAST self, STORE_ATTR). A class has one
   * `__init__`: its first call with attributes sizes it.
   */
  private enterInit(cls: number, n: number): number {
    let id = this.initCodes[cls];
    if (id === 0) id = this.initCodes[cls] = this.space.codes.add(extrasOf({ nlocals: 1 + n, stacksize: 2 }));
    return frame.newFrame(this.space, id);
  }

  /**
   * `cls(a, b, ...)` with an `__init__` that stores each argument as the
   * attribute of the same name, in order. A class's type object has no
   * vectorcall, so the call packs the arguments in a tuple
   * (_PyObject_MakeTpCall, Objects/call.c), dropped when the call returns.
   */
  new(cls: number, attrs: Readonly<Record<string, Ref>> = {}): Ref {
    this.expectClass(cls);
    const kind = this.space.types.kind[cls];
    this.elapsedNs += kind === K_SLOTS ? this.costs.instanceSlotsNew : this.costs.instanceNew;
    const names = Object.keys(attrs);
    const n = names.length;
    const space = this.space;
    if (n === 0) return this.own(instance.newInstance(space, cls));
    if (kind === K_SLOTS) for (let i = 0; i < n; i++) this.expectSlot(cls, names[i]);
    // Taken, not shared, as dict()'s keys are: the calls below may collect and run a finalizer.
    let values = this.spareValues;
    this.spareValues = null;
    if (values === null || values.length < n) values = new Int32Array(Math.max(n, 8));
    for (let i = 0; i < n; i++) values[i] = this.check(attrs[names[i]], names[i]);
    const args = this.argsTuple(values, n);
    const h = this.own(instance.newInstance(space, cls));
    // type_call: tp_new, then tp_init runs __init__ (3.8/3.9: in a frame), then the arguments go.
    const stack = n + 1 > FASTCALL_SMALL_STACK ? space.objectMalloc(8 * (n + 1)) : 0;
    const f = this.frameObjects ? this.enterInit(cls, n) : 0;
    for (let i = 0; i < n; i++) instance.setAttr(space, h, names[i], space.identifier(names[i]), values[i]);
    if (f !== 0) this.returnFrom(f, false);
    if (stack !== 0) space.objectFree(stack);
    space.decref(args);
    this.spareValues = values;
    return h;
  }

  /**
   * A call site `cls(v0, v1, ...)` whose `__init__` stores each argument as
   * the attribute of the same name, in order (what new() does), prepared
   * once: after its first call it keeps each name's index in the class's
   * shared keys, as CPython 3.11's specializer caches it in a
   * STORE_ATTR_INSTANCE_VALUE (Python/specialize.c; 3.8/3.9 have no such
   * cache, nor inline values). Preparing changes nothing.
   */
  constructorCall(cls: number, names: readonly string[]): ConstructorCall {
    this.expectClass(cls);
    if (names.length > MAX_PREPARED_VALUES) throw this.misuse(`constructorCall(): at most ${MAX_PREPARED_VALUES} attributes; use new() for more`);
    if (this.space.types.kind[cls] === K_SLOTS) for (const name of names) this.expectSlot(cls, name);
    return new ConstructorCall(this, cls, names, (this.space.types.flags[cls] & F_MANAGED_DICT) !== 0);
  }

  /**
   * `cls(v0, v1, ...)` through a prepared call site: the same objects,
   * reference counts, allocations and cost as new() with those attributes.
   */
  newWith(site: ConstructorCall, v0?: Ref, v1?: Ref, v2?: Ref, v3?: Ref, v4?: Ref, v5?: Ref, v6?: Ref, v7?: Ref): Ref {
    const n = site.names.length;
    if (site.owner !== this) throw this.misuse('newWith(): the call site was prepared by another Python');
    if (arguments.length - 1 !== n) throw this.preparedCountError('newWith', 'attributes', n, arguments.length - 1);
    const cls = site.cls;
    const space = this.space;
    const cost = space.types.kind[cls] === K_SLOTS ? this.costs.instanceSlotsNew : this.costs.instanceNew;
    const keys = space.types.cachedKeys[cls];
    if (n > 0 && site.packedIndexes >= 0 && keys !== 0) {
      // Every store's index is known and the class's keys are made: the kernel does it all,
      // once it has checked the values (isLive's test).
      const h = space.kernel.instanceNew(cls, space.types.basicSizeBytes[cls], keys, n, site.packedIndexes, v0 ?? 0, v1 ?? 0, v2 ?? 0, v3 ?? 0);
      if (h === 0) throw this.refusedItem('newWith() value', n, v0, v1, v2, v3);
      this.elapsedNs += cost;
      return this.own(h);
    }
    const values = this.preparedValues('newWith', n, v0, v1, v2, v3, v4, v5, v6, v7);
    this.elapsedNs += cost;
    if (n === 0) {
      this.spareValues = values;
      return this.own(instance.newInstance(space, cls));
    }
    const args = this.argsTuple(values, n);
    const h = this.own(instance.newInstance(space, cls));
    const stack = n + 1 > FASTCALL_SMALL_STACK ? space.objectMalloc(8 * (n + 1)) : 0;
    const f = this.frameObjects ? this.enterInit(cls, n) : 0;
    const m = space.mem;
    const handles = site.handles;
    const indexes = site.indexes;
    const inline = site.inlineValues;
    for (let i = 0; i < n; i++) {
      const ix = indexes[i];
      const valuesArray = inline ? m[h + MANAGED_VALUES] : 0;
      if (ix >= 0 && valuesArray !== 0) {
        instance.storeAtIndex(space, valuesArray, ix, values[i]);
        continue;
      }
      if (handles[i] === 0) handles[i] = space.identifier(site.names[i]);
      instance.setAttr(space, h, site.names[i], handles[i], values[i]);
      if (inline && m[h + MANAGED_VALUES] !== 0) indexes[i] = instance.sharedKeyIndex(space, cls, handles[i]);
    }
    site.packIndexes();
    if (f !== 0) this.returnFrom(f, false);
    if (stack !== 0) space.objectFree(stack);
    space.decref(args);
    this.spareValues = values;
    return h;
  }

  /**
   * A prepared call's n values (the count already checked), live objects, in
   * a buffer taken from `spareValues` for the call (a collection the call
   * triggers may run a finalizer that makes a call of its own); the caller
   * puts it back. For the calls the kernel does not make whole.
   */
  private preparedValues(method: string, n: number, v0?: Ref, v1?: Ref, v2?: Ref, v3?: Ref, v4?: Ref, v5?: Ref, v6?: Ref, v7?: Ref): Int32Array {
    let values = this.spareValues;
    this.spareValues = null;
    if (values === null || values.length < MAX_PREPARED_VALUES) values = new Int32Array(MAX_PREPARED_VALUES);
    values[0] = v0 ?? 0;
    values[1] = v1 ?? 0;
    values[2] = v2 ?? 0;
    values[3] = v3 ?? 0;
    values[4] = v4 ?? 0;
    values[5] = v5 ?? 0;
    values[6] = v6 ?? 0;
    values[7] = v7 ?? 0;
    for (let i = 0; i < n; i++) {
      if (!this.isLive(values[i])) {
        this.spareValues = values;
        throw this.notLive(`${method}() value`, values[i]);
      }
    }
    return values;
  }

  /** A prepared call given another number of values than its names. */
  private preparedCountError(method: string, what: string, n: number, given: number): PyheapError {
    return this.misuse(`${method}(): ${n} ${what}, ${given} values`);
  }

  getattr(obj: Ref, name: string): Ref {
    const kind = this.kindOf(obj, 'getattr');
    this.elapsedNs += this.costs.getattr;
    if (kind === K_MODULE) return this.borrow(dict.getItem(this.space, this.space.mem[obj + module.DICT], this.space.identifier(name)));
    if (kind !== K_INSTANCE && kind !== K_SLOTS) throw this.misuse(`getattr() needs an instance or module, got ${this.space.typeName(obj)}`);
    this.expectSlot(this.space.typeOf(obj), name);
    const value = instance.getAttr(this.space, obj, name, this.space.identifier(name));
    if (value === 0) throw this.misuse(`'${this.space.typeName(obj)}' object has no attribute '${name}'`);
    return this.borrow(value);
  }

  setattr(obj: Ref, name: string, value: Ref): void {
    const kind = this.kindOf(obj, 'setattr');
    this.check(value, 'setattr value');
    this.elapsedNs += this.costs.setattr;
    if (kind === K_MODULE) {
      dict.setItem(this.space, this.space.mem[obj + module.DICT], this.space.identifier(name), value);
      return;
    }
    if (kind !== K_INSTANCE && kind !== K_SLOTS) throw this.misuse(`setattr() needs an instance or module, got ${this.space.typeName(obj)}`);
    this.expectSlot(this.space.typeOf(obj), name);
    instance.setAttr(this.space, obj, name, this.space.identifier(name), value);
  }

  delattr(obj: Ref, name: string): boolean {
    const kind = this.kindOf(obj, 'delattr');
    if (kind === K_MODULE) return dict.delItem(this.space, this.space.mem[obj + module.DICT], this.space.identifier(name));
    if (kind !== K_INSTANCE && kind !== K_SLOTS) throw this.misuse(`delattr() needs an instance or module, got ${this.space.typeName(obj)}`);
    this.expectSlot(this.space.typeOf(obj), name);
    return instance.delAttr(this.space, obj, name, this.space.identifier(name));
  }

  /** obj.__dict__ (materialised from the inline values the first time). */
  dictOf(obj: Ref): Ref {
    this.expectKind(obj, K_INSTANCE, '__dict__');
    return this.own(instance.getDict(this.space, obj));
  }

  // ------------------------------------------------------------------ functions, generators, modules

  function(options: FunctionOptions = {}): Ref {
    this.elapsedNs += this.costs.functionNew;
    return this.own(fn.newFunction(this.space, this.functionParts(options)));
  }

  /** An inner function that captures `captured` (cells, a closure tuple, the function). */
  closure(captured: readonly Ref[], options: FunctionOptions = {}): Ref {
    for (const x of captured) this.check(x, 'captured');
    this.elapsedNs += this.costs.closureNew;
    return this.own(fn.newClosure(this.space, captured, this.functionParts(options)));
  }

  /**
   * A generator object whose suspended frame holds these locals. In 3.8/3.9
   * the frame is a frame object of `code`, or of a generator function of
   * that many locals whose value stack goes 1 deep (`def g(a, b): yield a`).
   */
  generator(frameLocals: readonly Ref[] = [], code?: Code): Ref {
    for (const x of frameLocals) this.check(x, 'generator local');
    if (code !== undefined && code.owner !== this) throw this.misuse('generator(): the code was prepared by another Python');
    this.elapsedNs += this.costs.generatorNew;
    let id = 0;
    if (this.frameObjects) {
      const room = code === undefined ? frameLocals.length : code.shape.nlocals + (code.shape.ncells ?? 0) + (code.shape.nfrees ?? 0);
      if (room < frameLocals.length) throw this.misuse(`generator(): ${frameLocals.length} locals, but the code's frame has room for ${room}`);
      id = code?.id ?? this.generatorCode(frameLocals.length);
    }
    return this.own(generator.newGenerator(this.space, frameLocals, id));
  }

  private generatorCode(nlocals: number): number {
    let id = this.generatorCodes.get(nlocals);
    if (id === undefined) {
      id = this.space.codes.add(extrasOf({ nlocals, stacksize: 1 }));
      this.generatorCodes.set(nlocals, id);
    }
    return id;
  }

  /** The generator runs to its end (`for x in gen: ...`): its frame's locals are released and nothing is left to close. */
  exhaust(gen: Ref): void {
    this.expectKind(gen, K_GENERATOR, 'exhaust');
    generator.exhaust(this.space, gen);
  }

  /** `types.ModuleType(name)`: a module object that no import registered (it dies with its last reference). */
  moduleObject(name: Ref): Ref {
    this.expectKind(name, K_STR, 'module name');
    return this.own(module.newModule(this.space, name));
  }

  /** A module registered in sys.modules (a GC root) as `import name` would leave it. */
  module(name: string): Ref {
    const existing = this.sys.modules.get(name);
    if (existing !== undefined) return this.borrow(existing);
    const nameObj = str.fromText(this.space, name);
    const m = module.newModule(this.space, nameObj);
    this.space.decref(nameObj);
    this.sys.modules.set(name, m);
    return this.borrow(m);
  }

  /** A module-level global: module.name = value. */
  setglobal(mod: Ref, name: string, value: Ref): void {
    this.expectKind(mod, K_MODULE, 'setglobal');
    this.setattr(mod, name, value);
  }

  getglobal(mod: Ref, name: string): Ref {
    this.expectKind(mod, K_MODULE, 'getglobal');
    return this.getattr(mod, name);
  }

  /** The module's `__dict__`. */
  globalsOf(mod: Ref): Ref {
    this.expectKind(mod, K_MODULE, 'globals');
    return this.borrow(this.space.mem[mod + module.DICT]);
  }

  // ------------------------------------------------------------------ weak references, buffers, resources

  /** weakref.ref(obj[, callback]): the callback is a function object or a behaviour (it gets the weakref). */
  weakref(obj: Ref, callback?: Ref | ((wr: Ref) => void)): Ref {
    this.check(obj, 'weakref');
    let cb = 0;
    if (typeof callback === 'function') cb = this.function({ behaviour: callback });
    else if (callback !== undefined && callback !== 0) cb = this.expectKind(callback, K_FUNCTION, 'weakref callback');
    this.elapsedNs += this.costs.weakrefNew;
    try {
      return this.own(weakref.newRef(this.space, obj, cb));
    } catch (e) {
      if (e instanceof TypeError) throw this.misuse(e.message);
      throw e;
    }
  }

  /** Calls a weakref: the object, or None once it is gone. */
  deref(wr: Ref): Ref {
    this.expectKind(wr, K_WEAKREF, 'deref');
    return this.borrow(weakref.referent(this.space, wr));
  }

  /** A large buffer (a NumPy array / DataFrame column stand-in): its data is a raw malloc block. */
  buffer(nbytes: number, options: { touched?: boolean } = {}): Ref {
    this.count(nbytes, 'buffer() size');
    this.elapsedNs += this.costs.bytesNewBase;
    return this.own(buffer.newBuffer(this.space, nbytes, options.touched ?? true));
  }

  /**
   * An open file or socket: if dropped unclosed, its finalizer closes it with a
   * ResourceWarning. (Its CPU cost is not calibrated; it is charged as a
   * function creation, the system call is not modelled.)
   */
  open(kind: 'file' | 'socket' = 'file'): Ref {
    this.elapsedNs += this.costs.functionNew;
    return this.own(resource.newResource(this.space, kind, 3 + this.space.allocations));
  }

  close(res: Ref): void {
    this.expectKind(res, K_RESOURCE, 'close');
    resource.close(this.space, res);
  }

  /** ResourceWarnings so far: resources finalized while open. */
  get resourceWarnings(): number {
    return this.space.resourceWarnings;
  }

  // ------------------------------------------------------------------ introspection helpers

  typeName(x: Ref): string {
    return this.space.typeName(this.check(x, 'typeName'));
  }

  /** Objects created (allocations_total) and destroyed (deallocations_total). */
  get allocations(): number {
    return this.space.allocations;
  }

  get deallocations(): number {
    return this.space.deallocations;
  }

  // ------------------------------------------------------------------ checks

  /** A live object: refcount above zero and a known type. */
  check(x: Ref, what: string): Ref {
    if (this.isLive(x)) return x;
    throw this.notLive(what, x);
  }

  private isLive(x: Ref): boolean {
    const m = this.mem;
    // (x | 0) === x: an integer in int32 range, as every handle is (the heap is
    // under 4 GiB); the type id is range-checked before it indexes `knownTypes`.
    if ((x | 0) !== x || x < this.handleStart || x >= this.handleEnd || m[x] <= 0) return false;
    const type = m[x + 1];
    return type >>> 0 < MAX_TYPES && this.knownTypes[type] !== 0;
  }

  private notLive(what: string, x: Ref): PyheapError {
    return this.misuse(`${what}: ${x} is not a live object (freed, or never one)`);
  }

  /** The tuple a call to a class packs its n positional arguments in (_PyObject_MakeTpCall), new references. */
  private argsTuple(values: ArrayLike<Ref>, n: number): Ref {
    return tuple.fromItems(this.space, values, n);
  }

  private expectClass(cls: number): void {
    if (!Number.isInteger(cls) || cls <= 0 || cls >= MAX_TYPES || this.space.types.classes[cls] == null) {
      throw this.misuse(`new() needs a class from defineClass(), got ${cls}`);
    }
  }

  private kindOf(x: Ref, what: string): number {
    return this.space.types.kind[this.space.mem[this.check(x, what) + 1]];
  }

  private expectKind(x: Ref, kind: number, what: string): Ref {
    if (this.kindOf(x, what) !== kind) throw this.misuse(`${what}() does not apply to a ${this.space.typeName(x)}`);
    return x;
  }

  /** A list or tuple index: a JavaScript integer (negative counts from the end). */
  private index(key: Key | number): number {
    if (typeof key === 'number' && Number.isInteger(key)) return key;
    throw this.misuse(`a list or tuple index must be a JavaScript integer, got ${String(key)}`);
  }

  /** An instance of a `__slots__` class has no attributes but its slots (AttributeError in CPython). */
  private expectSlot(type: number, name: string): void {
    if (this.space.types.kind[type] !== K_SLOTS) return;
    if (!this.space.types.classInfo(type).slots.includes(name)) throw this.misuse(`'${this.space.types.names[type]}' object has no attribute '${name}'`);
  }

  /** A list index in range (list_item's IndexError otherwise). */
  private listIndex(l: Ref, key: Key | number, outOfRange: string): number {
    const i = this.index(key);
    const n = list.size(this.space, l);
    if (i >= n || i < -n) throw this.misuse(outOfRange);
    return i;
  }

  /** A size or length: a JavaScript integer >= 0. */
  private count(n: number, what: string): void {
    if (!Number.isInteger(n)) throw this.misuse(`${what} must be a JavaScript integer, got ${n}`);
    if (n < 0) throw this.misuse(`${what}: negative count (${n})`);
  }

  /**
   * A dict key or set member: a name becomes its identifier str; lists,
   * dicts, sets and tuples holding one are unhashable (PyObject_Hash's
   * TypeError), as everything else hashes by value or identity.
   */
  private hashable(key: Key, what = 'key'): Ref {
    if (typeof key === 'string') return this.space.identifier(key);
    const k = this.check(key, what);
    const unhashable = this.unhashableIn(k);
    if (unhashable !== null) throw this.misuse(`unhashable type: '${unhashable}'`);
    return k;
  }

  private unhashableIn(h: Ref): string | null {
    const kind = this.space.kindOf(h);
    if (kind === K_LIST || kind === K_DICT || (kind === K_SET && this.space.typeOf(h) !== T_FROZENSET)) return this.space.typeName(h);
    if (kind === K_TUPLE) {
      const n = tuple.size(this.space, h);
      for (let i = 0; i < n; i++) {
        const inner = this.unhashableIn(this.space.mem[h + tuple.ITEMS + i]);
        if (inner !== null) return inner;
      }
    }
    return null;
  }

  /** A dict/set key: a name becomes its identifier str, a Ref is itself. */
  private key(key: Key): Ref {
    if (typeof key === 'string') return this.space.identifier(key);
    return this.check(key, 'key');
  }

  private functionParts(options: FunctionOptions): fn.FunctionParts {
    let behaviour = 0;
    if (options.behaviour !== undefined) {
      behaviour = this.space.callables.length;
      this.space.callables.push(options.behaviour);
    }
    return {
      globals: options.globals === undefined ? 0 : this.expectKind(options.globals, K_DICT, 'globals'),
      defaults: options.defaults === undefined ? 0 : this.expectKind(options.defaults, K_TUPLE, 'defaults'),
      behaviour,
    };
  }

  misuse(message: string): PyheapError {
    return new PyheapError('PYHEAP_E_OBJECT_USAGE', message);
  }
}

/** The constant keys of a dict display (Python.constKeys). */
export class ConstKeys {
  /** The process whose identifiers `handles` holds. */
  readonly owner: Python;
  readonly names: readonly string[];
  /** The keys' identifier strs, resolved at first use (0 until then). */
  readonly handles: Int32Array;
  /** Their hashes, once the first use has computed them. */
  readonly hashes: Int32Array;
  /** No key repeats (`{'a': 1, 'a': 2}` keeps one entry, the general way). */
  readonly distinct: boolean;
  /** The keys' set in the owner's annex (ObjectSpace.constKeySet), once made: its byte address, 0 if there was no room. */
  kernelSet: number | undefined = undefined;

  constructor(owner: Python, names: readonly string[]) {
    this.owner = owner;
    this.names = Object.freeze([...names]);
    this.handles = new Int32Array(names.length);
    this.hashes = new Int32Array(names.length);
    this.distinct = new Set(names).size === names.length;
  }
}

/** A prepared `cls(v0, v1, ...)` call site (Python.constructorCall). */
export class ConstructorCall {
  /** The process whose class, identifiers and shared keys these are. */
  readonly owner: Python;
  readonly cls: number;
  /** The class's instances keep inline values (3.11): the indexes below apply. */
  readonly inlineValues: boolean;
  readonly names: readonly string[];
  /** The names' identifier strs, resolved at first use (0 until then). */
  readonly handles: Int32Array;
  /** Each name's index in the class's shared keys, once a store has put it there (-1 until then). */
  readonly indexes: Int32Array;
  /**
   * The indexes a byte each, once all are known, for the object kernel's
   * instanceNew (wasm-kernel.ts; up to KERNEL_MAX_ATTRIBUTES of them); -1
   * until then, or for a call it does not make.
   */
  packedIndexes = -1;

  constructor(owner: Python, cls: number, names: readonly string[], inlineValues: boolean) {
    this.owner = owner;
    this.cls = cls;
    this.inlineValues = inlineValues;
    this.names = Object.freeze([...names]);
    this.handles = new Int32Array(names.length);
    this.indexes = new Int32Array(names.length).fill(-1);
  }

  /**
   * After a call: packs the indexes once all are known, for a call the kernel
   * makes (inline values are 3.11's, which has no frame objects; an index is
   * below SHARED_KEYS_MAX_SIZE, so the packed word stays positive).
   */
  packIndexes(): void {
    const n = this.indexes.length;
    if (!this.inlineValues || n === 0 || n > KERNEL_MAX_ATTRIBUTES || this.packedIndexes >= 0) return;
    let packed = 0;
    for (let i = 0; i < n; i++) {
      if (this.indexes[i] < 0) return;
      packed |= this.indexes[i] << (8 * i);
    }
    this.packedIndexes = packed;
  }
}

/** A function's code object, as its frames need it (Python.code). */
export class Code {
  /** The process whose code table holds it. */
  readonly owner: Python;
  /** Its id in the process's code table (src/objects/types/frame.ts). */
  readonly id: number;
  readonly shape: Readonly<CodeShape>;

  constructor(owner: Python, id: number, shape: Readonly<CodeShape>) {
    this.owner = owner;
    this.id = id;
    this.shape = shape;
  }
}

/** The gc module: what Modules/gcmodule.c exports, over the simulated collector. */
export class GcModule {
  private readonly py: Python;

  constructor(py: Python) {
    this.py = py;
  }

  private get collector() {
    return this.py.space.gc;
  }

  collect(generation = 2): number {
    return this.collector.collect(generation);
  }

  enable(): void {
    this.collector.enable();
  }

  disable(): void {
    this.collector.disable();
  }

  isenabled(): boolean {
    return this.collector.isEnabled();
  }

  freeze(): void {
    this.collector.freeze();
  }

  unfreeze(): void {
    this.collector.unfreeze();
  }

  getFreezeCount(): number {
    return this.collector.getFreezeCount();
  }

  /** gc.get_count(): the counts, read before the 3-tuple CPython returns them in is built (and dropped here). */
  getCount(): [number, number, number] {
    const counts = this.collector.getCount();
    this.dropResult(builtinResults.intTuple(this.py.space, counts));
    return counts;
  }

  getThreshold(): [number, number, number] {
    const thresholds = this.collector.getThreshold();
    this.dropResult(builtinResults.intTuple(this.py.space, thresholds));
    return thresholds;
  }

  /** gc.set_threshold is METH_VARARGS (Modules/gcmodule.c): the call packs its arguments in a tuple. */
  setThreshold(threshold0: number, threshold1?: number, threshold2?: number): void {
    const args = [threshold0, threshold1, threshold2].filter((t): t is number => t !== undefined);
    const argsTuple = builtinResults.intTuple(this.py.space, args.map((t) => (Number.isInteger(t) ? t : 0)));
    try {
      this.collector.setThreshold(threshold0, threshold1, threshold2);
    } finally {
      this.dropResult(argsTuple);
    }
  }

  /** The figures of gc.get_stats() for observers outside the simulated program (metrics): nothing is allocated. */
  peekStats() {
    return this.collector.getStats();
  }

  /** gc.get_stats(): per generation; the list of dicts CPython returns is built and dropped. */
  getStats() {
    const stats = this.collector.getStats();
    this.dropResult(builtinResults.statsList(this.py.space, stats));
    return stats;
  }

  /** gc.get_objects([generation]): tracked objects (handles, not locals). */
  getObjects(generation?: number): Ref[] {
    return this.collector.getObjects(generation);
  }

  isTracked(x: Ref): boolean {
    const space = this.py.space;
    return space.isGcObject(this.py.check(x, 'is_tracked')) && space.isTracked(x);
  }

  /** gc.get_referents(*objs): what tp_traverse visits (handles). */
  getReferents(x: Ref): Ref[] {
    return this.py.space.allReferents(this.py.check(x, 'get_referents'));
  }

  /** gc.get_referrers(*objs): tracked objects (generations 0-2) that refer to x. */
  getReferrers(x: Ref): Ref[] {
    this.py.check(x, 'get_referrers');
    const out: Ref[] = [];
    for (const candidate of this.collector.getObjects()) {
      if (this.py.space.allReferents(candidate).includes(x)) out.push(candidate);
    }
    return out;
  }

  /** gc.callbacks */
  get callbacks() {
    return this.collector.callbacks;
  }

  private dropResult(h: Ref): void {
    this.py.space.decref(h);
  }
}

/** The sys module's memory functions. */
export class SysModule {
  private readonly py: Python;
  /** sys.modules: the modules, GC roots. */
  readonly modules = new Map<string, Ref>();

  constructor(py: Python) {
    this.py = py;
  }

  /** sys.getrefcount(x): the refcount, plus one for the argument, as CPython reports it. */
  getrefcount(x: Ref): number {
    return this.py.space.mem[this.py.check(x, 'getrefcount')] + 1;
  }

  /** sys.getsizeof(x): __sizeof__ plus the GC head and pre-header, as CPython's. */
  getsizeof(x: Ref): number {
    const space = this.py.space;
    const h = this.py.check(x, 'getsizeof');
    switch (space.kindOf(h)) {
      case K_INT:
        return int.sizeOf(space, h);
      case K_FLOAT:
        return 24;
      case K_STR:
        return str.sizeOf(space, h);
      case K_BYTES:
        return bytes.sizeOf(space, h);
      case K_TUPLE:
        return tuple.sizeOf(space, h);
      case K_LIST:
        return list.sizeOf(space, h);
      case K_DICT:
        return dict.sizeOf(space, h);
      case K_SET:
        return set.sizeOf(space, h);
      case K_INSTANCE:
      case K_SLOTS:
        return instance.sizeOf(space, h);
      case K_FUNCTION:
        return fn.sizeOfFunction(space);
      case K_CELL:
        return fn.sizeOfCell();
      case K_GENERATOR:
        return generator.sizeOf(space, h);
      case K_MODULE:
        return module.sizeOf();
      case K_WEAKREF:
        return weakref.sizeOf(space);
      case K_BUFFER:
        return buffer.sizeOf(space, h);
      case K_RESOURCE:
        return resource.sizeOf(space, h);
      case K_FRAME:
        return frame.sizeOf(space, h);
      case K_STATIC:
        // None; the empty tuple; True and False, the ints 1 and 0.
        return h === space.None ? 16 : h === space.emptyTuple ? 40 : int.sizeOfDigits(space, h === space.False ? 0 : 1);
      default:
        throw this.py.misuse(`getsizeof of an unknown object ${h}`);
    }
  }
}
