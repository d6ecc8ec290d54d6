/**
 * Runs a Python program in the real `python3` (the oracle) and returns what
 * it printed as JSON on stdout, and the per-size-class "blocks in use" of
 * every `sys._debugmallocstats()` report it wrote to stderr between
 * `@@stats` markers (see PYTHON_PRELUDE's `mallocstats()`).
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const PYTHON = process.env.PYTHON ?? 'python3';

/** Whether the oracle interpreter is a CPython 3.11 (the default profile's version). */
export const python311Available = ((): boolean => {
  const r = spawnSync(PYTHON, ['-c', 'import sys; print(sys.implementation.name, sys.version_info[:2] == (3, 11))'], {
    encoding: 'utf8',
  });
  return r.status === 0 && r.stdout.trim() === 'cpython True';
})();

/** Helpers every oracle program may use. */
export const PYTHON_PRELUDE = `
import gc, json, os, sys
def mallocstats():
    os.write(2, b'@@stats\\n')
    sys._debugmallocstats()
    os.write(2, b'@@end\\n')
`;

export interface PythonRun<T> {
  result: T;
  /** blocks in use per size class (index: size class), one array per mallocstats() call. */
  blocksInUse: number[][];
}

export function runPython<T>(program: string): PythonRun<T> {
  const r = spawnSync(PYTHON, ['-c', PYTHON_PRELUDE + program], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONHASHSEED: '0' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { result: JSON.parse(lines[lines.length - 1]) as T, blocksInUse: parseStats(r.stderr) };
}

/** The CPython version string of the oracle (for messages). */
export function pythonVersion(): string {
  return execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
}

function parseStats(stderr: string): number[][] {
  const out: number[][] = [];
  let current: number[] | null = null;
  for (const line of stderr.split('\n')) {
    if (line === '@@stats') {
      current = new Array<number>(32).fill(0);
      continue;
    }
    if (line === '@@end') {
      if (current) out.push(current);
      current = null;
      continue;
    }
    if (current === null) continue;
    // "class   size   num pools   blocks in use  avail blocks" rows
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) current[Number(m[1])] = Number(m[4]);
  }
  return out;
}

/** Indents a block of Python (a function body). */
export function indentPython(code: string, spaces = 4): string {
  const pad = ' '.repeat(spaces);
  return code
    .trim()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
