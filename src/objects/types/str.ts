/**
 * str (Objects/unicodeobject.c, 3.11): compact strings, one block each.
 * PyUnicode_New(size, maxchar) allocates the header -- 48 bytes for ASCII
 * (PyASCIIObject), 72 otherwise (PyCompactUnicodeObject) -- plus
 * (size + 1) characters of 1, 2 or 4 bytes. The empty string and the 256
 * one-character latin-1 strings are static and shared.
 *
 *   h+2 length   h+3 hash   h+4 state: kind (bits 0-1), hashed (bit 2),
 *   interned (bits 3-4), synthetic (bit 5)   h+5.. the characters (1, 2 or 4
 *   bytes each) -- or, for a synthetic string, its seed: its characters are
 *   a function of (seed, index), computed when read, never stored (payload
 *   text whose content does not matter costs no writes)
 *
 * Interning (PyUnicode_InternInPlace) keeps a string in the interned dict,
 * whose two references are not counted (SSTATE_INTERNED_MORTAL): when the
 * last outside reference goes, unicode_dealloc removes it from the dict.
 * The simulated interned dict starts empty; CPython's holds the thousands
 * of identifiers of start-up (those blocks are part of the replayed start-up
 * heap, not of this dict).
 */
import type { ObjectSpace } from '../object-space.js';
import * as staticArea from '../static-area.js';
import * as typeTable from '../type-table.js';
import * as dict from './dict.js';

// Module-local copies of imported constants: V8 compiles a module's own
// constants into its code, but loads an imported binding at every use.
const { INTERNED_DICT } = staticArea;
const { T_STR } = typeTable;

export const LENGTH = 2;
export const HASH = 3;
export const STATE = 4;
export const DATA = 5;

export const KIND_ASCII = 0;
export const KIND_LATIN1 = 1;
export const KIND_UCS2 = 2;
export const KIND_UCS4 = 3;
const KIND_MASK = 3;
const HASHED = 4;
const INTERNED_SHIFT = 3;
const SYNTHETIC = 32;
const NOT_INTERNED = 0;
const INTERNED_MORTAL = 1;

/** sizeof(PyASCIIObject), sizeof(PyCompactUnicodeObject) */
const ASCII_HEADER = 48;
const COMPACT_HEADER = 72;
const CHAR_BYTES = [1, 1, 2, 4];

export function kindOfMaxChar(maxchar: number): number {
  if (maxchar < 0x80) return KIND_ASCII;
  if (maxchar < 0x100) return KIND_LATIN1;
  if (maxchar < 0x10000) return KIND_UCS2;
  return KIND_UCS4;
}

/** The bytes PyUnicode_New asks of PyObject_Malloc. */
export function requestBytes(length: number, kind: number): number {
  return (kind === KIND_ASCII ? ASCII_HEADER : COMPACT_HEADER) + (length + 1) * CHAR_BYTES[kind];
}

/** sys.getsizeof of a compact string: the same as its request. */
export function sizeOf(space: ObjectSpace, h: number): number {
  return requestBytes(space.mem[h + LENGTH], space.mem[h + STATE] & KIND_MASK);
}

export function initStatic(space: ObjectSpace, h: number, code: number): void {
  const m = space.mem;
  m[h + LENGTH] = code < 0 ? 0 : 1;
  m[h + HASH] = 0;
  m[h + STATE] = code < 0 ? KIND_ASCII : kindOfMaxChar(code);
  if (code >= 0) space.u8[(h + DATA) * 4] = code;
}

/** A static identifier string (ASCII, interned immortal). */
export function initIdentifier(space: ObjectSpace, h: number, name: string): void {
  const m = space.mem;
  m[h + LENGTH] = name.length;
  m[h + HASH] = 0;
  m[h + STATE] = KIND_ASCII | (2 << INTERNED_SHIFT);
  const base = (h + DATA) * 4;
  for (let i = 0; i < name.length; i++) space.u8[base + i] = name.charCodeAt(i);
  space.u8[base + name.length] = 0;
}

/**
 * A new str holding `text` (PyUnicode_FromString & co.): the static empty
 * string or one-character latin-1 string when it is one, else a new compact
 * string of the narrowest kind.
 */
export function fromText(space: ObjectSpace, text: string): number {
  const codes = Array.from(text, (c) => c.codePointAt(0)!);
  const length = codes.length;
  if (length === 0) return shared(space, space.emptyStr);
  let maxchar = 0;
  for (const c of codes) if (c > maxchar) maxchar = c;
  if (length === 1 && maxchar < 256) return shared(space, space.latin1Char(maxchar));
  const kind = kindOfMaxChar(maxchar);
  const h = allocate(space, length, kind);
  writeCodes(space, h, kind, codes);
  return h;
}

/**
 * A new str of `length` characters of one kind, with synthetic content drawn
 * from `seed` (payloads whose text does not matter, only their size and
 * identity): no JavaScript string is built.
 */
export function synthetic(space: ObjectSpace, length: number, kind: number, seed: number): number {
  if (length === 0) return shared(space, space.emptyStr);
  if (length === 1 && kind <= KIND_LATIN1) return shared(space, space.latin1Char(syntheticCode(kind, seed, 0)));
  const h = allocate(space, length, kind);
  space.mem[h + STATE] = kind | SYNTHETIC;
  space.mem[h + DATA] = seed;
  return h;
}

