/**
 * The flags of the commands that end with a run's summary (`simulate`, `run`,
 * `serve`): the seed, where the run directory goes, thresholds, and how the
 * summary is printed.
 */
import type { Command } from 'commander';
import { collectThreshold, parseInteger } from './threshold-options.js';

export interface RunOutputHelp {
  /** The run directory's default name, as --help shows it. */
  outDefault: string;
  quiet: string;
  threshold?: string;
}

export function addRunOutputFlags(command: Command, help: RunOutputHelp): Command {
  return command
    .option('--seed <n>', "override the scenario's seed", parseInteger)
    .option('--out <dir>', `run directory to write (default: ${help.outDefault})`)
    .option('--runs <dir>', 'where run directories go', 'runs')
    .option('--threshold <metric: expression>', help.threshold ?? 'a pass/fail threshold in k6 syntax, e.g. "latency: p(99)<250" (repeatable)', collectThreshold, [])
    .option('--json', 'print the summary as JSON instead of the table')
    .option('-q, --quiet', help.quiet);
}
