/**
 * Instructions per iteration of a loop, counted by valgrind's callgrind:
 * unlike wall-clock time, the count does not change with the machine's speed
 * or with what else runs beside it (the same binary and inputs give the same
 * count within a few parts in ten thousand), so it shows what a change to a
 * hot path does when timings on a noisy machine cannot.
 *
 * A loop is run twice, at n1 and n2 iterations, and the difference of the two
 * totals divided by n2 - n1: start-up, warm-up and exit cancel out.
 */
import { spawnSync } from 'node:child_process';

/** Whether valgrind is on the PATH. */
export function valgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
}

function totalInstructions(command: string, args: string[]): number {
  const result = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', command, ...args], {
    encoding: 'utf8',
    // CPython's str hashes, likewise fixed: the same dict probes in every run.
    env: { ...process.env, PYTHONHASHSEED: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 20 * 60 * 1000,
  });
  const collected = /Collected : (\d+)/.exec(result.stderr ?? '');
  if (result.status !== 0 || collected === null) throw new Error(`valgrind ${command} ${args.join(' ')} failed (exit ${result.status}): ${(result.stderr ?? '').slice(-500)}`);
  return Number(collected[1]);
}

/** Instructions per iteration of `loop(n)`, a command line running n iterations. */
export function instructionsPerIteration(command: string, loop: (n: number) => string[], n1: number, n2: number): number {
  return (totalInstructions(command, loop(n2)) - totalInstructions(command, loop(n1))) / (n2 - n1);
}
