# Exercises: reference cycles and the cyclic garbage collector. Builds SCALE
# (default 700) small trees whose children point back at their parent,
# plus self-referencing lists and dicts; some batches are dropped and
# collected with an explicit gc.collect(), others are dropped and left for
# the automatic generational collections (threshold 700) that the following
# allocations trigger; a tenth of the trees is kept alive to the end.
#
#   pytrace cycles.py [SCALE]
import gc
import random
import sys

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 700
random.seed(7)


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


class Node:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent          # back-reference: parent <-> child cycle
        self.children = []
        if parent is not None:
            parent.children.append(self)


def tree(i):
    root = Node("root-%d" % i)
    for j in range(random.randint(1, 4)):
        child = Node("child-%d-%d" % (i, j), root)
        for k in range(random.randint(0, 3)):
            Node("leaf-%d-%d-%d" % (i, j, k), child)
    return root


def self_refs(i):
    lst = [i, "x" * (i % 50)]
    lst.append(lst)                   # a list that contains itself
    d = {"id": i}
    d["self"] = d                     # a dict that contains itself
    return lst, d


KEPT = []
batch = max(1, SCALE // 10)
for b in range(10):
    mark("batch %d" % b)
    garbage = []
    for i in range(b * batch, (b + 1) * batch):
        t = tree(i)
        if i % 10 == 0:
            KEPT.append(t)
        else:
            garbage.append(t)
        garbage.append(self_refs(i))
    del garbage, t                    # the cycles are now unreachable
    if b % 3 == 0:
        mark("gc.collect after batch %d" % b)
        gc.collect()
    # otherwise: the next batch's allocations trigger automatic collections
mark("final gc.collect")
gc.collect()
