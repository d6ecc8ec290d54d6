/**
 * `pyheap simulate <scenario>`: runs a scenario in virtual time (no Redis, no
 * waiting), writes its run directory, prints the end-of-run summary and sets
 * the exit code from the thresholds (99 when one fails, as k6 does).
 */
import { Command } from 'commander';
import { Simulation } from '../../engine/event-loop.js';
import type { RunRecorder } from '../../engine/run-recorder.js';
import { PyheapError } from '../../errors.js';
import { buildSummary } from '../../report/summary.js';
import { duration, formatSummary } from '../../report/summary-table.js';
import { defaultRunPath, RunDirectory } from '../../report/run-directory.js';
import { evaluateThresholds, THRESHOLD_FAILED_EXIT_CODE, type Threshold, thresholdRecords } from '../../report/thresholds.js';
import { compileScenario } from '../../scenario/compile.js';
import { loadScenario } from '../../scenario/scenario-file.js';
import { Progress } from '../progress.js';
import { addRunOutputFlags } from '../run-output-flags.js';
import { scenarioThresholds, THRESHOLD_HELP } from '../threshold-options.js';

interface SimulateFlags {
  seed?: number;
  out?: string;
  runs: string;
  threshold: Threshold[];
  json?: boolean;
  quiet?: boolean;
}

export function simulateCommand(): Command {
  const command = new Command('simulate')
    .description('Run a scenario in virtual time: deterministic, no Redis, as fast as the object work allows.')
    .argument('<scenario>', 'scenario YAML file (see `pyheap validate`, `pyheap schema`)');
  return addRunOutputFlags(command, { outDefault: '<runs>/<scenario>-seed<seed>-<time>', quiet: 'no progress line and no run-directory note on stderr' })
    .addHelpText(
      'after',
      `
The run directory holds scenario.yaml (resolved, with the seed), samples.jsonl,
events.jsonl and summary.json. The same scenario and seed give byte-identical files.

${THRESHOLD_HELP}

Exit codes: 0 done and every threshold passed, 99 a threshold failed, 2 invalid
scenario or flags, 1 the simulation failed.

Examples:
  pyheap simulate scenarios/quickstart.yaml
  pyheap simulate scenarios/leaky-api.yaml --seed 3 --threshold "rss_slope_mb_per_hour: value<5"
  pyheap simulate scenarios/restart-storm.yaml --json > summary.json`,
    )
    .action(async (path: string, flags: SimulateFlags) => {
      await runSimulate(path, flags);
    });
}

async function runSimulate(path: string, flags: SimulateFlags): Promise<void> {
  const { scenario } = loadScenario(path);
  const thresholds = [...scenarioThresholds(path, scenario.outputs.thresholds), ...flags.threshold];
  const plan = await compileScenario(scenario, { scenarioPath: path, seed: flags.seed });
  const runPath = flags.out ?? defaultRunPath(flags.runs, plan.name, plan.seed);
  const directory = new RunDirectory(runPath, { ...scenario, seed: plan.seed });
  const progress = new Progress(!flags.quiet && process.stderr.isTTY === true);
  const started = performance.now();
  const simulation = new Simulation(plan, {
    sample: (line) => directory.sample(line),
    event: (line) => directory.event(line),
    progress: (nowS, recorder) => {
      directory.flush();
      progress.update(() => progressLine(nowS, plan.durationS, recorder));
    },
  });
  let recorder: RunRecorder;
  try {
    recorder = simulation.run();
  } catch (e) {
    directory.flush();
    progress.done();
    if (e instanceof PyheapError) throw e;
    throw new PyheapError('PYHEAP_E_SIMULATION', `the simulation failed at ${duration(simulation.simulatedSeconds)}: ${(e as Error).message}`, { cause: e });
  }
  const wallSeconds = (performance.now() - started) / 1000;
  progress.done();
  const summary = buildSummary(recorder);
  const results = evaluateThresholds(thresholds, summary, {
    latency: recorder.total,
    wait: recorder.wait,
    service: recorder.service,
    latency_near_restart: recorder.nearRestart,
  });
  directory.finish({ ...summary, thresholds: thresholdRecords(results) });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...summary, thresholds: results, run_directory: runPath }, null, 2)}\n`);
  } else {
    process.stdout.write(formatSummary(summary, results));
  }
  if (!flags.quiet) {
    const speed = wallSeconds > 0 ? Math.round(summary.simulated_seconds / wallSeconds).toLocaleString('en-US') : '-';
    process.stderr.write(`pyheap: simulated ${duration(summary.simulated_seconds)} in ${wallSeconds.toFixed(1)} s (${speed}x real time); run directory ${runPath}\n`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = THRESHOLD_FAILED_EXIT_CODE;
}

function progressLine(nowS: number, totalS: number, recorder: RunRecorder): string {
  const fraction = Math.min(1, nowS / totalS);
  const width = 24;
  const filled = Math.round(fraction * width);
  const bar = `${'='.repeat(filled)}${' '.repeat(width - filled)}`;
  let restarts = 0;
  for (const k of recorder.restarts.values()) restarts += k;
  const rss = recorder.slopeRss.length > 0 ? recorder.slopeRss[recorder.slopeRss.length - 1] : 0;
  return `simulating [${bar}] ${duration(nowS)} / ${duration(totalS)}  requests ${recorder.jobsCompleted.toLocaleString('en-US')}  restarts ${restarts}  RSS ${(rss / 1e6).toFixed(0)} MB`;
}
