# Exercises: user-class instances, with and without __dict__. Creates SCALE
# (default 100,000) instances of a class with an instance __dict__ and
# SCALE of a class with __slots__, each with three attributes, and keeps
# them (attribute values are shared, so only the instances allocate).
# 3.11 instances with a __dict__ carry the managed-dict pre-header and a
# separate values array (split keys, PyMem); __slots__ instances are one
# block; ≤3.10 allocate a real dict per instance.
#
#   pytrace instances.py [SCALE]
import sys
from itertools import repeat

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 100000


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


class Point:
    def __init__(self, x, y, label):
        self.x = x
        self.y = y
        self.label = label


class SlotPoint:
    __slots__ = ("x", "y", "label")

    def __init__(self, x, y, label):
        self.x = x
        self.y = y
        self.label = label


def build(cls, n):
    # Shared attribute values (a small int, one float, one str) and no loop
    # counter: the trace shows the instances' own blocks only.
    x, y, label = 7, 0.5, "label"
    return [cls(x, y, label) for _ in repeat(None, n)]


mark("dict instances")
WITH_DICT = build(Point, SCALE)
mark("slots instances")
WITH_SLOTS = build(SlotPoint, SCALE)
mark("done")
