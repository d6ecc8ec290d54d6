/**
 * set and frozenset (Objects/setobject.c, 3.11): a 216-byte GC object (with
 * the GC head) holding an 8-entry table inline; a set that fills 60% of its
 * table (fill × 5 >= mask × 3) moves to a PyMem table of the smallest power
 * of two above used × 4 (used × 2 past 50,000), 16 bytes per entry. Linear
 * probing over 9 entries, then perturbation. Sets are tracked from creation
 * (PyType_GenericAlloc).
 *
 *   h+2 fill  h+3 used  h+4 mask  h+5 table (word address; the inline table or a block)
 *   h+6 hash  h+7 weakreflist  h+8..h+23 the inline table: 8 × (key, hash)
 * A deleted entry holds the dummy key (-1) and hash -1.
 */
import type { ObjectSpace } from '../object-space.js';
import { T_FROZENSET, T_SET } from '../type-table.js';
import * as weakref from './weakref.js';

const FILL = 2;
const USED = 3;
const MASK = 4;
const TABLE = 5;
const HASH = 6;
export const WEAKREFLIST = 7;
const SMALLTABLE = 8;
const MINSIZE = 8;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5;
const DUMMY = -1;
/** sizeof(PySetObject) (216 with the GC head); sizeof(setentry) */
const BASIC_BYTES = 200;
const OBJECT_BYTES = 216;
const ENTRY_BYTES = 16;

/** make_new_set: an empty, tracked set. */
export function newSet(space: ObjectSpace, frozen = false): number {
  const h = space.gcNew(frozen ? T_FROZENSET : T_SET, BASIC_BYTES);
  const m = space.mem;
  m.fill(0, h + 2, h + SMALLTABLE + 2 * MINSIZE);
  m[h + MASK] = MINSIZE - 1;
  m[h + TABLE] = h + SMALLTABLE;
  m[h + HASH] = -1;
  space.track(h);
  return h;
}

export function size(space: ObjectSpace, h: number): number {
  return space.mem[h + USED];
}

/** sys.getsizeof: the object, plus the separate table when there is one. */
export function sizeOf(space: ObjectSpace, h: number): number {
  const m = space.mem;
  return OBJECT_BYTES + (m[h + TABLE] !== h + SMALLTABLE ? ENTRY_BYTES * (m[h + MASK] + 1) : 0);
}

