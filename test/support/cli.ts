/** Runs the built pyheap CLI (dist/, built by `npm test` before the tests) in a child process. */
import { spawnSync } from 'node:child_process';

export const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = `${ROOT}dist/src/cli/main.js`;

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function pyheap(args: string[], options: { cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    maxBuffer: 1 << 26,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
