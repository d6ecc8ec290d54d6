/**
 * The flags `run`, `serve` and `enqueue` share: where Redis is, which run and
 * queue, how fast modelled time runs; and how they become a queue address.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { PyheapError } from '../errors.js';
import { DEFAULT_WORKER_NICE } from '../supervisor/supervisor.js';
import type { QueueAddress } from '../transport/bullmq/queue.js';
import { DEFAULT_REDIS_URL, parseRedisUrl } from '../transport/bullmq/redis-url.js';

export interface ServiceFlags {
  redis?: string;
  runId?: string;
  queue?: string;
  timeScale: number;
}

export function addServiceFlags(command: Command, runIdHelp: string): Command {
  return command
    .addOption(new Option('--redis <url>', `Redis URL (redis://[user:password@]host[:port][/db], rediss:// for TLS)`).env('REDIS_URL').default(DEFAULT_REDIS_URL))
    .option('--run-id <id>', runIdHelp)
    .option('--queue <name>', "the BullMQ queue (default: the scenario's name)")
    .option('--time-scale <x>', 'modelled seconds per wall second: 10 runs a 1 s request in 100 ms', parsePositive, 1);
}

/** A run id or queue name: letters, digits and - _ . only (it goes into Redis keys and a hash tag). */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function queueAddress(flags: ServiceFlags, scenarioName: string | undefined, defaultRunId: string): QueueAddress {
  const redisUrl = flags.redis ?? DEFAULT_REDIS_URL;
  try {
    parseRedisUrl(redisUrl);
  } catch (e) {
    throw new PyheapError('PYHEAP_E_USAGE', `--redis / REDIS_URL: ${(e as Error).message}`);
  }
  const queue = flags.queue ?? scenarioName;
  if (queue === undefined) throw new PyheapError('PYHEAP_E_USAGE', 'give a scenario or --queue <name>');
  const runId = flags.runId ?? defaultRunId;
  for (const [flag, value] of [
    ['--queue', queue],
    ['--run-id', runId],
  ] as const) {
    if (!NAME.test(value)) throw new PyheapError('PYHEAP_E_USAGE', `${flag} "${value}": use 1 to 100 letters, digits, "-", "_" or "."`);
  }
  return { redisUrl, queue, runId };
}

/** A fresh run id: UTC time and a random suffix, unique per `pyheap run`. */
export function freshRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

export function addWorkerNiceFlag(command: Command): Command {
  return command.option(
    '--worker-nice <n>',
    "the nice value (0-19) of the simulated workers' threads once booted, Linux only: 19 gives the supervisor's thread precedence on a machine the simulation has to itself",
    parseNice,
    DEFAULT_WORKER_NICE,
  );
}

function parseNice(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new InvalidArgumentError(`expected a whole number 0-19, got "${value}"`);
  return n;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0-65535, got "${value}"`);
  return n;
}
