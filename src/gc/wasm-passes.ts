/**
 * The collector's two hottest passes -- the fused update_refs/subtract_refs
 * walk and move_unreachable (Modules/gcmodule.c) -- in WebAssembly, over the
 * heap's own memory (a shared WebAssembly.Memory whose buffer is the heap's
 * SharedArrayBuffer). They are Collector.subtractRefs and moveUnreachable,
 * word for word: collector.ts documents what each does and why; this file is
 * their compiled form.
 *
 * Why WebAssembly: each pass is a walk of a linked list doing a dozen loads
 * and stores per object. V8 guards every typed-array access with an overflow
 * check, a bounds check and a reload of the array's base, several
 * instructions where CPython's C has one; a WebAssembly load is one
 * instruction plus its address arithmetic (the bounds are guard pages). On a
 * young collection of 700 objects the two passes take about 40% less time
 * (bench/RESULTS.md, bench:objects).
 *
 * What the kernel cannot do itself it imports from the collector: the
 * referents of objects of the other traverse kinds (tp_traverse of dicts,
 * sets, functions...), _PyTuple_MaybeUntrack, and keeping the settled dicts.
 *
 * Addresses: heap handles are word indices, so a word w is at byte 4w. The
 * type tables the kernel reads (CollectorTables) sit in the memory's annex,
 * past the simulated heap (allocator.ts, HEAP_ANNEX_BYTES).
 */
import { CompiledModule } from '../wasm/compiled-module.js';
import { GC_COLLECTING, GC_FLAGS, GC_GEN_MASK, GC_HEAD_WORDS, GC_NEXT, GC_PREV, GC_REFS, GC_UNREACHABLE, genTag, OB_REFCNT, OB_TYPE } from './gc-head.js';
import { TRAVERSE_ARRAY, TRAVERSE_INLINE, TRAVERSE_SETTLED, TRAVERSE_VALUES } from './traverse-kinds.js';

/** Type ids a table covers (src/objects/type-table.ts MAX_TYPES). */
export const TABLE_TYPES = 4096;

/**
 * The type tables in the annex, byte offsets from its start: one byte per
 * type for "has a GC head" and the traverse kind, one signed byte each for
 * the count and start offsets, one word for the count's address (TRAVERSE_VALUES).
 */
const GC_TYPES = 0;
const KINDS = TABLE_TYPES;
const COUNT_OFFSETS = 2 * TABLE_TYPES;
const START_OFFSETS = 3 * TABLE_TYPES;
const COUNT_WORDS = 4 * TABLE_TYPES;
/** Where a pass leaves the references it visited (the pause model). */
const VISITED_OUT = 8 * TABLE_TYPES;
/** Bytes the tables and results take in the annex. */
export const ANNEX_BYTES_USED = VISITED_OUT + 4;

const INLINE = TRAVERSE_INLINE;
const ARRAY = TRAVERSE_ARRAY;
const VALUES = TRAVERSE_VALUES;

/** Byte offsets of the GC head's words and of the object header's, from the GC head. */
const NEXT = 4 * GC_NEXT;
const PREV = 4 * GC_PREV;
const REFS = 4 * GC_REFS;
const FLAGS = 4 * GC_FLAGS;
const REFCNT = 4 * (GC_HEAD_WORDS + OB_REFCNT);
const TYPE = 4 * (GC_HEAD_WORDS + OB_TYPE);

/**
 * Sets $ra to the byte address of the GC head the referent handle in $x
 * would have, and skips to $visited for NULL and for objects without a GC
 * head (_PyObject_IS_GC). The type word is read through $ra too: one address
 * computed per reference.
 */
const referentGcHead = `
    (br_if $visited (i32.eqz (local.get $x)))
    (local.set $ra (i32.sub (i32.shl (local.get $x) (i32.const 2)) (i32.const ${4 * GC_HEAD_WORDS})))
    (br_if $visited (i32.eqz (i32.load8_u (i32.add (local.get $tables) (i32.load offset=${TYPE} (local.get $ra))))))`;

/**
 * visit_decref for the referent handle in $x: skips NULL and objects without
 * a GC head; a referent already marked collecting loses one from gc_refs; one
 * of the collected generations not yet reached starts at -1, marked.
 */
