#!/usr/bin/env python3
"""Check a pyheap allocation trace (and its statistics) for consistency.

    python3 tools/pytrace/check-trace.py TRACE[.gz] [STATS]

Replays the trace's bookkeeping — not pymalloc's algorithms — and checks:

* the two header lines (DESIGN.md, "Allocation trace, version 1");
* self-containment: no `f`/`r` of a pointer that is not live, no `m`/`c`/`r`
  result that is already live, `R` only of a live arena and only when no
  block recorded inside it is live;
* pymalloc's rules as far as addresses show them: a block inside an arena
  was a request of 1..small_threshold bytes; a raw block stays raw when
  reallocated (Objects/obmalloc.c pymalloc_realloc); an in-place realloc of
  a pymalloc block keeps 4*n > 3*size and n <= size.

With STATS (the sys._debugmallocstats() report pytrace wrote when recording
stopped) it also checks that the trace ends in the state the report
describes: blocks in use per size class, "# bytes in allocated blocks" and
the arena counters.  That is the evidence that trace and report describe the
same instant and that nothing was allocated before the hooks went in.

Exit status 0 when everything holds, 1 otherwise.  Needs only the standard
library; runs on Python 3.7+.
"""

import gzip
import re
import sys
from collections import defaultdict

HEADER_RE = re.compile(
    r"^# python (\d+\.\d+\.\d+) arena_size (\d+) pool_size (\d+) "
    r"alignment (\d+) small_threshold (\d+)$"
)


def open_text(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, "r", encoding="utf-8", newline="\n")


class Checker:
    def __init__(self, arena_size, alignment, small_threshold):
        self.arena_size = arena_size
        self.alignment = alignment
        self.small = small_threshold
        self.shift = arena_size.bit_length() - 1
        self.live = {}            # ptr -> block size (0: not a pymalloc block)
        self.owner = {}           # pymalloc ptr -> arena base
        self.arena_blocks = {}    # arena base -> live blocks recorded in it
        self.by_chunk = defaultdict(list)   # ptr >> shift -> [arena bases]
        self.arenas_total = 0
        self.arenas_highwater = 0
        self.errors = []
        self.counts = defaultdict(int)
        self.pending_release = []   # R lines waiting for their f/r line
        self.small_raw = 0        # 1..512-byte requests not inside an arena

    def error(self, lineno, msg):
        if len(self.errors) < 20:
            self.errors.append("line %d: %s" % (lineno, msg))
        elif len(self.errors) == 20:
            self.errors.append("... (further errors not shown)")

    def arena_of(self, p):
        for base in self.by_chunk.get(p >> self.shift, ()):
            if base <= p < base + self.arena_size:
                return base
        return None

    def block_for(self, lineno, p, size, from_raw):
        """Block size of a new allocation of `size` bytes at p (0: raw)."""
        base = self.arena_of(p)
        if base is None:
            if 1 <= size <= self.small and not from_raw:
                self.small_raw += 1
            return 0
        if not 1 <= size <= self.small:
            self.error(lineno, "pymalloc block %x for a %d-byte request" % (p, size))
        self.owner[p] = base
        self.arena_blocks[base] += 1
        a = self.alignment
        return (size + a - 1) // a * a

    def add(self, lineno, p, size, from_raw=False):
        if p == 0:
            self.error(lineno, "allocation returned NULL")
            return
        if p in self.live:
            self.error(lineno, "%x returned while still live (a free is missing)" % p)
            self.drop(p)
        self.live[p] = self.block_for(lineno, p, size, from_raw)

    def drop(self, p):
        del self.live[p]
        base = self.owner.pop(p, None)
        if base is not None and base in self.arena_blocks:
            self.arena_blocks[base] -= 1

    def event(self, lineno, f):
        kind = f[0]
        self.counts[kind] += 1
        self.dispatch(lineno, kind, f)
        if self.pending_release and kind in "mcrf":
            self.release_pending()

    def release_pending(self):
        for lineno, a in self.pending_release:
            if self.arena_blocks[a]:
                self.error(lineno, "arena %x released with %d live blocks"
                           % (a, self.arena_blocks[a]))
                for p in [p for p, base in self.owner.items() if base == a]:
                    del self.owner[p]
            del self.arena_blocks[a]
            for chunk in {a >> self.shift, (a + self.arena_size - 1) >> self.shift}:
                self.by_chunk[chunk].remove(a)
        self.pending_release = []

    def dispatch(self, lineno, kind, f):
        if kind == "m":
            self.add(lineno, int(f[1], 16), int(f[2]))
        elif kind == "c":
            self.add(lineno, int(f[1], 16), int(f[2]) * int(f[3]))
        elif kind == "r":
            old, new, size = int(f[1], 16), int(f[2], 16), int(f[3])
            if old == 0:
                self.add(lineno, new, size)
                return
            if old not in self.live:
                self.error(lineno, "realloc of %x, which is not live" % old)
                self.add(lineno, new, size)
                return
            block = self.live[old]
            if block and new == old:
                if not (size <= block and 4 * size > 3 * block):
                    self.error(lineno, "in-place realloc of a %d-byte block to %d"
                               % (block, size))
                return
            self.drop(old)
            self.add(lineno, new, size, from_raw=block == 0)
            if block == 0 and self.live.get(new):
                self.error(lineno, "raw block %x moved into pymalloc" % old)
        elif kind == "f":
            p = int(f[1], 16)
            if p not in self.live:
                self.error(lineno, "free of %x, which is not live" % p)
            else:
                self.drop(p)
        elif kind == "A":
            a = int(f[1], 16)
            if a in self.arena_blocks:
                self.error(lineno, "arena %x allocated twice" % a)
                return
            self.arena_blocks[a] = 0
            for chunk in {a >> self.shift, (a + self.arena_size - 1) >> self.shift}:
                self.by_chunk[chunk].append(a)
            self.arenas_total += 1
            self.arenas_highwater = max(self.arenas_highwater, len(self.arena_blocks))
        elif kind == "R":
            # Written when munmap returned, i.e. inside the free that emptied
            # the arena: that f/r line comes next and frees its last block.
            a = int(f[1], 16)
            if a not in self.arena_blocks:
                self.error(lineno, "release of arena %x, which is not live" % a)
                return
            self.pending_release.append((lineno, a))
        else:
            self.error(lineno, "unknown event %r" % kind)


