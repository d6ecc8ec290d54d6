# Exercises: arena release and reuse. Allocates twelve waves of SCALE
# strs (default 3,000) of 300..500 bytes — near the top of the small
# classes, so about two thousand blocks fill an arena (1 MiB in 3.10+,
# 256 KiB before) and a wave spans a few arenas with few trace lines. Waves are freed in an interleaved order, so some
# arenas become wholly free and are returned to the OS (R lines; ≤3.8
# returns every free arena, 3.9+ keeps one) while others stay partly used,
# and later waves refill the partly used arenas first (usable_arenas is
# sorted most-used first) before new arenas are mapped.
#
#   pytrace arena_waves.py [SCALE]
import sys
from itertools import repeat

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


def mark(text):
    if _pytrace is not None:
        _pytrace.mark(text)


def wave(k):
    # One str of 309..509 bytes per object (a slice of a template: exactly
    # one allocation), the size class changing from wave to wave.
    template = ("wave %d " % k) * 100
    cut = 260 + 40 * (k % 6)
    out = []
    append = out.append
    for _ in repeat(None, SCALE):
        append(template[:cut])
    return out


waves = {}
mark("allocate waves 0-5")
for k in range(6):
    waves[k] = wave(k)
mark("free odd waves")
for k in (1, 3, 5):
    del waves[k]
mark("allocate waves 6-8")
for k in range(6, 9):
    waves[k] = wave(k)
mark("free waves 0 2 4")
for k in (0, 2, 4):
    del waves[k]
mark("allocate waves 9-11")
for k in range(9, 12):
    waves[k] = wave(k)
mark("free all but wave 11")
for k in sorted(waves):
    if k != 11:
        del waves[k]
mark("done")
