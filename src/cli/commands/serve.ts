/**
 * `pyheap serve <scenario>`: the service alone, consuming its queue until
 * stopped. Several serve processes, on one machine or many, may consume the
 * same queue (the same --run-id, --queue and Redis): BullMQ shares the jobs
 * out and recovers those of a process that died.
 */
import { Command } from 'commander';
import { addServiceFlags, addWorkerNiceFlag, parsePort, parsePositive } from '../service-flags.js';
import { runSession, type SessionFlags } from '../service-session.js';
import { addRunOutputFlags } from '../run-output-flags.js';
import { THRESHOLD_HELP } from '../threshold-options.js';

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('Run the simulated service: worker threads consuming BullMQ jobs from Redis until stopped (jobs come from `pyheap enqueue`).')
    .argument('<scenario>', 'scenario YAML file (its service, endpoints, policy and environment; its load is ignored)');
  addServiceFlags(command, "the run id, shared with `pyheap enqueue` and other serve processes: key prefix pyheap:{<id>} (default: the scenario's name)");
  addRunOutputFlags(command, {
    outDefault: '<runs>/<scenario>-<run id>-serve-<host>-<pid>',
    quiet: 'no notes on stderr',
    threshold: 'a pass/fail threshold in k6 syntax, checked when it stops (repeatable)',
  });
  addWorkerNiceFlag(command);
  return command
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (0: any free port)', parsePort, 9464)
    .option('--metrics-host <host>', 'the address /metrics binds to (0.0.0.0 to be scraped from other machines)', '127.0.0.1')
    .option('--duration <seconds>', 'drain and stop by itself after this many wall seconds', parsePositive)
    .addHelpText(
      'after',
      `
SIGTERM or Ctrl-C drains gracefully: no new jobs, the running ones finish within
the policy's graceful timeout, then the rest are killed (and retried per
service.attempts). A second Ctrl-C stops at once: the running jobs return to the
queue through BullMQ's stalled-job recovery (transport.lock_duration and
stalled_interval in the scenario) and another serve process runs them.

Metrics (Prometheus text format) are at http://<metrics-host>:<metrics-port>/metrics;
beside them GET /workers, GET /workers/<slot>/snapshot (pymalloc statistics, most
common types) and POST /workers/<slot>/gc?generation=2 (gc.collect in that worker).
The summary's request counts are the run's books in Redis, across every process.

${THRESHOLD_HELP}

Examples:
  pyheap serve scenarios/healthy-api.yaml --time-scale 10
  pyheap enqueue scenarios/healthy-api.yaml --time-scale 10     # in another terminal
  REDIS_URL=redis://:secret@10.0.0.5:6379 pyheap serve app.yaml --run-id soak-42 --metrics-host 0.0.0.0`,
    )
    .action(async (path: string, flags: SessionFlags) => {
      if (await runSession(path, flags, 'serve')) process.exit(130);
    });
}
