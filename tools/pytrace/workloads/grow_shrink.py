# Exercises: buffers that grow and shrink across the 512-byte small-request
# threshold in both directions. Per round (SCALE rounds, default 40): a list
# appended to hundreds of items, popped to empty, appended again (list_resize
# over-allocation, realloc to 0 -> malloc(1), "a raw block stays raw"); a
# dict grown, emptied with del and refilled (keys tables resized); a
# bytearray extended and truncated; a str built with += (in-place
# PyObject_Realloc while its refcount is 1).
#
#   pytrace grow_shrink.py [SCALE]
import random
import sys

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 40
random.seed(512)


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


KEPT = []
for rnd in range(SCALE):
    if rnd % 50 == 0:
        mark("round %d" % rnd)
    n = random.randint(100, 400)

    lst = []
    for i in range(n):
        lst.append(i)
    while lst:
        lst.pop()
    for i in range(n // 2):
        lst.append(i)
    del lst[n // 8:]

    d = {}
    for i in range(n):
        d[i * 7] = i
    for i in range(n):
        del d[i * 7]
    for i in range(n // 3):
        d["k%d" % i] = i

    ba = bytearray()
    for i in range(n):
        ba += b"xyz"
    del ba[16:]
    ba.extend(b"0123456789" * (n // 5))

    s = ""
    for i in range(n // 2):
        s += "ab"

    if rnd % 10 == 0:
        KEPT.append((lst, d, ba, s))   # a few survive, the rest are freed
