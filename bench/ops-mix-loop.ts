/**
 * ops_mix, n iterations and nothing else, for counting instructions under
 * callgrind (bench/instructions.ts): `node dist/bench/ops-mix-loop.js <n>`.
 * The warm-up matches the timed benchmark's, so that the loop runs optimized code.
 */
import { newPython, OPS_WARMUP, opsMix, prepareOpsMix } from './ops-mix.js';

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 0) {
  console.error('usage: node dist/bench/ops-mix-loop.js <iterations>');
  process.exit(2);
}
const { py, P } = newPython();
py.call(() => {
  const setup = prepareOpsMix(py, P);
  opsMix(py, setup, OPS_WARMUP);
  opsMix(py, setup, n);
});
