/**
 * `pyheap enqueue [scenario]`: the load generator alone. It adds the
 * scenario's arrival process -- or one given by flags -- to a run's BullMQ
 * queue in real time (divided by --time-scale), in bulk where several jobs
 * fall due together, prints progress, and reports the achieved rate next to
 * the requested one.
 */
import { Command } from 'commander';
import { PyheapError } from '../../errors.js';
import { Enqueuer } from '../../loadgen/enqueuer.js';
import { loadScenario } from '../../scenario/scenario-file.js';
import { ensureRedis } from '../../supervisor/service.js';
import { JobProducer } from '../../transport/bullmq/queue.js';
import { redactRedisUrl } from '../../transport/bullmq/redis-url.js';
import { parseDuration } from '../../workload/units.js';
import { type LoadSpec, loadSchema } from '../../workload/load-schema.js';
import { Progress } from '../progress.js';
import { addServiceFlags, parsePositive, queueAddress, type ServiceFlags } from '../service-flags.js';
import { parseInteger } from '../threshold-options.js';

interface EnqueueFlags extends ServiceFlags {
  rate?: number;
  arrival: 'poisson' | 'constant';
  stages?: string;
  duration?: string;
  endpointMix?: string;
  seed?: number;
  attempts?: number;
  json?: boolean;
  quiet?: boolean;
}

