/**
 * How the collector walks an object's references itself, by type
 * (GcObjectModel.traverseKinds): the same referents, in the same order, as the
 * type's tp_traverse, without a call per object on the collector's hottest loops.
 */

/** Ask the object model (GcObjectModel.referents). */
export const TRAVERSE_CALL = 0;
/** The references are inline: h[start] .. h[start + h[count] - 1], visited last to first (a tuple's items). */
export const TRAVERSE_INLINE = 1;
/** The references are in an array: a = h[start], a[0] .. a[h[count] - 1], visited last to first (a list's items). */
export const TRAVERSE_ARRAY = 2;
/**
 * An instance's values array: a = h[start] (0: ask referents()), a[0] ..
 * a[n - 1] first to last, n the word at traverseCountWords[type] (the class's
 * shared keys' entry count); then the type object, one more reference visited.
 */
export const TRAVERSE_VALUES = 3;

/** The kind's bits; the bit above them is TRAVERSE_SETTLED. */
export const TRAVERSE_KIND_MASK = 3;
/**
 * Set beside the kind of exact tuples and dicts (by the collector): the
 * objects move_unreachable hands to the collector once settled, for
 * untrack_tuples and untrack_dicts. A table bit rather than two type
 * comparisons per object on the compiled pass's hottest loop.
 */
export const TRAVERSE_SETTLED = 4;
