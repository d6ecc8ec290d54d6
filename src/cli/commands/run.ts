/**
 * `pyheap run <scenario>`: the real-time service and its load in one process
 * tree for the scenario's duration -- workers as threads, jobs through BullMQ
 * on Redis, wall-clock time (scaled) -- ending with the same summary,
 * thresholds and exit code as `pyheap simulate`.
 */
import { Command } from 'commander';
import { addServiceFlags, addWorkerNiceFlag, parsePort } from '../service-flags.js';
import { runSession, type SessionFlags } from '../service-session.js';
import { addRunOutputFlags } from '../run-output-flags.js';
import { THRESHOLD_HELP } from '../threshold-options.js';

export function runCommand(): Command {
  const command = new Command('run')
    .description('Run a scenario in real time: worker threads consume BullMQ jobs on Redis that the scenario\'s load enqueues.')
    .argument('<scenario>', 'scenario YAML file');
  addServiceFlags(command, 'the run id: key prefix pyheap:{<id>} (default: a fresh one per run)');
  addRunOutputFlags(command, { outDefault: '<runs>/<scenario>-<run id>', quiet: 'no progress and no notes on stderr' });
  addWorkerNiceFlag(command);
  return command
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (0: any free port)', parsePort)
    .option('--metrics-host <host>', 'the address /metrics binds to', '127.0.0.1')
    .option('--keep-queue', "leave the run's queue and counters in Redis at the end (they are deleted by default)")
    .addHelpText(
      'after',
      `
The load runs for the scenario's load.duration of modelled time, which takes
duration / --time-scale wall seconds; requests still in flight then get up to
outputs.drain. If nothing answers at --redis, a temporary redis-server from the
PATH is started on a free loopback port (and stopped at the end).

At the end the run's books are read from Redis and must balance:
enqueued = completed + failed (+ still queued); jobs_lost must be 0. The summary
adds the simulation lag: how far the simulator fell behind the modelled clock
(raise --time-scale only while the lag stays small).

${THRESHOLD_HELP}

Exit codes: 0 done and every threshold passed, 99 a threshold failed, 1 jobs were
lost or the service failed, 2 invalid scenario or flags, 130 stopped at once by a
second Ctrl-C.

Examples:
  pyheap run scenarios/quickstart.yaml --time-scale 20
  REDIS_URL=redis://redis.internal:6379 pyheap run scenarios/leaky-api.yaml --time-scale 60 --metrics-port 9464`,
    )
    .action(async (path: string, flags: SessionFlags) => {
      if (await runSession(path, flags, 'run')) process.exit(130);
    });
}