def parse_stats(path):
    """The numbers of a sys._debugmallocstats() report that a trace fixes."""
    classes = {}
    values = {}
    with open(path, "r", encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
            if m:
                idx, size, pools, used, avail = map(int, m.groups())
                classes[size] = used
                continue
            m = re.match(r"^(#[^=]*?)\s*=\s*([\d,]+)$", line)
            if m:
                values[m.group(1)] = int(m.group(2).replace(",", ""))
    return classes, values


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    trace_path = argv[1]
    stats_path = argv[2] if len(argv) == 3 else None
    problems = []

    with open_text(trace_path) as fh:
        first = fh.readline().rstrip("\n")
        second = fh.readline().rstrip("\n")
        if first != "# pyheap-trace 1":
            print("%s: line 1 is %r, expected '# pyheap-trace 1'" % (trace_path, first))
            return 1
        h = HEADER_RE.match(second)
        if not h:
            print("%s: line 2 is not a '# python ...' header: %r" % (trace_path, second))
            return 1
        version = h.group(1)
        arena_size, pool_size, alignment, small = map(int, h.groups()[1:])
        chk = Checker(arena_size, alignment, small)
        marks = 0
        lineno = 2
        for lineno, line in enumerate(fh, 3):
            if line.startswith("#"):
                if line.startswith("# mark "):
                    marks += 1
                continue
            f = line.split()
            if not f:
                chk.error(lineno, "empty line")
                continue
            chk.event(lineno, f)
    if chk.pending_release:
        chk.error(lineno, "trace ends right after an R line")
        chk.release_pending()
    problems.extend(chk.errors)
    if chk.small_raw and chk.arenas_total:
        problems.append("%d new 1..%d-byte blocks lie outside every recorded"
                        " arena (an A line is missing?)" % (chk.small_raw, chk.small))

    live_blocks = defaultdict(int)
    for block in chk.live.values():
        if block:
            live_blocks[block] += 1
    bytes_in_blocks = sum(size * n for size, n in live_blocks.items())
    events = sum(chk.counts.values())
    print("%s: python %s, %d lines, %d events (%s), %d marks"
          % (trace_path, version, lineno, events,
             " ".join("%s %d" % (k, chk.counts[k]) for k in "mcrfAR"), marks))
    print("  at the end: %d live pointers, %d pymalloc blocks (%d bytes),"
          " %d arenas live of %d allocated (highwater %d);"
          " %d new 1..%d-byte blocks outside arenas"
          % (len(chk.live), sum(live_blocks.values()), bytes_in_blocks,
             len(chk.arena_blocks), chk.arenas_total, chk.arenas_highwater,
             chk.small_raw, chk.small))

    if stats_path:
        classes, values = parse_stats(stats_path)
        if not classes or "# arenas allocated total" not in values:
            problems.append("%s: no pymalloc section" % stats_path)
        else:
            expected = {
                "# arenas allocated total": chk.arenas_total,
                "# arenas allocated current": len(chk.arena_blocks),
                "# arenas highwater mark": chk.arenas_highwater,
                "# bytes in allocated blocks": bytes_in_blocks,
            }
            for key, want in expected.items():
                got = values.get(key)
                if got != want:
                    problems.append("%s: %s = %s, the trace gives %d"
                                    % (stats_path, key, got, want))
            sizes = set(classes) | set(live_blocks)
            for size in sorted(sizes):
                if classes.get(size, 0) != live_blocks.get(size, 0):
                    problems.append("%s: %d-byte class: %d blocks in use, the"
                                    " trace gives %d" % (stats_path, size,
                                                        classes.get(size, 0),
                                                        live_blocks.get(size, 0)))
            if not problems:
                print("  stats agree: %d size classes, %d arenas, %d bytes in"
                      " allocated blocks" % (len(classes), len(chk.arena_blocks),
                                             bytes_in_blocks))
    for p in problems:
        print("  ERROR " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
