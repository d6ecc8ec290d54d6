#!/usr/bin/env python3
"""The CPython side (the anchor) of pyheap's object-model benchmark.

It times, in one run of a real CPython, the same work the simulator's object
model is asked to model, so the simulated (modelled) times can be compared with
these in the same run:

  ops_mix               per iteration: create and drop one instance of P (three
                        attributes set in __init__), one 3-tuple, one list of 3
                        items, one dict of 3 str keys; ns per iteration and per
                        operation (4 per iteration)
  gc_full_1m_lists      gc.collect() over 1,000,000 tracked empty lists held in a
                        list; total ms and ns per object, the collection without
                        them subtracted
  gc_full_1m_instances  the same with 1,000,000 instances of P
  gc_young_700          one gc.collect(0) with 700 new tracked lists in generation
                        0, minus the same with generation 0 empty; the total too

In ops_mix, CPython 3.11 compiles the dict display to BUILD_CONST_KEY_MAP
over a constant tuple of keys, and after the warm-up its specializer has
turned the stores in P.__init__ into STORE_ATTR_INSTANCE_VALUE (check with
dis.dis(P.__init__, adaptive=True)); bench/objects.ts uses the simulator's
prepared call sites that match (py.constKeys, py.constructorCall).

Every figure is measured RUNS times and reported as median, min and max, as
ONE JSON line on stdout (progress on stderr).

    python3 bench/objects-anchor.py        (stdlib only, ~10 s)
    python3 bench/objects-anchor.py --ops-mix-loop N
                                           (N iterations of ops_mix only, untimed:
                                           bench/objects.ts counts their instructions)
    python3 bench/objects-anchor.py --young-loop N collect|fill
                                           (N iterations of gc_young's fill, each with
                                           or without its gc.collect(0), untimed: the
                                           same, for the young collection)

Method as in bench/calibrate.py: ops_mix unrolls the iteration UNROLL times in
`for _ in itertools.repeat(None, n)` and subtracts the same loop with an empty
body, ~TARGET_MS per timed run. Automatic collection is off during the
timings (gc.disable()); in ops_mix every tracked object is freed as soon as it
is made, so generation 0 never fills and an enabled collector would not run
either: the output says how many collections ran (gc.get_stats()).
"""

import gc
import itertools
import json
import os
import platform
import statistics
import sys
import time

PC = time.perf_counter_ns
RUNS = 5
UNROLL = 10
TARGET_MS = 20
GC_N = 1_000_000
YOUNG_N = 700
YOUNG_SAMPLES = 201     # young collections per run (the run's figure is their median)


class P:
    def __init__(self, a, b, c):
        self.a = a
        self.b = b
        self.c = c


OPS_MIX = ('P(a, b, c)', '(a, b, c)', '[a, b, c]', "{'a': a, 'b': b, 'c': c}")


def log(message):
    print(message, file=sys.stderr, flush=True)


def summary(values, digits=2):
    return {'median': round(statistics.median(values), digits),
            'min': round(min(values), digits), 'max': round(max(values), digits)}


def compile_loop(body):
    src = '\n'.join([
        'def _bench(_n, _pc):',
        '    a = 1001',
        '    b = 1002',
        '    c = 1003',
        '    _it = _repeat(None, _n)',
        '    _t0 = _pc()',
        '    for _i in _it:',
        *('        ' + line for line in body),
        '    _t1 = _pc()',
        '    return _t1 - _t0',
    ])
    namespace = {'_repeat': itertools.repeat, 'P': P}
    exec(compile(src + '\n', '<objects-anchor>', 'exec'), namespace)
    return namespace['_bench']