/** Character i of a synthetic string: letters of the kind's range, one non-ASCII first for latin-1. */
function syntheticCode(kind: number, seed: number, i: number): number {
  if (kind === KIND_LATIN1 && i === 0) return 0xe9;
  let x = Math.imul(seed ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  const base = kind === KIND_ASCII ? 0x61 : kind === KIND_LATIN1 ? 0xe0 : kind === KIND_UCS2 ? 0x4e00 : 0x1f600;
  return base + ((x >>> 0) % 26);
}

function shared(space: ObjectSpace, h: number): number {
  space.incref(h);
  return h;
}

function allocate(space: ObjectSpace, length: number, kind: number): number {
  const h = space.newObject(T_STR, requestBytes(length, kind));
  const m = space.mem;
  m[h + LENGTH] = length;
  m[h + HASH] = 0;
  m[h + STATE] = kind;
  return h;
}

function writeCodes(space: ObjectSpace, h: number, kind: number, codes: number[]): void {
  const byteBase = (h + DATA) * 4;
  if (kind <= KIND_LATIN1) for (let i = 0; i < codes.length; i++) space.u8[byteBase + i] = codes[i];
  else if (kind === KIND_UCS2) for (let i = 0; i < codes.length; i++) space.u16[byteBase / 2 + i] = codes[i];
  else for (let i = 0; i < codes.length; i++) space.mem[h + DATA + i] = codes[i];
}

export function length(space: ObjectSpace, h: number): number {
  return space.mem[h + LENGTH];
}

export function codeAt(space: ObjectSpace, h: number, i: number): number {
  const state = space.mem[h + STATE];
  const kind = state & KIND_MASK;
  if ((state & SYNTHETIC) !== 0) return syntheticCode(kind, space.mem[h + DATA], i);
  const byteBase = (h + DATA) * 4;
  if (kind <= KIND_LATIN1) return space.u8[byteBase + i];
  if (kind === KIND_UCS2) return space.u16[byteBase / 2 + i];
  return space.mem[h + DATA + i];
}

export function toText(space: ObjectSpace, h: number): string {
  const n = space.mem[h + LENGTH];
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCodePoint(codeAt(space, h, i));
  return out;
}

/** unicode_hash, cached in the object: FNV-1a over the code points here (CPython: siphash13, randomised). */
export function hash(space: ObjectSpace, h: number): number {
  const m = space.mem;
  if ((m[h + STATE] & HASHED) !== 0) return m[h + HASH];
  const n = m[h + LENGTH];
  let x = 0x811c9dc5 | 0;
  for (let i = 0; i < n; i++) x = Math.imul(x ^ codeAt(space, h, i), 0x01000193);
  if (x === -1) x = -2;
  m[h + HASH] = x;
  m[h + STATE] |= HASHED;
  return x;
}

export function equals(space: ObjectSpace, a: number, b: number): boolean {
  const m = space.mem;
  const n = m[a + LENGTH];
  if (n !== m[b + LENGTH] || (m[a + STATE] & KIND_MASK) !== (m[b + STATE] & KIND_MASK)) return false;
  if ((m[a + STATE] & m[b + STATE] & SYNTHETIC) !== 0 && m[a + DATA] === m[b + DATA]) return true;
  if (hash(space, a) !== hash(space, b)) return false;
  for (let i = 0; i < n; i++) if (codeAt(space, a, i) !== codeAt(space, b, i)) return false;
  return true;
}

export function isInterned(space: ObjectSpace, h: number): boolean {
  return ((space.mem[h + STATE] >> INTERNED_SHIFT) & 3) !== NOT_INTERNED;
}

/**
 * PyUnicode_InternInPlace: the interned string equal to `h` (a new
 * reference; `h`'s reference is consumed). Static strings stand for
 * themselves, as CPython's latin-1 singletons are interned immortal.
 */
export function intern(space: ObjectSpace, h: number): number {
  if (space.isStatic(h) || isInterned(space, h)) return h;
  const table = internedDict(space);
  const existing = dict.getItem(space, table, h);
  if (existing !== 0) {
    space.incref(existing);
    space.decref(h);
    return existing;
  }
  dict.setItem(space, table, h, h);
  // The dict's two references (key and value) are not counted.
  space.mem[h] -= 2;
  space.mem[h + STATE] |= INTERNED_MORTAL << INTERNED_SHIFT;
  return h;
}

function internedDict(space: ObjectSpace): number {
  const slot = space.staticBase + INTERNED_DICT;
  if (space.mem[slot] === 0) space.mem[slot] = dict.newDict(space);
  return space.mem[slot];
}

/** unicode_dealloc: an interned string leaves the interned dict first. */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  if (((m[h + STATE] >> INTERNED_SHIFT) & 3) === INTERNED_MORTAL) {
    m[h] = 3;
    dict.delItem(space, m[space.staticBase + INTERNED_DICT], h);
    m[h] = 0;
  }
  space.del(h);
}