const visitDecref = `
  (block $visited
    ${referentGcHead}
    (local.set $f (i32.load offset=${FLAGS} (local.get $ra)))
    (if (i32.and (local.get $f) (i32.const ${GC_COLLECTING}))
      (then
        (i32.store offset=${REFS} (local.get $ra) (i32.sub (i32.load offset=${REFS} (local.get $ra)) (i32.const 1)))
        (br $visited)))
    ;; tag != 0 && tag <= maxTag as one unsigned comparison: the other flags are bits below the tag's
    ;; (COLLECTING and UNREACHABLE clear here), and f - tag(0) wraps around for tag 0
    (if (i32.lt_u (i32.sub (local.get $f) (i32.const ${genTag(0)})) (local.get $maxTag))
      (then
        (i32.store offset=${REFS} (local.get $ra) (i32.const -1))
        (i32.store offset=${FLAGS} (local.get $ra) (i32.or (local.get $f) (i32.const ${GC_COLLECTING}))))))`;

/**
 * visit_reachable for the referent handle in $x: an object of the generation
 * tentatively moved to unreachable goes back to the end of $base; one not yet
 * scanned (gc_refs 0) is marked reachable (1).
 */
const visitReachable = `
  (block $visited
    ${referentGcHead}
    (local.set $f (i32.load offset=${FLAGS} (local.get $ra)))
    (br_if $visited (i32.eqz (i32.and (local.get $f) (i32.const ${GC_COLLECTING}))))
    (if (i32.and (local.get $f) (i32.const ${GC_UNREACHABLE}))
      (then
        ;; unlink from unreachable
        (local.set $rprev (i32.load offset=${PREV} (local.get $ra)))
        (local.set $rnext (i32.load offset=${NEXT} (local.get $ra)))
        (i32.store offset=${NEXT} (i32.shl (local.get $rprev) (i32.const 2)) (local.get $rnext))
        (i32.store offset=${PREV} (i32.shl (local.get $rnext) (i32.const 2)) (local.get $rprev))
        (i32.store offset=${FLAGS} (local.get $ra) (i32.and (local.get $f) (i32.const ${~GC_UNREACHABLE})))
        ;; gc_list_append(r, base)
        (local.set $r (i32.sub (local.get $x) (i32.const ${GC_HEAD_WORDS})))
        (local.set $last (i32.load offset=${PREV} (i32.shl (local.get $base) (i32.const 2))))
        (i32.store offset=${NEXT} (i32.shl (local.get $last) (i32.const 2)) (local.get $r))
        (i32.store offset=${PREV} (local.get $ra) (local.get $last))
        (i32.store offset=${NEXT} (local.get $ra) (local.get $base))
        (i32.store offset=${PREV} (i32.shl (local.get $base) (i32.const 2)) (local.get $r))
        (i32.store offset=${REFS} (local.get $ra) (i32.const 1))
        (br $visited)))
    (if (i32.eqz (i32.load offset=${REFS} (local.get $ra)))
      (then (i32.store offset=${REFS} (local.get $ra) (i32.const 1)))))`;

/** The word at byte address (4 * word) of the expression's value. */
const word = (expression: string): string => `(i32.load (i32.shl ${expression} (i32.const 2)))`;

/** The type's byte in the table at annex offset `table`. */
const typeByte = (table: number, signed = false): string =>
  `(i32.load8_${signed ? 's' : 'u'} offset=${table} (i32.add (local.get $tables) (local.get $type)))`;

/** The word of the object at the word offset from its handle the type's byte in `table` gives ($a: its GC head's byte address). */
const objectWord = (table: number): string =>
  `(i32.load offset=${4 * GC_HEAD_WORDS} (i32.add (local.get $a) (i32.shl ${typeByte(table, true)} (i32.const 2))))`;

/** The handle of the object whose GC head is $g. */
const handle = `(i32.add (local.get $g) (i32.const ${GC_HEAD_WORDS}))`;

/**
 * The referents of the object whose GC head is $g (at byte $a), of type $type, by the
 * type's traverse kind: sets $n and $p (the first referent's byte address) and
 * branches to `lastToFirst` or `firstToLast`, the order tp_traverse visits
 * them in (list_traverse and tupletraverse go from the last item back), or to
 * $noItems when there are none. For a kind the kernel does not know it does
 * `callOut`, which must branch away. `settled` is where an exact tuple or
 * dict (TRAVERSE_SETTLED) goes: to its kind's walk, or to a label.
 */
