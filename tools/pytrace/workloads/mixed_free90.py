# Exercises: fragmentation. Allocates SCALE objects of mixed sizes (default
# 20,000 for the committed fixture; the scaled-up run is 1,000,000): ints,
# floats, strs of three alphabets, bytes, tuples, lists, dicts, and about one
# in ten larger than 512 bytes (str and bytearray, served by the raw
# allocator), then frees a random ~90% of them (each with probability
# 230/256). The survivors pin most pools and arenas: "bytes in allocated
# blocks" drops about tenfold, the arena count hardly moves.
#
# The random draws come from one big getrandbits() turned into bytes, and
# every size is looked up in pre-built tables, so nearly every trace line is
# an object of the workload (no random-module or loop-counter temporaries).
#
#   pytrace mixed_free90.py [SCALE]
import random
import sys

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 20000


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


def random_bytes(r, n):
    return r.getrandbits(8 * n).to_bytes(n, "little")


r = random.Random(90)
ASCII = "s" * 5000
LATIN1 = "\u00e9" * 200
UCS2 = "\u4e2d" * 100
RANGE = tuple(range(60))
PAIRS = [("k%d" % j, j) for j in range(12)]
BIGS = [10 ** (4 + j % 60) for j in range(256)]          # ints of 28..56 bytes
LONG = [600 + 17 * j for j in range(256)]                # > 512: raw allocator


def make_all(kinds, sizes):
    out = []
    append = out.append
    for kind, size in zip(kinds, sizes):                 # small ints: cached
        k = kind % 20
        if k < 3:
            append(BIGS[size] + size)                    # int
        elif k < 5:
            append(size * 1.5)                           # float
        elif k < 8:
            append(ASCII[size:2 * size + 2])             # ascii str, 51..306 B
        elif k == 8:
            append(LATIN1[: 2 + size // 2])              # latin-1 str
        elif k == 9:
            append(UCS2[: 1 + size // 3])                # UCS-2 str
        elif k == 10:
            append(bytes(1 + size))                      # bytes, 34..289 B
        elif k < 13:
            append(tuple(RANGE[: 1 + size % 40]))        # tuple
        elif k < 15:
            append(list(RANGE[: size % 60]))             # list + item array
        elif k < 18:
            append(dict(PAIRS[: size % 12]))             # dict (+ keys)
        elif k == 18:
            append(ASCII[: LONG[size]])                  # str > 512 B
        else:
            append(bytearray(LONG[size]))                # bytearray > 512 B
    return out


kinds = random_bytes(r, SCALE)
sizes = random_bytes(r, SCALE)
mark("allocate %d" % SCALE)
objs = make_all(kinds, sizes)
mark("free ~90%")
keep = random_bytes(r, SCALE)
objs = [o if t >= 230 else None for o, t in zip(objs, keep)]
mark("done")
