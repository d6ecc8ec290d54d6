/**
 * The layout of the interpreter state area the heap reserves outside pymalloc
 * (src/heap/layout.ts, `interpreterStateBase`): what CPython keeps in static
 * memory or in its interpreter state, here in words of the same
 * SharedArrayBuffer so that objects and lists can point at it.
 *
 *   +0     GC state (src/gc/gc-state.ts): generation list heads, counts,
 *          thresholds, statistics
 *   +64    trashcan: nesting depth, the delete-later chain
 *   +66    free lists: float (head, count), tuple (20 heads, 20 counts),
 *          list (count + 80 slots), dict (count + 80), dict keys (count + 80),
 *          frame (count, head; 3.8/3.9)
 *   +360   static objects, 16-byte aligned, 8 words each: None, True, False,
 *          the empty tuple, str and bytes, Py_EMPTY_KEYS, the small ints
 *          -5..256, the 256 one-character latin-1 strings, the 256
 *          one-byte bytes objects
 *   then   the interned-strings dict handle; 256 identifier strings
 *
 * Static objects start with a refcount CPython's would never reach in a
 * simulation (2^30), so a decref never deallocates them.
 */
export const GC_STATE_OFFSET = 0;
export const GC_STATE_WORDS = 64;

export const TRASH_NESTING = 64;
export const TRASH_DELETE_LATER = 65;
/** _PyTrash_UNWIND_LEVEL (Include/cpython/object.h): deeper deallocations are deferred. */
export const TRASH_UNWIND_LEVEL = 50;

/** PyFloat_MAXFREELIST (Objects/floatobject.c). */
export const FLOAT_MAXFREELIST = 100;
/** PyTuple_NFREELISTS = PyTuple_MAXSAVESIZE (20), PyTuple_MAXFREELIST (2000): Include/internal/pycore_tuple.h. */
export const TUPLE_NFREELISTS = 20;
export const TUPLE_MAXFREELIST = 2000;
/** PyList_MAXFREELIST, PyDict_MAXFREELIST (80): Include/internal/pycore_*.h. */
export const LIST_MAXFREELIST = 80;
export const DICT_MAXFREELIST = 80;

export const FLOAT_FREE_HEAD = 66;
export const FLOAT_NUMFREE = 67;
export const TUPLE_FREE_HEADS = 68; //  20 words
export const TUPLE_NUMFREE = 88; //     20 words
export const LIST_NUMFREE = 108;
export const LIST_FREE = 109; //        80 words
export const DICT_NUMFREE = 189;
export const DICT_FREE = 190; //        80 words
export const KEYS_NUMFREE = 270;
export const KEYS_FREE = 271; //        80 words
/** PyFrame_MAXFREELIST (Objects/frameobject.c, 3.8/3.9): dead frames linked through f_back, newest first. */
export const FRAME_MAXFREELIST = 200;
export const FRAME_NUMFREE = 352;
export const FRAME_FREE_HEAD = 353;

export const STATIC_OBJECTS = 360;
export const STATIC_OBJECT_WORDS = 8;
export const STATIC_NONE = STATIC_OBJECTS + 0 * STATIC_OBJECT_WORDS;
export const STATIC_TRUE = STATIC_OBJECTS + 1 * STATIC_OBJECT_WORDS;
export const STATIC_FALSE = STATIC_OBJECTS + 2 * STATIC_OBJECT_WORDS;
/** The empty tuple is a GC object (never tracked): its GC head takes the first 4 words of a 16-word slot. */
export const STATIC_EMPTY_TUPLE = STATIC_OBJECTS + 3 * STATIC_OBJECT_WORDS + 4;
export const STATIC_EMPTY_STR = STATIC_OBJECTS + 5 * STATIC_OBJECT_WORDS;
export const STATIC_EMPTY_BYTES = STATIC_OBJECTS + 6 * STATIC_OBJECT_WORDS;
/** Py_EMPTY_KEYS: a keys object of log2 size 0 whose 8 index bytes are all DKIX_EMPTY. */
export const STATIC_EMPTY_KEYS = STATIC_OBJECTS + 7 * STATIC_OBJECT_WORDS;
export const STATIC_SMALL_INTS = STATIC_OBJECTS + 9 * STATIC_OBJECT_WORDS;
/** _PY_NSMALLNEGINTS, _PY_NSMALLPOSINTS (Include/internal/pycore_global_objects.h). */
export const NSMALLNEGINTS = 5;
export const NSMALLPOSINTS = 257;
export const STATIC_LATIN1 = STATIC_SMALL_INTS + (NSMALLNEGINTS + NSMALLPOSINTS) * STATIC_OBJECT_WORDS;
export const STATIC_BYTE_CHARS = STATIC_LATIN1 + 256 * STATIC_OBJECT_WORDS;
export const INTERNED_DICT = STATIC_BYTE_CHARS + 256 * STATIC_OBJECT_WORDS;
/**
 * Identifiers: the names code objects and CPython's static strings
 * (`_Py_ID(__name__)` & co.) provide without allocating at run time. 16 words
 * each: an ASCII str of up to 44 characters.
 */
export const IDENTIFIERS = INTERNED_DICT + 8;
export const IDENTIFIER_WORDS = 16;
export const MAX_IDENTIFIERS = 256;
export const STATIC_AREA_WORDS = IDENTIFIERS + MAX_IDENTIFIERS * IDENTIFIER_WORDS;

/** A refcount no simulation brings to zero. */
export const IMMORTAL_REFCNT = 1 << 30;
