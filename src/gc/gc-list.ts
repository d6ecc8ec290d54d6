/**
 * The doubly linked lists of PyGC_Head (Modules/gcmodule.c, gc_list_*): every
 * generation is one, with a two-word head node; objects are linked through
 * the first two words of their GC head. Addresses here are GC head addresses
 * (g = handle - 4), as CPython's lists link PyGC_Head*, not PyObject*.
 */
import * as gcHead from './gc-head.js';

// Module-local copies: V8 folds these into the code, not imported bindings (collector.ts).
const { GC_NEXT, GC_PREV } = gcHead;

export function gcListInit(m: Int32Array, head: number): void {
  m[head + GC_NEXT] = head;
  m[head + GC_PREV] = head;
}

export function gcListIsEmpty(m: Int32Array, head: number): boolean {
  return m[head + GC_NEXT] === head;
}

/** gc_list_append: node at the end of the list. */
export function gcListAppend(m: Int32Array, node: number, head: number): void {
  const last = m[head + GC_PREV];
  m[last + GC_NEXT] = node;
  m[node + GC_PREV] = last;
  m[node + GC_NEXT] = head;
  m[head + GC_PREV] = node;
}

/** gc_list_remove: unlink and mark untracked (_gc_next = 0). */
export function gcListRemove(m: Int32Array, node: number): void {
  const prev = m[node + GC_PREV];
  const next = m[node + GC_NEXT];
  m[prev + GC_NEXT] = next;
  m[next + GC_PREV] = prev;
  m[node + GC_NEXT] = 0;
}

/** gc_list_move: unlink from its list and append to another. */
export function gcListMove(m: Int32Array, node: number, head: number): void {
  const prev = m[node + GC_PREV];
  const next = m[node + GC_NEXT];
  m[prev + GC_NEXT] = next;
  m[next + GC_PREV] = prev;
  gcListAppend(m, node, head);
}

/** gc_list_merge: append every node of `from` to `to`, leaving `from` empty. */
export function gcListMerge(m: Int32Array, from: number, to: number): void {
  if (gcListIsEmpty(m, from)) return;
  const tail = m[to + GC_PREV];
  const first = m[from + GC_NEXT];
  const last = m[from + GC_PREV];
  m[tail + GC_NEXT] = first;
  m[first + GC_PREV] = tail;
  m[last + GC_NEXT] = to;
  m[to + GC_PREV] = last;
  gcListInit(m, from);
}

export function gcListSize(m: Int32Array, head: number): number {
  let n = 0;
  for (let g = m[head + GC_NEXT]; g !== head; g = m[g + GC_NEXT]) n++;
  return n;
}