const countAndFirst = (callOut: string, settled: 'walk' | string, lastToFirst: string, firstToLast: string): string => {
  // By the kind byte: the four kinds (TRAVERSE_CALL .. TRAVERSE_VALUES), then the same with TRAVERSE_SETTLED.
  const kinds = ['$other', '$inline', '$array', '$values'];
  const targets = Array.from({ length: 2 * TRAVERSE_SETTLED }, (_, i) => (i < TRAVERSE_SETTLED || settled === 'walk' ? kinds[i % TRAVERSE_SETTLED] : settled));
  return `
    (block $other
      (block $values
        (block $array
          (block $inline
            (br_table ${targets.join(' ')} $other ${typeByte(KINDS)}))
          ;; ${INLINE}: n at a fixed word, the items inline from a fixed word
          (local.set $n ${objectWord(COUNT_OFFSETS)})
          (br_if $noItems (i32.eqz (local.get $n)))
          (local.set $p (i32.add (i32.add (local.get $a) (i32.const ${4 * GC_HEAD_WORDS})) (i32.shl ${typeByte(START_OFFSETS, true)} (i32.const 2))))
          (local.set $visited (i32.add (local.get $visited) (local.get $n)))
          (br ${lastToFirst}))
        ;; ${ARRAY}: n at a fixed word, the items in a separate block (none allocated while empty)
        (local.set $n ${objectWord(COUNT_OFFSETS)})
        (br_if $noItems (i32.eqz (local.get $n)))
        (local.set $p (i32.shl ${objectWord(START_OFFSETS)} (i32.const 2)))
        (local.set $visited (i32.add (local.get $visited) (local.get $n)))
        (br ${lastToFirst}))
      ;; ${VALUES}: a values array (or none) of as many words as the class's keys say
      (local.set $p (i32.shl ${objectWord(START_OFFSETS)} (i32.const 2)))
      ;; none (a materialized __dict__): the model's tp_traverse
      (br_if $other (i32.eqz (local.get $p)))
      (local.set $n ${word(`(i32.load offset=${COUNT_WORDS} (i32.add (local.get $tables) (i32.shl (local.get $type) (i32.const 2))))`)})
      ;; the type object, one more reference visited
      (local.set $visited (i32.add (local.get $visited) (i32.add (local.get $n) (i32.const 1))))
      (br_if $noItems (i32.eqz (local.get $n)))
      (br ${firstToLast}))
    ${callOut}`;
};

/** `visit` of each of the $n (> 0) referent words from byte address $p on, `step` bytes apart. */
const eachReferent = (visit: string, step: number): string => `
    (loop $item
      (local.set $x (i32.load (local.get $p)))
      ${visit}
      (local.set $p (i32.add (local.get $p) (i32.const ${step})))
      (br_if $item (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))`;

const locals = `
    (local $g i32) (local $a i32) (local $type i32) (local $n i32) (local $p i32)
    (local $x i32) (local $ra i32) (local $f i32) (local $visited i32)`;

/**
 * The referents countAndFirst found, visit_reachable'd in tp_traverse's
 * order: it decides the order the objects reached join $base in. Ends at
 * the end of $noItems.
 */
const reachableReferents = (callOut: string, settled: 'walk' | string): string => `
    (block $noItems
      (block $firstToLast
        (block $lastToFirst
          ${countAndFirst(callOut, settled, '$lastToFirst', '$firstToLast')})
        (local.set $p (i32.add (local.get $p) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
        ${eachReferent(visitReachable, -4)}
        (br $noItems))
      ${eachReferent(visitReachable, 4)})`;

/** A reachable object stays on $base: its prev link restored, no longer collecting, its generation the survivors'. */
const survive = `
    (i32.store offset=${PREV} (local.get $a) (local.get $prev))
    (i32.store offset=${FLAGS} (local.get $a)
      (i32.or (i32.and (i32.load offset=${FLAGS} (local.get $a)) (i32.const ${~(GC_COLLECTING | GC_GEN_MASK)})) (local.get $survivorTag)))`;

/**
 * One walk of subtractRefs over $base, from $g: with `update` (maxTag != 0),
 * update_refs fused in (gc_refs += ob_refcnt, marked collecting); without,
 * subtract_refs alone. The objects of a kind the kernel does not know leave
 * the inner loop for the outer one, which calls out: a call in the inner
 * loop would make the compiler keep every value live across it in memory
 * rather than in registers.
 */
