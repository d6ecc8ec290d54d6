#!/usr/bin/env python3
"""Measure what CPython operations cost, in nanoseconds, for pyheap's cost model.

pyheap charges every simulated Python operation a modelled CPU time (DESIGN.md,
"Modelled time, not simulator time"). This script measures those times on the
real CPython it runs under (3.11 is the default profile) and prints ONE JSON
object on stdout; progress goes to stderr. bench/calibrate.ts runs it, checks
the result and writes it as a costs profile (src/objects/costs/*.json).

    python3 bench/calibrate.py > costs.json        (stdlib only; ~12 s on a 2-core machine)

Method (also printed in the JSON, field "method"):

* Every key times one Python statement (field "code" gives it verbatim, field
  "baseline" what was subtracted) inside a function compiled for the purpose,
  so every name is a fast local unless it is a module-level class or function
  (P, S, noop, gen, weakref, gc), as in real code.
* Loop shape (most keys): the statement is unrolled UNROLL times in the body of
  `for _i in itertools.repeat(None, n)`, timed with perf_counter_ns around the
  loop; the same loop with an empty body is timed right before or after (the
  order alternates), and cost = (t_stmt - t_empty) / (n * UNROLL). "Create and
  drop" means the statement's result is discarded at once (POP_TOP or a
  rebinding), so the cost includes the allocation, the object's own setup,
  its deallocation and the bytecode around them, and the object comes from
  and returns to CPython's free lists where 3.11 has them (float, tuple,
  list, dict).
* Round shape (amortised keys: list_append, list_pop, set_add,
  dict_setitem_new_key, dict_delitem, dealloc): each round prepares its
  container untimed (clear it, or refill it from a template), then times
  `for x in <1000 values>: <statement>` with perf_counter_ns; the baseline
  is the same round with `pass` as the loop body. The container is reused
  round after round, so its memory stays faulted in as in a long-running
  worker, and no teardown cost needs subtracting.
* n is chosen so that one timed run lasts ~TARGET_MS; REPEATS runs of each
  (statement, baseline) pair; the cost is the median, "spread" the min and
  max of the per-run values, unclamped. A negative median (possible only for
  operations cheaper than the noise) is reported as 0 in "costs".
* Automatic collection is off throughout (gc.disable()); the gc_* keys run
  explicit collections. Creating a tracked object still counts towards
  generation 0, so the other costs exclude any collection the allocation
  would eventually trigger: the simulator charges collections itself, with
  the gc_* keys.
* GC keys time gc.collect() with perf_counter_ns: the full-collection keys
  hold N = 1,000,000 objects of one kind in a list, run one untimed full
  collection (which moves them to the oldest generation), then time
  GC_REPEATS full collections; per-object cost = (median with - median
  without the objects) / N. The list that holds them is traversed too, which
  every real object also needs (something must refer to it).
* dealloc has its own baseline (see Calibration.dealloc): storing None over
  1000 freshly made objects minus the same stores into a list of Nones.

What the numbers show on 3.11 (first measured 2026-11, Xeon, 2 vCPUs, KVM):

* A full collection is memory-bound: per object it costs about twice as much
  over 1,000,000 objects (~60 ns per empty list) as over 100,000 (~30 ns),
  and it wanders +-20% from one collection to the next; a young collection
  of 700 just-made lists is ~13 ns per object (all in cache). detail has the
  100,000-object figures.
* str and bytes creation is flat (~27 / ~32 ns) up to 256 chars and steps up
  by ~12 ns at 512, where the object outgrows pymalloc's 512-byte limit and
  goes to malloc; the least-squares line smooths that step.
* Dropping an unstarted generator costs more than creating, running and
  exhausting one (~170 ns vs ~80 ns, python -m timeit): in 3.11 its finalizer
  closes it by throwing GeneratorExit into the frame (3.13: ~55 ns).
* Instance creation with a Python __init__ is ~135 ns on 3.11 here (3.13, which
  specialises the call, ~88 ns). Costs measured one statement at a time do
  not add up exactly: bench/objects-anchor.py's mix of an instance, a tuple,
  a list and a dict costs ~15% more than the sum of the four alone.
"""