def ops_mix():
    stmt = compile_loop(list(OPS_MIX) * UNROLL)
    empty = compile_loop(['pass'])
    n = 1000
    while (elapsed := stmt(n, PC)) < TARGET_MS * 1e6 / 10:
        n *= 4
    n = max(1, int(n * TARGET_MS * 1e6 / elapsed))
    stmt(n // 10, PC)
    collections = sum(s['collections'] for s in gc.get_stats())
    per_iteration = []
    for r in range(RUNS):
        if r % 2:
            t_empty = empty(n, PC)
            t_stmt = stmt(n, PC)
        else:
            t_stmt = stmt(n, PC)
            t_empty = empty(n, PC)
        per_iteration.append((t_stmt - t_empty) / (n * UNROLL))
    collections = sum(s['collections'] for s in gc.get_stats()) - collections
    return {
        'code': list(OPS_MIX),
        'class': 'class P: def __init__(self, a, b, c): self.a = a; self.b = b; self.c = c',
        'iterations_per_run': n * UNROLL,
        'ns_per_iteration': summary(per_iteration),
        'ns_per_op': summary([v / len(OPS_MIX) for v in per_iteration]),
        'gc_collections_during': collections,
    }


def time_collect(generation=2):
    t0 = PC()
    gc.collect(generation)
    t1 = PC()
    return t1 - t0


def gc_full(make, holder_code):
    """RUNS full collections with GC_N objects alive; baseline runs before and after."""
    gc.collect()
    empty = [time_collect() for _ in range(RUNS)]
    holder = [make() for _ in range(GC_N)]
    time_collect()          # untimed: moves them all to the oldest generation
    full = [time_collect() for _ in range(RUNS)]
    del holder
    gc.collect()
    empty += [time_collect() for _ in range(RUNS)]
    base = statistics.median(empty)
    return {
        'code': f'gc.collect() with holder = {holder_code} alive',
        'objects': GC_N,
        'total_ms': summary([t / 1e6 for t in full], 3),
        'baseline_ms': summary([t / 1e6 for t in empty], 3),
        'ns_per_object': summary([(t - base) / GC_N for t in full]),
    }


def gc_young():
    """Each run: YOUNG_SAMPLES pairs (empty gc.collect(0), gc.collect(0) with 700 lists)."""
    marginal = []
    total = []
    empty_runs = []
    for _ in range(RUNS):
        gc.collect()
        empty = []
        full = []
        for _ in range(YOUNG_SAMPLES):
            gc.collect(0)
            empty.append(time_collect(0))
            holder = [[] for _ in range(YOUNG_N - 1)]   # + the holder itself
            full.append(time_collect(0))
            del holder
        e = statistics.median(empty)
        empty_runs.append(e)
        total.append(statistics.median(full))
        marginal.append(statistics.median(full) - e)
    gc.collect()
    holder = [[] for _ in range(YOUNG_N - 1)]
    in_gen0 = len(gc.get_objects(0))
    del holder
    return {
        'code': f'gc.collect(0) right after holder = [[] for _ in range({YOUNG_N - 1})]',
        'objects_in_generation_0': in_gen0,
        'samples_per_run': YOUNG_SAMPLES,
        'ns': summary(marginal, 0),
        'ns_total': summary(total, 0),
        'ns_empty_collect': summary(empty_runs, 0),
        'note': 'ns = with the objects minus an empty gc.collect(0) timed the same way; '
                'ns_total and ns_empty_collect include the perf_counter_ns pair and the call',
    }


def machine():
    model = platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            model = next((line.split(':', 1)[1].strip() for line in f if line.startswith('model name')), model)
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} cpus, {platform.platform()}'


def ops_mix_loop(n):
    """ops_mix for n iterations (n // UNROLL loops of the unrolled body) and nothing else: bench/objects.ts counts its instructions."""
    stmt = compile_loop(list(OPS_MIX) * UNROLL)
    gc.disable()
    stmt(1000, PC)          # warm-up: the specializer's adaptive instructions settle
    stmt(n // UNROLL, PC)


def young_loop(n, collect):
    """gc_young's fill, with or without its gc.collect(0), n times (after a warm-up): bench/objects.ts counts their instructions."""
    gc.collect()
    gc.disable()

    def iteration():
        holder = [[] for _ in range(YOUNG_N - 1)]
        if collect:
            gc.collect(0)

    for _ in range(500):
        iteration()
    for _ in range(n):
        iteration()


def main():
    if sys.argv[1:2] == ['--ops-mix-loop']:
        ops_mix_loop(int(sys.argv[2]))
        return
    if sys.argv[1:2] == ['--young-loop']:
        if len(sys.argv) != 4 or sys.argv[3] not in ('collect', 'fill'):
            sys.exit('usage: python3 bench/objects-anchor.py --young-loop N collect|fill')
        young_loop(int(sys.argv[2]), sys.argv[3] == 'collect')
        return
    started = time.monotonic()
    gc.collect()
    gc.disable()
    result = {'python': platform.python_version(), 'machine': machine(), 'runs': RUNS}
    log('ops_mix')
    result['ops_mix'] = ops_mix()
    log('gc_full_1m_lists')
    result['gc_full_1m_lists'] = gc_full(list, '[[] for _ in range(1_000_000)]')
    log('gc_full_1m_instances')
    result['gc_full_1m_instances'] = gc_full(lambda: P(1, 2, 3), '[P(1, 2, 3) for _ in range(1_000_000)]')
    log('gc_young_700')
    result['gc_young_700'] = gc_young()
    gc.enable()
    result['seconds'] = round(time.monotonic() - started, 1)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
