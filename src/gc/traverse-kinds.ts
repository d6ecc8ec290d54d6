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