import gc
import itertools
import json
import os
import platform
import statistics
import sys
import time
import weakref

PC = time.perf_counter_ns

UNROLL = 20                 # statements per loop iteration in the loop shape
REPEATS = 11                # timed runs of each (statement, baseline) pair
TARGET_MS = 10              # length of one timed run
ROUND = 1000                # operations per round in the round shape
GC_N = 1_000_000            # objects in the full-collection keys
GC_REPEATS = 9
YOUNG_N = 700               # objects in generation 0 for gc_young_700 (its default threshold)
YOUNG_REPEATS = 301

STR_LENGTHS = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
TUPLE_SIZES = (1, 3, 10)


# ---------------------------------------------------------------------------
# Module-level classes and functions the statements use, as real code would.

class P:
    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c


class S:
    __slots__ = ('a', 'b', 'c')

    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c


def noop():
    pass


def gen():
    yield 1


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# The timing harness.

def indent(block, spaces):
    return '\n'.join(' ' * spaces + line for line in block.splitlines())


def compile_bench(setup, body, prep):
    """Compile a function `_bench(n, pc)` returning the timed ns of n loops/rounds.

    prep is None for the loop shape; else it is run untimed before each round.
    """
    src = ['def _bench(_n, _pc):', indent(setup or 'pass', 4)]
    if prep is None:
        src += ['    _it = _repeat(None, _n)',
                '    _t0 = _pc()',
                '    for _i in _it:',
                indent(body, 8),
                '    _t1 = _pc()',
                '    return _t1 - _t0']
    else:
        src += ['    _total = 0',
                '    for _r in range(_n):',
                indent(prep, 8),
                '        _t0 = _pc()',
                indent(body, 8),
                '        _t1 = _pc()',
                '        _total += _t1 - _t0',
                '    return _total']
    namespace = {'_repeat': itertools.repeat, 'P': P, 'S': S, 'noop': noop, 'gen': gen,
                 'weakref': weakref, 'gc': gc, 'DATA': DATA}
    exec(compile('\n'.join(src) + '\n', '<calibrate>', 'exec'), namespace)
    return namespace['_bench']


