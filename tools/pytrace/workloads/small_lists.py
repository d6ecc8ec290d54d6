# Exercises: many small, long-lived GC objects of one shape. Builds SCALE
# (default 200,000) three-item lists and keeps them all: each is a list
# object (16-byte GC header + 40 bytes = 56 -> 64-byte blocks) plus its item
# array (3 pointers, 24 -> 32-byte blocks, PyMem), the items taken from the
# small-int cache so they allocate nothing. Fills whole pools and arenas in
# two size classes; the automatic GC runs along the way but frees nothing.
#
#   pytrace small_lists.py [SCALE]
import sys
from itertools import repeat

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 200000


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


def build(n):
    # repeat() and local names: no loop-counter ints, no constant folding,
    # so each iteration is exactly one list object and one item array.
    a, b, c = 0, 1, 2
    out = []
    append = out.append
    for _ in repeat(None, n):
        append([a, b, c])
    return out


mark("build %d lists" % SCALE)
KEPT = build(SCALE)
mark("built")