/** set.add(key) (set_add_entry; a new reference taken when the key is new). */
export function add(space: ObjectSpace, h: number, key: number): void {
  const m = space.mem;
  const hash = space.hash(key);
  const mask = m[h + MASK];
  const table = m[h + TABLE];
  let i = hash & mask;
  let perturb = hash >>> 0;
  let freeslot = -1;
  for (;;) {
    let probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    let e = table + 2 * i;
    do {
      const k = m[e];
      const eh = m[e + 1];
      if (k === 0 && eh === 0) {
        space.incref(key);
        if (freeslot >= 0) {
          m[h + USED]++;
          m[freeslot] = key;
          m[freeslot + 1] = hash;
          return;
        }
        m[h + FILL]++;
        m[h + USED]++;
        m[e] = key;
        m[e + 1] = hash;
        if (m[h + FILL] * 5 < mask * 3) return;
        const used = m[h + USED];
        tableResize(space, h, used > 50000 ? used * 2 : used * 4);
        return;
      }
      if (eh === hash && k !== DUMMY && (k === key || space.equals(k, key))) return;
      if (eh === -1 && k === DUMMY) freeslot = e;
      e += 2;
    } while (probes-- > 0);
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
}

/** set_lookkey: the entry's word address (its key is 0 when absent). */
function lookkey(space: ObjectSpace, h: number, key: number, hash: number): number {
  const m = space.mem;
  const mask = m[h + MASK];
  const table = m[h + TABLE];
  let i = hash & mask;
  let perturb = hash >>> 0;
  for (;;) {
    let probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    let e = table + 2 * i;
    do {
      const k = m[e];
      if (k === 0 && m[e + 1] === 0) return e;
      if (m[e + 1] === hash && k !== DUMMY && (k === key || space.equals(k, key))) return e;
      e += 2;
    } while (probes-- > 0);
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
}

export function contains(space: ObjectSpace, h: number, key: number): boolean {
  return space.mem[lookkey(space, h, key, space.hash(key))] !== 0;
}

/** set.discard(key): the entry becomes a dummy; returns whether the key was there. */
export function discard(space: ObjectSpace, h: number, key: number): boolean {
  const m = space.mem;
  const e = lookkey(space, h, key, space.hash(key));
  const old = m[e];
  if (old === 0) return false;
  m[e] = DUMMY;
  m[e + 1] = -1;
  m[h + USED]--;
  space.decref(old);
  return true;
}

/** set_insert_clean */
function insertClean(space: ObjectSpace, table: number, mask: number, key: number, hash: number): void {
  const m = space.mem;
  let i = hash & mask;
  let perturb = hash >>> 0;
  for (;;) {
    let e = table + 2 * i;
    if (m[e] === 0) {
      m[e] = key;
      m[e + 1] = hash;
      return;
    }
    if (i + LINEAR_PROBES <= mask) {
      for (let j = 0; j < LINEAR_PROBES; j++) {
        e += 2;
        if (m[e] === 0) {
          m[e] = key;
          m[e + 1] = hash;
          return;
        }
      }
    }
    perturb >>>= PERTURB_SHIFT;
    i = (i * 5 + 1 + perturb) & mask;
  }
}

/** set_table_resize: the new table is allocated before the old one is freed. */
function tableResize(space: ObjectSpace, h: number, minused: number): void {
  const m = space.mem;
  let newsize = MINSIZE;
  while (newsize <= minused) newsize <<= 1;
  const oldTable = m[h + TABLE];
  const oldMask = m[h + MASK];
  const smalltable = h + SMALLTABLE;
  const oldMalloced = oldTable !== smalltable;
  let newTable: number;
  let smallCopy: Int32Array | null = null;
  if (newsize === MINSIZE) {
    newTable = smalltable;
    if (newTable === oldTable) {
      if (m[h + FILL] === m[h + USED]) return;
      smallCopy = m.slice(smalltable, smalltable + 2 * MINSIZE);
    }
  } else {
    newTable = space.objectMalloc(ENTRY_BYTES * newsize);
  }
  const oldEntries = smallCopy ?? m.slice(oldTable, oldTable + 2 * (oldMask + 1));
  m.fill(0, newTable, newTable + 2 * newsize);
  m[h + MASK] = newsize - 1;
  m[h + TABLE] = newTable;
  m[h + FILL] = m[h + USED];
  for (let i = 0; i < oldMask + 1; i++) {
    const k = oldEntries[2 * i];
    if (k !== 0 && k !== DUMMY) insertClean(space, newTable, newsize - 1, k, oldEntries[2 * i + 1]);
  }
  if (oldMalloced) space.objectFree(oldTable);
}

/** set_clear_internal (set.clear() and tp_clear): empty first, then decref the keys. */
export function clear(space: ObjectSpace, h: number): void {
  const m = space.mem;
  const table = m[h + TABLE];
  const mask = m[h + MASK];
  let used = m[h + USED];
  const fill = m[h + FILL];
  const malloced = table !== h + SMALLTABLE;
  if (!malloced && fill === 0) return;
  const entries = m.slice(table, table + 2 * (mask + 1));
  m.fill(0, h + SMALLTABLE, h + SMALLTABLE + 2 * MINSIZE);
  m[h + FILL] = 0;
  m[h + USED] = 0;
  m[h + MASK] = MINSIZE - 1;
  m[h + TABLE] = h + SMALLTABLE;
  m[h + HASH] = -1;
  for (let e = 0; used > 0; e += 2) {
    const k = entries[e];
    if (k !== 0 && k !== DUMMY) {
      used--;
      space.decref(k);
    }
  }
  if (malloced) space.objectFree(table);
}

/** set_dealloc */
export function dealloc(space: ObjectSpace, h: number): void {
  const m = space.mem;
  space.untrack(h);
  if (!space.trashBegin(h)) return;
  if (m[h + WEAKREFLIST] !== 0) weakref.clearWeakRefs(space, h, h + WEAKREFLIST);
  const table = m[h + TABLE];
  let used = m[h + USED];
  for (let e = table; used > 0; e += 2) {
    const k = m[e];
    if (k !== 0 && k !== DUMMY) {
      used--;
      space.decref(k);
    }
  }
  if (table !== h + SMALLTABLE) space.objectFree(table);
  space.gcDel(h);
  space.trashEnd();
}

export function traverse(space: ObjectSpace, h: number): number {
  const m = space.mem;
  const table = m[h + TABLE];
  const slots = m[h + MASK] + 1;
  space.ensureScratch(m[h + USED]);
  let count = 0;
  for (let i = 0; i < slots; i++) {
    const k = m[table + 2 * i];
    if (k !== 0 && k !== DUMMY) count = space.pushReferent(count, k);
  }
  return count;
}

export function keys(space: ObjectSpace, h: number): number[] {
  const m = space.mem;
  const table = m[h + TABLE];
  const out: number[] = [];
  for (let i = 0; i <= m[h + MASK]; i++) {
    const k = m[table + 2 * i];
    if (k !== 0 && k !== DUMMY) out.push(k);
  }
  return out;
}