def run_group(setup, bodies, prep=None, ops=None):
    """Time several bodies under one setup, interleaved run by run.

    Returns {name: [ns per operation, one per repeat]} (not yet subtracted).
    In the loop shape each body is unrolled UNROLL times and ops = UNROLL.
    """
    if prep is None:
        ops = UNROLL
        bodies = {name: '\n'.join([body] * UNROLL) if body != 'pass' else 'pass'
                  for name, body in bodies.items()}
    funcs = {name: compile_bench(setup, body, prep) for name, body in bodies.items()}
    slowest = max(funcs.values(), key=lambda f: f(3, PC))
    n = 4
    while True:
        elapsed = slowest(n, PC)
        if elapsed >= TARGET_MS * 1e6 / 8 or n >= 1 << 30:
            break
        n *= 4
    n = max(1, int(n * TARGET_MS * 1e6 / max(elapsed, 1)))
    for f in funcs.values():   # warm up: specialise the bytecode, fill free lists
        f(max(1, n // 20), PC)
    names = list(funcs)
    result = {name: [] for name in names}
    for r in range(REPEATS):
        order = names[r % len(names):] + names[:r % len(names)]
        if r % 2:
            order.reverse()
        for name in order:
            result[name].append(funcs[name](n, PC) / (n * ops))
    return result


def diff(a, b):
    return [x - y for x, y in zip(a, b)]


def fit(xs, ys):
    """Least-squares line y = base + slope * x."""
    mx = statistics.fmean(xs)
    my = statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


# Shared read-only data the setups pick from (prebuilt, hashes cached).
KEYS = tuple(f'key{i:04d}' for i in range(ROUND))
INTS = tuple(range(10 ** 6, 10 ** 6 + ROUND))
DATA = {
    'keys': KEYS,
    'ints': INTS,
    'src_dict': dict.fromkeys(KEYS, 0),
    'd1000': {k: i for i, k in enumerate(KEYS)},
}
for _k in KEYS:
    hash(_k)


class Calibration:
    def __init__(self):
        self.costs = {}
        self.spread = {}
        self.code = {}
        self.baseline = {}
        self.detail = {}

    def record(self, key, values, code, baseline):
        median = statistics.median(values)
        self.costs[key] = round(max(0.0, median), 3)
        self.spread[key] = [round(min(values), 3), round(max(values), 3)]
        self.code[key] = code
        self.baseline[key] = baseline
        log(f'  {key:24} {median:9.2f} ns   [{min(values):.2f}, {max(values):.2f}]')

    # -- loop-shaped keys ---------------------------------------------------

    def simple(self, key, setup, stmt, code=None):
        group = run_group(setup, {'stmt': stmt, 'empty': 'pass'})
        self.record(key, diff(group['stmt'], group['empty']),
                    code or (stmt if setup == 'pass' else f'{stmt}    # setup: {setup.replace(chr(10), "; ")}'),
                    f'the same loop with an empty body (unrolled x{UNROLL})')

    def linear(self, base_key, slope_key, unit, sizes, make, shape):
        """Fit base + slope * size over several sizes; make(size) -> (setup, stmt); shape describes them."""
        per_size = {}
        for size in sizes:
            setup, stmt = make(size)
            group = run_group(setup, {'stmt': stmt, 'empty': 'pass'})
            per_size[size] = diff(group['stmt'], group['empty'])
            log(f'    {base_key[:-5]} size {size:5}: {statistics.median(per_size[size]):8.2f} ns')
        base, slope = fit(sizes, [statistics.median(per_size[s]) for s in sizes])
        runs = [fit(sizes, [per_size[s][r] for s in sizes]) for r in range(REPEATS)]
        for key, value, index in ((base_key, base, 0), (slope_key, slope, 1)):
            values = [run[index] for run in runs]
            self.costs[key] = round(max(0.0, value), 4)
            self.spread[key] = [round(min(values), 4), round(max(values), 4)]
            self.code[key] = (f'least-squares line ns = base + per_{unit} * n through the create-and-drop cost of '
                              f'{shape}, at n = {", ".join(map(str, sizes))}')
            self.baseline[key] = f'the same loop with an empty body (unrolled x{UNROLL}), at each size'
            log(f'  {key:24} {value:9.4f} ns   [{min(values):.4f}, {max(values):.4f}]')
        self.detail[base_key[:-5] + '_by_size'] = {str(s): round(statistics.median(per_size[s]), 3) for s in sizes}

    # -- round-shaped keys --------------------------------------------------

    def amortised(self, key, setup, prep, loop, stmt, code):
        body = f'{loop}\n    {stmt}'
        group = run_group(setup, {'stmt': body, 'empty': f'{loop}\n    pass'}, prep=prep, ops=ROUND)
        self.record(key, diff(group['stmt'], group['empty']),
                    f'{code}    # per round, untimed: {prep.replace(chr(10), "; ")}; '
                    f'timed: {loop} {stmt}; cost per operation',
                    'the same round with `pass` as the loop body, per operation')

    def dealloc(self, new):
        """Deallocation of objects made by `new`, per object, over 1000 slots.

        Each round fills 1000 slots of l with new objects, untimed, then times
          free:    for i in idx: l[i] = y   (each store drops the last reference: dealloc)
          nofree:  for i in idx: m[i] = y   (the same stores into a list of Nones: nothing freed)
        so the difference is the deallocation alone, in the order of allocation.
        """
        setup = ('l = [None] * 1000\nm = [None] * 1000\nys = [None] * 1000\nidx = tuple(range(1000))\n'
                 'x = 1000\ny = None\na = 1\nb = 2\nc = 3')
        prep = f'l[:] = ys\nl[:] = [{new} for i in idx]'
        bodies = {'free': 'for i in idx:\n    l[i] = y', 'nofree': 'for i in idx:\n    m[i] = y'}
        g = run_group(setup, bodies, prep=prep, ops=ROUND)
        return diff(g['free'], g['nofree']), prep


# ---------------------------------------------------------------------------
# GC measurements.

def time_collect(generation=2):
    t0 = PC()
    gc.collect(generation)
    t1 = PC()
    return t1 - t0


def gc_full(make, n, label):
    """Per-object cost of a full collection over n objects made by make()."""
    gc.collect()
    empty = [time_collect() for _ in range(GC_REPEATS)]
    holder = [make() for _ in range(n)]
    tracked = gc.is_tracked(holder[0])
    first = time_collect()            # moves them all to the oldest generation
    full = [time_collect() for _ in range(GC_REPEATS)]
    del holder
    gc.collect()
    empty += [time_collect() for _ in range(GC_REPEATS)]
    base = statistics.median(empty)
    values = [(t - base) / n for t in full]
    detail = {
        'objects': n,
        'tracked': tracked,
        'ns_per_object': round(statistics.median(values), 2),
        'collect_ms_with': round(statistics.median(full) / 1e6, 3),
        'collect_ms_without': round(base / 1e6, 3),
        'first_collect_ms': round(first / 1e6, 3),
    }
    log(f'    {label} (n = {n:_}): {detail}')
    return values, detail


def gc_young():
    """Young collections with YOUNG_N new lists in generation 0, minus an empty one.

    Both are timed the same way (perf_counter_ns around one gc.collect(0)), one
    after the other, so the timer and the call cancel.
    """
    empty = []
    with_objects = []
    counts = []
    gc.collect()
    holder = [[] for _ in range(YOUNG_N - 1)]
    gen0_objects = len(gc.get_objects(0))
    del holder
    for _ in range(YOUNG_REPEATS):
        gc.collect(0)
        empty.append(time_collect(0))
        holder = [[] for _ in range(YOUNG_N - 1)]   # + the holder itself
        counts.append(gc.get_count()[0])
        with_objects.append(time_collect(0))
        del holder
    gc.collect()
    e = statistics.median(empty)
    return {
        'empty': e,
        'young': [v - e for v in with_objects],
        'gen0_count': statistics.median(counts),
        'gen0_objects': gen0_objects,
    }


# ---------------------------------------------------------------------------

def machine():
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} cpus, {platform.platform()}'


METHOD = (
    'Each key times one statement (see "code"; "baseline" is what was subtracted) in a compiled '
    f'function, names local except module-level P, S, noop, gen, weakref, gc. Loop shape: the statement '
    f'unrolled x{UNROLL} in `for _ in itertools.repeat(None, n)`, minus the same loop with an empty body. '
    f'Round shape (list_append, list_pop, set_add, dict_setitem_new_key, dict_delitem, dealloc): the '
    f'container is prepared untimed each round and reused, then {ROUND} operations are timed, minus the '
    f'same loop with `pass`. perf_counter_ns; ~{TARGET_MS} ms per timed run; {REPEATS} runs of each '
    'statement and its baseline, interleaved; cost = median, spread = [min, max] of the raw per-run '
    'values; negative medians clamped to 0. gc.disable() throughout (tracked objects still count towards '
    'generation 0 but no automatic collection runs; the gc_* keys collect explicitly). *_base/*_per_* keys: least-squares line '
    'through the create-and-drop cost at several sizes (per-size medians in detail). '
    'dealloc: each round fills 1000 slots with new empty lists untimed, then times storing None into '
    'every slot (each store frees one list) minus the same stores into a list of Nones (nothing freed); '
    'detail has the same for ints and instances of P. This is a bulk free in allocation order (80 '
    'lists to the list free list, the rest to PyObject_GC_Del), as at the end of a request; in a '
    'create-and-drop loop (list_new) the list goes straight back to the free list, a smaller share. '
    'gc_full_per_*: (median of gc.collect() with 1,000,000 objects held in a '
    'list - without) / 1,000,000, after one untimed full collection; gc_young_base: gc.collect(0) on '
    'an empty generation 0, loop shape; gc_young_700: one perf_counter_ns-timed gc.collect(0) with 700 '
    'new tracked lists (699 + their holder) in generation 0 minus the same with generation 0 empty, '
    f'median of {YOUNG_REPEATS} (a young collection '
    'costs gc_young_base + gc_young_700).'
)


def main():
    started = time.monotonic()
    gc.collect()
    gc.disable()
    cal = Calibration()
    log(f'calibrating CPython {platform.python_version()} on {machine()}')

    cal.simple('int_new', 'x = 1000', 'x + 1')
    cal.simple('float_new', 'f = 1.5', 'f + 1.0')
    cal.linear('str_new_base', 'str_new_per_char', 'char', STR_LENGTHS,
               lambda n: (f"s1 = 'x' * {n // 2}\ns2 = 'y' * {n - n // 2}", 's1 + s2'),
               "s1 + s2 with s1 = 'x' * (n // 2), s2 = 'y' * (n - n // 2) (an ASCII str of n chars)")
    cal.linear('bytes_new_base', 'bytes_new_per_byte', 'byte', STR_LENGTHS,
               lambda n: (f"b1 = b'x' * {n // 2}\nb2 = b'y' * {n - n // 2}", 'b1 + b2'),
               "b1 + b2 with b1 = b'x' * (n // 2), b2 = b'y' * (n - n // 2) (a bytes of n bytes)")
    names = 'abcdefghij'
    cal.linear('tuple_new_base', 'tuple_new_per_item', 'item', TUPLE_SIZES,
               lambda n: ('\n'.join(f'{v} = {1000 + i}' for i, v in enumerate(names)),
                          '(' + ', '.join(names[:n]) + (',)' if n == 1 else ')')),
               '(a,), (a, b, c), (a, b, c, d, e, f, g, h, i, j): BUILD_TUPLE from locals a..j = ints 1000..1009')

    cal.simple('list_new', 'pass', '[]')
    cal.amortised('list_append', "l = []\nvals = DATA['ints']", 'l.clear()',
                  'for x in vals:', 'l.append(x)',
                  'l.append(x), growing l from empty to 1000 items')
    cal.simple('list_getitem', 'l = list(range(1000))\ni = 500', 'l[i]')
    cal.simple('list_setitem', 'l = list(range(1000))\ni = 500\nx = 7', 'l[i] = x')
    cal.amortised('list_pop', "l = []\nvals = DATA['ints']", 'l.extend(vals)',
                  'for x in vals:', 'l.pop()',
                  'l.pop() from the end, emptying a 1000-item list')

    cal.simple('dict_new', 'pass', '{}')
    cal.amortised('dict_setitem_new_key', "d = {}\nkeys = DATA['keys']\nv = 0", 'd.clear()',
                  'for k in keys:', 'd[k] = v',
                  'd[k] = v for 1000 new prebuilt str keys (hash cached), building d from empty')
    cal.simple('dict_setitem_existing', "d = dict(DATA['d1000'])\nk = DATA['keys'][500]\nv = 0", 'd[k] = v')
    cal.simple('dict_getitem', "d = dict(DATA['d1000'])\nk = DATA['keys'][500]", 'd[k]')
    cal.amortised('dict_delitem', "d = {}\nkeys = DATA['keys']\nsrc = DATA['src_dict']",
                  'd.clear()\nd.update(src)', 'for k in keys:', 'del d[k]',
                  'del d[k] for every key of a 1000-key str dict')

    cal.simple('set_new', 'pass', 'set()')
    cal.amortised('set_add', "s = set()\nvals = DATA['ints']", 's.clear()',
                  'for x in vals:', 's.add(x)',
                  's.add(x) for 1000 new ints (10**6 ..), growing s from empty')

    cal.simple('instance_new', 'a = 1\nb = 2\nc = 3', 'P(a, b, c)',
               'P(a, b, c)    # class P: def __init__(self, a, b, c): self.a = a; self.b = b; self.c = c')
    cal.simple('instance_slots_new', 'a = 1\nb = 2\nc = 3', 'S(a, b, c)',
               "S(a, b, c)    # class S: __slots__ = ('a', 'b', 'c'), the same __init__")
    cal.simple('getattr', 'p = P(1, 2, 3)', 'p.a')
    cal.simple('setattr', 'p = P(1, 2, 3)\nx = 7', 'p.a = x')

    cal.simple('function_new', 'pass', 'def fn(): pass',
               'def fn(): pass    # MAKE_FUNCTION + STORE_FAST, which drops the previous fn')
    cal.simple('closure_new', 'v = 1', 'def g(): return v',
               'def g(): return v    # v a cell of the enclosing function: LOAD_CLOSURE, BUILD_TUPLE 1, '
               'MAKE_FUNCTION; the previous g is dropped; the cell exists already')
    cal.simple('call', 'pass', 'noop()', 'noop()    # def noop(): pass (module level)')
    cal.simple('generator_new', 'pass', 'gen()',
               'gen()    # def gen(): yield 1 (module level); created and dropped unstarted')
    cal.simple('weakref_new', 'o = P(1, 2, 3)', 'weakref.ref(o)',
               'weakref.ref(o)    # o = P(1, 2, 3) kept alive, no other weak reference to it')

    for kind, new in (('int', 'x + i'), ('instance', 'P(a, b, c)'), ('list', '[]')):
        values, prep = cal.dealloc(new)
        median = statistics.median(values)
        log(f'    dealloc {kind:8}: {median:8.2f} ns [{min(values):.2f}, {max(values):.2f}]')
        cal.detail[f'dealloc_{kind}'] = {'ns': round(median, 3),
                                         'spread': [round(min(values), 3), round(max(values), 3)]}
    cal.record('dealloc', values,
               'l[i] = y    # frees an empty list: per round, untimed: ' + prep.replace('\n', '; ')
               + '; timed: for i in idx: l[i] = y (y = None); the first 80 freed go to the list '
               'free list, the rest to PyObject_GC_Del',
               'the same round storing y into a list of Nones instead (m[i] = y): nothing freed')

    log('  gc: full collections over 1,000,000 objects (a few seconds)')
    shared = []
    full = (
        ('gc_full_per_list', list, '[[] for _ in range(N)]'),
        ('gc_full_per_instance', lambda: P(1, 2, 3), '[P(1, 2, 3) for _ in range(N)]'),
        ('gc_full_per_dict', lambda: {'a': shared, 'b': 1, 'c': 2},
         "[{'a': shared, 'b': 1, 'c': 2} for _ in range(N)] (shared = one list, so every dict stays tracked)"),
    )
    for key, make, holder in full:
        values, detail = gc_full(make, GC_N, key)
        cal.detail[key] = detail
        cal.record(key, values,
                   f'gc.collect() with holder = {holder} alive, N = {GC_N:_}, per object',
                   'gc.collect() without those objects (median of runs before and after)')
    for key, make, _ in full[:2]:
        values, detail = gc_full(make, GC_N // 10, key)
        cal.detail[key + '_at_100k'] = detail

    young = gc_young()
    cal.simple('gc_young_base', 'pass', 'gc.collect(0)',
               'gc.collect(0)    # generation 0 empty (each call empties it, the loop allocates nothing)')
    cal.record('gc_young_700', young['young'],
               f'gc.collect(0) right after holder = [[] for _ in range({YOUNG_N - 1})]: {young["gen0_objects"]} '
               'objects in generation 0 (gc.get_objects(0)); they survive into generation 1',
               'the same perf_counter_ns-timed gc.collect(0) with generation 0 empty; '
               'a young collection costs gc_young_base + gc_young_700')
    cal.detail['gc_young'] = {
        'repeats': YOUNG_REPEATS,
        'gen0_objects': young['gen0_objects'],
        'gen0_count': young['gen0_count'],
        'timed_empty_collect_ns': young['empty'],
        'total_ns': round(cal.costs['gc_young_base'] + cal.costs['gc_young_700'], 1),
    }

    elapsed = time.monotonic() - started
    log(f'done in {elapsed:.1f} s')
    order = list(cal.costs)
    print(json.dumps({
        'python': platform.python_version(),
        'implementation': platform.python_implementation(),
        'machine': machine(),
        'date': time.strftime('%Y-%m-%d'),
        'unit': 'ns',
        'method': METHOD,
        'repeats': REPEATS,
        'seconds': round(elapsed, 1),
        'costs': cal.costs,
        'spread': {k: cal.spread[k] for k in order},
        'code': {k: cal.code[k] for k in order},
        'baseline': {k: cal.baseline[k] for k in order},
        'detail': cal.detail,
    }, indent=2))


if __name__ == '__main__':
    main()
