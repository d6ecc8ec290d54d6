/**
 * gc_young_700, n iterations and nothing else, for counting instructions
 * under callgrind (bench/instructions.ts):
 *
 *   node dist/bench/young-loop.js <n> collect|fill
 *
 * Each iteration fills generation 0 with 700 new objects inside a call and,
 * with `collect`, runs collect(0) before the call returns and frees them; the
 * difference of the two per iteration is the collection's. A warm-up first,
 * long enough that nothing is compiled in the counted iterations (with 500,
 * the collector's code was still being optimized in them, which doubled the
 * figure).
 */
import { newPython } from './ops-mix.js';
import { fillGeneration0 } from './young-collection.js';

const WARMUP = 2000;
const n = Number(process.argv[2]);
const mode = process.argv[3];
if (!Number.isInteger(n) || n < 0 || (mode !== 'collect' && mode !== 'fill')) {
  console.error('usage: node dist/bench/young-loop.js <iterations> collect|fill');
  process.exit(2);
}
const { py } = newPython();
const collect = mode === 'collect';
const iteration = (): void => {
  py.call(() => {
    fillGeneration0(py);
    if (collect) py.gc.collect(0);
  });
};
for (let i = 0; i < WARMUP; i++) iteration();
for (let i = 0; i < n; i++) iteration();