export function enqueueCommand(): Command {
  const command = new Command('enqueue')
    .description("Add a load's jobs to a run's queue in real time, for `pyheap serve` processes to consume.")
    .argument('[scenario]', 'scenario YAML file: its load, endpoints and seed (flags override them)');
  addServiceFlags(command, "the run id the serve processes use: key prefix pyheap:{<id>} (default: the scenario's name, or --queue)");
  return command
    .option('--rate <per-second>', 'arrivals per modelled second (replaces the scenario\'s load)', parsePositive)
    .option('--arrival <kind>', 'with --rate: poisson or constant spacing', parseArrival, 'poisson')
    .option('--stages <list>', 'ramping stages "duration:target,..." e.g. "30s:100,5m:100,30s:0" (replaces the load)')
    .option('--duration <d>', 'how long the load lasts (modelled), e.g. 90s, 10m, 1h')
    .option('--endpoint-mix <list>', 'endpoint weights "name=weight,..." e.g. "get_user=8,search=2"')
    .option('--attempts <n>', 'executions each job gets (BullMQ attempts; default: the scenario\'s service.attempts, else 1)', parseInteger)
    .option('--seed <n>', 'seed of the arrival times and endpoint draws', parseInteger)
    .option('--json', 'print the final report as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Without a scenario, give --queue, --endpoint-mix and --rate or --stages (with
--duration for --rate). The endpoint names must be ones the serve processes'
scenario defines: a job for an unknown endpoint is failed with that reason.

Examples:
  pyheap enqueue scenarios/healthy-api.yaml --time-scale 10
  pyheap enqueue --queue healthy-api --endpoint-mix "get_item=9,list_items=1" --rate 200 --duration 2m
  pyheap enqueue scenarios/healthy-api.yaml --stages "1m:50,5m:50,1m:0"`,
    )
    .action(async (path: string | undefined, flags: EnqueueFlags) => {
      await runEnqueue(path, flags);
    });
}

async function runEnqueue(path: string | undefined, flags: EnqueueFlags): Promise<void> {
  const scenario = path === undefined ? null : loadScenario(path).scenario;
  const endpoints = endpointMix(flags.endpointMix, scenario?.endpoints);
  const load = loadFromFlags(flags, scenario?.load);
  const address = queueAddress(flags, scenario?.name, flags.queue ?? scenario?.name ?? '');
  // The same check, message and eviction warning as serve; no temporary Redis (serve processes could not find it).
  await ensureRedis(address.redisUrl, false, (line) => process.stderr.write(`${line}\n`));
  const producer = new JobProducer(address);
  const progress = new Progress(!flags.quiet && process.stderr.isTTY === true);
  let lastLine = 0;
  const enqueuer = new Enqueuer({
    load,
    endpoints,
    seed: flags.seed ?? scenario?.seed ?? 1,
    timeScale: flags.timeScale,
    attempts: flags.attempts ?? scenario?.service.attempts ?? 1,
    producer,
    address,
    onProgress: (p) => {
      const text = `enqueued ${p.enqueued.toLocaleString('en-US')} in ${p.modelledS.toFixed(0)} / ${p.durationS.toFixed(0)} modelled s (${p.achievedRate.toFixed(1)}/s)`;
      progress.update(() => text);
      // Not a terminal: a plain line every 10 wall seconds.
      if (!flags.quiet && process.stderr.isTTY !== true && performance.now() - lastLine > 10_000) {
        lastLine = performance.now();
        process.stderr.write(`pyheap enqueue: ${text}\n`);
      }
    },
  });
  const stop = () => {
    if (!flags.quiet) process.stderr.write('\npyheap enqueue: stopping (the jobs already added stay queued)\n');
    enqueuer.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (!flags.quiet) process.stderr.write(`pyheap enqueue: queue "${address.queue}", run id "${address.runId}", Redis ${redactRedisUrl(address.redisUrl)}; time scale ${flags.timeScale}\n`);
  try {
    const report = await enqueuer.run();
    progress.done();
    const out = {
      queue: address.queue,
      run_id: address.runId,
      enqueued: report.enqueued,
      requested: Math.round(report.requested),
      duration_seconds: report.durationS,
      modelled_seconds_done: round3(report.modelledS),
      requested_rate_per_second: round3(report.durationS > 0 ? report.requested / report.durationS : 0),
      achieved_rate_per_second: round3(report.modelledS > 0 ? report.enqueued / report.modelledS : 0),
      max_late_wall_seconds: round3(report.maxLateS),
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      process.stdout.write(
        `  enqueued ${out.enqueued.toLocaleString('en-US')} jobs over ${round3(report.modelledS)}${report.modelledS < report.durationS ? ` of ${out.duration_seconds} (stopped early)` : ''} modelled s: ` +
          `${out.achieved_rate_per_second}/s achieved, ${out.requested_rate_per_second}/s requested; latest job ${(out.max_late_wall_seconds * 1000).toFixed(1)} ms behind schedule\n`,
      );
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await producer.close();
  }
}

function endpointMix(text: string | undefined, scenarioEndpoints: readonly { name: string; weight: number }[] | undefined): { name: string; weight: number }[] {
  if (text === undefined) {
    if (scenarioEndpoints === undefined) throw new PyheapError('PYHEAP_E_USAGE', 'without a scenario, give --endpoint-mix "name=weight,..."');
    return scenarioEndpoints.map((e) => ({ name: e.name, weight: e.weight }));
  }
  const known = scenarioEndpoints === undefined ? null : new Set(scenarioEndpoints.map((e) => e.name));
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_.:/-]*)\s*(?:=\s*([0-9.]+))?\s*$/.exec(part);
    const weight = m?.[2] === undefined ? 1 : Number(m[2]);
    if (m === null || !(weight > 0)) throw new PyheapError('PYHEAP_E_USAGE', `--endpoint-mix: "${part}" is not name=weight (a weight > 0)`);
    if (known !== null && !known.has(m[1])) throw new PyheapError('PYHEAP_E_USAGE', `--endpoint-mix: the scenario has no endpoint "${m[1]}" (it has ${[...known].join(', ')})`);
    return { name: m[1], weight };
  });
}

function loadFromFlags(flags: EnqueueFlags, scenarioLoad: LoadSpec | undefined): LoadSpec {
  let candidate: unknown;
  if (flags.stages !== undefined) {
    const stages = flags.stages.split(',').map((part) => {
      const [d, target] = part.split(':');
      return { duration: d?.trim(), target: Number(target) };
    });
    candidate = { arrival: 'stages', stages };
  } else if (flags.rate !== undefined) {
    candidate = { arrival: flags.arrival, rate: flags.rate, duration: flags.duration ?? (scenarioLoad !== undefined && 'duration' in scenarioLoad ? scenarioLoad.duration : undefined) };
  } else if (scenarioLoad !== undefined) {
    candidate = flags.duration === undefined ? scenarioLoad : { ...scenarioLoad, duration: flags.duration };
  } else {
    throw new PyheapError('PYHEAP_E_USAGE', 'without a scenario, give --rate (with --duration) or --stages');
  }
  if (flags.duration !== undefined) {
    try {
      parseDuration(flags.duration);
    } catch (e) {
      throw new PyheapError('PYHEAP_E_USAGE', `--duration "${flags.duration}": ${(e as Error).message}`);
    }
  }
  const parsed = loadSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
    throw new PyheapError('PYHEAP_E_USAGE', `the load from the flags is not valid: ${problems}`);
  }
  return parsed.data;
}

function parseArrival(value: string): 'poisson' | 'constant' {
  if (value !== 'poisson' && value !== 'constant') throw new PyheapError('PYHEAP_E_USAGE', `--arrival: expected poisson or constant, got "${value}"`);
  return value;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