const subtractWalk = (update: boolean): string => `
    (block $done (loop $outer
      (block $special (loop $next
        (br_if $done (i32.eq (local.get $g) (local.get $base)))
        (local.set $examined (i32.add (local.get $examined) (i32.const 1)))
        (local.set $a (i32.shl (local.get $g) (i32.const 2)))
        ${
          update
            ? `(local.set $flags (i32.load offset=${FLAGS} (local.get $a)))
        (if (i32.and (local.get $flags) (i32.const ${GC_COLLECTING}))
          (then (i32.store offset=${REFS} (local.get $a) (i32.add (i32.load offset=${REFS} (local.get $a)) (i32.load offset=${REFCNT} (local.get $a)))))
          (else
            (i32.store offset=${REFS} (local.get $a) (i32.load offset=${REFCNT} (local.get $a)))
            (i32.store offset=${FLAGS} (local.get $a) (i32.or (local.get $flags) (i32.const ${GC_COLLECTING})))))`
            : ''
        }
        (local.set $type (i32.load offset=${TYPE} (local.get $a)))
        ;; the decrements commute: every kind's references are walked first to last
        (block $noItems
          (block $walk ${countAndFirst('(br $special)', 'walk', '$walk', '$walk')})
          ${eachReferent(visitDecref, 4)})
        (local.set $g ${word('(local.get $g)')})
        (br $next)))
      ;; the model's tp_traverse
      (local.set $visited (i32.add (local.get $visited) (call $subtractOther ${handle} (local.get $maxTag))))
      (local.set $g ${word('(local.get $g)')})
      (br $outer)))`;

const SOURCE = `
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; (handle, maxTag) -> references visited: the referents of another kind, visit_decref'd
  (import "model" "subtractOther" (func $subtractOther (param i32 i32) (result i32)))
  ;; (handle, base) -> references visited: the referents of another kind, visit_reachable'd
  (import "model" "reachableOther" (func $reachableOther (param i32 i32) (result i32)))
  (import "model" "maybeUntrackTuple" (func $maybeUntrackTuple (param i32)))
  (import "model" "settleDict" (func $settleDict (param i32)))

  ;; Collector.subtractRefs: returns the objects examined.
  (func (export "subtractRefs") (param $base i32) (param $maxTag i32) (param $tables i32) (result i32)
    ${locals} (local $flags i32) (local $examined i32)
    (local.set $g ${word('(local.get $base)')})
    (if (local.get $maxTag)
      (then ${subtractWalk(true)})
      (else ${subtractWalk(false)}))
    (i32.store offset=${VISITED_OUT} (local.get $tables) (local.get $visited))
    (local.get $examined))

  ;; Collector.moveUnreachable's walk; the settled dicts go to settleDict in their order. As in
  ;; subtractRefs, what needs a call (a tuple or a dict settled, a kind the kernel does not know) is
  ;; done in the outer loop, outside the inner one.
  (func (export "moveUnreachable")
    (param $base i32) (param $unreachable i32) (param $untrackTuples i32) (param $untrackDicts i32)
    (param $survivorTag i32) (param $tupleType i32) (param $dictType i32) (param $tables i32)
    ${locals} (local $prev i32) (local $last i32)
    (local $r i32) (local $rprev i32) (local $rnext i32)
    ;; gc_list_init(unreachable)
    (i32.store offset=${NEXT} (i32.shl (local.get $unreachable) (i32.const 2)) (local.get $unreachable))
    (i32.store offset=${PREV} (i32.shl (local.get $unreachable) (i32.const 2)) (local.get $unreachable))
    (local.set $prev (local.get $base))
    (local.set $g ${word('(local.get $base)')})
    (block $done (loop $outer
      (block $special (loop $next
        (br_if $done (i32.eq (local.get $g) (local.get $base)))
        (local.set $a (i32.shl (local.get $g) (i32.const 2)))
        (if (i32.load offset=${REFS} (local.get $a))
          (then
            (local.set $type (i32.load offset=${TYPE} (local.get $a)))
            ${reachableReferents('(br $special)', '$special')}
            ${survive}
            (local.set $prev (local.get $g)))
          (else
            ;; tentatively unreachable: unlink from base (prev->next), append to unreachable
            (i32.store offset=${NEXT} (i32.shl (local.get $prev) (i32.const 2)) (i32.load offset=${NEXT} (local.get $a)))
            (local.set $last (i32.load offset=${PREV} (i32.shl (local.get $unreachable) (i32.const 2))))
            (i32.store offset=${NEXT} (i32.shl (local.get $last) (i32.const 2)) (local.get $g))
            (i32.store offset=${PREV} (local.get $a) (local.get $last))
            (i32.store offset=${NEXT} (local.get $a) (local.get $unreachable))
            (i32.store offset=${PREV} (i32.shl (local.get $unreachable) (i32.const 2)) (local.get $g))
            (i32.store offset=${FLAGS} (local.get $a) (i32.or (i32.load offset=${FLAGS} (local.get $a)) (i32.const ${GC_UNREACHABLE})))))
        (local.set $g ${word('(local.get $prev)')})
        (br $next)))
      ;; a reachable tuple or dict, or an object of a kind the kernel does not know
      (local.set $type (i32.load offset=${TYPE} (local.get $a)))
      ${reachableReferents(`(local.set $visited (i32.add (local.get $visited) (call $reachableOther ${handle} (local.get $base)))) (br $noItems)`, 'walk')}
      ${survive}
      (block $settled
        (if (i32.eq (local.get $type) (local.get $tupleType))
          (then
            (if (local.get $untrackTuples)
              (then
                (call $maybeUntrackTuple ${handle})
                ;; untracked: unlinked after prev, whose next is now g's old next
                (br_if $settled (i32.eqz (i32.load offset=${NEXT} (local.get $a))))))))
        (if (i32.eq (local.get $type) (local.get $dictType))
          (then (if (local.get $untrackDicts) (then (call $settleDict ${handle})))))
        (local.set $prev (local.get $g)))
      (local.set $g ${word('(local.get $prev)')})
      (br $outer)))
    (i32.store offset=${PREV} (i32.shl (local.get $base) (i32.const 2)) (local.get $prev))
    (i32.store offset=${VISITED_OUT} (local.get $tables) (local.get $visited)))
)`;

