/**
 * For tests of the real-time service: a redis-server of the test's own on a
 * free loopback port, scenario files written from objects, and the built CLI
 * run as a child process whose output, exit code and pid the test can use.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ScenarioInput } from '../../src/scenario/scenario.js';
import { type LocalRedis, redisServerInstalled, startLocalRedis } from '../../src/transport/local-redis.js';
import { ROOT } from './cli.js';

export const HAVE_REDIS_SERVER = redisServerInstalled();

export function tempDir(prefix = 'pyheap-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function ownRedis(persistDir?: string, port?: number): Promise<LocalRedis> {
  return startLocalRedis(port, persistDir);
}

export function writeScenario(dir: string, scenario: ScenarioInput, file = 'scenario.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, stringify(scenario));
  return path;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves when the process exits. */
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stderrSoFar(): string;
}

const started = new Set<ChildProcess>();

/** Kills (by pid) every CLI process a test started that is still running: call it in afterAll. */
export function killStartedClis(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** Starts the built CLI (dist/) with the arguments; REDIS_URL is not inherited. */
export function startCli(args: string[], cwd = ROOT): RunningCli {
  const child = spawn(process.execPath, [`${ROOT}dist/src/cli/main.js`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (status, signal) => {
      // Let the pipes drain.
      setImmediate(() => resolve({ status, signal, stdout, stderr }));
    }),
  );
  return { child, done, stderrSoFar: () => stderr };
}

/** The --json output of run/serve: the summary with the run's books. */
export interface ServiceJson {
  requests: { enqueued: number; completed: number; failed: number; retried: number; duplicated: number; unfinished: number; lost: number };
  restarts: { total: number; by_reason: Record<string, number>; container_restarts: number };
  books: { enqueued: number; completed: number; failed: number; retried: number; duplicated: number; stalled: number; unfinished: number; lost: number };
  run_directory: string;
  latency_seconds: { total: { count: number; p50: number; p99: number } };
  /** Whether the simulator kept up with modelled time, and the time scale at which it would have (src/supervisor/keeping-up.ts). */
  kept_up: boolean;
  sustainable_time_scale: number | null;
}

export function parseServiceJson(stdout: string): ServiceJson {
  return JSON.parse(stdout) as ServiceJson;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