/** What the kernel asks of the collector (see the imports above). */
export interface PassImports {
  subtractOther(h: number, maxTag: number): number;
  reachableOther(h: number, base: number): number;
  maybeUntrackTuple(h: number): void;
  settleDict(h: number): void;
}

export interface GcPasses {
  subtractRefs(base: number, maxTag: number, tables: number): number;
  moveUnreachable(
    base: number,
    unreachable: number,
    untrackTuples: number,
    untrackDicts: number,
    survivorTag: number,
    tupleType: number,
    dictType: number,
    tables: number,
  ): void;
}

/** Compiling the passes takes tens of milliseconds. */
const compiled = new CompiledModule(SOURCE);

/** The compiled passes (src/wasm/compiled-module.ts): the supervisor hands them to its threads. */
export function passesModule(): WebAssembly.Module {
  return compiled.get();
}

/** Takes passes another thread compiled (passesModule), instead of compiling here. */
export function usePassesModule(module: WebAssembly.Module): void {
  compiled.use(module);
}

/** The passes over `memory` (the heap's), calling back into `imports`. */
export function instantiatePasses(memory: WebAssembly.Memory, imports: PassImports): GcPasses {
  const instance = new WebAssembly.Instance(passesModule(), { env: { memory }, model: { ...imports } });
  return instance.exports as unknown as GcPasses;
}

/** The annex offsets of the GC types table and of the results (byte offsets from the annex's start). */
export const ANNEX_OFFSETS = { GC_TYPES, VISITED_OUT } as const;

/** The kernel's type tables (GcObjectModel's), by type id. */
export interface CollectorTables {
  gcTypes: Uint8Array;
  traverseKinds: Uint8Array;
  traverseCountOffsets: Int8Array;
  traverseStartOffsets: Int8Array;
  traverseCountWords: Int32Array;
}

/**
 * The type tables as views of the memory's annex from byte `annexByte` on:
 * the object model writes them there (a type defined, a class's shared keys
 * set) and the kernel reads them in place.
 */
export function annexTables(buffer: ArrayBufferLike, annexByte: number): CollectorTables {
  return {
    gcTypes: new Uint8Array(buffer, annexByte + GC_TYPES, TABLE_TYPES),
    traverseKinds: new Uint8Array(buffer, annexByte + KINDS, TABLE_TYPES),
    traverseCountOffsets: new Int8Array(buffer, annexByte + COUNT_OFFSETS, TABLE_TYPES),
    traverseStartOffsets: new Int8Array(buffer, annexByte + START_OFFSETS, TABLE_TYPES),
    traverseCountWords: new Int32Array(buffer, annexByte + COUNT_WORDS, TABLE_TYPES),
  };
}
